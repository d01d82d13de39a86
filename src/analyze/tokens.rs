//! Remote-secret bearer tokens (from the redacted kubeconfig facts).
//!
//! Each remote secret (see [`super::peering`]) holds, per data key, a kubeconfig for the target
//! cluster. The redacted evidence keeps the kubeconfig's structure, the TLS settings and the
//! token's JWT header and claims (never the token). From them:
//!
//! - TOKEN-001 age: `iat`, else (legacy tokens) the `creationTimestamp` of the token Secret on
//!   the target cluster (named by the legacy `secret.name` claim), else the remote secret's own
//!   `creationTimestamp` (a lower bound). Expired tokens are reported as TOKEN-003 only.
//! - TOKEN-002 lifetime: no `exp`, or `exp − iat` over the maximum.
//! - TOKEN-003 `exp` at or before as-of.
//! - TOKEN-004 `insecure-skip-tls-verify`, or no CA data for the peer API server.
//! - TOKEN-005 the token's service account on the target cluster (when collected): every
//!   ClusterRoleBinding/RoleBinding naming it (directly, as `system:serviceaccount:…` user, or
//!   through `system:serviceaccounts[:ns]`/`system:authenticated`), its role's rules (aggregated
//!   ClusterRoles through their collected rules, else their label selectors) against the
//!   istio-reader baseline: read verbs anywhere, `create` on token/access reviews, and
//!   `create`/`delete` on MCS `serviceexports`.
//!
//! Not done: the token's signature (the issuer keys are not evidence), tokens in
//! `token-file`/exec/auth-provider users (nothing to date), and bindings whose role was not
//! collected (not evaluated rather than guessed).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::peering::{RemoteSecret, remote_secrets};
use super::rbac_model::Binding;
use super::{Analyzer, Check, Context, Views};
use crate::model::{Evidence, EvidenceSet, Finding, RecordRef, Severity, Timestamp};

/// TOKEN-001 token-too-old: A remote-secret token was issued longer ago than the maximum age.
pub const TOKEN_TOO_OLD: Check = Check {
    id: "TOKEN-001",
    name: "token-too-old",
    severity: Severity::Medium,
    summary: "A remote-secret token was issued longer ago than the maximum age.",
    remediation: "Re-issue the token (`kubectl create token … --duration`) and re-apply the remote secret on the holder.",
};

/// TOKEN-002 token-no-expiry: A remote-secret token never expires (legacy Secret-based token) or lives longer than the maximum lifetime.
pub const TOKEN_NO_EXPIRY: Check = Check {
    id: "TOKEN-002",
    name: "token-no-expiry",
    severity: Severity::Medium,
    summary: "A remote-secret token never expires (legacy Secret-based token) or lives longer than the maximum lifetime.",
    remediation: "Replace it with a bound token with a bounded lifetime; delete the legacy token Secret.",
};

/// TOKEN-003 token-expired: A remote-secret token has expired: the holder's discovery of the peer is broken.
pub const TOKEN_EXPIRED: Check = Check {
    id: "TOKEN-003",
    name: "token-expired",
    severity: Severity::High,
    summary: "A remote-secret token has expired: the holder's discovery of the peer is broken.",
    remediation: "Re-issue the token and re-apply the remote secret.",
};

/// TOKEN-004 insecure-tls: A remote-secret kubeconfig skips TLS verification or carries no CA for the peer API server.
pub const INSECURE_TLS: Check = Check {
    id: "TOKEN-004",
    name: "insecure-tls",
    severity: Severity::High,
    summary: "A remote-secret kubeconfig skips TLS verification or carries no CA for the peer API server.",
    remediation: "Put the peer API server's CA in certificate-authority-data and remove insecure-skip-tls-verify.",
};

/// TOKEN-005 token-overprivileged: The service account behind a token holds more than read-only mesh discovery rights on its cluster.
pub const TOKEN_OVERPRIVILEGED: Check = Check {
    id: "TOKEN-005",
    name: "token-overprivileged",
    severity: Severity::High,
    summary: "The service account behind a token holds more than read-only mesh discovery rights on its cluster.",
    remediation: "Bind the token's service account only to the istio-reader role; remove broader bindings.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[
    TOKEN_TOO_OLD,
    TOKEN_NO_EXPIRY,
    TOKEN_EXPIRED,
    INSECURE_TLS,
    TOKEN_OVERPRIVILEGED,
];

/// The tokens analyzer.
#[derive(Debug, Clone, Copy)]
pub struct Tokens;

