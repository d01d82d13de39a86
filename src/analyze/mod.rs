//! Records → findings. One file per question, each a unit struct implementing [`Analyzer`] and
//! declaring its stable check codes; [`ALL`] lists them in output order.
//!
//! Analyzers are pure: they read an [`EvidenceSet`] (one scan, loaded by the store) and a
//! [`Context`] (the `--as-of` time and validated [`Settings`]), and return findings. No I/O, no
//! clock, no network, and no analyzer calls another. Missing evidence is a finding (CHG-003),
//! never an error: auditors need to see the gaps.
//!
//! | analyzer | checks |
//! |---|---|
//! | [`registrations`] | REG-001…005: registration, peering symmetry, orphaned credentials |
//! | [`certificates`] | CERT-001…007: CA expiry, weak crypto, broken chains, roots, rotation |
//! | [`tokens`] | TOKEN-001…005: remote-secret bearer tokens |
//! | [`rbac`] | RBAC-001…004: cluster-admin grants, CA-key readers, drift, wildcards |
//! | [`policies`] | POL-001…005: AuthorizationPolicy drift, permissive rules, mTLS, AccessPolicy |
//! | [`change_trail`] | CHG-001…003: unsigned commits, out-of-band changes, collection gaps |
//!
//! [`waivers`] is not an analyzer: it marks findings that an owned, time-boxed exception covers.

pub mod certificates;
pub mod change_trail;
pub mod cross_cluster;
pub mod peering;
pub mod policies;
pub mod rbac;
pub mod rbac_model;
pub mod registrations;
pub mod tokens;
pub mod waivers;
pub mod x509_chain;

use crate::model::{EvidenceSet, Finding, RecordRef, Severity, Timestamp};
pub use crate::query::mesh::Views;

/// One check an analyzer can report: a stable code, a kebab-case name and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// Stable code, e.g. `CERT-005`. Codes are never reused.
    pub id: &'static str,
    /// Kebab-case name, e.g. `stale-root`.
    pub name: &'static str,
    /// Default severity (a finding may raise it, e.g. expired = critical).
    pub severity: Severity,
    /// One line: what it detects.
    pub summary: &'static str,
    /// Default remediation text.
    pub remediation: &'static str,
}

impl Check {
    /// A finding of this check with its default severity and remediation.
    pub fn finding(
        &self,
        cluster: Option<&str>,
        subject: impl Into<String>,
        message: impl Into<String>,
        evidence: impl IntoIterator<Item = RecordRef>,
    ) -> Finding {
        let mut evidence: Vec<RecordRef> = evidence.into_iter().collect();
        evidence.sort();
        evidence.dedup();
        Finding {
            check: self.id.to_string(),
            name: self.name.to_string(),
            severity: self.severity,
            cluster: cluster.map(str::to_string),
            subject: subject.into(),
            message: message.into(),
            remediation: self.remediation.to_string(),
            evidence,
            waiver: None,
        }
    }
}

/// Thresholds and identities, validated by the CLI before any analyzer runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// CERT-001: an intermediate expiring within this many days is reported.
    pub intermediate_expiry_days: i64,
    /// CERT-001: a root expiring within this many days is reported.
    pub root_expiry_days: i64,
    /// CERT-007: intermediates older than this many days are overdue for rotation.
    pub intermediate_max_age_days: i64,
    /// CERT-007: roots older than this many days are overdue for rotation.
    pub root_max_age_days: i64,
    /// TOKEN-001: tokens issued more than this many days ago.
    pub token_max_age_days: i64,
    /// TOKEN-002: tokens whose lifetime exceeds this many days.
    pub token_max_lifetime_days: i64,
    /// CHG-001 severity (info by default).
    pub unsigned_change_severity: Severity,
    /// Identities whose API writes are applied from git (GitOps controllers).
    pub gitops_identities: Vec<String>,
}

