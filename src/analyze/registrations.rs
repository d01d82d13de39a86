//! Registrations and peering: who is in the mesh, and whether credentials point where they should.
//!
//! Membership, registrations and peering objects come from [`query::mesh`](crate::query::mesh)
//! and attribution from [`who_added`](crate::query::who_added), so "in the mesh" and "who added
//! it" mean exactly what the `who-added` command answers.
//!
//! - REG-001: a member without a live `KubernetesCluster`, only when the scan holds at least one
//!   `KubernetesCluster` (a management plane exists); manual-peering meshes are not flagged.
//! - REG-002: a member whose `who-added` row has no `added_by`.
//! - REG-003: per ordered pair of collected members (A holds a remote secret or peer gateway for
//!   B, B holds none for A), reported once on B, the side that lacks the peering.
//! - REG-004: per remote secret or peer gateway whose target is not a member.
//! - REG-005: per `KubernetesCluster` whose `status.common.State.approval` (key case-insensitive)
//!   is not `ACCEPTED`, is missing, or whose `observedGeneration` lags `metadata.generation`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, RecordRef, Severity};
use crate::query::mesh::{Mesh, Peering, Views};
use crate::query::who_added;

/// REG-001 cluster-unregistered: A cluster runs the mesh and is peered, but the management plane has no registration for it.
pub const CLUSTER_UNREGISTERED: Check = Check {
    id: "REG-001",
    name: "cluster-unregistered",
    severity: Severity::Medium,
    summary: "A cluster runs the mesh and is peered, but the management plane has no registration for it.",
    remediation: "Register the cluster on the management plane (a KubernetesCluster in gloo-mesh) or remove its peering.",
};

/// REG-002 registration-unattributed: A cluster is in the mesh, but no audit event or git commit says who added it.
pub const REGISTRATION_UNATTRIBUTED: Check = Check {
    id: "REG-002",
    name: "registration-unattributed",
    severity: Severity::High,
    summary: "A cluster is in the mesh, but no audit event or git commit says who added it.",
    remediation: "Enable API-server audit logging on the management cluster and manage registrations through git, so every join is attributable.",
};

/// REG-003 peering-asymmetric: One cluster holds a credential or peer gateway for another that holds none back.
pub const PEERING_ASYMMETRIC: Check = Check {
    id: "REG-003",
    name: "peering-asymmetric",
    severity: Severity::Medium,
    summary: "One cluster holds a credential or peer gateway for another that holds none back.",
    remediation: "Create the missing remote secret / istio-remote peer Gateway, or remove the one-sided peering.",
};

/// REG-004 orphaned-credential: A remote secret or peer gateway names a cluster that is not in the mesh (e.g. decommissioned): a live credential to nowhere.
pub const ORPHANED_CREDENTIAL: Check = Check {
    id: "REG-004",
    name: "orphaned-credential",
    severity: Severity::High,
    summary: "A remote secret or peer gateway names a cluster that is not in the mesh (e.g. decommissioned): a live credential to nowhere.",
    remediation: "Delete the remote secret / peer Gateway and revoke the token on the target if it still exists.",
};

/// REG-005 registration-not-accepted: A KubernetesCluster whose approval is not ACCEPTED, or whose status lags its generation.
pub const REGISTRATION_NOT_ACCEPTED: Check = Check {
    id: "REG-005",
    name: "registration-not-accepted",
    severity: Severity::Medium,
    summary: "A KubernetesCluster whose approval is not ACCEPTED, or whose status lags its generation.",
    remediation: "Check the management server logs and `meshctl check`; fix or remove the registration.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[
    CLUSTER_UNREGISTERED,
    REGISTRATION_UNATTRIBUTED,
    PEERING_ASYMMETRIC,
    ORPHANED_CREDENTIAL,
    REGISTRATION_NOT_ACCEPTED,
];

/// The registrations analyzer.
#[derive(Debug, Clone, Copy)]
pub struct Registrations;