impl Analyzer for Tokens {
    fn id(&self) -> &'static str {
        "tokens"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze_in(&self, views: &Views<'_>, context: &Context) -> Vec<Finding> {
        let evidence = views.set();
        let mut rbac = RbacIndex::build(evidence);
        let mut drafts: Vec<(Finding, &str)> = Vec::new();
        for secret in remote_secrets(evidence) {
            for (target, entry) in secret.entries() {
                let mut out = Vec::new();
                check_entry(evidence, &secret, target, entry, context, &mut rbac, &mut out);
                drafts.extend(out.into_iter().map(|f| (f, target)));
            }
        }
        // One finding per (check, remote secret, data key); the key joins the subject only
        // when a Secret holds several targets that the same check reports.
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (f, _) in &drafts {
            *counts.entry((f.check.clone(), f.subject.clone())).or_default() += 1;
        }
        let mut findings: Vec<Finding> = drafts
            .into_iter()
            .map(|(mut f, target)| {
                if counts.get(&(f.check.clone(), f.subject.clone())).copied().unwrap_or(0) > 1 {
                    f.subject = format!("{}#{target}", f.subject);
                }
                f
            })
            .collect();
        findings.sort();
        findings
    }
}

const DAY: i64 = 86_400;

fn claim_i64(claims: &Value, name: &str) -> Option<i64> {
    let v = claims.get(name)?;
    // Truncation is intended: NumericDate may carry fractions.
    #[allow(clippy::cast_possible_truncation)]
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

fn claim_str<'v>(claims: &'v Value, name: &str) -> Option<&'v str> {
    claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The service account a token speaks for: `sub`, else the legacy flat claims, else the
/// bound-token `kubernetes.io` claim.
fn service_account(claims: &Value) -> Option<(String, String)> {
    if let Some(rest) = claim_str(claims, "sub").and_then(|s| s.strip_prefix("system:serviceaccount:"))
        && let Some((ns, name)) = rest.split_once(':')
        && !ns.is_empty()
        && !name.is_empty()
    {
        return Some((ns.to_string(), name.to_string()));
    }
    if let (Some(ns), Some(name)) = (
        claim_str(claims, "kubernetes.io/serviceaccount/namespace"),
        claim_str(claims, "kubernetes.io/serviceaccount/service-account.name"),
    ) {
        return Some((ns.to_string(), name.to_string()));
    }
    let k = claims.get("kubernetes.io")?;
    let ns = k.get("namespace").and_then(Value::as_str)?;
    let name = k.pointer("/serviceaccount/name").and_then(Value::as_str)?;
    Some((ns.to_string(), name.to_string()))
}

fn created_at(record: &Evidence) -> Option<Timestamp> {
    record
        .str_at("/metadata/creationTimestamp")
        .and_then(|t| t.parse().ok())
}

/// The kubeconfig's users and clusters the current context selects (all of them without one).
fn selected<'k>(kubeconfig: &'k Value, what: &str, context_field: &str) -> Vec<&'k Value> {
    let all: Vec<&Value> = kubeconfig
        .get(what)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let current = kubeconfig.get("current_context").and_then(Value::as_str);
    let wanted = kubeconfig
        .get("contexts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == current && current.is_some())
        .and_then(|c| c.get(context_field))
        .and_then(Value::as_str);
    match wanted {
        Some(name) => {
            let chosen: Vec<&Value> = all
                .iter()
                .copied()
                .filter(|v| v.get("name").and_then(Value::as_str) == Some(name))
                .collect();
            if chosen.is_empty() { all } else { chosen }
        }
        None => all,
    }
}

