//! Who added each cluster to the mesh, when, and under which trust domain.
//!
//! The rules, applied to one scan's [`EvidenceSet`] at an evaluation time `as_of`:
//!
//! - **Membership.** A cluster is in the mesh when it is registered on a management plane (a live
//!   `KubernetesCluster` is in the scan), or when it was collected running the mesh (its
//!   `istio-system/istio` mesh config is present) and is peered with another cluster (it holds, or
//!   is the target of, a remote secret or an `istio-remote` peer Gateway). A cluster only named by
//!   another's credential or gateway is an orphan, not a member. A registration deleted before
//!   the scan (or `as_of`) does not count, nor do refused (4xx) create attempts.
//! - **added_at / added_by.** The successful (2xx) audit create of the registration (its latest,
//!   after any deletion), else the registration's `creationTimestamp`. Without a registration, the
//!   earliest evidence of peering that names the cluster (remote secret or peer gateway: audit
//!   create, else `creationTimestamp`). The creator is the impersonated user when there is one.
//!   When the creator is a GitOps controller, `added_by` is the author of the earliest git commit
//!   (at or before the create) whose manifests declare the object, `applied_by` the controller.
//! - **Trust domain.** `trustDomain` of the cluster's mesh config; else the
//!   `gateway.istio.io/trust-domain` annotation of peers' `istio-remote` gateways for it; else the
//!   SPIFFE trust domains of its CA certificates; else `cluster.local`, marked `assumed`.
//!
//! Rows are sorted by cluster name; every row cites the records its facts came from. Times are
//! whole seconds (audit logs carry microseconds; object timestamps do not).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::audit::AuditEvent;
use super::git::{self, Commit};
use super::mesh::{AuditWrites, Peering, Registration, Views};
use crate::collect::selection::ISTIO_NAMESPACE;
use crate::model::{Evidence, EvidenceSet, RecordRef, Timestamp, ViewSubset, kinds};

/// GitOps controllers recognised by default (`--gitops-identity` replaces the list).
pub const DEFAULT_GITOPS_IDENTITIES: &[&str] = &[
    "system:serviceaccount:argocd:argocd-application-controller",
    "system:serviceaccount:flux-system:kustomize-controller",
    "system:serviceaccount:flux-system:helm-controller",
];

/// The part of a scan's view [`who_added`] reads (registrations, mesh configs, remote and CA
/// secrets, peer gateways, audit events, git commits), so the command loads only that.
pub const EVIDENCE: ViewSubset = ViewSubset {
    object_kinds: &["ConfigMap", "Gateway", "KubernetesCluster", "Secret"],
    record_kinds: &[kinds::AUDIT_EVENT, kinds::GIT_COMMIT],
};

/// The trust domain every Istio mesh has unless configured otherwise.
pub const DEFAULT_TRUST_DOMAIN: &str = "cluster.local";

/// Query settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Identities whose API writes are applied from git; the git author is the one who added.
    pub gitops_identities: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            gitops_identities: DEFAULT_GITOPS_IDENTITIES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Where a trust domain was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustDomainSource {
    /// `trustDomain` in the cluster's `istio-system/istio` mesh config.
    MeshConfig,
    /// `gateway.istio.io/trust-domain` on peers' `istio-remote` gateways for the cluster.
    PeerGateway,
    /// SPIFFE URI SANs of the cluster's CA certificates.
    CaCertificate,
    /// No evidence: Istio's default `cluster.local`.
    Assumed,
}

impl TrustDomainSource {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustDomainSource::MeshConfig => "mesh-config",
            TrustDomainSource::PeerGateway => "peer-gateway",
            TrustDomainSource::CaCertificate => "ca-certificate",
            TrustDomainSource::Assumed => "assumed",
        }
    }
}

/// How a cluster joined the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Registered on a management plane (`KubernetesCluster`).
    ManagementPlaneRegistration,
    /// Peered by hand: remote secrets or peer gateways, no registration.
    ManualPeering,
}

