//! Change trail: signed commits, out-of-band changes, collection gaps.
//!
//! - CHG-001: per non-merge commit (at or before `as_of`) without a signature whose changed files
//!   declare, before or after, at least one kept object (the git collector only records files
//!   declaring kept kinds: RBAC, Istio security and networking objects, Gloo objects, Secrets).
//!   Merges are not reported: the collector walks side branches, so the commits that made the
//!   change are reported themselves. Severity comes from `unsigned_change_severity`.
//! - CHG-002: only when the scan holds `git.commit` records. For each live AuthorizationPolicy,
//!   PeerAuthentication, custom RoleBinding/ClusterRoleBinding (see `rbac_model`) and
//!   KubernetesCluster that is neither Helm-managed nor a management-plane translation (label
//!   `gloo.solo.io/parent_kind`): the git declaration for its cluster is the latest state of every
//!   file declaring the same kind/name (and namespace, when the manifest sets one) whose cluster is
//!   unset (base, all clusters) merged with those whose cluster is this cluster (overlays, applied
//!   as JSON merge patches). KubernetesCluster manifests apply wherever the registration lives.
//!   Only declared fields outside `apiVersion`, `kind`, `metadata` and `status` are compared
//!   (lists as sets). A difference is a finding; so is an object with no declaration at all and no
//!   successful audit `create` on its cluster.
//! - CHG-003: one finding per `collection.gap` record.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cross_cluster::{canonical_text, normalize_sets, shorten};
use super::rbac_model::{Binding, is_helm_managed};
use super::{Analyzer, Check, Context};
use crate::model::{Evidence, EvidenceSet, Finding, Severity, kinds};
use crate::query::git::{self, Commit};
use crate::query::mesh::Views;

/// CHG-001 unsigned-change: A commit changing mesh trust manifests carries no signature.
pub const UNSIGNED_CHANGE: Check = Check {
    id: "CHG-001",
    name: "unsigned-change",
    severity: Severity::Info,
    summary: "A commit changing mesh trust manifests carries no signature.",
    remediation: "Require signed commits on the GitOps repository (branch protection).",
};

/// CHG-002 out-of-band-change: A live object differs from the manifest git declares for that cluster, or exists live with neither a git manifest nor an audit-attributed creator.
pub const OUT_OF_BAND_CHANGE: Check = Check {
    id: "CHG-002",
    name: "out-of-band-change",
    severity: Severity::Medium,
    summary: "A live object differs from the manifest git declares for that cluster, or exists live with neither a git manifest nor an audit-attributed creator.",
    remediation: "Bring the change into git (or revert it) and find who made it.",
};

/// CHG-003 collection-gap: Something could not be collected; what depends on it is not evaluated.
pub const COLLECTION_GAP: Check = Check {
    id: "CHG-003",
    name: "collection-gap",
    severity: Severity::Medium,
    summary: "Something could not be collected; what depends on it is not evaluated.",
    remediation: "Fix access or input and collect again; until then the affected controls are not evaluated.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[UNSIGNED_CHANGE, OUT_OF_BAND_CHANGE, COLLECTION_GAP];

/// The change-trail analyzer.
#[derive(Debug, Clone, Copy)]
pub struct ChangeTrail;

impl Analyzer for ChangeTrail {
    fn id(&self) -> &'static str {
        "change-trail"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze_in(&self, views: &Views<'_>, context: &Context) -> Vec<Finding> {
        let evidence = views.set();
        let commits: Vec<Commit<'_>> = git::commits(evidence)
            .into_iter()
            .filter(|c| c.time().is_none_or(|t| t <= context.as_of))
            .collect();
        let mut out = unsigned_changes(&commits, context);
        out.extend(out_of_band(views, &commits));
        out.extend(collection_gaps(evidence));
        out
    }
}

/// CHG-001.
fn unsigned_changes(commits: &[Commit<'_>], context: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in commits {
        if c.signed || c.merge {
            continue;
        }
        let trust_files: Vec<_> = c
            .files
            .iter()
            .filter(|f| !f.objects_before.is_empty() || !f.objects_after.is_empty())
            .collect();
        if trust_files.is_empty() {
            continue;
        }
        let mut clusters: Vec<Option<&str>> = trust_files.iter().map(|f| f.cluster).collect();
        clusters.sort();
        clusters.dedup();
        let cluster = match clusters.as_slice() {
            [Some(one)] => Some(*one),
            _ => None,
        };
        let changes: Vec<String> = trust_files
            .iter()
            .map(|f| {
                let objects = if f.objects_after.is_empty() {
                    &f.objects_before
                } else {
                    &f.objects_after
                };
                let names: Vec<String> = objects
                    .iter()
                    .map(|o| match o.namespace {
                        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                        None => format!("{} {}", o.kind, o.name),
                    })
                    .collect();
                format!("{} {} ({})", f.change, f.path, names.join(", "))
            })
            .collect();
        let sha: String = c.sha.chars().take(12).collect();
        let mut finding = UNSIGNED_CHANGE.finding(
            cluster,
            c.record.subject.clone(),
            format!(
                "commit {sha} \"{}\" in {} by {} at {} is unsigned and changes mesh trust manifests: {}",
                c.summary.unwrap_or_default(),
                c.repo,
                c.author.display().unwrap_or_else(|| "an unknown author".to_string()),
                c.time()
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "an unknown time".to_string()),
                changes.join("; ")
            ),
            [c.record.reference()],
        );
        finding.severity = context.settings.unsigned_change_severity;
        out.push(finding);
    }
    out
}

