//! What changed in mesh trust state between two scans.
//!
//! Compares two scans' [`EvidenceSet`]s (each evaluated at its own collection time) and, given the
//! findings of each, reports:
//!
//! - **clusters** added to or removed from the mesh (the [`who_added`](super::who_added) membership
//!   rule), with who added them;
//! - **registrations** (`KubernetesCluster`) added, removed or changed, field by field;
//! - **certificates**: the intermediate (`ca-cert.pem`) or the roots (`root-cert.pem`) of a
//!   cluster's `istio-system/cacerts` rotated, as SHA-256 fingerprint sets;
//! - **tokens**: a remote secret's bearer token rotated (token SHA-256 changed), added, removed,
//!   or newly expired (expired at the later scan, not at the earlier one);
//! - **RBAC** grants (binding → role → subject) added or removed;
//! - **policies** (`AuthorizationPolicy`, `PeerAuthentication`, `AccessPolicy`) added, removed or
//!   changed, with a field-level diff of `spec` as JSON pointers and old/new values;
//! - **findings** opened, closed and still open, keyed by check, cluster and subject.
//!
//! Pure (no I/O, no clock) and deterministic: every list is sorted. It does not run analyzers;
//! the caller passes each scan's findings. Main types: [`Diff`], [`ObjectChange`],
//! [`FieldChange`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::mesh::remote_secret_targets;
use super::who_added::{Settings, WhoAddedRow, who_added};
use crate::collect::selection::ISTIO_NAMESPACE;
use crate::model::{Evidence, EvidenceSet, Finding, RecordRef, Severity, Timestamp};

/// Kinds whose `spec` changes are reported field by field.
pub const POLICY_KINDS: &[&str] = &["AuthorizationPolicy", "PeerAuthentication", "AccessPolicy"];

/// How something changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Present only in the later scan.
    Added,
    /// Present only in the earlier scan.
    Removed,
    /// Present in both, different.
    Changed,
    /// Replaced by a different value (certificates, tokens).
    Rotated,
    /// Valid at the earlier scan's time, expired at the later one's.
    NewlyExpired,
}

impl Change {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Rotated => "rotated",
            Change::NewlyExpired => "newly-expired",
        }
    }
}

/// A cluster that joined or left the mesh.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ClusterChange {
    /// Cluster name.
    pub cluster: String,
    /// Added or removed.
    pub change: Change,
    /// Who added it (the later scan's answer for added clusters, the earlier one's for removed).
    pub added_by: Option<String>,
    /// When it was added.
    pub added_at: Option<Timestamp>,
    /// Its trust domain.
    pub trust_domain: String,
    /// Records the membership rests on.
    pub evidence: Vec<RecordRef>,
}

/// One field that differs: a JSON pointer into the object, with the old and new values
/// (`null` when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// JSON pointer (RFC 6901) from the object's root, e.g. `/spec/rules/0/from/0/source/principals/0`.
    pub path: String,
    /// The earlier value.
    pub old: Option<Value>,
    /// The later value.
    pub new: Option<Value>,
}

/// A Kubernetes object (registration or policy) added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    /// Cluster it was collected from.
    pub cluster: String,
    /// Record subject (`cluster/namespace/Kind/name`).
    pub subject: String,
    /// Added, removed or changed.
    pub change: Change,
    /// For a change: every differing field of `spec` (and labels/annotations).
    pub fields: Vec<FieldChange>,
    /// The earlier and/or later record.
    pub evidence: Vec<RecordRef>,
}

/// A CA certificate set of a cluster's `cacerts` that changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CertificateChange {
    /// Cluster.
    pub cluster: String,
    /// `intermediate` (`ca-cert.pem`) or `roots` (`root-cert.pem`).
    pub role: String,
    /// Rotated, added or removed.
    pub change: Change,
    /// SHA-256 fingerprints in the earlier scan, sorted.
    pub old: Vec<String>,
    /// SHA-256 fingerprints in the later scan, sorted.
    pub new: Vec<String>,
    /// The earlier and/or later `cacerts` record.
    pub evidence: Vec<RecordRef>,
}