impl Method {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::ManagementPlaneRegistration => "management-plane-registration",
            Method::ManualPeering => "manual-peering",
        }
    }
}

/// One cluster of the mesh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoAddedRow {
    /// Cluster name.
    pub cluster: String,
    /// When it was added (whole seconds), if known.
    pub added_at: Option<Timestamp>,
    /// Who added it: the API user, or for GitOps the commit author (`Name <email>`).
    pub added_by: Option<String>,
    /// The identity whose API request created it.
    pub applied_by: Option<String>,
    /// The commit's committer, when it differs from the author.
    pub committer: Option<String>,
    /// Its SPIFFE trust domain.
    pub trust_domain: String,
    /// Where the trust domain was read.
    pub trust_domain_source: TrustDomainSource,
    /// How it joined.
    pub method: Method,
    /// The records these facts came from, by sequence number.
    pub evidence: Vec<RecordRef>,
}

/// Who added each cluster of the mesh, sorted by cluster name.
pub fn who_added(set: &EvidenceSet, as_of: Timestamp, settings: &Settings) -> Vec<WhoAddedRow> {
    who_added_in(&Views::new(set, as_of), settings)
}

/// [`who_added`] on views already (or still to be) built for the scan, e.g. shared with analyses.
pub fn who_added_in(views: &Views<'_>, settings: &Settings) -> Vec<WhoAddedRow> {
    let (set, as_of) = (views.set(), views.as_of());
    let commits: Vec<Commit<'_>> = git::commits(set)
        .into_iter()
        .filter(|c| c.time().is_some_and(|t| t <= as_of))
        .collect();
    let mesh = views.mesh();
    let ctx = Context {
        set,
        settings,
        writes: views.writes(),
        commits,
    };
    let registrations = &mesh.registrations;
    let mesh_configs = &mesh.mesh_configs;

    let mut naming: BTreeMap<&str, Vec<&Peering<'_>>> = BTreeMap::new();
    let mut held: BTreeMap<&str, Vec<&Peering<'_>>> = BTreeMap::new();
    for p in &mesh.peerings {
        naming.entry(p.target.as_str()).or_default().push(p);
        held.entry(p.holder).or_default().push(p);
    }
    let members = mesh.members.iter().map(String::as_str);

    members
        .into_iter()
        .map(|cluster| {
            let mut evidence = BTreeSet::new();
            let origin = match registrations.get(cluster) {
                Some(reg) => ctx.registration_origin(reg, &mut evidence),
                None => {
                    // Named by others' peering objects; else only what it holds dates it.
                    let candidates = naming
                        .get(cluster)
                        .filter(|n| !n.is_empty())
                        .or_else(|| held.get(cluster))
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    ctx.peering_origin(candidates, &mut evidence)
                }
            };
            let (trust_domain, trust_domain_source) = ctx.trust_domain(
                cluster,
                mesh_configs.get(cluster),
                naming.get(cluster).map(Vec::as_slice).unwrap_or_default(),
                &mut evidence,
            );
            WhoAddedRow {
                cluster: cluster.to_string(),
                added_at: origin.added_at.and_then(|t| Timestamp::from_unix(t.unix())),
                added_by: origin.added_by,
                applied_by: origin.applied_by,
                committer: origin.committer,
                trust_domain,
                trust_domain_source,
                method: if registrations.contains_key(cluster) {
                    Method::ManagementPlaneRegistration
                } else {
                    Method::ManualPeering
                },
                evidence: evidence.into_iter().collect(),
            }
        })
        .collect()
}

#[derive(Default)]
struct Origin {
    added_at: Option<Timestamp>,
    added_by: Option<String>,
    applied_by: Option<String>,
    committer: Option<String>,
}

struct Context<'a, 'v> {
    set: &'a EvidenceSet,
    settings: &'v Settings,
    writes: &'v AuditWrites<'a>,
    commits: Vec<Commit<'a>>,
}