/// Kinds CHG-002 compares, with their plural resource for audit lookups.
const OUT_OF_BAND_KINDS: &[(&str, &str)] = &[
    ("AuthorizationPolicy", "authorizationpolicies"),
    ("PeerAuthentication", "peerauthentications"),
    ("ClusterRoleBinding", "clusterrolebindings"),
    ("RoleBinding", "rolebindings"),
    ("KubernetesCluster", "kubernetesclusters"),
];

/// One object a manifest file declares, at the file's latest state.
struct Declaration<'a> {
    path: &'a str,
    cluster: Option<&'a str>,
    namespace: Option<&'a str>,
    manifest: &'a Value,
    commit: &'a Evidence,
}

/// Latest state of every manifest file: path → declarations (renames and deletions applied).
fn declarations<'a>(commits: &[Commit<'a>]) -> BTreeMap<(&'a str, &'a str), Vec<Declaration<'a>>> {
    let mut files: BTreeMap<&'a str, Vec<(&'a str, &'a str, Declaration<'a>)>> = BTreeMap::new();
    for c in commits {
        let raw = c.record.body().get("files").and_then(Value::as_array);
        for f in raw.into_iter().flatten() {
            let s = |k: &str| f.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
            let Some(path) = s("path") else {
                continue;
            };
            if let Some(old) = s("old_path") {
                files.remove(old);
            }
            if s("change") == Some("deleted") {
                files.remove(path);
                continue;
            }
            let cluster = s("cluster");
            let objects = f
                .get("objects_after")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| {
                    let t = |k: &str| o.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
                    Some((
                        t("kind")?,
                        t("name")?,
                        Declaration {
                            path,
                            cluster,
                            namespace: t("namespace"),
                            manifest: o.get("manifest").filter(|m| m.is_object())?,
                            commit: c.record,
                        },
                    ))
                })
                .collect();
            files.insert(path, objects);
        }
    }
    let mut out: BTreeMap<(&'a str, &'a str), Vec<Declaration<'a>>> = BTreeMap::new();
    for (_, objects) in files {
        for (kind, name, d) in objects {
            out.entry((kind, name)).or_default().push(d);
        }
    }
    out
}

/// JSON merge patch (RFC 7386) of `patch` onto `target`.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

