//! Who is in the mesh: registrations, mesh configs and peering objects of one scan, and the
//! membership rule built on them. Shared by [`who_added`](super::who_added) and the analyzers
//! (`analyze::registrations`), so "in the mesh" means one thing everywhere.
//!
//! The rule: a cluster is a **member** when it is registered on a management plane (a live
//! `KubernetesCluster`, not deleted at `as_of` by its object or by a later successful audit
//! `delete`), or when it was collected running the mesh (its `istio-system/istio` mesh config is
//! present) and is peered with another cluster (it holds, or is the target of, a remote secret or
//! an `istio-remote` peer Gateway). A cluster only named by another's credential or gateway is not
//! a member.
//!
//! It does not attribute anything (that is `who_added`) and does not judge (that is `analyze`).
//! Main types: [`Mesh`], [`Registration`], [`Peering`], [`AuditWrites`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;

use super::audit::{self, AuditEvent};
use crate::collect::selection::{ISTIO_NAMESPACE, is_mesh_configmap};
use crate::model::{Evidence, EvidenceSet, Timestamp};

/// (verb, resource, namespace, name) of an audit event.
type EventKey<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// Successful (2xx) audit writes on objects (no subresource) up to `as_of`, indexed by
/// (verb, plural resource, namespace, name), each list in time order.
#[derive(Debug, Clone)]
pub struct AuditWrites<'a> {
    events: Vec<AuditEvent<'a>>,
    successful: BTreeMap<EventKey<'a>, Vec<usize>>,
}

impl<'a> AuditWrites<'a> {
    /// Indexes the audit events of `set` received at or before `as_of`.
    pub fn new(set: &'a EvidenceSet, as_of: Timestamp) -> AuditWrites<'a> {
        let events: Vec<AuditEvent<'a>> = audit::events(set)
            .into_iter()
            .filter(|e| e.time.is_some_and(|t| t <= as_of))
            .collect();
        let mut successful: BTreeMap<EventKey<'a>, Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if let Some(name) = e.name
                && e.is_success()
                && e.subresource.is_empty()
            {
                successful
                    .entry((e.verb, e.resource, e.namespace, name))
                    .or_default()
                    .push(i);
            }
        }
        for list in successful.values_mut() {
            list.sort_by_key(|&i| events.get(i).map(|e| (e.time, e.record.seq)));
        }
        AuditWrites { events, successful }
    }

    /// Successful audit events of `verb` on `resource` `namespace/name`, in time order.
    pub fn successful(&self, verb: &str, resource: &str, namespace: Option<&str>, name: &str) -> Vec<&AuditEvent<'a>> {
        self.successful
            .get(&(verb, resource, namespace, name))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.events.get(i))
            .collect()
    }
}

/// The derived views of one scan at `as_of` that several analyses read ([`AuditWrites`],
/// [`Mesh`]), each built on first use and then shared: `findings` and reports build them once
/// per scan, not once per analyzer.
#[derive(Debug)]
pub struct Views<'a> {
    set: &'a EvidenceSet,
    as_of: Timestamp,
    writes: OnceLock<AuditWrites<'a>>,
    mesh: OnceLock<Mesh<'a>>,
}

impl<'a> Views<'a> {
    /// Views of `set` at `as_of`; nothing is built yet.
    pub fn new(set: &'a EvidenceSet, as_of: Timestamp) -> Views<'a> {
        Views {
            set,
            as_of,
            writes: OnceLock::new(),
            mesh: OnceLock::new(),
        }
    }

    /// The scan's evidence.
    pub fn set(&self) -> &'a EvidenceSet {
        self.set
    }

    /// The evaluation time.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// Successful audit writes up to `as_of`.
    pub fn writes(&self) -> &AuditWrites<'a> {
        self.writes.get_or_init(|| AuditWrites::new(self.set, self.as_of))
    }

    /// The mesh at `as_of`.
    pub fn mesh(&self) -> &Mesh<'a> {
        self.mesh
            .get_or_init(|| Mesh::build(self.set, self.as_of, self.writes()))
    }
}

/// A live `KubernetesCluster`.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    /// Its record.
    pub record: &'a Evidence,
    /// Its namespace (normally `gloo-mesh`).
    pub namespace: Option<&'a str>,
    /// Its name: the registered cluster's name.
    pub name: &'a str,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// The successful audit create that made the current object.
    pub create: Option<AuditEvent<'a>>,
}