/// A remote secret's bearer token that changed or expired.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TokenChange {
    /// The cluster holding the remote secret.
    pub cluster: String,
    /// The remote secret's subject.
    pub subject: String,
    /// The cluster the token is for.
    pub target: String,
    /// Rotated, newly expired, added or removed.
    pub change: Change,
    /// Token SHA-256 in the earlier scan.
    pub old_sha256: Option<String>,
    /// Token SHA-256 in the later scan.
    pub new_sha256: Option<String>,
    /// The later token's `exp`, when it has one.
    pub expires: Option<Timestamp>,
    /// The earlier and/or later record.
    pub evidence: Vec<RecordRef>,
}

/// One RBAC grant (binding → role → subject) added or removed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GrantChange {
    /// Cluster.
    pub cluster: String,
    /// The binding's subject (`cluster/namespace/Kind/name`).
    pub binding: String,
    /// `ClusterRole/name` or `Role/name`.
    pub role: String,
    /// `Kind namespace/name` of the grantee.
    pub grantee: String,
    /// Added or removed.
    pub change: Change,
    /// The binding's record (later scan for added, earlier for removed).
    pub evidence: Vec<RecordRef>,
}

/// A finding by identity: check, cluster and subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingRef {
    /// Severity (of the later scan when still open).
    pub severity: Severity,
    /// Check id.
    pub check: String,
    /// Cluster.
    pub cluster: Option<String>,
    /// Subject.
    pub subject: String,
    /// Message (of the later scan when still open).
    pub message: String,
}

/// Findings opened, closed and still open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FindingChanges {
    /// In the later scan only.
    pub opened: Vec<FindingRef>,
    /// In the earlier scan only.
    pub closed: Vec<FindingRef>,
    /// In both.
    pub still_open: Vec<FindingRef>,
}

/// What changed between two scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The earlier scan.
    pub from_scan: u64,
    /// When it was collected (its evaluation time).
    pub from_collected_at: Timestamp,
    /// The later scan.
    pub to_scan: u64,
    /// When it was collected (its evaluation time).
    pub to_collected_at: Timestamp,
    /// Mesh membership.
    pub clusters: Vec<ClusterChange>,
    /// `KubernetesCluster` registrations.
    pub registrations: Vec<ObjectChange>,
    /// Intermediates and roots.
    pub certificates: Vec<CertificateChange>,
    /// Remote-secret tokens.
    pub tokens: Vec<TokenChange>,
    /// RBAC grants.
    pub rbac: Vec<GrantChange>,
    /// Policies.
    pub policies: Vec<ObjectChange>,
    /// Findings.
    pub findings: FindingChanges,
}

impl Diff {
    /// Whether nothing changed (findings still open do not count as a change).
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.registrations.is_empty()
            && self.certificates.is_empty()
            && self.tokens.is_empty()
            && self.rbac.is_empty()
            && self.policies.is_empty()
            && self.findings.opened.is_empty()
            && self.findings.closed.is_empty()
    }
}

/// One scan's side of a diff: its evidence and its findings.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The scan's evidence.
    pub evidence: &'a EvidenceSet,
    /// The findings of that scan.
    pub findings: &'a [Finding],
}

/// Compares `from` (earlier) with `to` (later).
pub fn diff(from: Side<'_>, to: Side<'_>, settings: &Settings) -> Diff {
    let (a, b) = (from.evidence, to.evidence);
    Diff {
        from_scan: a.scan(),
        from_collected_at: a.collected_at(),
        to_scan: b.scan(),
        to_collected_at: b.collected_at(),
        clusters: clusters(
            &who_added(a, a.collected_at(), settings),
            &who_added(b, b.collected_at(), settings),
        ),
        registrations: objects(a, b, &["KubernetesCluster"]),
        certificates: certificates(a, b),
        tokens: tokens(a, b),
        rbac: grants(a, b),
        policies: objects(a, b, POLICY_KINDS),
        findings: findings(from.findings, to.findings),
    }
}