/// All checks for one data entry (`target` = the cluster the kubeconfig reaches).
fn check_entry(
    set: &EvidenceSet,
    secret: &RemoteSecret<'_>,
    target: &str,
    entry: &Value,
    context: &Context,
    rbac: &mut RbacIndex<'_>,
    out: &mut Vec<Finding>,
) {
    let Some(kubeconfig) = entry.get("kubeconfig").filter(|k| k.is_object()) else {
        return;
    };
    let holder = secret.holder;
    let place = format!("{} (key `{target}`)", secret.record.subject);
    let own = [secret.record.reference()];
    let as_of = context.as_of;
    let settings = &context.settings;

    // TOKEN-004
    let mut tls = Vec::new();
    for cluster in selected(kubeconfig, "clusters", "cluster") {
        let server = cluster.get("server").and_then(Value::as_str).unwrap_or("(no server)");
        let mut problems = Vec::new();
        if cluster.get("insecure_skip_tls_verify").and_then(Value::as_bool) == Some(true) {
            problems.push("skips TLS verification (`insecure-skip-tls-verify: true`)");
        }
        if cluster
            .pointer("/certificate_authority/present")
            .and_then(Value::as_bool)
            != Some(true)
        {
            problems.push("carries no CA data");
        }
        if !problems.is_empty() {
            tls.push(format!("{} for server {server}", problems.join(" and ")));
        }
    }
    if !tls.is_empty() {
        out.push(INSECURE_TLS.finding(
            Some(holder),
            secret.record.subject.clone(),
            format!(
                "kubeconfig for {target} in {place} {}: the peer API server is not authenticated",
                tls.join("; ")
            ),
            own,
        ));
    }

    let Some(token) = selected(kubeconfig, "users", "user")
        .into_iter()
        .find_map(|u| u.get("token").filter(|t| t.is_object()))
    else {
        return;
    };
    let Some(claims) = token.pointer("/jwt/claims").filter(|c| c.is_object()) else {
        out.push(TOKEN_NO_EXPIRY.finding(
            Some(holder),
            secret.record.subject.clone(),
            format!(
                "token for {target} in {place} is not a JWT: no expiry can be established (static tokens never expire)"
            ),
            own,
        ));
        return;
    };
    let sa = service_account(claims);
    let who = sa
        .as_ref()
        .map(|(ns, name)| format!("`{ns}/{name}`"))
        .unwrap_or_else(|| "an unidentified service account".into());
    let legacy = claim_str(claims, "iss") == Some("kubernetes/serviceaccount");
    let kind = if legacy { "legacy token" } else { "bound token" };
    let iat = claim_i64(claims, "iat");
    let exp = claim_i64(claims, "exp");
    let nbf = claim_i64(claims, "nbf");
    let when = |t: i64| {
        Timestamp::from_unix(t)
            .map(|t| t.to_string())
            .unwrap_or_else(|| t.to_string())
    };

    // TOKEN-003
    let expired = exp.is_some_and(|e| e <= as_of.unix());
    if let Some(e) = exp.filter(|_| expired) {
        out.push(TOKEN_EXPIRED.finding(
            Some(holder),
            secret.record.subject.clone(),
            format!(
                "{kind} for {who} on {target} in {place} expired {} (exp), {} days before as-of {as_of}",
                when(e),
                (as_of.unix() - e) / DAY
            ),
            own,
        ));
    }

    // TOKEN-001 (not for expired tokens: TOKEN-003 already says more).
    if !expired {
        let mut evidence = vec![secret.record.reference()];
        let issued = issued_at(set, secret, target, token, claims).map(|(t, source, extra)| {
            evidence.extend(extra);
            (t, source)
        });
        if let Some((t, source)) = issued {
            let age = as_of.unix() - t;
            if age > settings.token_max_age_days.saturating_mul(DAY) {
                out.push(TOKEN_TOO_OLD.finding(
                    Some(holder),
                    secret.record.subject.clone(),
                    format!(
                        "{kind} for {who} on {target} in {place} was issued {} ({source}), {} days before as-of (maximum age {} days)",
                        when(t),
                        age.saturating_add(DAY - 1) / DAY,
                        settings.token_max_age_days
                    ),
                    evidence,
                ));
            }
        }
    }

    // TOKEN-002
    match (exp, iat.or(nbf)) {
        (None, _) => out.push(TOKEN_NO_EXPIRY.finding(
            Some(holder),
            secret.record.subject.clone(),
            format!(
                "{kind} for {who} on {target} in {place} has no `exp` claim{}: it never expires",
                if legacy {
                    " (Secret-based service-account token, iss kubernetes/serviceaccount)"
                } else {
                    ""
                }
            ),
            own,
        )),
        (Some(e), Some(start)) if e - start > settings.token_max_lifetime_days.saturating_mul(DAY) => {
            out.push(TOKEN_NO_EXPIRY.finding(
                Some(holder),
                secret.record.subject.clone(),
                format!(
                    "{kind} for {who} on {target} in {place} lives {} days ({} → {}), over the maximum lifetime of {} days",
                    (e - start) / DAY,
                    when(start),
                    when(e),
                    settings.token_max_lifetime_days
                ),
                own,
            ));
        }
        _ => {}
    }

    // TOKEN-005
    if let Some((ns, name)) = &sa
        && let Some((reasons, mut evidence)) = rbac.excess(target, ns, name)
    {
        evidence.push(secret.record.reference());
        out.push(TOKEN_OVERPRIVILEGED.finding(
            Some(holder),
            secret.record.subject.clone(),
            format!(
                "token in {place} acts as {who} on {target}, which holds more than read-only mesh discovery: {}",
                reasons.join("; ")
            ),
            evidence,
        ));
    }
}