/// Default GitOps controller identities: Argo CD and Flux.
pub const DEFAULT_GITOPS_IDENTITIES: &[&str] = &[
    "system:serviceaccount:argocd:argocd-application-controller",
    "system:serviceaccount:flux-system:kustomize-controller",
    "system:serviceaccount:flux-system:helm-controller",
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            intermediate_expiry_days: 90,
            root_expiry_days: 365,
            intermediate_max_age_days: 3 * 365,
            root_max_age_days: 20 * 365,
            token_max_age_days: 90,
            token_max_lifetime_days: 365,
            unsigned_change_severity: Severity::Info,
            gitops_identities: DEFAULT_GITOPS_IDENTITIES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Per-run input of every analyzer.
#[derive(Debug, Clone)]
pub struct Context {
    /// The evaluation time (`--as-of`), the only "now".
    pub as_of: Timestamp,
    /// Validated settings.
    pub settings: Settings,
}

/// A question asked of one scan's evidence.
pub trait Analyzer: Sync {
    /// Stable kebab-case id (`--only`/`--skip` match on it).
    fn id(&self) -> &'static str;
    /// Every check this analyzer can report.
    fn checks(&self) -> &'static [Check];
    /// The findings for one scan.
    fn analyze(&self, evidence: &EvidenceSet, context: &Context) -> Vec<Finding> {
        self.analyze_in(&Views::new(evidence, context.as_of), context)
    }
    /// The findings for one scan, reading the derived views shared by every analyzer of a run
    /// (built once, at `context.as_of`).
    fn analyze_in(&self, views: &Views<'_>, context: &Context) -> Vec<Finding>;
}

/// Every analyzer, in output order.
pub const ALL: &[&dyn Analyzer] = &[
    &registrations::Registrations,
    &certificates::Certificates,
    &tokens::Tokens,
    &rbac::Rbac,
    &policies::Policies,
    &change_trail::ChangeTrail,
];

/// Every check of every analyzer.
pub fn catalogue() -> impl Iterator<Item = &'static Check> {
    ALL.iter().flat_map(|a| a.checks().iter())
}

/// The check with this id.
pub fn check(id: &str) -> Option<&'static Check> {
    catalogue().find(|c| c.id.eq_ignore_ascii_case(id))
}

/// Runs every analyzer and returns the findings in the one total order (severity, check,
/// cluster, subject, message).
pub fn analyze(evidence: &EvidenceSet, context: &Context) -> Vec<Finding> {
    analyze_in(&Views::new(evidence, context.as_of), context)
}

/// [`analyze`] on views of the scan that the caller shares with other queries (built at
/// `context.as_of`).
///
/// The analyzers run side by side on threads (they only read the views, whose lazily built parts
/// are built once by whichever analyzer asks first); the result does not depend on their timing.
pub fn analyze_in(views: &Views<'_>, context: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = std::thread::scope(|scope| {
        let workers: Vec<_> = ALL
            .iter()
            .map(|analyzer| {
                scope.spawn(move || {
                    let _span = tracing::info_span!("analyze", analyzer = analyzer.id()).entered();
                    analyzer.analyze_in(views, context)
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    if tracing::enabled!(tracing::Level::DEBUG) {
        for (kind, (count, text)) in views.set().parsed_bodies() {
            tracing::debug!(kind, count, text, "bodies kept parsed after the analyses");
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        for c in catalogue() {
            assert!(ids.insert(c.id), "duplicate code {}", c.id);
            assert!(names.insert(c.name), "duplicate name {}", c.name);
            let (prefix, number) = c.id.split_once('-').unwrap_or_default();
            assert!(
                ["REG", "CERT", "TOKEN", "RBAC", "POL", "CHG"].contains(&prefix),
                "{}",
                c.id
            );
            assert!(
                number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                c.id
            );
            assert!(
                c.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.name
            );
            assert!(!c.summary.is_empty() && !c.remediation.is_empty(), "{}", c.id);
        }
        let analyzers: BTreeSet<&str> = ALL.iter().map(|a| a.id()).collect();
        assert_eq!(analyzers.len(), ALL.len());
    }

    #[test]
    fn every_check_has_a_section_in_docs_checks_md() {
        let doc = include_str!("../../docs/checks.md");
        for c in catalogue() {
            assert!(
                doc.contains(&format!("## {} {}", c.id, c.name)),
                "docs/checks.md lacks `## {} {}`",
                c.id,
                c.name
            );
        }
    }
}