impl<'a> Context<'a, '_> {
    fn registration_origin(&self, reg: &Registration<'a>, evidence: &mut BTreeSet<RecordRef>) -> Origin {
        evidence.insert(reg.record.reference());
        match &reg.create {
            Some(create) => self.attribute(create, "KubernetesCluster", reg.namespace, reg.name, evidence),
            None => Origin {
                added_at: reg.created,
                ..Origin::default()
            },
        }
    }

    /// Without a registration: the earliest of `candidates`, the peering objects naming the
    /// cluster (or, when none names it, those it holds).
    fn peering_origin(&self, candidates: &[&Peering<'a>], evidence: &mut BTreeSet<RecordRef>) -> Origin {
        let mut best: Option<(Timestamp, u64, Option<&AuditEvent<'a>>, &Peering<'a>)> = None;
        for p in candidates {
            let create = self
                .writes
                .successful("create", p.resource, p.namespace, p.name)
                .into_iter()
                .find(|e| e.cluster == p.holder);
            let time = create.and_then(|c| c.time).or(p.created);
            if let Some(t) = time {
                let key = (t, p.record.seq);
                if best.as_ref().is_none_or(|(bt, bs, _, _)| key < (*bt, *bs)) {
                    best = Some((t, p.record.seq, create, p));
                }
            }
        }
        // The earliest peering object both dates the cluster and shows it is peered.
        if let Some((_, _, _, p)) = &best {
            evidence.insert(p.record.reference());
        }
        match best {
            Some((_, _, Some(create), p)) => {
                let kind = if p.resource == "secrets" { "Secret" } else { "Gateway" };
                self.attribute(create, kind, p.namespace, p.name, evidence)
            }
            Some((t, _, None, _)) => Origin {
                added_at: Some(t),
                ..Origin::default()
            },
            None => Origin::default(),
        }
    }

    /// Attributes a successful create: its actor, or for a GitOps controller the git author.
    fn attribute(
        &self,
        create: &AuditEvent<'a>,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        evidence: &mut BTreeSet<RecordRef>,
    ) -> Origin {
        evidence.insert(create.record.reference());
        let actor = create.actor().map(str::to_string);
        let mut origin = Origin {
            added_at: create.time,
            added_by: actor.clone(),
            applied_by: actor.clone(),
            committer: None,
        };
        let is_gitops = actor
            .as_deref()
            .is_some_and(|a| self.settings.gitops_identities.iter().any(|g| g == a));
        if is_gitops {
            origin.added_by = None;
            if let Some(commit) = self.introducing_commit(kind, namespace, name, create.time) {
                evidence.insert(commit.record.reference());
                origin.added_by = commit.author.display();
                if !commit.committer.same_identity(&commit.author) {
                    origin.committer = commit.committer.display();
                }
            }
        }
        origin
    }

    /// The earliest commit, at or before `at`, whose files declare `kind` `namespace/name`.
    fn introducing_commit(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        at: Option<Timestamp>,
    ) -> Option<&Commit<'a>> {
        let at = at?;
        self.commits.iter().find(|c| {
            c.time().is_some_and(|t| t <= at)
                && c.files.iter().any(|f| {
                    f.change != "deleted"
                        && f.objects_after.iter().any(|o| {
                            o.kind == kind && o.name == name && (o.namespace.is_none() || o.namespace == namespace)
                        })
                })
        })
    }

    fn trust_domain(
        &self,
        cluster: &str,
        mesh_config: Option<&&'a Evidence>,
        naming: &[&Peering<'a>],
        evidence: &mut BTreeSet<RecordRef>,
    ) -> (String, TrustDomainSource) {
        if let Some(record) = mesh_config
            && let Some(td) = mesh_config_trust_domain(record)
        {
            evidence.insert(record.reference());
            return (td, TrustDomainSource::MeshConfig);
        }
        let from_gateways: Vec<(&str, RecordRef)> = naming
            .iter()
            .filter(|p| p.holder != cluster)
            .filter_map(|p| p.trust_domain.map(|td| (td, p.record.reference())))
            .collect();
        if let Some(td) = most_common(from_gateways.iter().map(|(td, _)| *td)) {
            evidence.extend(from_gateways.iter().filter(|(t, _)| *t == td).map(|(_, r)| *r));
            return (td.to_string(), TrustDomainSource::PeerGateway);
        }
        let mut from_ca: Vec<(String, RecordRef)> = Vec::new();
        for name in ["cacerts", "istio-ca-secret"] {
            if let Some(record) = self.set.object(cluster, Some(ISTIO_NAMESPACE), "Secret", name) {
                for td in ca_trust_domains(record) {
                    from_ca.push((td, record.reference()));
                }
            }
        }
        if let Some(td) = most_common(from_ca.iter().map(|(td, _)| td.as_str())) {
            evidence.extend(from_ca.iter().filter(|(t, _)| t == td).map(|(_, r)| *r));
            return (td.to_string(), TrustDomainSource::CaCertificate);
        }
        (DEFAULT_TRUST_DOMAIN.to_string(), TrustDomainSource::Assumed)
    }
}