/// One peering object: a remote secret or an `istio-remote` gateway held by `holder` for `target`.
#[derive(Debug, Clone)]
pub struct Peering<'a> {
    /// Its record.
    pub record: &'a Evidence,
    /// The cluster holding it.
    pub holder: &'a str,
    /// The cluster it grants access to or routes to.
    pub target: String,
    /// Plural resource: `secrets` or `gateways`.
    pub resource: &'static str,
    /// Its namespace.
    pub namespace: Option<&'a str>,
    /// Its name.
    pub name: &'a str,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `gateway.istio.io/trust-domain` of a peer gateway.
    pub trust_domain: Option<&'a str>,
}

impl Peering<'_> {
    /// `Secret` or `Gateway`.
    pub fn kind(&self) -> &'static str {
        if self.resource == "secrets" {
            "Secret"
        } else {
            "Gateway"
        }
    }
}

/// The mesh of one scan at `as_of`.
#[derive(Debug, Clone)]
pub struct Mesh<'a> {
    /// Live registrations by cluster name (the earliest when a cluster is registered twice).
    pub registrations: BTreeMap<String, Registration<'a>>,
    /// Mesh config maps by collected cluster.
    pub mesh_configs: BTreeMap<String, &'a Evidence>,
    /// Every remote secret and peer gateway existing at `as_of`.
    pub peerings: Vec<Peering<'a>>,
    /// Member clusters, sorted.
    pub members: BTreeSet<String>,
}

impl<'a> Mesh<'a> {
    /// Builds the mesh view of `set` at `as_of`; `writes` decides deleted registrations.
    pub fn build(set: &'a EvidenceSet, as_of: Timestamp, writes: &AuditWrites<'a>) -> Mesh<'a> {
        let builder = Builder { set, as_of, writes };
        let registrations = builder.registrations();
        let mesh_configs = builder.mesh_configs();
        let peerings = builder.peerings();
        let mut peered: BTreeSet<&str> = BTreeSet::new();
        for p in &peerings {
            if p.holder != p.target {
                peered.insert(p.holder);
                peered.insert(&p.target);
            }
        }
        let mut members: BTreeSet<String> = registrations.keys().cloned().collect();
        for cluster in mesh_configs.keys() {
            if peered.contains(cluster.as_str()) {
                members.insert(cluster.clone());
            }
        }
        Mesh {
            registrations,
            mesh_configs,
            peerings,
            members,
        }
    }

    /// Whether `cluster` is a member.
    pub fn is_member(&self, cluster: &str) -> bool {
        self.members.contains(cluster)
    }
}

/// Read without parsing the whole body (most Secrets are CA bundles nobody else parses).
fn timestamp_at(record: &Evidence, pointer: &str) -> Option<Timestamp> {
    record.peek_str(pointer).and_then(|t| t.parse().ok())
}

fn created_at(record: &Evidence) -> Option<Timestamp> {
    timestamp_at(record, "/metadata/creationTimestamp")
}

struct Builder<'a, 'w> {
    set: &'a EvidenceSet,
    as_of: Timestamp,
    writes: &'w AuditWrites<'a>,
}