/// Paths where a declared value differs from the live one (declared fields only).
fn differences(declared: &Value, live: Option<&Value>, path: &str, out: &mut Vec<String>) {
    if let Some(map) = declared.as_object() {
        for (k, v) in map {
            differences(v, live.and_then(|l| l.get(k)), &format!("{path}.{k}"), out);
        }
        return;
    }
    let same = live.is_some_and(|l| {
        canonical_text(&normalize_sets(l)) == canonical_text(&normalize_sets(declared))
            || (l.as_str().is_some() && l.as_str() == declared.as_str())
    });
    if !same {
        let live_text = live.map(canonical_text).unwrap_or_else(|| "absent".to_string());
        out.push(format!(
            "{} is {} in git but {} live",
            path.trim_start_matches('.'),
            shorten(&canonical_text(declared), 120),
            shorten(&live_text, 120)
        ));
    }
}

/// Whether CHG-002 looks at this live object.
fn is_out_of_band_candidate(record: &Evidence, kind: &str) -> bool {
    if is_helm_managed(record) || record.str_at("/metadata/labels/gloo.solo.io~1parent_kind").is_some() {
        return false;
    }
    match kind {
        "ClusterRoleBinding" | "RoleBinding" => Binding::parse(record).is_some_and(|b| b.is_custom()),
        _ => true,
    }
}

/// CHG-002.
fn out_of_band(views: &Views<'_>, commits: &[Commit<'_>]) -> Vec<Finding> {
    let evidence = views.set();
    let mut out = Vec::new();
    if commits.is_empty() {
        return out;
    }
    let declared = declarations(commits);
    let writes = views.writes();
    for (kind, plural) in OUT_OF_BAND_KINDS {
        for record in evidence.objects_of_kind(kind) {
            let Some(key) = record.object_key() else {
                continue;
            };
            if !is_out_of_band_candidate(record, kind) {
                continue;
            }
            let what = match key.namespace {
                Some(ns) => format!("{kind} {ns}/{}", key.name),
                None => format!("{kind} {}", key.name),
            };
            let applies = |d: &&Declaration<'_>| {
                (d.namespace.is_none() || d.namespace == key.namespace)
                    && (d.cluster.is_none() || d.cluster == Some(key.cluster) || *kind == "KubernetesCluster")
            };
            let candidates: Vec<&Declaration<'_>> = declared
                .get(&(*kind, key.name))
                .into_iter()
                .flatten()
                .filter(applies)
                .collect();
            if candidates.is_empty() {
                let creates: Vec<_> = writes
                    .successful("create", plural, key.namespace, key.name)
                    .into_iter()
                    .filter(|e| e.cluster == key.cluster)
                    .collect();
                if !creates.is_empty() {
                    continue;
                }
                let created = record
                    .str_at("/metadata/creationTimestamp")
                    .map(|t| format!(" (created {t})"))
                    .unwrap_or_default();
                out.push(OUT_OF_BAND_CHANGE.finding(
                    Some(key.cluster),
                    record.subject.clone(),
                    format!(
                        "{what} exists on {}{created} but no git manifest declares it for that cluster and no audit event records who created it",
                        key.cluster
                    ),
                    [record.reference()],
                ));
                continue;
            }
            let mut expected = Value::Object(serde_json::Map::new());
            let (base, overlay): (Vec<&Declaration<'_>>, Vec<&Declaration<'_>>) =
                candidates.iter().partition(|d| d.cluster != Some(key.cluster));
            for d in base.iter().chain(overlay.iter()) {
                merge_patch(&mut expected, d.manifest);
            }
            let mut diffs = Vec::new();
            if let Some(map) = expected.as_object() {
                for (field, value) in map {
                    if matches!(field.as_str(), "apiVersion" | "kind" | "metadata" | "status") {
                        continue;
                    }
                    differences(value, record.body().get(field), field, &mut diffs);
                }
            }
            if diffs.is_empty() {
                continue;
            }
            let paths: Vec<&str> = candidates.iter().map(|d| d.path).collect();
            let mut refs = vec![record.reference()];
            refs.extend(candidates.iter().map(|d| d.commit.reference()));
            out.push(OUT_OF_BAND_CHANGE.finding(
                Some(key.cluster),
                record.subject.clone(),
                format!(
                    "{what} on {} differs from git ({}): {}",
                    key.cluster,
                    paths.join(" + "),
                    diffs.join("; ")
                ),
                refs,
            ));
        }
    }
    out
}