/// When a token was issued: `iat`, else (legacy tokens) the `creationTimestamp` of its token
/// Secret on the target cluster (cited), else the remote secret's own `creationTimestamp` (a
/// lower bound). Returns (unix time, where it was read, the extra record cited).
fn issued_at(
    set: &EvidenceSet,
    secret: &RemoteSecret<'_>,
    target: &str,
    token: &Value,
    claims: &Value,
) -> Option<(i64, String, Option<RecordRef>)> {
    if let Some(t) = claim_i64(claims, "iat") {
        return Some((t, "iat".into(), None));
    }
    let token_secret = claim_str(claims, "kubernetes.io/serviceaccount/secret.name").and_then(|name| {
        let ns = claim_str(claims, "kubernetes.io/serviceaccount/namespace");
        set.object(target, ns, "Secret", name)
    });
    let token_hash = token.get("sha256").and_then(Value::as_str);
    let matching = token_secret.filter(|r| {
        let theirs = r.body().pointer("/data/token/sha256").and_then(Value::as_str);
        theirs.is_none() || token_hash.is_none() || theirs == token_hash
    });
    match matching.and_then(|r| created_at(r).map(|t| (r, t))) {
        Some((r, t)) => Some((
            t.unix(),
            format!("creationTimestamp of its token Secret {}", r.subject),
            Some(r.reference()),
        )),
        None => created_at(secret.record).map(|t| {
            (
                t.unix(),
                "creationTimestamp of the remote secret; the token is at least this old".into(),
                None,
            )
        }),
    }
}

/// A remote-secret credential as the inventory shows it (one per remote secret and data key).
/// The judgement (findings) stays with [`Tokens`]; this is the description the checks rest on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The cluster holding it.
    pub holder: String,
    /// The cluster it grants access to.
    pub target: String,
    /// The service account it acts as (`namespace/name`), when the claims say.
    pub identity: Option<String>,
    /// `bound`, `legacy` or `other` (no token, or not a JWT).
    pub token_kind: &'static str,
    /// When it was issued (see TOKEN-001 for the sources).
    pub issued: Option<Timestamp>,
    /// Its `exp`.
    pub expires: Option<Timestamp>,
    /// Age in whole days at as-of.
    pub age_days: Option<i64>,
    /// Skips TLS verification or carries no CA data.
    pub insecure_tls: bool,
    /// The records it was read from.
    pub evidence: Vec<RecordRef>,
}

/// Every remote-secret credential of the scan, sorted by holder, target and record.
pub fn credentials(set: &EvidenceSet, as_of: Timestamp) -> Vec<Credential> {
    let mut out = Vec::new();
    for secret in remote_secrets(set) {
        for (target, entry) in secret.entries() {
            let mut evidence = vec![secret.record.reference()];
            let kubeconfig = entry.get("kubeconfig").filter(|k| k.is_object());
            let insecure_tls = kubeconfig.is_some_and(|k| {
                selected(k, "clusters", "cluster").into_iter().any(|c| {
                    c.get("insecure_skip_tls_verify").and_then(Value::as_bool) == Some(true)
                        || c.pointer("/certificate_authority/present").and_then(Value::as_bool) != Some(true)
                })
            });
            let token = kubeconfig.and_then(|k| {
                selected(k, "users", "user")
                    .into_iter()
                    .find_map(|u| u.get("token").filter(|t| t.is_object()))
            });
            let claims = token.and_then(|t| t.pointer("/jwt/claims").filter(|c| c.is_object()));
            let (mut token_kind, mut identity, mut issued, mut expires) = ("other", None, None, None);
            if let (Some(token), Some(claims)) = (token, claims) {
                token_kind = if claim_str(claims, "iss") == Some("kubernetes/serviceaccount") {
                    "legacy"
                } else {
                    "bound"
                };
                identity = service_account(claims).map(|(ns, name)| format!("{ns}/{name}"));
                expires = claim_i64(claims, "exp").and_then(Timestamp::from_unix);
                if let Some((t, _, extra)) = issued_at(set, &secret, target, token, claims) {
                    issued = Timestamp::from_unix(t);
                    evidence.extend(extra);
                }
            }
            let age_days = issued.map(|t| (as_of.unix() - t.unix()).div_euclid(DAY));
            evidence.sort();
            evidence.dedup();
            out.push(Credential {
                holder: secret.holder.to_string(),
                target: target.to_string(),
                identity,
                token_kind,
                issued,
                expires,
                age_days,
                insecure_tls,
                evidence,
            });
        }
    }
    out.sort_by(|a, b| (&a.holder, &a.target, &a.evidence).cmp(&(&b.holder, &b.target, &b.evidence)));
    out
}

/// Verbs that only read.
const READ_VERBS: &[&str] = &["get", "list", "watch"];