fn clusters(from: &[WhoAddedRow], to: &[WhoAddedRow]) -> Vec<ClusterChange> {
    let names = |rows: &[WhoAddedRow]| rows.iter().map(|r| r.cluster.clone()).collect::<BTreeSet<_>>();
    let (old, new) = (names(from), names(to));
    let row = |r: &WhoAddedRow, change| ClusterChange {
        cluster: r.cluster.clone(),
        change,
        added_by: r.added_by.clone(),
        added_at: r.added_at,
        trust_domain: r.trust_domain.clone(),
        evidence: r.evidence.clone(),
    };
    let mut out: Vec<ClusterChange> = to
        .iter()
        .filter(|r| !old.contains(&r.cluster))
        .map(|r| row(r, Change::Added))
        .chain(
            from.iter()
                .filter(|r| !new.contains(&r.cluster))
                .map(|r| row(r, Change::Removed)),
        )
        .collect();
    out.sort();
    out
}

fn cluster_of(record: &Evidence) -> String {
    record.object_key().map(|k| k.cluster.to_string()).unwrap_or_default()
}

/// Objects of `kinds` keyed by subject.
fn objects_by_subject<'a>(set: &'a EvidenceSet, kinds: &[&str]) -> BTreeMap<&'a str, &'a Evidence> {
    kinds
        .iter()
        .flat_map(|k| set.objects_of_kind(k))
        .map(|r| (r.subject.as_str(), r))
        .collect()
}

/// The parts of an object that carry meaning for trust: spec, labels and annotations.
fn meaningful(record: &Evidence) -> Value {
    let mut metadata = serde_json::Map::new();
    for key in ["labels", "annotations"] {
        if let Some(v) = record.body().pointer(&format!("/metadata/{key}")) {
            metadata.insert(key.to_string(), v.clone());
        }
    }
    let mut out = serde_json::Map::new();
    if !metadata.is_empty() {
        out.insert("metadata".into(), Value::Object(metadata));
    }
    if let Some(spec) = record.body().get("spec") {
        out.insert("spec".into(), spec.clone());
    }
    Value::Object(out)
}

fn objects(a: &EvidenceSet, b: &EvidenceSet, kinds: &[&str]) -> Vec<ObjectChange> {
    let (old, new) = (objects_by_subject(a, kinds), objects_by_subject(b, kinds));
    let mut out = Vec::new();
    for (subject, rb) in &new {
        match old.get(subject) {
            None => out.push(ObjectChange {
                cluster: cluster_of(rb),
                subject: subject.to_string(),
                change: Change::Added,
                fields: Vec::new(),
                evidence: vec![rb.reference()],
            }),
            Some(ra) => {
                let mut fields = Vec::new();
                json_diff("", Some(&meaningful(ra)), Some(&meaningful(rb)), &mut fields);
                if !fields.is_empty() {
                    out.push(ObjectChange {
                        cluster: cluster_of(rb),
                        subject: subject.to_string(),
                        change: Change::Changed,
                        fields,
                        evidence: vec![ra.reference(), rb.reference()],
                    });
                }
            }
        }
    }
    for (subject, ra) in &old {
        if !new.contains_key(subject) {
            out.push(ObjectChange {
                cluster: cluster_of(ra),
                subject: subject.to_string(),
                change: Change::Removed,
                fields: Vec::new(),
                evidence: vec![ra.reference()],
            });
        }
    }
    out.sort_by(|x, y| (&x.cluster, &x.subject, x.change).cmp(&(&y.cluster, &y.subject, y.change)));
    out
}

/// Escapes one JSON pointer reference token (RFC 6901).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Field-level differences between two JSON values, as JSON pointers; objects are compared key by
/// key and arrays index by index, anything else as a whole.
pub fn json_diff(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                json_diff(&format!("{path}/{}", pointer_token(k)), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                json_diff(&format!("{path}/{i}"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            path: if path.is_empty() { "/".into() } else { path.to_string() },
            old: a.cloned(),
            new: b.cloned(),
        }),
    }
}

