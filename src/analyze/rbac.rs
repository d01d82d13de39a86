//! RBAC: broad grants, who can read CA keys, drift between clusters.
//!
//! Defaults are told apart from custom grants by [`rbac_model`](super::rbac_model): bootstrap
//! bindings count as defaults only for system identities, Helm-managed mesh bindings only for the
//! mesh's own control-plane service accounts.
//!
//! - RBAC-001: one finding per binding that grants `cluster-admin` (or a role with a `*`-verbs on
//!   `*`-resources rule) to at least one custom subject, naming those subjects.
//! - RBAC-002: one finding per (binding, subject) where a custom, non-control-plane subject can
//!   get/list/watch Secrets through a ClusterRoleBinding (anywhere) or a RoleBinding in
//!   `istio-system`/`gloo-mesh`. Full-admin grants are RBAC-001 only, never repeated here.
//! - RBAC-003: per custom binding name across the collected mesh members: one finding when its
//!   roleRef/subjects differ, one when it exists on more than half of them but not all.
//! - RBAC-004: per custom role (neither `rbac-defaults` nor Helm-managed) with `*` verbs or
//!   `*` resources.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::cross_cluster::{Variants, list};
use super::rbac_model::{Binding, TRUST_SECRET_NAMESPACES, TRUST_SECRETS, is_admin_role, is_default_role, rules};
use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, RecordRef, Severity};
use crate::query::mesh::{AuditWrites, Mesh};

/// RBAC-001 cluster-admin-grant: A non-default subject is bound to cluster-admin or to a role with * verbs on * resources.
pub const CLUSTER_ADMIN_GRANT: Check = Check {
    id: "RBAC-001",
    name: "cluster-admin-grant",
    severity: Severity::High,
    summary: "A non-default subject is bound to cluster-admin or to a role with * verbs on * resources.",
    remediation: "Replace the binding with a narrower role, time-bound if it is for a person.",
};

/// RBAC-002 ca-key-readers: A non-control-plane subject can get/list/watch Secrets in istio-system (the CA key) or the gloo-mesh relay secrets.
pub const CA_KEY_READERS: Check = Check {
    id: "RBAC-002",
    name: "ca-key-readers",
    severity: Severity::High,
    summary: "A non-control-plane subject can get/list/watch Secrets in istio-system (the CA key) or the gloo-mesh relay secrets.",
    remediation: "Remove the grant; read access to cacerts is read access to the mesh CA key.",
};

/// RBAC-003 rbac-drift: A custom binding of the same name differs across clusters, or exists on most clusters but not all.
pub const RBAC_DRIFT: Check = Check {
    id: "RBAC-003",
    name: "rbac-drift",
    severity: Severity::Low,
    summary: "A custom binding of the same name differs across clusters, or exists on most clusters but not all.",
    remediation: "Manage the binding from one source (git) and apply it everywhere, or remove it everywhere.",
};