/// CHG-003: one finding per `collection.gap` record of the scan.
fn collection_gaps(evidence: &EvidenceSet) -> Vec<Finding> {
    evidence
        .of_kind(kinds::COLLECTION_GAP)
        .map(|gap| {
            let field = |k: &str| gap.body().get(k).and_then(Value::as_str);
            let cluster = field("cluster");
            let what = match (field("resource"), field("file")) {
                (Some(resource), _) => format!("resource {resource}"),
                (None, Some(file)) => format!("file {file}"),
                (None, None) => "a source".to_string(),
            };
            let place = cluster.map(|c| format!(" on cluster {c}")).unwrap_or_default();
            let reason = field("reason").unwrap_or("no reason recorded");
            COLLECTION_GAP.finding(
                cluster,
                gap.subject.clone(),
                format!("{what}{place} could not be collected ({reason}); checks that depend on it are not evaluated"),
                [gap.reference()],
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Settings;

    use serde_json::json;

    fn set(records: Vec<(&str, String, Value)>) -> EvidenceSet {
        EvidenceSet::for_tests(records)
    }

    fn run(records: Vec<(&str, String, Value)>, settings: Settings) -> Vec<Finding> {
        let context = Context {
            as_of: "2026-12-01T00:00:00Z".parse().unwrap(),
            settings,
        };
        let mut f = ChangeTrail.analyze(&set(records), &context);
        f.sort();
        f
    }

    fn commit(sha: &str, signed: bool, merge: bool, at: &str, files: Value) -> (&'static str, String, Value) {
        (
            kinds::GIT_COMMIT,
            format!("git/gitops/commit/{sha}"),
            json!({"repo": "gitops", "commit": sha, "author": {"name": "Dev", "email": "dev@x", "time_utc": at},
                   "committer": {"name": "Dev", "email": "dev@x", "time_utc": at}, "summary": format!("change {sha}"),
                   "signature": {"present": signed}, "merge": merge, "files": files}),
        )
    }

    fn pa_file(path: &str, cluster: Option<&str>, mode: &str) -> Value {
        json!([{"path": path, "change": "added", "cluster": cluster, "objects_before": [],
                "objects_after": [{"kind": "PeerAuthentication", "namespace": "payments", "name": "default",
                    "manifest": {"kind": "PeerAuthentication", "metadata": {"name": "default"},
                                 "spec": {"mtls": {"mode": mode}}}}]}])
    }

    fn live(subject: &str, body: Value) -> (&'static str, String, Value) {
        (kinds::K8S_OBJECT, subject.to_string(), body)
    }

    #[test]
    fn unsigned_commits_touching_manifests_use_the_configured_severity() {
        let records = vec![
            commit(
                "aaa",
                false,
                false,
                "2026-06-01T00:00:00Z",
                pa_file("base/pa.yaml", None, "STRICT"),
            ),
            commit(
                "bbb",
                true,
                false,
                "2026-06-02T00:00:00Z",
                pa_file("base/pa.yaml", None, "STRICT"),
            ),
            commit(
                "ccc",
                false,
                true,
                "2026-06-03T00:00:00Z",
                pa_file("base/pa.yaml", None, "STRICT"),
            ),
            commit(
                "ddd",
                false,
                false,
                "2026-06-04T00:00:00Z",
                json!([{"path": "README.md", "change": "modified"}]),
            ),
            commit(
                "eee",
                false,
                false,
                "2027-01-01T00:00:00Z",
                pa_file("base/pa.yaml", None, "STRICT"),
            ),
        ];
        let findings = run(records.clone(), Settings::default());
        let chg1: Vec<&Finding> = findings.iter().filter(|f| f.check == "CHG-001").collect();
        assert_eq!(
            chg1.len(),
            1,
            "signed, merge, non-manifest and future commits are not reported"
        );
        assert_eq!(chg1[0].subject, "git/gitops/commit/aaa");
        assert_eq!(chg1[0].severity, Severity::Info);
        assert!(chg1[0].message.contains("PeerAuthentication payments/default"));
        let settings = Settings {
            unsigned_change_severity: Severity::High,
            ..Settings::default()
        };
        let raised = run(records, settings);
        assert_eq!(
            raised.iter().find(|f| f.check == "CHG-001").map(|f| f.severity),
            Some(Severity::High)
        );
    }

    #[test]
    fn live_objects_are_compared_with_base_and_overlay_manifests() {
        let strict = json!({"metadata": {"name": "default", "labels": {"app.kubernetes.io/instance": "x"}},
                            "spec": {"mtls": {"mode": "STRICT"}}});
        let permissive = json!({"metadata": {"name": "default"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}});
        let records = vec![
            commit(
                "aaa",
                true,
                false,
                "2026-06-01T00:00:00Z",
                pa_file("base/pa.yaml", None, "STRICT"),
            ),
            commit(
                "bbb",
                true,
                false,
                "2026-06-02T00:00:00Z",
                pa_file("overlays/b/pa.yaml", Some("b"), "PERMISSIVE"),
            ),
            live("a/payments/PeerAuthentication/default", strict.clone()),
            live("b/payments/PeerAuthentication/default", permissive.clone()),
            // Edited by hand on c: git says STRICT.
            live("c/payments/PeerAuthentication/default", permissive),
            // No manifest, no audit create: out of band. With an audit create: attributed.
            live(
                "a/_cluster/ClusterRoleBinding/debug",
                json!({"roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "User", "name": "carol"}]}),
            ),
            live(
                "a/_cluster/ClusterRoleBinding/made",
                json!({"roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "User", "name": "bob"}]}),
            ),
            (
                kinds::AUDIT_EVENT,
                "a/audit/1".into(),
                json!({"cluster": "a", "verb": "create", "user": {"username": "bob"},
                "objectRef": {"resource": "clusterrolebindings", "name": "made"}, "responseStatus": {"code": 201},
                "requestReceivedTimestamp": "2026-06-01T00:00:00Z"}),
            ),
            // Helm-managed and management-plane translations are never out of band.
            live(
                "a/payments/AuthorizationPolicy/helm",
                json!({"metadata": {"labels": {"app.kubernetes.io/managed-by": "Helm"}}}),
            ),
            live(
                "a/payments/AuthorizationPolicy/translated",
                json!({"metadata": {"labels": {"gloo.solo.io/parent_kind": "AccessPolicy"}}}),
            ),
        ];
        let findings = run(records, Settings::default());
        let chg2: Vec<(&str, &str)> = findings
            .iter()
            .filter(|f| f.check == "CHG-002")
            .map(|f| (f.subject.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(chg2.len(), 2, "{chg2:#?}");
        assert_eq!(chg2[0].0, "a/_cluster/ClusterRoleBinding/debug");
        assert!(chg2[0].1.contains("no git manifest"));
        assert_eq!(chg2[1].0, "c/payments/PeerAuthentication/default");
        assert!(
            chg2[1]
                .1
                .contains("spec.mtls.mode is \"STRICT\" in git but \"PERMISSIVE\" live"),
            "{}",
            chg2[1].1
        );
    }

    #[test]
    fn without_git_nothing_is_out_of_band() {
        let records = vec![live(
            "a/_cluster/ClusterRoleBinding/debug",
            json!({"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "User", "name": "carol"}]}),
        )];
        assert!(run(records, Settings::default()).is_empty());
    }

    #[test]
    fn renames_and_deletions_follow_the_file() {
        let mut renamed = pa_file("new/pa.yaml", None, "PERMISSIVE");
        renamed[0]["change"] = json!("renamed");
        renamed[0]["old_path"] = json!("old/pa.yaml");
        let records = vec![
            commit(
                "aaa",
                true,
                false,
                "2026-06-01T00:00:00Z",
                pa_file("old/pa.yaml", None, "STRICT"),
            ),
            commit("bbb", true, false, "2026-06-02T00:00:00Z", renamed),
            live(
                "a/payments/PeerAuthentication/default",
                json!({"spec": {"mtls": {"mode": "PERMISSIVE"}}}),
            ),
        ];
        assert!(
            run(records, Settings::default()).is_empty(),
            "the old path no longer declares STRICT"
        );
    }
}