/// SHA-256 fingerprints of the certificates in one `cacerts` data key, sorted.
fn fingerprints(record: &Evidence, key: &str) -> Vec<String> {
    let mut out: Vec<String> = record
        .body()
        .get("data")
        .and_then(|d| d.get(key))
        .and_then(|k| k.get("certificates"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("sha256").and_then(Value::as_str).map(str::to_string))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn cacerts(set: &EvidenceSet) -> BTreeMap<String, &Evidence> {
    set.objects_of_kind("Secret")
        .filter_map(|r| {
            let key = r.object_key()?;
            (key.namespace == Some(ISTIO_NAMESPACE) && key.name == "cacerts").then(|| (key.cluster.to_string(), r))
        })
        .collect()
}

fn certificates(a: &EvidenceSet, b: &EvidenceSet) -> Vec<CertificateChange> {
    let (old, new) = (cacerts(a), cacerts(b));
    let clusters: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for cluster in clusters {
        let (ra, rb) = (old.get(cluster), new.get(cluster));
        for (role, key) in [("intermediate", "ca-cert.pem"), ("roots", "root-cert.pem")] {
            let fa = ra.map(|r| fingerprints(r, key)).unwrap_or_default();
            let fb = rb.map(|r| fingerprints(r, key)).unwrap_or_default();
            if fa == fb {
                continue;
            }
            let change = match (fa.is_empty(), fb.is_empty()) {
                (true, false) => Change::Added,
                (false, true) => Change::Removed,
                _ => Change::Rotated,
            };
            out.push(CertificateChange {
                cluster: cluster.clone(),
                role: role.to_string(),
                change,
                old: fa,
                new: fb,
                evidence: ra.iter().chain(rb.iter()).map(|r| r.reference()).collect(),
            });
        }
    }
    out.sort();
    out
}

/// A remote secret's token for one target: (sha256, exp).
#[derive(Debug, Clone)]
struct Token<'a> {
    record: &'a Evidence,
    sha256: Option<String>,
    exp: Option<Timestamp>,
}

/// Tokens of every remote secret, keyed by (holder cluster, secret subject, target).
fn remote_tokens(set: &EvidenceSet) -> BTreeMap<(String, String, String), Token<'_>> {
    let mut out = BTreeMap::new();
    for record in set.objects_of_kind("Secret") {
        let Some(key) = record.object_key() else { continue };
        for target in remote_secret_targets(record, key.name) {
            let users = record
                .body()
                .pointer(&format!("/data/{}/kubeconfig/users", pointer_token(&target)))
                .and_then(Value::as_array);
            let token = users
                .into_iter()
                .flatten()
                .filter_map(|u| u.get("token"))
                .find(|t| !t.is_null());
            let sha256 = token
                .and_then(|t| t.get("sha256"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let exp = token
                .and_then(|t| t.pointer("/jwt/claims/exp"))
                .and_then(Value::as_i64)
                .and_then(Timestamp::from_unix);
            out.insert(
                (key.cluster.to_string(), record.subject.clone(), target),
                Token { record, sha256, exp },
            );
        }
    }
    out
}

fn tokens(a: &EvidenceSet, b: &EvidenceSet) -> Vec<TokenChange> {
    let (old, new) = (remote_tokens(a), remote_tokens(b));
    let keys: BTreeSet<&(String, String, String)> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (ta, tb) = (old.get(key), new.get(key));
        let expired_at = |t: &Token<'_>, at: Timestamp| t.exp.is_some_and(|e| e <= at);
        let change = match (ta, tb) {
            (None, Some(_)) => Some(Change::Added),
            (Some(_), None) => Some(Change::Removed),
            (Some(x), Some(y)) if x.sha256 != y.sha256 => Some(Change::Rotated),
            (Some(x), Some(y)) if expired_at(y, b.collected_at()) && !expired_at(x, a.collected_at()) => {
                Some(Change::NewlyExpired)
            }
            _ => None,
        };
        let Some(change) = change else { continue };
        let (cluster, subject, target) = key.clone();
        out.push(TokenChange {
            cluster,
            subject,
            target,
            change,
            old_sha256: ta.and_then(|t| t.sha256.clone()),
            new_sha256: tb.and_then(|t| t.sha256.clone()),
            expires: tb.and_then(|t| t.exp),
            evidence: ta.iter().chain(tb.iter()).map(|t| t.record.reference()).collect(),
        });
    }
    out.sort();
    out
}

/// Grants of every binding: (cluster, binding subject, role, grantee) → binding record.
fn grant_set(set: &EvidenceSet) -> BTreeMap<(String, String, String, String), &Evidence> {
    let mut out = BTreeMap::new();
    for record in set
        .objects_of_kind("ClusterRoleBinding")
        .chain(set.objects_of_kind("RoleBinding"))
    {
        let Some(key) = record.object_key() else { continue };
        let role = format!(
            "{}/{}",
            record.str_at("/roleRef/kind").unwrap_or("?"),
            record.str_at("/roleRef/name").unwrap_or("?")
        );
        for s in record
            .body()
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = s.get("kind").and_then(Value::as_str).unwrap_or("?");
            let name = s.get("name").and_then(Value::as_str).unwrap_or("?");
            let grantee = match s.get("namespace").and_then(Value::as_str) {
                Some(ns) if !ns.is_empty() => format!("{kind} {ns}/{name}"),
                _ => format!("{kind} {name}"),
            };
            out.insert(
                (key.cluster.to_string(), record.subject.clone(), role.clone(), grantee),
                record,
            );
        }
    }
    out
}

