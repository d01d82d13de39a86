//! Registrations and peering: who is in the mesh, and whether credentials point where they should.
//!
//! (Checks declared; detection lands with the findings catalogue.)

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, Severity};

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
    fn analyze(&self, _evidence: &EvidenceSet, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