/// Writes the istio-reader role itself needs: (verb, API group, resource).
const READER_WRITES: &[(&str, &str, &str)] = &[
    ("create", "authentication.k8s.io", "tokenreviews"),
    ("create", "authorization.k8s.io", "subjectaccessreviews"),
    ("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
    ("create", "authorization.k8s.io", "selfsubjectrulesreviews"),
    ("create", "authentication.k8s.io", "selfsubjectreviews"),
    ("create", "multicluster.x-k8s.io", "serviceexports"),
    ("delete", "multicluster.x-k8s.io", "serviceexports"),
];

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// What one policy rule grants beyond the istio-reader baseline.
fn rule_excess(rule: &Value) -> Vec<String> {
    let verbs = strings(rule.get("verbs"));
    let groups = strings(rule.get("apiGroups"));
    let resources = strings(rule.get("resources"));
    let urls = strings(rule.get("nonResourceURLs"));
    let mut out = Vec::new();
    let show = |v: &[&str]| v.join(",");
    if verbs.contains(&"*") {
        out.push(format!(
            "all verbs (`*`) on [{}] in groups [{}]",
            show(if urls.is_empty() { &resources } else { &urls }),
            show(&groups)
        ));
        return out;
    }
    if groups.contains(&"*") {
        out.push(format!(
            "[{}] on resources [{}] in all API groups (`*`)",
            show(&verbs),
            show(&resources)
        ));
    } else if resources.contains(&"*") && groups.iter().any(|g| !g.ends_with(".istio.io")) {
        out.push(format!(
            "[{}] on all resources (`*`) in groups [{}]",
            show(&verbs),
            show(&groups)
        ));
    }
    let writes: Vec<&str> = verbs.iter().copied().filter(|v| !READ_VERBS.contains(v)).collect();
    if writes.is_empty() {
        return out;
    }
    if !urls.is_empty() {
        out.push(format!("[{}] on non-resource URLs [{}]", show(&writes), show(&urls)));
    }
    let group_list: Vec<&str> = if groups.is_empty() { vec![""] } else { groups.clone() };
    let mut excess_writes: BTreeSet<String> = BTreeSet::new();
    for verb in &writes {
        for group in &group_list {
            for resource in &resources {
                let base = resource.split('/').next().unwrap_or(resource);
                let allowed = READER_WRITES
                    .iter()
                    .any(|(v, g, r)| v == verb && g == group && *r == base);
                if !allowed {
                    let what = if base == "secrets" {
                        format!("{verb} secrets (write access to Secrets)")
                    } else if group.is_empty() {
                        format!("{verb} {resource}")
                    } else {
                        format!("{verb} {group}/{resource}")
                    };
                    excess_writes.insert(what);
                }
            }
        }
    }
    if !excess_writes.is_empty() {
        out.push(format!(
            "write verbs: {}",
            excess_writes.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// What a service account holds beyond the baseline (reasons, cited records); `None`: nothing.
type Excess = Option<(Vec<String>, Vec<RecordRef>)>;

/// Bindings and roles of every cluster, indexed once; verdicts cached per service account.
struct RbacIndex<'a> {
    set: &'a EvidenceSet,
    /// (cluster, subject key) -> bindings. Subject keys: `sa:<ns>:<name>`, `group:<name>`.
    bindings: BTreeMap<(&'a str, String), Vec<&'a Evidence>>,
    /// Clusters whose RBAC was collected.
    clusters: BTreeSet<&'a str>,
    /// Per cluster, its ClusterRoles (for aggregation selectors).
    cluster_roles: BTreeMap<&'a str, Vec<&'a Evidence>>,
    cache: BTreeMap<(String, String, String), Excess>,
}

impl<'a> RbacIndex<'a> {
    fn build(set: &'a EvidenceSet) -> RbacIndex<'a> {
        let mut index = RbacIndex {
            set,
            bindings: BTreeMap::new(),
            clusters: BTreeSet::new(),
            cluster_roles: BTreeMap::new(),
            cache: BTreeMap::new(),
        };
        for record in set.objects_of_kind("ClusterRole") {
            if let Some(key) = record.object_key() {
                index.clusters.insert(key.cluster);
                index.cluster_roles.entry(key.cluster).or_default().push(record);
            }
        }
        for kind in ["ClusterRoleBinding", "RoleBinding"] {
            for record in set.objects_of_kind(kind) {
                let Some(key) = record.object_key() else {
                    continue;
                };
                index.clusters.insert(key.cluster);
                let Some(binding) = Binding::parse(record) else {
                    continue;
                };
                for subject in &binding.subjects {
                    let name = subject.name;
                    let subject_key = match subject.kind {
                        "ServiceAccount" => {
                            let ns = subject.namespace.or(key.namespace);
                            ns.map(|ns| format!("sa:{ns}:{name}"))
                        }
                        "User" => name
                            .strip_prefix("system:serviceaccount:")
                            .and_then(|rest| rest.split_once(':'))
                            .map(|(ns, n)| format!("sa:{ns}:{n}")),
                        "Group" => Some(format!("group:{name}")),
                        _ => None,
                    };
                    if let Some(k) = subject_key {
                        let list = index.bindings.entry((key.cluster, k)).or_default();
                        if list.last().map(|r| r.seq) != Some(record.seq) {
                            list.push(record);
                        }
                    }
                }
            }
        }
        index
    }

    /// The rules of a role: its own, or for an aggregated ClusterRole without collected rules,
    /// those of the ClusterRoles its selectors' `matchLabels` pick.
    fn rules(&self, cluster: &str, role: &'a Evidence, evidence: &mut Vec<RecordRef>) -> Vec<&'a Value> {
        let own: Vec<&Value> = role
            .body()
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        if !own.is_empty() {
            return own;
        }
        let selectors: Vec<&serde_json::Map<String, Value>> = role
            .body()
            .pointer("/aggregationRule/clusterRoleSelectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("matchLabels").and_then(Value::as_object))
            .filter(|m| !m.is_empty())
            .collect();
        let mut out = Vec::new();
        for candidate in self.cluster_roles.get(cluster).into_iter().flatten() {
            let labels = candidate.body().pointer("/metadata/labels").and_then(Value::as_object);
            let picked = selectors
                .iter()
                .any(|sel| sel.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)));
            if picked && candidate.seq != role.seq {
                evidence.push(candidate.reference());
                out.extend(
                    candidate
                        .body()
                        .get("rules")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                );
            }
        }
        out
    }

    /// What `ns/name` holds on `cluster` beyond the istio-reader baseline, with the binding
    /// and role records; `None` when nothing (or the cluster's RBAC was not collected).
    fn excess(&mut self, cluster: &str, ns: &str, name: &str) -> Excess {
        let cache_key = (cluster.to_string(), ns.to_string(), name.to_string());
        if let Some(hit) = self.cache.get(&cache_key) {
            return hit.clone();
        }
        let verdict = self.evaluate(cluster, ns, name);
        self.cache.insert(cache_key, verdict.clone());
        verdict
    }

    fn evaluate(&self, cluster: &str, ns: &str, name: &str) -> Excess {
        let (cluster, _) = self.clusters.get(cluster).map(|c| (*c, ()))?;
        let mut bindings: Vec<&Evidence> = Vec::new();
        for key in [
            format!("sa:{ns}:{name}"),
            "group:system:serviceaccounts".to_string(),
            format!("group:system:serviceaccounts:{ns}"),
            "group:system:authenticated".to_string(),
        ] {
            bindings.extend(self.bindings.get(&(cluster, key)).into_iter().flatten());
        }
        bindings.sort_by_key(|r| r.seq);
        bindings.dedup_by_key(|r| r.seq);
        let mut reasons = Vec::new();
        let mut evidence = Vec::new();
        for binding in bindings {
            let Some(bkey) = binding.object_key() else {
                continue;
            };
            let role_kind = binding.str_at("/roleRef/kind").unwrap_or("ClusterRole");
            let Some(role_name) = binding.str_at("/roleRef/name") else {
                continue;
            };
            let scope = match bkey.namespace {
                Some(n) => format!("in namespace {n}"),
                None => "cluster-wide".to_string(),
            };
            let label = format!(
                "{} `{}{}` → {role_kind} `{role_name}` ({scope})",
                bkey.kind,
                bkey.namespace.map(|n| format!("{n}/")).unwrap_or_default(),
                bkey.name
            );
            let mut found: Vec<String> = Vec::new();
            let mut cited = vec![binding.reference()];
            if role_kind == "ClusterRole" && role_name == "cluster-admin" {
                found.push("cluster-admin".into());
            } else {
                let role = if role_kind == "Role" {
                    self.set.object(cluster, bkey.namespace, "Role", role_name)
                } else {
                    self.set.object(cluster, None, "ClusterRole", role_name)
                };
                let Some(role) = role else {
                    continue;
                };
                cited.push(role.reference());
                let mut seen = BTreeSet::new();
                for rule in self.rules(cluster, role, &mut cited) {
                    for r in rule_excess(rule) {
                        if seen.insert(r.clone()) {
                            found.push(r);
                        }
                    }
                }
            }
            if !found.is_empty() {
                reasons.push(format!("{label}: {}", found.join(", ")));
                evidence.extend(cited);
            }
        }
        (!reasons.is_empty()).then_some((reasons, evidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{kinds, sha256};
    use serde_json::json;

    const AS_OF: &str = "2026-12-01T00:00:00Z";

    fn t(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().unix()
    }

    fn record(seq: u64, subject: &str, body: Value) -> Evidence {
        Evidence::new(
            seq,
            sha256(subject.as_bytes()),
            kinds::K8S_OBJECT,
            "test",
            subject,
            body,
        )
    }

    fn kubeconfig(claims: Value, insecure: bool, ca: bool) -> Value {
        json!({"type": "kubeconfig", "redacted": true, "kubeconfig": {
            "clusters": [{"name": "x", "server": "https://x:6443", "insecure_skip_tls_verify": insecure,
                          "certificate_authority": {"present": ca, "source": if ca { "data" } else { "none" }}}],
            "users": [{"name": "x", "auth": "token", "token": {"type": "token", "sha256": "t1", "jwt": {"header": {}, "claims": claims}}}],
            "contexts": [{"name": "x", "cluster": "x", "user": "x"}],
            "current_context": "x"
        }})
    }

    fn bound(iat: &str, exp: &str) -> Value {
        json!({"iss": "https://kubernetes.default.svc", "iat": t(iat), "exp": t(exp), "nbf": t(iat),
               "sub": "system:serviceaccount:istio-system:istio-reader-service-account"})
    }

    fn remote(seq: u64, holder: &str, target: &str, entry: Value) -> Evidence {
        record(
            seq,
            &format!("{holder}/istio-system/Secret/istio-remote-secret-{target}"),
            json!({"kind": "Secret", "metadata": {"name": format!("istio-remote-secret-{target}"),
                   "creationTimestamp": "2026-05-01T00:00:00Z", "labels": {"istio/multiCluster": "true"}},
                   "data": {target: entry}}),
        )
    }

    fn cluster_role(seq: u64, cluster: &str, name: &str, rules: Value) -> Evidence {
        record(
            seq,
            &format!("{cluster}/_cluster/ClusterRole/{name}"),
            json!({"kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}),
        )
    }

    fn binding(seq: u64, cluster: &str, name: &str, role: &str, subject: Value) -> Evidence {
        record(
            seq,
            &format!("{cluster}/_cluster/ClusterRoleBinding/{name}"),
            json!({"kind": "ClusterRoleBinding", "metadata": {"name": name},
                   "roleRef": {"kind": "ClusterRole", "name": role}, "subjects": [subject]}),
        )
    }

    fn reader_sa() -> Value {
        json!({"kind": "ServiceAccount", "name": "istio-reader-service-account", "namespace": "istio-system"})
    }

    fn reader_rules() -> Value {
        json!([
            {"apiGroups": ["config.istio.io", "networking.istio.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["secrets", "pods"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["multicluster.x-k8s.io"], "resources": ["serviceexports"], "verbs": ["get", "create", "delete"]},
            {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]}
        ])
    }

    fn run(records: Vec<Evidence>) -> Vec<Finding> {
        let set = EvidenceSet::new(1, AS_OF.parse().unwrap(), records);
        let context = Context {
            as_of: AS_OF.parse().unwrap(),
            settings: super::super::Settings::default(),
        };
        Tokens.analyze(&set, &context)
    }

    fn checks(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.check.as_str()).collect()
    }

    #[test]
    fn thresholds_are_strict() {
        // Issued 90 days before as-of, lifetime exactly 365 days: clean.
        let edge = run(vec![remote(
            1,
            "a",
            "b",
            kubeconfig(bound("2026-09-02T00:00:00Z", "2027-09-02T00:00:00Z"), false, true),
        )]);
        assert_eq!(checks(&edge), Vec::<&str>::new(), "{edge:#?}");
        // One second older, one second longer: both fire.
        let mut claims = bound("2026-09-02T00:00:00Z", "2027-09-02T00:00:01Z");
        claims["iat"] = json!(t("2026-09-01T23:59:59Z"));
        let over = run(vec![remote(1, "a", "b", kubeconfig(claims, false, true))]);
        assert_eq!(checks(&over), vec!["TOKEN-001", "TOKEN-002"], "{over:#?}");
        assert!(over[0].message.contains("maximum age 90 days"), "{}", over[0].message);
    }

    #[test]
    fn expired_tokens_are_token_003_only_and_tls_problems_are_token_004() {
        let f = run(vec![remote(
            1,
            "a",
            "b",
            kubeconfig(bound("2026-01-01T00:00:00Z", "2026-11-01T00:00:00Z"), true, false),
        )]);
        assert_eq!(checks(&f), vec!["TOKEN-003", "TOKEN-004"], "{f:#?}");
        assert!(
            f[0].message
                .contains("expired 2026-11-01T00:00:00Z (exp), 30 days before"),
            "{}",
            f[0].message
        );
        assert!(
            f[1].message.contains("insecure-skip-tls-verify") && f[1].message.contains("no CA data"),
            "{}",
            f[1].message
        );
        assert_eq!(f[0].cluster.as_deref(), Some("a"));
        assert_eq!(f[0].subject, "a/istio-system/Secret/istio-remote-secret-b");
    }

    #[test]
    fn legacy_token_age_comes_from_the_token_secret_else_the_remote_secret() {
        let legacy = json!({"iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": "istio-system",
            "kubernetes.io/serviceaccount/secret.name": "reader-token",
            "kubernetes.io/serviceaccount/service-account.name": "istio-reader-service-account"});
        let token_secret = record(
            2,
            "b/istio-system/Secret/reader-token",
            json!({"kind": "Secret", "metadata": {"creationTimestamp": "2026-06-02T09:40:00Z"},
                   "data": {"token": {"type": "token", "sha256": "t1"}}}),
        );
        let f = run(vec![
            remote(1, "a", "b", kubeconfig(legacy.clone(), false, true)),
            token_secret,
        ]);
        assert_eq!(checks(&f), vec!["TOKEN-001", "TOKEN-002"], "{f:#?}");
        assert!(
            f[0].message.contains("2026-06-02T09:40:00Z") && f[0].message.contains("182 days"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].evidence.len(), 2);
        assert!(f[1].message.contains("no `exp`"), "{}", f[1].message);
        // Without the target's token Secret: the remote secret's creation is a lower bound.
        let f = run(vec![remote(1, "a", "b", kubeconfig(legacy, false, true))]);
        assert!(
            f[0].message.contains("creationTimestamp of the remote secret"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn overprivilege_is_judged_on_the_target_cluster_against_the_reader_baseline() {
        let fresh = || kubeconfig(bound("2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z"), false, true);
        let mut records = vec![
            remote(1, "a", "b", fresh()),
            remote(2, "b", "a", fresh()),
            remote(3, "a", "c", fresh()),
            // b: the reader role only, plus basic-user for everyone: clean.
            cluster_role(10, "b", "istio-reader", reader_rules()),
            binding(11, "b", "istio-reader", "istio-reader", reader_sa()),
            cluster_role(
                12,
                "b",
                "system:basic-user",
                json!([{"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews"], "verbs": ["create"]}]),
            ),
            binding(
                13,
                "b",
                "system:basic-user",
                "system:basic-user",
                json!({"kind": "Group", "name": "system:authenticated"}),
            ),
            // a: cluster-admin.
            binding(20, "a", "reader-admin", "cluster-admin", reader_sa()),
            // c: an aggregated role (rules not collected) picking a role that writes secrets.
            record(
                30,
                "c/_cluster/ClusterRole/agg",
                json!({"kind": "ClusterRole", "metadata": {"name": "agg"},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"acme/agg": "true"}}]}}),
            ),
            record(
                31,
                "c/_cluster/ClusterRole/secret-writer",
                json!({"kind": "ClusterRole",
                "metadata": {"name": "secret-writer", "labels": {"acme/agg": "true"}},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "update"]},
                          {"apiGroups": ["apps"], "resources": ["*"], "verbs": ["list"]}]}),
            ),
            binding(
                32,
                "c",
                "agg",
                "agg",
                json!({"kind": "User", "name": "system:serviceaccount:istio-system:istio-reader-service-account"}),
            ),
        ];
        let f = run(records.clone());
        let over: Vec<(&str, &str)> = f
            .iter()
            .filter(|f| f.check == "TOKEN-005")
            .map(|f| (f.cluster.as_deref().unwrap(), f.subject.as_str()))
            .collect();
        assert_eq!(
            over,
            vec![
                ("a", "a/istio-system/Secret/istio-remote-secret-c"),
                ("b", "b/istio-system/Secret/istio-remote-secret-a"),
            ],
            "{f:#?}"
        );
        let on_c = f.iter().find(|f| f.subject.ends_with("secret-c")).unwrap();
        assert!(
            on_c.message.contains("update secrets (write access to Secrets)"),
            "{}",
            on_c.message
        );
        assert!(
            on_c.message.contains("all resources (`*`) in groups [apps]"),
            "{}",
            on_c.message
        );
        assert_eq!(
            on_c.evidence.len(),
            4,
            "binding, aggregated role, picked role, remote secret"
        );
        let on_a = f.iter().find(|f| f.subject.ends_with("secret-a")).unwrap();
        assert!(
            on_a.message
                .contains("ClusterRoleBinding `reader-admin` → ClusterRole `cluster-admin`"),
            "{}",
            on_a.message
        );
        // Uncollected target: not evaluated.
        records.retain(|r| !r.subject.starts_with("c/"));
        assert_eq!(run(records).iter().filter(|f| f.check == "TOKEN-005").count(), 1);
    }
}
