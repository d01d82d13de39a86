//! Istio security policies: drift, permissive rules, mTLS, management-plane translation.
//!
//! - POL-001: per AuthorizationPolicy `namespace/name` held by two or more collected mesh members,
//!   one finding when the normalized `spec` differs (every list is a set in AuthorizationPolicy
//!   semantics, so lists are sorted and deduplicated before comparing). The finding names the
//!   clusters on each side; its cluster is the single deviating cluster when one cluster differs
//!   from a strict majority.
//! - POL-002: per ALLOW policy (no `action` = ALLOW) with a rule `{}` (matches every request), or a
//!   source with `principals: ["*"]` or `namespaces: ["*"]`. ALLOW without rules (`spec: {}`)
//!   matches nothing: it denies, and is not permissive.
//! - POL-003: per AuthorizationPolicy present on at least half of the collected mesh members that
//!   have its namespace and absent on the others, one finding per missing cluster.
//! - POL-004: per cluster running the mesh (its mesh config was collected): no STRICT
//!   PeerAuthentication without selector in the root namespace (`rootNamespace`, default
//!   `istio-system`); and per PeerAuthentication elsewhere (namespace, workload or port level) whose
//!   mode is PERMISSIVE or DISABLE.
//! - POL-005: per AccessPolicy and workload cluster of its Workspace (registered clusters matched
//!   by `workloadClusters[].name` globs or `selector` labels) that has the policy's namespace but
//!   holds no object labelled `gloo.solo.io/parent_kind: AccessPolicy` with its name and namespace.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::cross_cluster::{Variants, canonical_text, list, normalize_sets};
use super::{Analyzer, Check, Context};
use crate::model::{Evidence, EvidenceSet, Finding, RecordRef, Severity};
use crate::query::mesh::{Mesh, Views};

/// POL-001 authz-drift: An AuthorizationPolicy with the same namespace/name differs across clusters.
pub const AUTHZ_DRIFT: Check = Check {
    id: "POL-001",
    name: "authz-drift",
    severity: Severity::Medium,
    summary: "An AuthorizationPolicy with the same namespace/name differs across clusters.",
    remediation: "Make the policy identical everywhere (one source in git or an AccessPolicy), or rename the intended variant.",
};

/// POL-002 authz-permissive: an ALLOW policy with `principals: ["*"]`, `namespaces: ["*"]`, or a rule `{}`.
pub const AUTHZ_PERMISSIVE: Check = Check {
    id: "POL-002",
    name: "authz-permissive",
    severity: Severity::High,
    summary: "An ALLOW policy with principals [\"*\"], namespaces [\"*\"], or a rule {} that allows everything.",
    remediation: "Name the principals or namespaces that need access.",
};

/// POL-003 authz-missing: A policy present on some clusters is absent on another cluster that has its namespace.
pub const AUTHZ_MISSING: Check = Check {
    id: "POL-003",
    name: "authz-missing",
    severity: Severity::Medium,
    summary: "A policy present on some clusters is absent on another cluster that has its namespace.",
    remediation: "Apply the policy on every cluster that has the namespace.",
};

/// POL-004 mtls-not-strict: No mesh-wide STRICT PeerAuthentication in the root namespace, or PERMISSIVE/DISABLE overrides.
pub const MTLS_NOT_STRICT: Check = Check {
    id: "POL-004",
    name: "mtls-not-strict",
    severity: Severity::High,
    summary: "No mesh-wide STRICT PeerAuthentication in the root namespace, or PERMISSIVE/DISABLE overrides.",
    remediation: "Set a mesh-wide STRICT PeerAuthentication and remove PERMISSIVE/DISABLE overrides.",
};

/// POL-005 accesspolicy-not-applied: A management-plane AccessPolicy whose translated policies are missing on a cluster in its workspace.
pub const ACCESSPOLICY_NOT_APPLIED: Check = Check {
    id: "POL-005",
    name: "accesspolicy-not-applied",
    severity: Severity::Medium,
    summary: "A management-plane AccessPolicy whose translated policies are missing on a cluster in its workspace.",
    remediation: "Check the agent on that cluster and the AccessPolicy status; the policy is not enforced there.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[
    AUTHZ_DRIFT,
    AUTHZ_PERMISSIVE,
    AUTHZ_MISSING,
    MTLS_NOT_STRICT,
    ACCESSPOLICY_NOT_APPLIED,
];

/// The policies analyzer.
#[derive(Debug, Clone, Copy)]
pub struct Policies;

