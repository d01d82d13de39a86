//! Reading `audit.event` bodies (reduced `audit.k8s.io/v1` events, see
//! [`collect::audit_log`](crate::collect::audit_log)) into [`AuditEvent`].
//!
//! Only field access and small predicates live here; what an event means is up to each query.

use serde_json::Value;

use crate::model::{Evidence, EvidenceSet, Timestamp, kinds};

/// The fields of one audit event that queries use, borrowed from its record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent<'a> {
    /// The record.
    pub record: &'a Evidence,
    /// Cluster whose API server logged it.
    pub cluster: &'a str,
    /// `create`, `update`, `patch`, `delete`, `impersonate`, …
    pub verb: &'a str,
    /// Plural resource (`kubernetesclusters`, `secrets`, …); empty when absent.
    pub resource: &'a str,
    /// Subresource (`status`, `token`); empty when absent.
    pub subresource: &'a str,
    /// API group; empty for core.
    pub api_group: &'a str,
    /// Namespace of the object.
    pub namespace: Option<&'a str>,
    /// Name of the object (from `objectRef`, else the request or response object).
    pub name: Option<&'a str>,
    /// Authenticated user.
    pub user: Option<&'a str>,
    /// Impersonated user, when the request impersonated one.
    pub impersonated: Option<&'a str>,
    /// HTTP status code of the response.
    pub code: Option<u64>,
    /// When the request was received (else the stage time).
    pub time: Option<Timestamp>,
    /// Client user agent.
    pub user_agent: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// Reads an `audit.event` record; `None` for other kinds.
    pub fn parse(record: &'a Evidence) -> Option<AuditEvent<'a>> {
        if record.kind != kinds::AUDIT_EVENT {
            return None;
        }
        let b = record.body();
        let s = |p: &str| b.pointer(p).and_then(Value::as_str).filter(|v| !v.is_empty());
        let cluster = s("/cluster")
            .or_else(|| record.subject.split('/').next())
            .unwrap_or_default();
        let time = ["/requestReceivedTimestamp", "/stageTimestamp", "/timestamp"]
            .iter()
            .find_map(|p| s(p).and_then(|t| t.parse().ok()));
        Some(AuditEvent {
            record,
            cluster,
            verb: s("/verb").unwrap_or_default(),
            resource: s("/objectRef/resource").unwrap_or_default(),
            subresource: s("/objectRef/subresource").unwrap_or_default(),
            api_group: s("/objectRef/apiGroup").unwrap_or_default(),
            namespace: s("/objectRef/namespace"),
            name: s("/objectRef/name")
                .or_else(|| s("/responseObject/metadata/name"))
                .or_else(|| s("/requestObject/metadata/name")),
            user: s("/user/username"),
            impersonated: s("/impersonatedUser/username"),
            code: b.pointer("/responseStatus/code").and_then(Value::as_u64),
            time,
            user_agent: s("/userAgent"),
        })
    }

    /// The identity the request acted as: the impersonated user wins over the authenticated one.
    pub fn actor(&self) -> Option<&'a str> {
        self.impersonated.or(self.user)
    }

    /// 2xx response.
    pub fn is_success(&self) -> bool {
        self.code.is_some_and(|c| (200..300).contains(&c))
    }

    /// 4xx response: the API server refused the request.
    pub fn is_refused(&self) -> bool {
        self.code.is_some_and(|c| (400..500).contains(&c))
    }

    /// Whether it is about the object `resource` `namespace/name` (no subresource).
    pub fn is_about(&self, resource: &str, namespace: Option<&str>, name: &str) -> bool {
        self.resource == resource
            && self.subresource.is_empty()
            && self.name == Some(name)
            && self.namespace == namespace
    }

    /// A label of the request or response object.
    pub fn object_label(&self, label: &str) -> Option<&'a str> {
        ["/requestObject/metadata/labels", "/responseObject/metadata/labels"]
            .iter()
            .find_map(|p| {
                self.record
                    .body()
                    .pointer(p)
                    .and_then(|l| l.get(label))
                    .and_then(Value::as_str)
            })
    }
}

/// Every audit event of the set, in sequence order.
pub fn events(set: &EvidenceSet) -> Vec<AuditEvent<'_>> {
    set.of_kind(kinds::AUDIT_EVENT).filter_map(AuditEvent::parse).collect()
}