impl Analyzer for Registrations {
    fn id(&self) -> &'static str {
        "registrations"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze_in(&self, views: &Views<'_>, context: &Context) -> Vec<Finding> {
        let (evidence, mesh) = (views.set(), views.mesh());
        let mut out = Vec::new();
        unregistered(evidence, mesh, &mut out);
        unattributed(evidence, mesh, context, &mut out);
        asymmetric(evidence, mesh, &mut out);
        orphaned(mesh, &mut out);
        not_accepted(evidence, &mut out);
        out
    }
}

/// Clusters the scan holds Kubernetes objects for.
fn collected_clusters(evidence: &EvidenceSet) -> BTreeSet<&str> {
    evidence
        .of_kind(crate::model::kinds::K8S_OBJECT)
        .filter_map(|r| r.object_key().map(|k| k.cluster))
        .collect()
}

fn describe(p: &Peering<'_>) -> String {
    match p.namespace {
        Some(ns) => format!("{} {ns}/{}", p.kind(), p.name),
        None => format!("{} {}", p.kind(), p.name),
    }
}

/// REG-001.
fn unregistered(evidence: &EvidenceSet, mesh: &Mesh<'_>, out: &mut Vec<Finding>) {
    let management: Vec<RecordRef> = evidence
        .objects_of_kind("KubernetesCluster")
        .map(|r| r.reference())
        .collect();
    if management.is_empty() {
        return;
    }
    for cluster in &mesh.members {
        if mesh.registrations.contains_key(cluster) {
            continue;
        }
        let held: Vec<&Peering<'_>> = mesh
            .peerings
            .iter()
            .filter(|p| p.holder == cluster.as_str() || p.target == *cluster)
            .collect();
        let mut evidence_refs: Vec<RecordRef> = held.iter().map(|p| p.record.reference()).collect();
        if let Some(config) = mesh.mesh_configs.get(cluster) {
            evidence_refs.push(config.reference());
        }
        evidence_refs.extend(management.iter().copied());
        let peers: BTreeSet<&str> = held
            .iter()
            .map(|p| {
                if p.holder == cluster.as_str() {
                    p.target.as_str()
                } else {
                    p.holder
                }
            })
            .filter(|c| *c != cluster.as_str())
            .collect();
        out.push(CLUSTER_UNREGISTERED.finding(
            Some(cluster),
            format!("{cluster}/registration"),
            format!(
                "cluster {cluster} runs the mesh and is peered with {} but has no KubernetesCluster on the management plane ({} registration(s) exist)",
                join(peers.iter()),
                mesh.registrations.len()
            ),
            evidence_refs,
        ));
    }
}

/// REG-002.
fn unattributed(evidence: &EvidenceSet, mesh: &Mesh<'_>, context: &Context, out: &mut Vec<Finding>) {
    let settings = who_added::Settings {
        gitops_identities: context.settings.gitops_identities.clone(),
    };
    for row in who_added::who_added(evidence, context.as_of, &settings) {
        if row.added_by.is_some() || !mesh.is_member(&row.cluster) {
            continue;
        }
        let how = match &row.applied_by {
            Some(applier) => format!(
                "it was applied by {applier}, a GitOps identity, but no collected git commit declares the object"
            ),
            None => {
                "no successful audit create and no git commit names who created its registration or peering".to_string()
            }
        };
        let when = row
            .added_at
            .map(|t| format!(" (added {})", t.to_rfc3339()))
            .unwrap_or_default();
        out.push(REGISTRATION_UNATTRIBUTED.finding(
            Some(&row.cluster),
            format!("{}/mesh-membership", row.cluster),
            format!(
                "cluster {} is in the mesh by {}{when}, but nobody is attributed: {how}",
                row.cluster,
                row.method.as_str()
            ),
            row.evidence.iter().copied(),
        ));
    }
}