impl Analyzer for Policies {
    fn id(&self) -> &'static str {
        "policies"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze_in(&self, views: &Views<'_>, _context: &Context) -> Vec<Finding> {
        let (evidence, mesh) = (views.set(), views.mesh());
        let mut out = Vec::new();
        drift_and_missing(evidence, mesh, &mut out);
        permissive(evidence, &mut out);
        mtls(evidence, mesh, &mut out);
        access_policies(evidence, mesh, &mut out);
        out
    }
}

fn object_name(key: &crate::model::ObjectKey<'_>) -> String {
    match key.namespace {
        Some(ns) => format!("{} {ns}/{}", key.kind, key.name),
        None => format!("{} {}", key.kind, key.name),
    }
}

/// Clusters the scan holds Kubernetes objects for.
fn collected(evidence: &EvidenceSet) -> BTreeSet<&str> {
    evidence
        .of_kind(crate::model::kinds::K8S_OBJECT)
        .filter_map(|r| r.object_key().map(|k| k.cluster))
        .collect()
}

fn has_namespace(evidence: &EvidenceSet, cluster: &str, namespace: &str) -> bool {
    evidence.object(cluster, None, "Namespace", namespace).is_some()
}

/// One cluster's copy of a policy: record, cluster, normalized spec as canonical JSON text.
type PolicyCopy<'a> = (&'a Evidence, &'a str, String);

/// POL-001 and POL-003.
fn drift_and_missing(evidence: &EvidenceSet, mesh: &Mesh<'_>, out: &mut Vec<Finding>) {
    let collected = collected(evidence);
    let members: BTreeSet<&str> = mesh
        .members
        .iter()
        .map(String::as_str)
        .filter(|c| collected.contains(c))
        .collect();
    let mut by_key: BTreeMap<(&str, &str), Vec<PolicyCopy<'_>>> = BTreeMap::new();
    for record in evidence.objects_of_kind("AuthorizationPolicy") {
        let Some(key) = record.object_key() else {
            continue;
        };
        let Some(ns) = key.namespace else {
            continue;
        };
        if !members.contains(key.cluster) {
            continue;
        }
        // Text, not the tree: one normalized spec per copy of every policy adds up.
        let spec = canonical_text(&normalize_sets(
            record.parsed_body().get("spec").unwrap_or(&Value::Null),
        ));
        by_key
            .entry((ns, key.name))
            .or_default()
            .push((record, key.cluster, spec));
    }
    for ((ns, name), items) in by_key {
        let variants = Variants::group_texts(items.into_iter().map(|(r, c, v)| (c, v, r.reference())));
        let key = format!("{ns}/AuthorizationPolicy/{name}");
        if variants.differ() {
            let cluster = variants
                .deviating()
                .filter(|d| d.len() == 1)
                .and_then(|d| d.into_iter().next());
            out.push(AUTHZ_DRIFT.finding(
                cluster,
                cluster.map_or_else(|| key.clone(), |c| format!("{c}/{key}")),
                format!(
                    "AuthorizationPolicy {ns}/{name} has {} different specs across clusters: {}",
                    variants.0.len(),
                    variants.describe(300)
                ),
                variants.evidence(),
            ));
        }
        let present = variants.clusters();
        let eligible: BTreeSet<&str> = members
            .iter()
            .copied()
            .filter(|c| has_namespace(evidence, c, ns))
            .collect();
        let missing: Vec<&str> = eligible.difference(&present).copied().collect();
        if missing.is_empty() || present.len() * 2 < eligible.len() {
            continue;
        }
        for cluster in missing {
            let mut refs = variants.evidence();
            refs.extend(evidence.object(cluster, None, "Namespace", ns).map(|r| r.reference()));
            out.push(AUTHZ_MISSING.finding(
                Some(cluster),
                format!("{cluster}/{key}"),
                format!(
                    "AuthorizationPolicy {ns}/{name} is on {} of the {} mesh clusters with namespace {ns} ({}) but absent on {cluster}",
                    present.len(),
                    eligible.len(),
                    list(present.iter())
                ),
                refs,
            ));
        }
    }
}

/// Whether a JSON list holds the string `*`.
fn has_star(v: Option<&Value>) -> bool {
    v.and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("*")))
}