impl<'a> Builder<'a, '_> {
    /// Live registrations by cluster name (the earliest when a cluster is registered twice).
    fn registrations(&self) -> BTreeMap<String, Registration<'a>> {
        let mut out: BTreeMap<String, Registration<'a>> = BTreeMap::new();
        for record in self.set.objects_of_kind("KubernetesCluster") {
            let Some(key) = record.object_key() else {
                continue;
            };
            let name = record.str_at("/metadata/name").unwrap_or(key.name);
            let namespace = key.namespace;
            if timestamp_at(record, "/metadata/deletionTimestamp").is_some_and(|t| t <= self.as_of) {
                continue;
            }
            let created = created_at(record);
            if created.is_some_and(|t| t > self.as_of) {
                continue;
            }
            let creates = self.writes.successful("create", "kubernetesclusters", namespace, name);
            let deletes = self.writes.successful("delete", "kubernetesclusters", namespace, name);
            let last_delete = deletes.last().and_then(|e| e.time);
            let create = creates
                .iter()
                .rev()
                .find(|c| last_delete.is_none() || c.time > last_delete)
                .map(|c| (*c).clone());
            let anchor = [created, create.as_ref().and_then(|c| c.time)]
                .into_iter()
                .flatten()
                .max();
            let deleted = match (last_delete, anchor) {
                (Some(d), Some(a)) => d > a,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if deleted {
                continue;
            }
            let reg = Registration {
                record,
                namespace,
                name,
                created,
                create,
            };
            let when = |r: &Registration<'_>| r.create.as_ref().and_then(|c| c.time).or(r.created);
            match out.get(name) {
                Some(existing) if when(existing) <= when(&reg) => {}
                _ => {
                    out.insert(name.to_string(), reg);
                }
            }
        }
        out
    }

    /// Mesh config maps by collected cluster (`istio`, else the first revisioned `istio-<rev>`).
    fn mesh_configs(&self) -> BTreeMap<String, &'a Evidence> {
        let mut out: BTreeMap<String, &'a Evidence> = BTreeMap::new();
        for record in self.set.objects_of_kind("ConfigMap") {
            let Some(key) = record.object_key() else {
                continue;
            };
            if key.namespace != Some(ISTIO_NAMESPACE)
                || !is_mesh_configmap(key.name)
                || key.name == "istio-ca-root-cert"
            {
                continue;
            }
            let cluster = key.cluster.to_string();
            let better = match out.get(&cluster) {
                None => true,
                Some(existing) => key.name == "istio" && existing.str_at("/metadata/name") != Some("istio"),
            };
            if better {
                out.insert(cluster, record);
            }
        }
        out
    }

    /// Every remote secret and peer gateway existing at `as_of`.
    fn peerings(&self) -> Vec<Peering<'a>> {
        let mut out = Vec::new();
        let exists = |r: &Evidence| created_at(r).is_none_or(|t| t <= self.as_of);
        for record in self.set.objects_of_kind("Secret") {
            let Some(key) = record.object_key() else {
                continue;
            };
            if !exists(record) {
                continue;
            }
            for target in remote_secret_targets(record, key.name) {
                out.push(Peering {
                    record,
                    holder: key.cluster,
                    target,
                    resource: "secrets",
                    namespace: key.namespace,
                    name: key.name,
                    created: created_at(record),
                    trust_domain: None,
                });
            }
        }
        for record in self.set.objects_of_kind("Gateway") {
            let Some(key) = record.object_key() else {
                continue;
            };
            if !exists(record) || record.str_at("/spec/gatewayClassName") != Some("istio-remote") {
                continue;
            }
            let target = record
                .str_at("/metadata/labels/topology.istio.io~1cluster")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .or_else(|| {
                    key.name
                        .strip_prefix("istio-remote-peer-")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                })
                .or_else(|| {
                    record
                        .str_at("/metadata/labels/topology.istio.io~1network")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                });
            if let Some(target) = target {
                out.push(Peering {
                    record,
                    holder: key.cluster,
                    target,
                    resource: "gateways",
                    namespace: key.namespace,
                    name: key.name,
                    created: created_at(record),
                    trust_domain: record
                        .str_at("/metadata/annotations/gateway.istio.io~1trust-domain")
                        .filter(|s| !s.is_empty()),
                });
            }
        }
        out
    }
}

/// The clusters a Secret grants access to, when it is a remote secret: its data keys (each is a
/// cluster ID), else its `networking.istio.io/cluster` annotation, else its name suffix.
pub fn remote_secret_targets(record: &Evidence, name: &str) -> Vec<String> {
    let labelled = record.peek_str("/metadata/labels/istio~1multiCluster").as_deref() == Some("true");
    let suffix = name.strip_prefix("istio-remote-secret-").filter(|s| !s.is_empty());
    if !labelled && suffix.is_none() {
        return Vec::new();
    }
    let keys: Vec<String> = record
        .body()
        .get("data")
        .and_then(Value::as_object)
        .map(|d| d.keys().filter(|k| !k.is_empty()).cloned().collect())
        .unwrap_or_default();
    if !keys.is_empty() {
        return keys;
    }
    if let Some(c) = record
        .str_at("/metadata/annotations/networking.istio.io~1cluster")
        .filter(|s| !s.is_empty())
    {
        return vec![c.to_string()];
    }
    suffix.map(|s| vec![s.to_string()]).unwrap_or_default()
}