/// `trustDomain` of a mesh config map's `mesh` key (YAML text); `None` when absent, empty or
/// unparsable.
pub fn mesh_config_trust_domain(record: &Evidence) -> Option<String> {
    let text = record.str_at("/data/mesh")?;
    let mesh: Value = match serde_saphyr::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(subject = %record.subject, error = %e, "mesh config is not YAML");
            return None;
        }
    };
    mesh.get("trustDomain")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// SPIFFE trust domains of a redacted CA secret's certificates
/// (`data.<key>.certificates[].spiffe_trust_domains`).
fn ca_trust_domains(record: &Evidence) -> Vec<String> {
    let mut out = Vec::new();
    for entry in record
        .body()
        .get("data")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|d| d.values())
    {
        for cert in entry
            .get("certificates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for td in cert
                .get("spiffe_trust_domains")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                out.push(td.to_string());
            }
        }
    }
    out
}

/// The most frequent value; ties go to the smallest.
fn most_common<'v>(values: impl Iterator<Item = &'v str>) -> Option<&'v str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let max = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == max).map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{kinds, sha256};
    use serde_json::json;

    const AS_OF: &str = "2026-12-01T00:00:00Z";

    struct Builder(Vec<Evidence>);

    impl Builder {
        fn new() -> Builder {
            Builder(Vec::new())
        }
        fn add(mut self, kind: &str, subject: &str, body: Value) -> Builder {
            let seq = self.0.len() as u64 + 1;
            let hash = sha256(format!("{seq}{subject}").as_bytes());
            self.0.push(Evidence::new(seq, hash, kind, "test", subject, body));
            self
        }
        fn object(self, subject: &str, body: Value) -> Builder {
            self.add(kinds::K8S_OBJECT, subject, body)
        }
        fn mesh_config(self, cluster: &str, mesh: &str) -> Builder {
            self.object(
                &format!("{cluster}/istio-system/ConfigMap/istio"),
                json!({"kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
                       "data": {"mesh": mesh}}),
            )
        }
        fn remote_secret(self, holder: &str, target: &str, created: &str) -> Builder {
            self.object(
                &format!("{holder}/istio-system/Secret/istio-remote-secret-{target}"),
                json!({"kind": "Secret", "metadata": {"name": format!("istio-remote-secret-{target}"),
                       "namespace": "istio-system", "creationTimestamp": created,
                       "labels": {"istio/multiCluster": "true"},
                       "annotations": {"networking.istio.io/cluster": target}},
                       "data": {target: {"type": "opaque", "size": 10}}}),
            )
        }
        fn registration(self, name: &str, created: &str) -> Builder {
            self.object(
                &format!("mgmt/gloo-mesh/KubernetesCluster/{name}"),
                json!({"kind": "KubernetesCluster", "metadata": {"name": name, "namespace": "gloo-mesh",
                       "creationTimestamp": created}}),
            )
        }
        fn audit(self, id: &str, verb: &str, name: &str, user: &str, code: u64, at: &str) -> Builder {
            self.add(
                kinds::AUDIT_EVENT,
                &format!("mgmt/audit/{id}"),
                json!({"auditID": id, "cluster": "mgmt", "verb": verb, "user": {"username": user},
                       "objectRef": {"resource": "kubernetesclusters", "namespace": "gloo-mesh",
                                     "name": name, "apiGroup": "admin.gloo.solo.io"},
                       "responseStatus": {"code": code}, "requestReceivedTimestamp": at}),
            )
        }
        fn build(self) -> EvidenceSet {
            EvidenceSet::new(1, AS_OF.parse().unwrap(), self.0)
        }
    }

    fn answer(set: &EvidenceSet) -> Vec<WhoAddedRow> {
        who_added(set, AS_OF.parse().unwrap(), &Settings::default())
    }

    fn names(rows: &[WhoAddedRow]) -> Vec<&str> {
        rows.iter().map(|r| r.cluster.as_str()).collect()
    }

    #[test]
    fn orphan_named_only_by_a_credential_is_not_in_the_mesh() {
        let set = Builder::new()
            .mesh_config("a", "trustDomain: a.example\n")
            .mesh_config("b", "trustDomain: b.example\n")
            .remote_secret("a", "b", "2026-06-01T00:00:00Z")
            .remote_secret("a", "ghost", "2026-05-01T00:00:00Z")
            .build();
        let rows = answer(&set);
        assert_eq!(names(&rows), ["a", "b"]);
        let b = &rows[1];
        assert_eq!(b.method, Method::ManualPeering);
        assert_eq!(b.added_at, Some("2026-06-01T00:00:00Z".parse().unwrap()));
        assert_eq!(b.added_by, None);
        assert_eq!(b.trust_domain, "b.example");
        // a is named by nobody: its earliest held peering object dates it.
        assert_eq!(rows[0].added_at, Some("2026-05-01T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn a_collected_mesh_cluster_without_peering_is_not_a_member() {
        let set = Builder::new()
            .mesh_config("lonely", "trustDomain: x\n")
            .object("mgmt/_cluster/Namespace/gloo-mesh", json!({}))
            .build();
        assert!(answer(&set).is_empty());
    }

    #[test]
    fn deleted_registration_is_not_in_the_mesh() {
        let set = Builder::new()
            .registration("gone", "2026-06-03T14:20:00Z")
            .audit("1", "create", "gone", "bob", 201, "2026-06-03T14:20:00.3Z")
            .audit("2", "delete", "gone", "alice", 200, "2026-09-15T16:40:00.1Z")
            .registration("kept", "2026-06-03T14:20:00Z")
            .audit("3", "create", "kept", "bob", 201, "2026-06-03T14:20:00.3Z")
            .audit("4", "delete", "kept", "alice", 200, "2026-07-01T00:00:00Z")
            .audit("5", "create", "kept", "carol", 201, "2026-08-01T00:00:00Z")
            .build();
        let rows = answer(&set);
        assert_eq!(names(&rows), ["kept"]);
        // Re-created after the delete: the latest create is the one that counts.
        assert_eq!(rows[0].added_by.as_deref(), Some("carol"));
        assert_eq!(rows[0].added_at, Some("2026-08-01T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn refused_creates_never_count_and_times_are_whole_seconds() {
        let set = Builder::new()
            .registration("c1", "2026-06-03T14:02:11Z")
            .audit("1", "create", "c1", "carol", 403, "2026-06-03T13:55:00.287Z")
            .audit("2", "create", "c1", "bob", 201, "2026-06-03T14:02:11.055Z")
            .build();
        let rows = answer(&set);
        assert_eq!(rows[0].added_by.as_deref(), Some("bob"));
        assert_eq!(rows[0].applied_by.as_deref(), Some("bob"));
        assert_eq!(
            rows[0].added_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-06-03T14:02:11Z")
        );
        assert_eq!(rows[0].trust_domain_source, TrustDomainSource::Assumed);
        assert_eq!(rows[0].trust_domain, "cluster.local");
        // Without an audit create: the registration's creationTimestamp, nobody named.
        let set = Builder::new().registration("c2", "2026-06-01T00:00:00Z").build();
        let rows = answer(&set);
        assert_eq!(rows[0].added_at, Some("2026-06-01T00:00:00Z".parse().unwrap()));
        assert_eq!(rows[0].added_by, None);
    }

    #[test]
    fn impersonated_user_wins_and_gitops_without_commit_is_unknown() {
        let set = Builder::new()
            .registration("c1", "2026-06-01T00:00:00Z")
            .add(
                kinds::AUDIT_EVENT,
                "mgmt/audit/1",
                json!({"cluster": "mgmt", "verb": "create", "user": {"username": "alice"},
                       "impersonatedUser": {"username": DEFAULT_GITOPS_IDENTITIES[0]},
                       "objectRef": {"resource": "kubernetesclusters", "namespace": "gloo-mesh", "name": "c1"},
                       "responseStatus": {"code": 201}, "requestReceivedTimestamp": "2026-06-01T00:00:00Z"}),
            )
            .build();
        let rows = answer(&set);
        assert_eq!(rows[0].applied_by.as_deref(), Some(DEFAULT_GITOPS_IDENTITIES[0]));
        assert_eq!(rows[0].added_by, None);
    }

    #[test]
    fn unparsable_mesh_config_falls_through_to_peer_gateways_then_ca() {
        let gateway = |holder: &str, target: &str, td: &str| {
            json!({"kind": "Gateway", "metadata": {"name": format!("istio-remote-peer-{target}"),
                   "namespace": "istio-eastwest", "labels": {"topology.istio.io/cluster": target},
                   "annotations": {"gateway.istio.io/trust-domain": td}},
                   "spec": {"gatewayClassName": "istio-remote"}, "holder": holder})
        };
        let set = Builder::new()
            .mesh_config("a", "trustDomain: [unclosed\n  : :")
            .mesh_config("b", "trustDomain: b.example\n")
            .object(
                "b/istio-eastwest/Gateway/istio-remote-peer-a",
                gateway("b", "a", "a.from-peer"),
            )
            .mesh_config("c", "rootNamespace: istio-system\n")
            .remote_secret("c", "b", "2026-06-01T00:00:00Z")
            .object(
                "c/istio-system/Secret/cacerts",
                json!({"kind": "Secret", "data": {"ca-cert.pem": {"type": "certificates",
                       "certificates": [{"spiffe_trust_domains": ["c.from-ca"]}]}}}),
            )
            .build();
        assert!(serde_saphyr::from_str::<Value>("trustDomain: [unclosed\n  : :").is_err());
        let rows = answer(&set);
        assert_eq!(names(&rows), ["a", "b", "c"]);
        assert_eq!(rows[0].trust_domain, "a.from-peer");
        assert_eq!(rows[0].trust_domain_source, TrustDomainSource::PeerGateway);
        assert_eq!(rows[0].evidence, vec![set.records()[2].reference()]);
        assert_eq!(rows[1].trust_domain_source, TrustDomainSource::MeshConfig);
        assert_eq!(rows[2].trust_domain, "c.from-ca");
        assert_eq!(rows[2].trust_domain_source, TrustDomainSource::CaCertificate);
    }

    #[test]
    fn registrations_after_as_of_are_not_yet_in_the_mesh() {
        let set = Builder::new().registration("later", "2027-01-01T00:00:00Z").build();
        assert!(answer(&set).is_empty());
    }
}