/// Why an AuthorizationPolicy spec allows everyone; empty when it does not.
pub fn permissive_reasons(spec: &Value) -> Vec<String> {
    let action = spec.get("action").and_then(Value::as_str).unwrap_or("ALLOW");
    if !action.eq_ignore_ascii_case("ALLOW") {
        return Vec::new();
    }
    let mut reasons = Vec::new();
    let rules = spec
        .get("rules")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, rule) in rules.iter().enumerate() {
        if rule.as_object().is_some_and(|o| o.is_empty()) || rule.is_null() {
            reasons.push(format!("rule {i} is {{}} and matches every request"));
            continue;
        }
        for from in rule.get("from").and_then(Value::as_array).into_iter().flatten() {
            let source = from.get("source");
            if has_star(source.and_then(|s| s.get("principals"))) {
                reasons.push(format!("rule {i} allows principals [\"*\"] (any authenticated peer)"));
            }
            if has_star(source.and_then(|s| s.get("namespaces"))) {
                reasons.push(format!("rule {i} allows namespaces [\"*\"] (any namespace)"));
            }
        }
    }
    reasons.dedup();
    reasons
}

/// POL-002.
fn permissive(evidence: &EvidenceSet, out: &mut Vec<Finding>) {
    for record in evidence.objects_of_kind("AuthorizationPolicy") {
        let Some(key) = record.object_key() else {
            continue;
        };
        let body = record.parsed_body();
        let reasons = permissive_reasons(body.get("spec").unwrap_or(&Value::Null));
        if reasons.is_empty() {
            continue;
        }
        out.push(AUTHZ_PERMISSIVE.finding(
            Some(key.cluster),
            record.subject.clone(),
            format!("ALLOW {} on {}: {}", object_name(&key), key.cluster, reasons.join("; ")),
            [record.reference()],
        ));
    }
}

/// `rootNamespace` of a mesh config (default `istio-system`).
fn root_namespace(config: &Evidence) -> String {
    config
        .str_at("/data/mesh")
        .and_then(|t| serde_saphyr::from_str::<Value>(t).ok())
        .and_then(|m| m.get("rootNamespace").and_then(Value::as_str).map(str::to_string))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "istio-system".to_string())
}

fn mode(v: Option<&Value>) -> Option<String> {
    v.and_then(|m| m.get("mode"))
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
}

fn has_selector(spec: &Value) -> bool {
    spec.get("selector")
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
}

/// POL-004.
fn mtls(evidence: &EvidenceSet, mesh: &Mesh<'_>, out: &mut Vec<Finding>) {
    let mut by_cluster: BTreeMap<&str, Vec<&Evidence>> = BTreeMap::new();
    for record in evidence.objects_of_kind("PeerAuthentication") {
        if let Some(key) = record.object_key() {
            by_cluster.entry(key.cluster).or_default().push(record);
        }
    }
    for (cluster, config) in &mesh.mesh_configs {
        let root = root_namespace(config);
        let pas = by_cluster.get(cluster.as_str()).map(Vec::as_slice).unwrap_or_default();
        let mut mesh_wide = Vec::new();
        for pa in pas {
            let Some(key) = pa.object_key() else {
                continue;
            };
            let spec = pa.body().get("spec").cloned().unwrap_or(Value::Null);
            let is_mesh_wide = key.namespace == Some(root.as_str()) && !has_selector(&spec);
            let m = mode(spec.get("mtls"));
            if is_mesh_wide {
                mesh_wide.push((pa, m));
                continue;
            }
            let mut weak = Vec::new();
            if let Some(m) = m.as_deref().filter(|m| *m == "PERMISSIVE" || *m == "DISABLE") {
                let level = if has_selector(&spec) {
                    "for the selected workloads"
                } else {
                    "for the whole namespace"
                };
                weak.push(format!("mtls.mode {m} {level}"));
            }
            for (port, v) in spec
                .get("portLevelMtls")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(m) = mode(Some(v)).filter(|m| m == "PERMISSIVE" || m == "DISABLE") {
                    weak.push(format!("port {port} mode {m}"));
                }
            }
            if weak.is_empty() {
                continue;
            }
            let created = pa
                .str_at("/metadata/creationTimestamp")
                .map(|t| format!(" (created {t})"))
                .unwrap_or_default();
            out.push(MTLS_NOT_STRICT.finding(
                Some(cluster),
                pa.subject.clone(),
                format!(
                    "{} on {cluster} overrides mesh-wide mTLS: {}{created}",
                    object_name(&key),
                    weak.join(", ")
                ),
                [pa.reference(), config.reference()],
            ));
        }
        if mesh_wide.iter().any(|(_, m)| m.as_deref() == Some("STRICT")) {
            continue;
        }
        let found = if mesh_wide.is_empty() {
            "none exists".to_string()
        } else {
            let modes: Vec<String> = mesh_wide
                .iter()
                .map(|(pa, m)| {
                    format!(
                        "{} has mode {}",
                        pa.str_at("/metadata/name").unwrap_or("?"),
                        m.as_deref().unwrap_or("UNSET")
                    )
                })
                .collect();
            modes.join(", ")
        };
        let mut refs: Vec<RecordRef> = mesh_wide.iter().map(|(pa, _)| pa.reference()).collect();
        refs.push(config.reference());
        out.push(MTLS_NOT_STRICT.finding(
            Some(cluster),
            format!("{cluster}/{root}/PeerAuthentication/*"),
            format!(
                "cluster {cluster} has no mesh-wide STRICT PeerAuthentication (no selector) in root namespace {root}: {found}"
            ),
            refs,
        ));
    }
}