fn grants(a: &EvidenceSet, b: &EvidenceSet) -> Vec<GrantChange> {
    let (old, new) = (grant_set(a), grant_set(b));
    let row = |k: &(String, String, String, String), r: &Evidence, change| GrantChange {
        cluster: k.0.clone(),
        binding: k.1.clone(),
        role: k.2.clone(),
        grantee: k.3.clone(),
        change,
        evidence: vec![r.reference()],
    };
    let mut out: Vec<GrantChange> = new
        .iter()
        .filter(|(k, _)| !old.contains_key(*k))
        .map(|(k, r)| row(k, r, Change::Added))
        .chain(
            old.iter()
                .filter(|(k, _)| !new.contains_key(*k))
                .map(|(k, r)| row(k, r, Change::Removed)),
        )
        .collect();
    out.sort();
    out
}

type FindingKey = (String, Option<String>, String);

fn finding_map(findings: &[Finding]) -> BTreeMap<FindingKey, &Finding> {
    let mut out = BTreeMap::new();
    for f in findings {
        // The most severe finding per identity represents it.
        out.entry((f.check.clone(), f.cluster.clone(), f.subject.clone()))
            .and_modify(|e: &mut &Finding| {
                if f.severity < e.severity {
                    *e = f;
                }
            })
            .or_insert(f);
    }
    out
}

fn findings(from: &[Finding], to: &[Finding]) -> FindingChanges {
    let (old, new) = (finding_map(from), finding_map(to));
    let r = |f: &Finding| FindingRef {
        severity: f.severity,
        check: f.check.clone(),
        cluster: f.cluster.clone(),
        subject: f.subject.clone(),
        message: f.message.clone(),
    };
    let mut changes = FindingChanges::default();
    for (k, f) in &new {
        if old.contains_key(k) {
            changes.still_open.push(r(f));
        } else {
            changes.opened.push(r(f));
        }
    }
    for (k, f) in &old {
        if !new.contains_key(k) {
            changes.closed.push(r(f));
        }
    }
    changes.opened.sort();
    changes.closed.sort();
    changes.still_open.sort();
    changes
}

fn refs_text(evidence: &[RecordRef]) -> String {
    evidence
        .iter()
        .map(|e| format!("#{}", e.seq))
        .collect::<Vec<_>>()
        .join(" ")
}

