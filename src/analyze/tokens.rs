//! Remote-secret bearer tokens (from the redacted kubeconfig facts).
//!
//! (Checks declared; detection lands with the findings catalogue.)

use super::{Analyzer, Check, Context};
use crate::model::{EvidenceSet, Finding, Severity};

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
    fn analyze(&self, _evidence: &EvidenceSet, _context: &Context) -> Vec<Finding> {
        Vec::new()
    }
}