/// `*`-glob match (`*` = any run of characters).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let tail: Vec<&str> = parts.collect();
    let Some((last, middle)) = tail.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn labels(record: &Evidence) -> Option<&serde_json::Map<String, Value>> {
    record.body().pointer("/metadata/labels").and_then(Value::as_object)
}

fn label<'e>(record: &'e Evidence, name: &str) -> Option<&'e str> {
    labels(record).and_then(|l| l.get(name)).and_then(Value::as_str)
}

/// Whether a `workloadClusters[]` entry selects a registered cluster.
fn selects_cluster(entry: &Value, name: &str, registration: &Evidence) -> bool {
    if let Some(pattern) = entry.get("name").and_then(Value::as_str) {
        return glob_match(pattern, name);
    }
    if let Some(wanted) = entry.pointer("/selector").and_then(Value::as_object) {
        let have = labels(registration);
        return wanted.iter().all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v));
    }
    false
}

/// Whether a `workloadClusters[]` entry covers `namespace` (no `namespaces` = all).
fn selects_namespace(entry: &Value, namespace: &str) -> bool {
    match entry.get("namespaces").and_then(Value::as_array) {
        None => true,
        Some(list) => list
            .iter()
            .filter_map(|n| n.get("name").and_then(Value::as_str))
            .any(|p| glob_match(p, namespace)),
    }
}