/// REG-003.
fn asymmetric(evidence: &EvidenceSet, mesh: &Mesh<'_>, out: &mut Vec<Finding>) {
    let collected = collected_clusters(evidence);
    let mut held: BTreeMap<(&str, &str), Vec<&Peering<'_>>> = BTreeMap::new();
    for p in &mesh.peerings {
        if p.holder != p.target {
            held.entry((p.holder, p.target.as_str())).or_default().push(p);
        }
    }
    for ((holder, target), objects) in &held {
        let relevant = mesh.is_member(holder)
            && mesh.is_member(target)
            && collected.contains(holder)
            && collected.contains(target);
        if !relevant || held.contains_key(&(*target, *holder)) {
            continue;
        }
        let names: Vec<String> = objects.iter().map(|p| describe(p)).collect();
        out.push(PEERING_ASYMMETRIC.finding(
            Some(target),
            format!("{target}/peering/{holder}"),
            format!(
                "{holder} holds {} for {target}, but {target} holds no remote secret or istio-remote peer Gateway for {holder}",
                names.join(" and ")
            ),
            objects.iter().map(|p| p.record.reference()),
        ));
    }
}

/// REG-004.
fn orphaned(mesh: &Mesh<'_>, out: &mut Vec<Finding>) {
    for p in &mesh.peerings {
        if p.holder == p.target || mesh.is_member(&p.target) {
            continue;
        }
        let registered = if mesh.registrations.is_empty() {
            "not a mesh member"
        } else {
            "neither registered nor a collected, peered mesh member"
        };
        out.push(ORPHANED_CREDENTIAL.finding(
            Some(p.holder),
            p.record.subject.clone(),
            format!(
                "{} on {} names cluster {}, which is {registered}: a live {} to a cluster outside the mesh",
                describe(p),
                p.holder,
                p.target,
                if p.resource == "secrets" { "credential" } else { "route" }
            ),
            [p.record.reference()],
        ));
    }
}

