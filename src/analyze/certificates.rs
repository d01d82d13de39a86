//! The mesh CA material: expiry, key strength, chains, shared roots, rotation.
//!
//! (Checks declared; detection lands with the findings catalogue.)

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, Severity};

/// CERT-001 ca-expiring: A root or intermediate CA certificate has expired or expires within the window.
pub const CA_EXPIRING: Check = Check {
    id: "CERT-001",
    name: "ca-expiring",
    severity: Severity::High,
    summary: "A root or intermediate CA certificate has expired or expires within the window.",
    remediation: "Issue a new intermediate (or start a root rotation) and roll it out before the expiry date.",
};

/// CERT-002 ca-weak-crypto: A CA key below policy (RSA < 2048, EC < 256 bits) or a SHA-1/MD5 signature.
pub const CA_WEAK_CRYPTO: Check = Check {
    id: "CERT-002",
    name: "ca-weak-crypto",
    severity: Severity::High,
    summary: "A CA key below policy (RSA < 2048, EC < 256 bits) or a SHA-1/MD5 signature.",
    remediation: "Re-issue the CA with RSA ≥ 3072 or EC P-256/P-384 and SHA-256 or better.",
};

/// CERT-003 chain-broken: An intermediate is not signed by any root in the cluster bundle, the chain file is inconsistent, the key does not match, pieces are missing, or a CA lacks basicConstraints CA:TRUE.
pub const CHAIN_BROKEN: Check = Check {
    id: "CERT-003",
    name: "chain-broken",
    severity: Severity::Critical,
    summary: "An intermediate is not signed by any root in the cluster bundle, the chain file is inconsistent, the key does not match, pieces are missing, or a CA lacks basicConstraints CA:TRUE.",
    remediation: "Rebuild the cacerts Secret from a consistent set: intermediate, its key, the chain to the root, and the root bundle.",
};

/// CERT-004 root-not-shared: A cluster's intermediate chains to a root that a peer's trust bundle does not contain: mTLS between them fails.
pub const ROOT_NOT_SHARED: Check = Check {
    id: "CERT-004",
    name: "root-not-shared",
    severity: Severity::High,
    summary: "A cluster's intermediate chains to a root that a peer's trust bundle does not contain: mTLS between them fails.",
    remediation: "Add the root to every peer's root-cert.pem (trust-bundle exchange) before relying on cross-cluster traffic.",
};

/// CERT-005 stale-root: A root still in trust bundles that no intermediate in the mesh chains to any more.
pub const STALE_ROOT: Check = Check {
    id: "CERT-005",
    name: "stale-root",
    severity: Severity::Medium,
    summary: "A root still in trust bundles that no intermediate in the mesh chains to any more.",
    remediation: "Finish the rotation: remove the retired root from every bundle once no workload uses it.",
};

/// CERT-006 shared-intermediate: The same intermediate key is installed on more than one cluster: no per-cluster blast radius.
pub const SHARED_INTERMEDIATE: Check = Check {
    id: "CERT-006",
    name: "shared-intermediate",
    severity: Severity::Medium,
    summary: "The same intermediate key is installed on more than one cluster: no per-cluster blast radius.",
    remediation: "Issue one intermediate per cluster.",
};

/// CERT-007 rotation-overdue: An intermediate or root is older than its policy maximum age.
pub const ROTATION_OVERDUE: Check = Check {
    id: "CERT-007",
    name: "rotation-overdue",
    severity: Severity::Medium,
    summary: "An intermediate or root is older than its policy maximum age.",
    remediation: "Rotate the CA material on the schedule your policy sets.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[
    CA_EXPIRING,
    CA_WEAK_CRYPTO,
    CHAIN_BROKEN,
    ROOT_NOT_SHARED,
    STALE_ROOT,
    SHARED_INTERMEDIATE,
    ROTATION_OVERDUE,
];

/// The certificates analyzer.
#[derive(Debug, Clone, Copy)]
pub struct Certificates;

impl Analyzer for Certificates {
    fn id(&self) -> &'static str {
        "certificates"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze(&self, _evidence: &EvidenceSet, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