/// POL-005.
fn access_policies(evidence: &EvidenceSet, mesh: &Mesh<'_>, out: &mut Vec<Finding>) {
    let collected = collected(evidence);
    let mut translated: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for record in evidence.of_kind(crate::model::kinds::K8S_OBJECT) {
        // Most objects are not translations: skip them without parsing their bodies.
        if !record.may_contain("gloo.solo.io/parent_kind")
            || label(record, "gloo.solo.io/parent_kind") != Some("AccessPolicy")
        {
            continue;
        }
        let (Some(ns), Some(name), Some(key)) = (
            label(record, "gloo.solo.io/parent_namespace"),
            label(record, "gloo.solo.io/parent_name"),
            record.object_key(),
        ) else {
            continue;
        };
        translated.entry((ns, name)).or_default().insert(key.cluster);
    }
    let workspaces: Vec<&Evidence> = evidence.objects_of_kind("Workspace").collect();
    for policy in evidence.objects_of_kind("AccessPolicy") {
        let Some(key) = policy.object_key() else {
            continue;
        };
        let Some(ns) = key.namespace else {
            continue;
        };
        let mut namespaces: BTreeSet<&str> = policy
            .body()
            .pointer("/spec/applyToWorkloads")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|w| w.pointer("/selector/namespace").and_then(Value::as_str))
            .collect();
        if namespaces.is_empty() {
            namespaces.insert(ns);
        }
        let have = translated.get(&(ns, key.name));
        for workspace in &workspaces {
            let entries: Vec<&Value> = workspace
                .body()
                .pointer("/spec/workloadClusters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            // The policy belongs to the workspace when its own cluster/namespace is selected.
            let owns = entries.iter().any(|e| {
                selects_namespace(e, ns)
                    && match mesh.registrations.get(key.cluster) {
                        Some(reg) => selects_cluster(e, key.cluster, reg.record),
                        None => e
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|p| glob_match(p, key.cluster)),
                    }
            });
            if !owns {
                continue;
            }
            let wname = workspace.str_at("/metadata/name").unwrap_or("?");
            for (cluster, reg) in &mesh.registrations {
                let selected = entries.iter().any(|e| {
                    selects_cluster(e, cluster, reg.record) && namespaces.iter().any(|n| selects_namespace(e, n))
                });
                if !selected || !collected.contains(cluster.as_str()) {
                    continue;
                }
                if !namespaces.iter().any(|n| has_namespace(evidence, cluster, n)) {
                    continue;
                }
                if have.is_some_and(|h| h.contains(cluster.as_str())) {
                    continue;
                }
                let elsewhere = have.map(|h| list(h.iter())).unwrap_or_default();
                let elsewhere = if elsewhere.is_empty() {
                    "no cluster has them".to_string()
                } else {
                    format!("they exist on {elsewhere}")
                };
                out.push(ACCESSPOLICY_NOT_APPLIED.finding(
                    Some(cluster),
                    policy.subject.clone(),
                    format!(
                        "AccessPolicy {ns}/{} (on {}) applies to workspace {wname}, which selects {cluster}, but {cluster} holds no translated object labelled gloo.solo.io/parent_kind=AccessPolicy, parent_name={}, parent_namespace={ns} ({elsewhere})",
                        key.name,
                        key.cluster,
                        key.name,
                    ),
                    [policy.reference(), workspace.reference(), reg.record.reference()],
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Settings;
    use crate::model::kinds;
    use serde_json::json;

    fn set(objects: Vec<(String, Value)>) -> EvidenceSet {
        EvidenceSet::for_tests(objects.into_iter().map(|(s, b)| (kinds::K8S_OBJECT, s, b)).collect())
    }

    fn run(objects: Vec<(String, Value)>) -> Vec<Finding> {
        let context = Context {
            as_of: "2026-12-01T00:00:00Z".parse().unwrap(),
            settings: Settings::default(),
        };
        let mut f = Policies.analyze(&set(objects), &context);
        f.sort();
        f
    }

    /// A peered, collected mesh member with a mesh-wide STRICT policy and namespace `payments`.
    fn member(c: &str, peer: &str) -> Vec<(String, Value)> {
        vec![
            (
                format!("{c}/istio-system/ConfigMap/istio"),
                json!({"metadata": {"name": "istio"}, "data": {"mesh": "rootNamespace: istio-system\n"}}),
            ),
            (
                format!("{c}/istio-system/Secret/istio-remote-secret-{peer}"),
                json!({"metadata": {"name": format!("istio-remote-secret-{peer}"), "labels": {"istio/multiCluster": "true"}},
                       "data": {peer: {}}}),
            ),
            (
                format!("{c}/_cluster/Namespace/payments"),
                json!({"metadata": {"name": "payments"}}),
            ),
            (
                format!("{c}/istio-system/PeerAuthentication/default"),
                json!({"spec": {"mtls": {"mode": "STRICT"}}}),
            ),
        ]
    }

    fn checks(findings: &[Finding]) -> Vec<(&str, Option<&str>, &str)> {
        findings
            .iter()
            .map(|f| (f.check.as_str(), f.cluster.as_deref(), f.subject.as_str()))
            .collect()
    }

    #[test]
    fn allow_all_rule_is_permissive_but_empty_spec_denies() {
        assert_eq!(permissive_reasons(&json!({"rules": [{}]})).len(), 1);
        assert!(
            permissive_reasons(&json!({})).is_empty(),
            "ALLOW without rules denies everything"
        );
        assert!(permissive_reasons(&json!({"action": "ALLOW"})).is_empty());
        assert!(permissive_reasons(&json!({"action": "DENY", "rules": [{}]})).is_empty());
        let star = json!({"rules": [{"from": [{"source": {"principals": ["*"]}}, {"source": {"namespaces": ["*"]}}]}]});
        assert_eq!(permissive_reasons(&star).len(), 2);
        let named = json!({"rules": [{"from": [{"source": {"principals": ["td/ns/a/sa/b"]}}]}]});
        assert!(permissive_reasons(&named).is_empty());

        let mut objects = member("a", "b");
        objects.push((
            "a/payments/AuthorizationPolicy/open".into(),
            json!({"spec": {"rules": [{}]}}),
        ));
        objects.push(("a/payments/AuthorizationPolicy/deny-all".into(), json!({"spec": {}})));
        let findings = run(objects);
        assert_eq!(
            checks(&findings),
            [("POL-002", Some("a"), "a/payments/AuthorizationPolicy/open")]
        );
        assert!(findings[0].message.contains("rule 0 is {}"));
    }

    #[test]
    fn drift_is_reported_once_per_policy_and_missing_per_cluster() {
        let policy = |principal: &str, order: bool| {
            let list = if order {
                json!(["x", principal])
            } else {
                json!([principal, "x"])
            };
            json!({"spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": list}}]}]}})
        };
        let mut objects = Vec::new();
        for (c, p) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")] {
            objects.extend(member(c, p));
        }
        objects.push((
            "a/payments/AuthorizationPolicy/billing".into(),
            policy("td/ns/x/sa/y", true),
        ));
        objects.push((
            "b/payments/AuthorizationPolicy/billing".into(),
            policy("td/ns/x/sa/y", false),
        ));
        objects.push((
            "c/payments/AuthorizationPolicy/billing".into(),
            policy("td/ns/x/sa/z", true),
        ));
        let findings = run(objects);
        assert_eq!(
            checks(&findings),
            [
                ("POL-001", Some("c"), "c/payments/AuthorizationPolicy/billing"),
                ("POL-003", Some("d"), "d/payments/AuthorizationPolicy/billing"),
            ],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("a, b have") && findings[0].message.contains("c has"));
        assert!(findings[1].message.contains("3 of the 4"));
    }

    #[test]
    fn mtls_overrides_and_missing_mesh_wide_strict() {
        let mut objects = member("a", "b");
        objects.extend(member("b", "a"));
        objects.retain(|(s, _)| s != "b/istio-system/PeerAuthentication/default");
        objects.push((
            "a/payments/PeerAuthentication/default".into(),
            json!({"spec": {"mtls": {"mode": "PERMISSIVE"}}}),
        ));
        objects.push((
            "a/payments/PeerAuthentication/db".into(),
            json!({"spec": {"selector": {"matchLabels": {"app": "db"}}, "mtls": {"mode": "STRICT"},
                   "portLevelMtls": {"5432": {"mode": "DISABLE"}}}}),
        ));
        objects.push((
            "a/checkout/PeerAuthentication/ok".into(),
            json!({"spec": {"mtls": {"mode": "STRICT"}}}),
        ));
        let findings = run(objects);
        assert_eq!(
            checks(&findings),
            [
                ("POL-004", Some("a"), "a/payments/PeerAuthentication/db"),
                ("POL-004", Some("a"), "a/payments/PeerAuthentication/default"),
                ("POL-004", Some("b"), "b/istio-system/PeerAuthentication/*"),
            ],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("port 5432 mode DISABLE"));
    }

    #[test]
    fn access_policy_translation_missing_on_a_workspace_cluster() {
        let mut objects = Vec::new();
        for (c, p) in [("a", "b"), ("b", "c"), ("c", "a")] {
            objects.extend(member(c, p));
            objects.push((
                format!("mgmt/gloo-mesh/KubernetesCluster/{c}"),
                json!({"metadata": {"name": c, "labels": {"env": if c == "c" { "dev" } else { "prod" }}}}),
            ));
        }
        objects.push((
            "mgmt/gloo-mesh/Workspace/payments".into(),
            json!({"metadata": {"name": "payments"},
                   "spec": {"workloadClusters": [{"selector": {"env": "prod"}, "namespaces": [{"name": "pay*"}]},
                                                 {"name": "mgmt", "namespaces": [{"name": "payments"}]}]}}),
        ));
        objects.push((
            "mgmt/payments/AccessPolicy/ledger".into(),
            json!({"metadata": {"name": "ledger"}}),
        ));
        objects.push((
            "a/payments/AuthorizationPolicy/ledger".into(),
            json!({"metadata": {"labels": {"gloo.solo.io/parent_kind": "AccessPolicy", "gloo.solo.io/parent_name": "ledger",
                   "gloo.solo.io/parent_namespace": "payments"}}, "spec": {"rules": [{"from": [{"source": {"principals": ["p"]}}]}]}}),
        ));
        let findings: Vec<Finding> = run(objects).into_iter().filter(|f| f.check == "POL-005").collect();
        // b is selected (env=prod) and lacks the translation; c is not selected (env=dev).
        assert_eq!(
            checks(&findings),
            [("POL-005", Some("b"), "mgmt/payments/AccessPolicy/ledger")]
        );
        assert!(glob_match("pay*", "payments") && glob_match("*", "x") && !glob_match("a*c", "abd"));
        assert!(glob_match("*-prod-*", "eu-prod-1") && !glob_match("eu", "eu-1"));
    }
}