fn short_fingerprints(fp: &[String]) -> String {
    if fp.is_empty() {
        return "-".into();
    }
    fp.iter()
        .map(|f| f.chars().take(12).collect::<String>())
        .collect::<Vec<_>>()
        .join(",")
}

fn value_text(v: &Option<Value>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "(absent)".into())
}

/// One change as a row of text: what a table, a CSV file or a report section shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRow {
    /// `cluster`, `registration`, `policy`, `certificate`, `token`, `rbac` or `finding`.
    pub area: String,
    /// `added`, `removed`, `changed`, `rotated`, `newly-expired`, `opened` or `closed`.
    pub change: String,
    /// The cluster (`-` when none).
    pub cluster: String,
    /// What changed.
    pub subject: String,
    /// How, with the evidence records (`#seq`).
    pub detail: String,
}

/// One row per change, in the order of the diff's sections.
pub fn rows(d: &Diff) -> Vec<ChangeRow> {
    let mut out = Vec::new();
    for c in &d.clusters {
        out.push(row([
            "cluster".into(),
            c.change.as_str().into(),
            c.cluster.clone(),
            c.cluster.clone(),
            format!(
                "added {} by {}, trust domain {} ({})",
                c.added_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "?".into()),
                c.added_by.as_deref().unwrap_or("?"),
                c.trust_domain,
                refs_text(&c.evidence)
            ),
        ]));
    }
    for (area, list) in [("registration", &d.registrations), ("policy", &d.policies)] {
        for o in list {
            if o.fields.is_empty() {
                out.push(row([
                    area.into(),
                    o.change.as_str().into(),
                    o.cluster.clone(),
                    o.subject.clone(),
                    refs_text(&o.evidence),
                ]));
            }
            for f in &o.fields {
                out.push(row([
                    area.into(),
                    o.change.as_str().into(),
                    o.cluster.clone(),
                    o.subject.clone(),
                    format!(
                        "{}: {} → {} ({})",
                        f.path,
                        value_text(&f.old),
                        value_text(&f.new),
                        refs_text(&o.evidence)
                    ),
                ]));
            }
        }
    }
    for c in &d.certificates {
        out.push(row([
            "certificate".into(),
            c.change.as_str().into(),
            c.cluster.clone(),
            format!("{}/istio-system/Secret/cacerts ({})", c.cluster, c.role),
            format!(
                "sha256 {} → {} ({})",
                short_fingerprints(&c.old),
                short_fingerprints(&c.new),
                refs_text(&c.evidence)
            ),
        ]));
    }
    for t in &d.tokens {
        let sha = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.chars().take(12).collect())
                .unwrap_or_else(|| "-".to_string())
        };
        out.push(row([
            "token".into(),
            t.change.as_str().into(),
            t.cluster.clone(),
            format!("{} (for {})", t.subject, t.target),
            format!(
                "sha256 {} → {}, exp {} ({})",
                sha(&t.old_sha256),
                sha(&t.new_sha256),
                t.expires.map(|e| e.to_rfc3339()).unwrap_or_else(|| "none".into()),
                refs_text(&t.evidence)
            ),
        ]));
    }
    for g in &d.rbac {
        out.push(row([
            "rbac".into(),
            g.change.as_str().into(),
            g.cluster.clone(),
            g.binding.clone(),
            format!("{} → {} ({})", g.role, g.grantee, refs_text(&g.evidence)),
        ]));
    }
    for (change, list) in [("opened", &d.findings.opened), ("closed", &d.findings.closed)] {
        for f in list {
            out.push(row([
                "finding".into(),
                change.into(),
                f.cluster.clone().unwrap_or_else(|| "-".into()),
                f.subject.clone(),
                format!("{} {}: {}", f.severity, f.check, f.message),
            ]));
        }
    }
    out
}