/// A field of an object, its key matched case-insensitively.
fn field_ci<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    let map = value.as_object()?;
    map.get(key)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn as_int(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// REG-005.
fn not_accepted(evidence: &EvidenceSet, out: &mut Vec<Finding>) {
    for record in evidence.objects_of_kind("KubernetesCluster") {
        let Some(key) = record.object_key() else {
            continue;
        };
        let state = field_ci(record.body(), "status")
            .and_then(|s| field_ci(s, "common"))
            .and_then(|c| field_ci(c, "state"));
        let approval = state.and_then(|s| field_ci(s, "approval")).and_then(Value::as_str);
        let observed = as_int(state.and_then(|s| field_ci(s, "observedGeneration")));
        let generation = as_int(record.body().pointer("/metadata/generation"));
        let mut problems = Vec::new();
        match approval {
            Some(a) if a.eq_ignore_ascii_case("ACCEPTED") => {}
            Some(a) => problems.push(format!("approval is {a}, not ACCEPTED")),
            None => problems.push("has no status.common.State.approval (never processed)".to_string()),
        }
        if let (Some(g), Some(o)) = (generation, observed)
            && o < g
        {
            problems.push(format!("observedGeneration {o} lags metadata.generation {g}"));
        } else if let (Some(g), None) = (generation, observed)
            && approval.is_some()
        {
            problems.push(format!("no observedGeneration for metadata.generation {g}"));
        }
        if problems.is_empty() {
            continue;
        }
        out.push(REGISTRATION_NOT_ACCEPTED.finding(
            Some(key.name),
            record.subject.clone(),
            format!(
                "registration of cluster {} (KubernetesCluster on {}): {}",
                key.name,
                key.cluster,
                problems.join("; ")
            ),
            [record.reference()],
        ));
    }
}

fn join<'s>(items: impl Iterator<Item = &'s &'s str>) -> String {
    let v: Vec<&str> = items.copied().collect();
    if v.is_empty() {
        "nobody".to_string()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Settings;
    use crate::model::kinds;
    use serde_json::json;

    fn set(records: Vec<(&str, String, Value)>) -> EvidenceSet {
        EvidenceSet::for_tests(records)
    }

    fn run(records: Vec<(&str, String, Value)>) -> Vec<(String, Option<String>, String)> {
        let context = Context {
            as_of: "2026-12-01T00:00:00Z".parse().unwrap(),
            settings: Settings::default(),
        };
        let mut f = Registrations.analyze(&set(records), &context);
        f.sort();
        f.into_iter().map(|f| (f.check, f.cluster, f.subject)).collect()
    }

    fn config(c: &str) -> (&'static str, String, Value) {
        (
            kinds::K8S_OBJECT,
            format!("{c}/istio-system/ConfigMap/istio"),
            json!({"metadata": {"name": "istio"}, "data": {"mesh": ""}}),
        )
    }

    fn secret(holder: &str, target: &str) -> (&'static str, String, Value) {
        (
            kinds::K8S_OBJECT,
            format!("{holder}/istio-system/Secret/istio-remote-secret-{target}"),
            json!({"metadata": {"name": format!("istio-remote-secret-{target}"), "creationTimestamp": "2026-06-01T00:00:00Z",
                   "labels": {"istio/multiCluster": "true"}}, "data": {target: {}}}),
        )
    }

    fn registration(name: &str, status: Value) -> (&'static str, String, Value) {
        (
            kinds::K8S_OBJECT,
            format!("mgmt/gloo-mesh/KubernetesCluster/{name}"),
            json!({"metadata": {"name": name, "namespace": "gloo-mesh", "generation": 2,
                   "creationTimestamp": "2026-06-01T00:00:00Z"}, "status": status}),
        )
    }

    fn create(name: &str, user: &str) -> (&'static str, String, Value) {
        (
            kinds::AUDIT_EVENT,
            format!("mgmt/audit/{name}"),
            json!({"cluster": "mgmt", "verb": "create", "user": {"username": user},
                   "objectRef": {"resource": "kubernetesclusters", "namespace": "gloo-mesh", "name": name},
                   "responseStatus": {"code": 201}, "requestReceivedTimestamp": "2026-06-01T00:00:00Z"}),
        )
    }

    fn accepted() -> Value {
        json!({"common": {"State": {"approval": "ACCEPTED", "observedGeneration": 2}}})
    }

    #[test]
    fn manual_peering_without_management_plane_is_clean_except_attribution() {
        let got = run(vec![config("a"), config("b"), secret("a", "b"), secret("b", "a")]);
        // No KubernetesCluster: REG-001 does not apply; nobody is attributed (REG-002).
        assert_eq!(
            got,
            [
                (
                    "REG-002".to_string(),
                    Some("a".to_string()),
                    "a/mesh-membership".to_string()
                ),
                (
                    "REG-002".to_string(),
                    Some("b".to_string()),
                    "b/mesh-membership".to_string()
                ),
            ]
        );
    }

    #[test]
    fn unregistered_asymmetric_orphaned_and_not_accepted() {
        let got = run(vec![
            config("a"),
            config("b"),
            config("c"),
            registration("a", accepted()),
            create("a", "alice"),
            registration(
                "b",
                json!({"common": {"state": {"approval": "PENDING", "observedGeneration": 1}}}),
            ),
            create("b", "alice"),
            secret("a", "b"),
            secret("b", "a"),
            secret("a", "c"), // c holds nothing for a, and c is not registered
            secret("a", "gone"),
        ]);
        let s = |a: &str, b: &str, c: &str| (a.to_string(), Some(b.to_string()), c.to_string());
        assert_eq!(
            got,
            [
                s("REG-002", "c", "c/mesh-membership"),
                s("REG-004", "a", "a/istio-system/Secret/istio-remote-secret-gone"),
                s("REG-001", "c", "c/registration"),
                s("REG-003", "c", "c/peering/a"),
                s("REG-005", "b", "mgmt/gloo-mesh/KubernetesCluster/b"),
            ]
        );
    }

    #[test]
    fn approval_key_is_case_insensitive_and_generation_lag_counts() {
        let upper = run(vec![registration("a", accepted()), create("a", "alice")]);
        assert!(upper.is_empty(), "{upper:?}");
        let lower = run(vec![
            registration(
                "a",
                json!({"common": {"state": {"approval": "accepted", "observedGeneration": 2}}}),
            ),
            create("a", "alice"),
        ]);
        assert!(lower.is_empty(), "{lower:?}");
        let lagging = run(vec![
            registration(
                "a",
                json!({"common": {"State": {"approval": "ACCEPTED", "observedGeneration": 1}}}),
            ),
            create("a", "alice"),
        ]);
        assert_eq!(lagging.len(), 1);
        assert_eq!(lagging[0].0, "REG-005");
    }
}
