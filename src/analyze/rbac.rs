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
use crate::query::mesh::Views;

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
    fn analyze_in(&self, views: &Views<'_>, _context: &Context) -> Vec<Finding> {
        let evidence = views.set();
        let bindings = Binding::all(evidence);
        let mut out = Vec::new();
        admin_grants(evidence, &bindings, &mut out);
        secret_readers(evidence, &bindings, &mut out);
        drift(views, &bindings, &mut out);
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
        let label_note = if b.defaults_label {
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
fn drift(views: &Views<'_>, bindings: &[Binding<'_>], out: &mut Vec<Finding>) {
    let (evidence, mesh) = (views.set(), views.mesh());
    let collected: BTreeSet<&str> = evidence
        .of_kind(crate::model::kinds::K8S_OBJECT)
        .filter_map(|r| r.object_key().map(|k| k.cluster))
        .collect();
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
        by_key
            .entry((b.kind, b.namespace, b.name))
            .or_default()
            .push((b, shape));
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
            format!("custom {what} on {} grants wildcards: {}", key.cluster, wild.join("; ")),
            [role.reference()],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Settings;
    use crate::model::kinds;

    fn set(objects: Vec<(String, Value)>) -> EvidenceSet {
        EvidenceSet::for_tests(objects.into_iter().map(|(s, b)| (kinds::K8S_OBJECT, s, b)).collect())
    }

    fn run(evidence: &EvidenceSet) -> Vec<Finding> {
        let context = Context {
            as_of: "2026-12-01T00:00:00Z".parse().unwrap(),
            settings: Settings::default(),
        };
        Rbac.analyze(evidence, &context)
    }

    /// Every item of the bootstrap-RBAC `List` files (unchanged Kubernetes testdata) on `cluster`.
    fn bootstrap(cluster: &str) -> Vec<(String, Value)> {
        let files = [
            include_str!("../../sample-evidence/mesh/eu-central-1/rbac/bootstrap/cluster-roles.yaml"),
            include_str!("../../sample-evidence/mesh/eu-central-1/rbac/bootstrap/cluster-role-bindings.yaml"),
            include_str!("../../sample-evidence/mesh/eu-central-1/rbac/bootstrap/controller-roles.yaml"),
            include_str!("../../sample-evidence/mesh/eu-central-1/rbac/bootstrap/controller-role-bindings.yaml"),
            include_str!("../../sample-evidence/mesh/eu-central-1/rbac/bootstrap/namespace-roles.yaml"),
            include_str!("../../sample-evidence/mesh/eu-central-1/rbac/bootstrap/namespace-role-bindings.yaml"),
        ];
        let mut out = Vec::new();
        for text in files {
            let list: Value = serde_saphyr::from_str(text).unwrap();
            for item in list["items"].as_array().unwrap() {
                let kind = item["kind"].as_str().unwrap();
                let name = item["metadata"]["name"].as_str().unwrap();
                let ns = item["metadata"]["namespace"].as_str().unwrap_or("_cluster");
                out.push((format!("{cluster}/{ns}/{kind}/{name}"), item.clone()));
            }
        }
        out
    }

    fn falco_binding() -> Value {
        let event: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/real-world/k8s-audit/falco-attach_cluster_admin_role.json"
        ))
        .unwrap();
        event["responseObject"].clone()
    }

    #[test]
    fn bootstrap_rbac_yields_no_finding() {
        let objects = bootstrap("a");
        assert!(objects.len() > 100, "fixtures loaded");
        let findings = run(&set(objects));
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn default_labelled_binding_to_a_person_is_a_cluster_admin_grant() {
        let mut objects = bootstrap("a");
        objects.push((
            "a/_cluster/ClusterRoleBinding/some-reader-binding".into(),
            falco_binding(),
        ));
        let findings = run(&set(objects));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].check, "RBAC-001");
        assert!(findings[0].message.contains("User minikube"), "{}", findings[0].message);
        assert!(findings[0].message.contains("rbac-defaults"));
        assert_eq!(findings[0].evidence.len(), 2, "binding and cluster-admin role");
    }

    fn binding(kind: &str, ns: Option<&str>, name: &str, role: (&str, &str), subjects: Value, labels: Value) -> Value {
        json!({"kind": kind, "metadata": {"name": name, "namespace": ns, "labels": labels},
               "roleRef": {"kind": role.0, "name": role.1}, "subjects": subjects})
    }

    #[test]
    fn secret_readers_wildcards_and_helm_mesh_roles() {
        let reader_rules = json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]);
        let objects = vec![
            (
                "a/istio-system/Role/secrets-reader".into(),
                json!({"kind": "Role", "rules": reader_rules}),
            ),
            (
                "a/istio-system/RoleBinding/obs".into(),
                binding(
                    "RoleBinding",
                    Some("istio-system"),
                    "obs",
                    ("Role", "secrets-reader"),
                    json!([{"kind": "Group", "name": "observability"}]),
                    json!({}),
                ),
            ),
            // Same grant in another namespace: not the CA key.
            (
                "a/payments/Role/secrets-reader".into(),
                json!({"kind": "Role", "rules": reader_rules}),
            ),
            (
                "a/payments/RoleBinding/obs".into(),
                binding(
                    "RoleBinding",
                    Some("payments"),
                    "obs",
                    ("Role", "secrets-reader"),
                    json!([{"kind": "Group", "name": "observability"}]),
                    json!({}),
                ),
            ),
            // Helm-managed istiod reading secrets: expected mesh behaviour.
            (
                "a/istio-system/Role/istiod".into(),
                json!({"kind": "Role", "rules": reader_rules,
                "metadata": {"labels": {"app.kubernetes.io/managed-by": "Helm"}}}),
            ),
            (
                "a/istio-system/RoleBinding/istiod".into(),
                binding(
                    "RoleBinding",
                    Some("istio-system"),
                    "istiod",
                    ("Role", "istiod"),
                    json!([{"kind": "ServiceAccount", "namespace": "istio-system", "name": "istiod"}]),
                    json!({"app.kubernetes.io/managed-by": "Helm"}),
                ),
            ),
            // A custom wildcard role bound cluster-wide: RBAC-001 (not repeated as RBAC-002) and RBAC-004.
            (
                "a/_cluster/ClusterRole/god".into(),
                json!({"kind": "ClusterRole",
                "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
            ),
            (
                "a/_cluster/ClusterRoleBinding/god".into(),
                binding(
                    "ClusterRoleBinding",
                    None,
                    "god",
                    ("ClusterRole", "god"),
                    json!([{"kind": "ServiceAccount", "namespace": "ci", "name": "deployer"}]),
                    json!({}),
                ),
            ),
        ];
        let findings = run(&set(objects));
        let got: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.check.as_str(), f.subject.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("RBAC-001", "a/_cluster/ClusterRoleBinding/god"),
                ("RBAC-002", "a/istio-system/RoleBinding/obs"),
                ("RBAC-004", "a/_cluster/ClusterRole/god"),
            ],
            "{findings:#?}"
        );
    }

    #[test]
    fn drift_needs_a_majority_and_names_the_deviating_cluster() {
        let mesh = |c: &str, peer: &str| -> Vec<(String, Value)> {
            vec![
                (
                    format!("{c}/istio-system/ConfigMap/istio"),
                    json!({"metadata": {"name": "istio"}, "data": {"mesh": "trustDomain: x\n"}}),
                ),
                (
                    format!("{c}/istio-system/Secret/istio-remote-secret-{peer}"),
                    json!({"metadata": {"name": format!("istio-remote-secret-{peer}"),
                           "labels": {"istio/multiCluster": "true"}}, "data": {peer: {}}}),
                ),
            ]
        };
        let oncall = |c: &str, group: &str| {
            (
                format!("{c}/_cluster/ClusterRoleBinding/oncall"),
                binding(
                    "ClusterRoleBinding",
                    None,
                    "oncall",
                    ("ClusterRole", "view"),
                    json!([{"kind": "Group", "name": group}]),
                    json!({}),
                ),
            )
        };
        let mut objects = Vec::new();
        for (c, peer) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")] {
            objects.extend(mesh(c, peer));
        }
        objects.push(oncall("a", "oncall"));
        objects.push(oncall("b", "oncall"));
        objects.push(oncall("c", "everyone"));
        // Only on one cluster: not drift.
        objects.push((
            "a/_cluster/ClusterRoleBinding/solo".into(),
            binding(
                "ClusterRoleBinding",
                None,
                "solo",
                ("ClusterRole", "view"),
                json!([{"kind": "Group", "name": "x"}]),
                json!({}),
            ),
        ));
        let findings = run(&set(objects));
        let got: Vec<(&str, Option<&str>)> = findings
            .iter()
            .map(|f| (f.check.as_str(), f.cluster.as_deref()))
            .collect();
        assert_eq!(got, [("RBAC-003", Some("c")), ("RBAC-003", Some("d"))], "{findings:#?}");
        assert!(findings[0].message.contains("c has"));
        assert!(findings[1].message.contains("3 of 4"));
    }
}