fn row([area, change, cluster, subject, detail]: [String; 5]) -> ChangeRow {
    ChangeRow {
        area,
        change,
        cluster,
        subject,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_diff_reports_pointers_with_old_and_new_values() {
        let a =
            json!({"spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["a"]}}]}], "x/y": 1}});
        let b = json!({"spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["*"]}}]}, {"to": []}], "z": true}});
        let mut out = Vec::new();
        json_diff("", Some(&a), Some(&b), &mut out);
        let paths: Vec<&str> = out.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/spec/rules/0/from/0/source/principals/0",
                "/spec/rules/1",
                "/spec/x~1y",
                "/spec/z"
            ]
        );
        assert_eq!(out[0].old, Some(json!("a")));
        assert_eq!(out[0].new, Some(json!("*")));
        assert_eq!(out[1].old, None);
        assert_eq!(out[2].new, None);
    }

    fn finding(check: &str, subject: &str) -> Finding {
        Finding {
            check: check.into(),
            name: "n".into(),
            severity: Severity::High,
            cluster: Some("c".into()),
            subject: subject.into(),
            message: "m".into(),
            remediation: "r".into(),
            evidence: Vec::new(),
            waiver: None,
        }
    }

    #[test]
    fn findings_are_opened_closed_or_still_open_by_identity() {
        let from = [finding("A-001", "x"), finding("B-001", "y")];
        let to = [finding("B-001", "y"), finding("C-001", "z")];
        let c = findings(&from, &to);
        assert_eq!(c.opened.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(), ["C-001"]);
        assert_eq!(c.closed.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(), ["A-001"]);
        assert_eq!(
            c.still_open.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(),
            ["B-001"]
        );
    }

    fn secret(seq: u64, subject: &str, target: &str, sha: &str, exp: i64) -> Evidence {
        Evidence::new(
            seq,
            crate::model::sha256(&seq.to_be_bytes()),
            crate::model::kinds::K8S_OBJECT,
            "k8s/a",
            subject,
            json!({
                "kind": "Secret",
                "metadata": {"name": subject.rsplit('/').next(), "labels": {"istio/multiCluster": "true"}},
                "data": {target: {"kubeconfig": {"users": [{"token": {"sha256": sha, "jwt": {"claims": {"exp": exp}}}}]}}}
            }),
        )
    }

    fn set(scan: u64, at: &str, records: Vec<Evidence>) -> EvidenceSet {
        EvidenceSet::new(scan, at.parse().unwrap(), records)
    }

    #[test]
    fn tokens_rotated_newly_expired_added_and_removed() {
        // 2026-12-20T00:00:00Z
        let exp = 1_797_724_800;
        let a = set(
            1,
            "2026-12-01T00:00:00Z",
            vec![
                secret(1, "a/istio-system/Secret/istio-remote-secret-b", "b", "old", exp),
                secret(2, "a/istio-system/Secret/istio-remote-secret-c", "c", "same", exp),
                secret(3, "a/istio-system/Secret/istio-remote-secret-d", "d", "gone", exp),
            ],
        );
        let b = set(
            2,
            "2026-12-21T00:00:00Z",
            vec![
                secret(
                    11,
                    "a/istio-system/Secret/istio-remote-secret-b",
                    "b",
                    "new",
                    exp + 90 * 86_400,
                ),
                secret(12, "a/istio-system/Secret/istio-remote-secret-c", "c", "same", exp),
                secret(
                    13,
                    "a/istio-system/Secret/istio-remote-secret-e",
                    "e",
                    "fresh",
                    exp + 90 * 86_400,
                ),
            ],
        );
        let changes: Vec<(String, Change)> = tokens(&a, &b).into_iter().map(|t| (t.target, t.change)).collect();
        assert_eq!(
            changes,
            [
                ("b".to_string(), Change::Rotated),
                ("c".to_string(), Change::NewlyExpired),
                ("d".to_string(), Change::Removed),
                ("e".to_string(), Change::Added),
            ]
        );
        assert!(tokens(&b, &b).is_empty(), "no change against itself");
    }
}
