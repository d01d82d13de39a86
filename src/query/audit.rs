//! Reading `audit.event` bodies (reduced `audit.k8s.io/v1` events, see
//! [`collect::audit_log`](crate::collect::audit_log)) into [`AuditEvent`].
//!
//! Only field access and small predicates live here; what an event means is up to each query.

use serde::Deserialize;
use serde_json::Value;

use crate::model::lenient::{Number, Obj, Text};
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
        let b: Fields<'a> = record.read().unwrap_or_default();
        let s = |t: Text<'a>| t.get().filter(|v| !v.is_empty());
        let object = &b.object_ref.0;
        let cluster = s(b.cluster)
            .or_else(|| record.subject.split('/').next())
            .unwrap_or_default();
        let time = [b.request_received_timestamp, b.stage_timestamp, b.timestamp]
            .into_iter()
            .find_map(|t| s(t).and_then(|t| t.parse().ok()));
        Some(AuditEvent {
            record,
            cluster,
            verb: s(b.verb).unwrap_or_default(),
            resource: s(object.resource).unwrap_or_default(),
            subresource: s(object.subresource).unwrap_or_default(),
            api_group: s(object.api_group).unwrap_or_default(),
            namespace: s(object.namespace),
            name: s(object.name)
                .or_else(|| s(b.response_object.0.metadata.0.name))
                .or_else(|| s(b.request_object.0.metadata.0.name)),
            user: s(b.user.0.username),
            impersonated: s(b.impersonated_user.0.username),
            code: b.response_status.0.code.get(),
            time,
            user_agent: s(b.user_agent),
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

/// The fields [`AuditEvent::parse`] reads, borrowed from the body ([`Evidence::read`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Fields<'a> {
    #[serde(borrow)]
    cluster: Text<'a>,
    #[serde(borrow)]
    verb: Text<'a>,
    #[serde(borrow)]
    object_ref: Obj<ObjectRef<'a>>,
    #[serde(borrow)]
    response_object: Obj<Object<'a>>,
    #[serde(borrow)]
    request_object: Obj<Object<'a>>,
    #[serde(borrow)]
    user: Obj<User<'a>>,
    #[serde(borrow)]
    impersonated_user: Obj<User<'a>>,
    response_status: Obj<Status>,
    #[serde(borrow)]
    request_received_timestamp: Text<'a>,
    #[serde(borrow)]
    stage_timestamp: Text<'a>,
    #[serde(borrow)]
    timestamp: Text<'a>,
    #[serde(borrow)]
    user_agent: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ObjectRef<'a> {
    #[serde(borrow)]
    resource: Text<'a>,
    #[serde(borrow)]
    subresource: Text<'a>,
    #[serde(borrow)]
    api_group: Text<'a>,
    #[serde(borrow)]
    namespace: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Object<'a> {
    #[serde(borrow)]
    metadata: Obj<Name<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Name<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct User<'a> {
    #[serde(borrow)]
    username: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Status {
    code: Number,
}

/// Every audit event of the set, in sequence order.
pub fn events(set: &EvidenceSet) -> Vec<AuditEvent<'_>> {
    set.of_kind(kinds::AUDIT_EVENT).filter_map(AuditEvent::parse).collect()
}
