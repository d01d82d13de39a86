//! RBAC: broad grants, who can read CA keys, drift between clusters.
//!
//! (Checks declared; detection lands with the findings catalogue.)

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, Severity};

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
    fn analyze(&self, _evidence: &EvidenceSet, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