/// RBAC-004 wildcard-role: A custom role grants * verbs or * resources.
pub const WILDCARD_ROLE: Check = Check {
    id: "RBAC-004",
    name: "wildcard-role",
    severity: Severity::Medium,
    summary: "A custom role grants * verbs or * resources.",
    remediation: "List the verbs and resources the role needs.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[CLUSTER_ADMIN_GRANT, CA_KEY_READERS, RBAC_DRIFT, WILDCARD_ROLE];

/// The rbac analyzer.
#[derive(Debug, Clone, Copy)]
pub struct Rbac;

impl Analyzer for Rbac {
    fn id(&self) -> &'static str {
        "rbac"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze(&self, evidence: &EvidenceSet, context: &Context) -> Vec<Finding> {
        let bindings = Binding::all(evidence);
        let mut out = Vec::new();
        admin_grants(evidence, &bindings, &mut out);
        secret_readers(evidence, &bindings, &mut out);
        drift(evidence, context, &bindings, &mut out);
        wildcard_roles(evidence, &mut out);
        out
    }
}

fn created(b: &Binding<'_>) -> String {
    b.record
        .str_at("/metadata/creationTimestamp")
        .map(|t| format!(", created {t}"))
        .unwrap_or_default()
}

fn evidence_of(b: &Binding<'_>, role: Option<&crate::model::Evidence>) -> Vec<RecordRef> {
    let mut refs = vec![b.record.reference()];
    refs.extend(role.map(|r| r.reference()));
    refs
}

/// RBAC-001.
fn admin_grants(evidence: &EvidenceSet, bindings: &[Binding<'_>], out: &mut Vec<Finding>) {
    for b in bindings {
        let custom = b.custom_subjects();
        if custom.is_empty() {
            continue;
        }
        let role = b.role(evidence);
        if !is_admin_role(b.role_kind, b.role_name, role) {
            continue;
        }
        let why = if b.role_name == "cluster-admin" && b.role_kind == "ClusterRole" {
            "cluster-admin".to_string()
        } else {
            format!("{} (a rule with * verbs on * resources)", b.role_display())
        };
        let scope = match b.namespace {
            Some(ns) => format!(" in namespace {ns}"),
            None => String::new(),
        };
        let label_note = if super::rbac_model::has_defaults_label(b.record) {
            " (the binding carries the rbac-defaults label, but these subjects are not system identities)"
        } else {
            ""
        };
        out.push(CLUSTER_ADMIN_GRANT.finding(
            Some(b.cluster),
            b.record.subject.clone(),
            format!(
                "{} on {} grants {why}{scope} to {}{}{label_note}",
                b.display(),
                b.cluster,
                list(custom.iter().map(|s| s.display())),
                created(b)
            ),
            evidence_of(b, role),
        ));
    }
}

/// RBAC-002.
fn secret_readers(evidence: &EvidenceSet, bindings: &[Binding<'_>], out: &mut Vec<Finding>) {
    for b in bindings {
        let scope = match b.namespace {
            None => "in every namespace (including istio-system and gloo-mesh)".to_string(),
            Some(ns) if TRUST_SECRET_NAMESPACES.contains(&ns) => format!("in {ns}"),
            Some(_) => continue,
        };
        let role = b.role(evidence);
        if is_admin_role(b.role_kind, b.role_name, role) {
            continue; // RBAC-001
        }
        let Some(role_record) = role else {
            continue;
        };
        let readable: Vec<String> = rules(role_record)
            .iter()
            .filter(|r| r.reads_secrets(TRUST_SECRETS))
            .map(|r| r.display())
            .collect();
        if readable.is_empty() {
            continue;
        }
        for subject in b.custom_subjects() {
            if subject.is_control_plane() {
                continue;
            }
            out.push(CA_KEY_READERS.finding(
                Some(b.cluster),
                b.record.subject.clone(),
                format!(
                    "{} on {} can read Secrets {scope} (so cacerts/ca-key.pem or the relay secrets) through {} → {}: {}{}",
                    subject.display(),
                    b.cluster,
                    b.display(),
                    b.role_display(),
                    readable.join("; "),
                    created(b)
                ),
                evidence_of(b, role),
            ));
        }
    }
}

/// RBAC-003.
fn drift(evidence: &EvidenceSet, context: &Context, bindings: &[Binding<'_>], out: &mut Vec<Finding>) {
    let writes = AuditWrites::new(evidence, context.as_of);
    let mesh = Mesh::build(evidence, context.as_of, &writes);
    let collected: BTreeSet<&str> = bindings.iter().map(|b| b.cluster).collect();
    let clusters: BTreeSet<&str> = mesh
        .members
        .iter()
        .map(String::as_str)
        .filter(|c| collected.contains(c))
        .collect();
    if clusters.len() < 2 {
        return;
    }
    type Key<'a> = (&'a str, Option<&'a str>, &'a str);
    let mut by_key: BTreeMap<Key<'_>, Vec<(&Binding<'_>, Value)>> = BTreeMap::new();
    for b in bindings {
        if !clusters.contains(b.cluster) || !b.is_custom() {
            continue;
        }
        let mut subjects: Vec<String> = b.subjects.iter().map(|s| s.display()).collect();
        subjects.sort();
        subjects.dedup();
        let shape = json!({"roleRef": b.role_display(), "subjects": subjects});
        by_key.entry((b.kind, b.namespace, b.name)).or_default().push((b, shape));
    }
    for ((kind, namespace, name), items) in &by_key {
        let variants = Variants::group(items.iter().map(|(b, v)| (b.cluster, v, b.record.reference())));
        let key = match namespace {
            Some(ns) => format!("{ns}/{kind}/{name}"),
            None => format!("_cluster/{kind}/{name}"),
        };
        let what = match namespace {
            Some(ns) => format!("{kind} {ns}/{name}"),
            None => format!("{kind} {name}"),
        };
        if variants.differ() {
            let cluster = variants
                .deviating()
                .filter(|d| d.len() == 1)
                .and_then(|d| d.into_iter().next());
            out.push(RBAC_DRIFT.finding(
                cluster,
                cluster.map_or_else(|| key.clone(), |c| format!("{c}/{key}")),
                format!("custom {what} differs across clusters: {}", variants.describe(240)),
                variants.evidence(),
            ));
        }
        let present = variants.clusters();
        let eligible: BTreeSet<&str> = clusters
            .iter()
            .copied()
            .filter(|c| namespace.is_none_or(|ns| evidence.object(c, None, "Namespace", ns).is_some()))
            .collect();
        let missing: Vec<&str> = eligible.difference(&present).copied().collect();
        if missing.is_empty() || present.len() * 2 <= eligible.len() {
            continue;
        }
        let cluster = match missing.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        out.push(RBAC_DRIFT.finding(
            cluster,
            cluster.map_or_else(|| key.clone(), |c| format!("{c}/{key}")),
            format!(
                "custom {what} exists on {} of {} mesh clusters ({}) but not on {} (threshold: more than half)",
                present.len(),
                eligible.len(),
                list(present.iter()),
                list(missing.iter())
            ),
            variants.evidence(),
        ));
    }
}

/// RBAC-004.
fn wildcard_roles(evidence: &EvidenceSet, out: &mut Vec<Finding>) {
    for role in evidence
        .objects_of_kind("ClusterRole")
        .chain(evidence.objects_of_kind("Role"))
    {
        let Some(key) = role.object_key() else {
            continue;
        };
        if is_default_role(role) {
            continue;
        }
        let wild: Vec<String> = rules(role)
            .iter()
            .filter(|r| r.has_wildcard())
            .map(|r| r.display())
            .collect();
        if wild.is_empty() {
            continue;
        }
        let what = match key.namespace {
            Some(ns) => format!("{} {ns}/{}", key.kind, key.name),
            None => format!("{} {}", key.kind, key.name),
        };
        out.push(WILDCARD_ROLE.finding(
            Some(key.cluster),
            role.subject.clone(),
            format!(
                "custom {what} on {} grants wildcards: {}",
                key.cluster,
                wild.join("; ")
            ),
            [role.reference()],
        ));
    }
}
