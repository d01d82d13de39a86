//! Istio security policies: drift, permissive rules, mTLS, management-plane translation.
//!
//! (Checks declared; detection lands with the findings catalogue.)

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, Severity};

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
    fn analyze(&self, _evidence: &EvidenceSet, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
