//! Change trail: signed commits, out-of-band changes, collection gaps.
//!
//! (CHG-003 is implemented; CHG-001 and CHG-002 land with the findings catalogue.)

use serde_json::Value;

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, Severity, kinds};

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
    fn analyze(&self, evidence: &EvidenceSet, _context: &Context) -> Vec<Finding> {
        collection_gaps(evidence)
    }
}

/// CHG-003: one finding per `collection.gap` record of the scan.
fn collection_gaps(evidence: &EvidenceSet) -> Vec<Finding> {
    evidence
        .of_kind(kinds::COLLECTION_GAP)
        .map(|gap| {
            let field = |k: &str| gap.body.get(k).and_then(Value::as_str);
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
