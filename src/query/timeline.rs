//! Every trust-relevant event of one scan's evidence, in time order.
//!
//! Three sources are merged:
//! - **audit**: each kept `audit.event` (registrations and deregistrations, refused attempts,
//!   Secret writes in the mesh namespaces including remote secrets, RBAC grants, policy and
//!   gateway changes, token requests, impersonation);
//! - **git**: each `git.commit`, one event per object a changed manifest declares (per file when
//!   the objects or the cluster are unknown), attributed to the author;
//! - **object**: the `creationTimestamp` of kept objects that no audit event covers.
//!
//! Subjects use the object form `cluster/namespace/Kind/name` wherever the object is known, so
//! "who changed `payments/billing-allow-payments` on us-east-1" is a subject-prefix filter, the same
//! as "who registered us-east-1". Events are ordered by time, then cluster, subject, action,
//! source and record sequence, so ties are deterministic. Pure: no I/O, no clock.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::audit::{self, AuditEvent};
use super::git::{self, Commit, ManifestObject};
use crate::collect::selection::{self, KEPT};
use crate::model::{EvidenceSet, ObjectKey, RecordRef, Timestamp, kinds};

/// Which events to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only events about this cluster (the event's cluster, or its subject's).
    pub cluster: Option<String>,
    /// Only subjects starting with this.
    pub subject_prefix: Option<String>,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events at or before this time.
    pub until: Option<Timestamp>,
}

impl Filter {
    fn matches(&self, e: &TimelineEvent) -> bool {
        self.cluster
            .as_ref()
            .is_none_or(|c| e.cluster.as_ref() == Some(c) || e.subject.split('/').next() == Some(c.as_str()))
            && self
                .subject_prefix
                .as_ref()
                .is_none_or(|p| e.subject.starts_with(p.as_str()))
            && self.since.is_none_or(|s| e.time >= s)
            && self.until.is_none_or(|u| e.time <= u)
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// A `KubernetesCluster` was created.
    ClusterRegistered,
    /// A `KubernetesCluster` was deleted.
    ClusterDeregistered,
    /// A `KubernetesCluster` create was refused.
    RegistrationRefused,
    /// A `KubernetesCluster` was updated or patched (including its status).
    ClusterChanged,
    /// A remote secret (credential to another cluster) was created.
    RemoteSecretCreated,
    /// A Secret in a mesh namespace was written or deleted.
    SecretChanged,
    /// A role binding was created or changed: someone was granted a role.
    RbacGranted,
    /// A role was written, or a binding deleted.
    RbacChanged,
    /// A security or management-plane policy was written or deleted.
    PolicyChanged,
    /// A Gateway (east-west or peer) was written or deleted.
    GatewayChanged,
    /// The mesh config map was written.
    MeshConfigChanged,
    /// A service-account token was requested.
    TokenRequested,
    /// A user impersonated another identity.
    Impersonation,
    /// Any other kept write.
    ObjectChanged,
    /// A git commit added, changed or removed a manifest.
    ManifestCommitted,
    /// An object exists since its `creationTimestamp` (no audit event covers it).
    ObjectCreated,
}

impl Action {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ClusterRegistered => "cluster-registered",
            Action::ClusterDeregistered => "cluster-deregistered",
            Action::RegistrationRefused => "registration-refused",
            Action::ClusterChanged => "cluster-changed",
            Action::RemoteSecretCreated => "remote-secret-created",
            Action::SecretChanged => "secret-changed",
            Action::RbacGranted => "rbac-granted",
            Action::RbacChanged => "rbac-changed",
            Action::PolicyChanged => "policy-changed",
            Action::GatewayChanged => "gateway-changed",
            Action::MeshConfigChanged => "mesh-config-changed",
            Action::TokenRequested => "token-requested",
            Action::Impersonation => "impersonation",
            Action::ObjectChanged => "object-changed",
            Action::ManifestCommitted => "manifest-committed",
            Action::ObjectCreated => "object-created",
        }
    }
}

/// Where an event was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// An API-server audit event.
    Audit,
    /// A git commit.
    Git,
    /// An object's own timestamps.
    Object,
}

impl Source {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Audit => "audit",
            Source::Git => "git",
            Source::Object => "object",
        }
    }
}

/// Whether it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It happened (2xx, a commit, an existing object).
    Success,
    /// The API server refused it (4xx).
    Refused,
    /// No status, or a server error.
    Unknown,
}

impl Outcome {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Refused => "refused",
            Outcome::Unknown => "unknown",
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    /// When.
    pub time: Timestamp,
    /// The cluster it is about (the registered cluster for registrations), if known.
    pub cluster: Option<String>,
    /// What happened.
    pub action: Action,
    /// What it happened to: `cluster/namespace/Kind/name`, or `git/<repo>/<path>`.
    pub subject: String,
    /// Who did it, if known.
    pub actor: Option<String>,
    /// Where it was read.
    pub source: Source,
    /// Whether it took effect.
    pub outcome: Outcome,
    /// A one-line description.
    pub detail: String,
    /// The records it came from.
    pub evidence: Vec<RecordRef>,
}

/// Every trust-relevant event passing `filter`, in time order.
pub fn timeline(set: &EvidenceSet, filter: &Filter) -> Vec<TimelineEvent> {
    let mut out = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for e in audit::events(set) {
        if let Some(ev) = audit_event(&e) {
            if e.verb == "create" && !e.is_refused() {
                covered.insert(ev.subject.clone());
            }
            out.push(ev);
        }
    }
    for c in git::commits(set) {
        commit_events(&c, &mut out);
    }
    for record in set.of_kind(kinds::K8S_OBJECT) {
        let Some(key) = record.object_key() else {
            continue;
        };
        // Read without parsing whole bodies: this pass touches every object of the scan.
        let Some(time) = record
            .peek_str("/metadata/creationTimestamp")
            .and_then(|t| t.parse::<Timestamp>().ok())
        else {
            continue;
        };
        if covered.contains(&record.subject) {
            continue;
        }
        let (action, cluster) = object_action(&key, record.peek_str("/metadata/name").as_deref(), record);
        out.push(TimelineEvent {
            time,
            cluster: Some(cluster),
            action,
            subject: record.subject.clone(),
            actor: None,
            source: Source::Object,
            outcome: Outcome::Success,
            detail: format!(
                "{} {} exists since its creationTimestamp (no audit event covers its creation)",
                key.kind,
                match key.namespace {
                    Some(ns) => format!("{ns}/{}", key.name),
                    None => key.name.to_string(),
                }
            ),
            evidence: vec![record.reference()],
        });
    }
    out.retain(|e| filter.matches(e));
    out.sort_by(|a, b| {
        (
            a.time,
            &a.cluster,
            &a.subject,
            a.action,
            a.source,
            a.evidence.first().map(|r| r.seq),
        )
            .cmp(&(
                b.time,
                &b.cluster,
                &b.subject,
                b.action,
                b.source,
                b.evidence.first().map(|r| r.seq),
            ))
    });
    out
}

fn object_action(key: &ObjectKey<'_>, name: Option<&str>, record: &crate::model::Evidence) -> (Action, String) {
    let name = name.unwrap_or(key.name);
    match key.kind {
        "KubernetesCluster" => (Action::ClusterRegistered, name.to_string()),
        "Secret"
            if name.starts_with("istio-remote-secret-")
                || record.peek_str("/metadata/labels/istio~1multiCluster").as_deref() == Some("true") =>
        {
            (Action::RemoteSecretCreated, key.cluster.to_string())
        }
        "RoleBinding" | "ClusterRoleBinding" => (Action::RbacGranted, key.cluster.to_string()),
        _ => (Action::ObjectCreated, key.cluster.to_string()),
    }
}

/// The subject kind of an audit `objectRef` resource (`kubernetesclusters` → `KubernetesCluster`).
fn resource_kind(group: &str, resource: &str) -> Option<String> {
    KEPT.iter()
        .find(|k| k.plural == resource && k.group == group)
        .or_else(|| KEPT.iter().find(|k| k.plural == resource))
        .map(|k| selection::subject_kind(k.group, k.kind))
}

fn audit_action(e: &AuditEvent<'_>) -> Action {
    let write = matches!(e.verb, "create" | "update" | "patch");
    match (e.verb, e.resource, e.subresource) {
        ("impersonate", _, _) => Action::Impersonation,
        ("create", "kubernetesclusters", "") if e.is_refused() => Action::RegistrationRefused,
        ("create", "kubernetesclusters", "") => Action::ClusterRegistered,
        ("delete" | "deletecollection", "kubernetesclusters", "") => Action::ClusterDeregistered,
        (_, "kubernetesclusters", _) => Action::ClusterChanged,
        ("create", "secrets", _)
            if e.name.is_some_and(|n| n.starts_with("istio-remote-secret-"))
                || e.object_label("istio/multiCluster") == Some("true") =>
        {
            Action::RemoteSecretCreated
        }
        (_, "secrets", _) => Action::SecretChanged,
        (_, "clusterrolebindings" | "rolebindings", _) if write => Action::RbacGranted,
        (_, "clusterrolebindings" | "rolebindings" | "clusterroles" | "roles", _) => Action::RbacChanged,
        (_, "serviceaccounts", "token") => Action::TokenRequested,
        (
            _,
            "authorizationpolicies"
            | "peerauthentications"
            | "accesspolicies"
            | "roottrustpolicies"
            | "workspaces"
            | "workspacesettings"
            | "segments",
            _,
        ) => Action::PolicyChanged,
        (_, "gateways", _) => Action::GatewayChanged,
        (_, "configmaps", _) => Action::MeshConfigChanged,
        _ => Action::ObjectChanged,
    }
}

fn audit_event(e: &AuditEvent<'_>) -> Option<TimelineEvent> {
    let time = e.time?;
    let action = audit_action(e);
    let kind = resource_kind(e.api_group, e.resource).unwrap_or_else(|| e.resource.to_string());
    let subject = match e.name {
        Some(name) if !kind.is_empty() => format!("{}/{}/{kind}/{name}", e.cluster, e.namespace.unwrap_or("_cluster")),
        _ => e.record.subject.clone(),
    };
    let cluster = match (action, e.name) {
        (
            Action::ClusterRegistered
            | Action::ClusterDeregistered
            | Action::RegistrationRefused
            | Action::ClusterChanged,
            Some(name),
        ) => name.to_string(),
        _ => e.cluster.to_string(),
    };
    let outcome = if e.is_success() {
        Outcome::Success
    } else if e.is_refused() {
        Outcome::Refused
    } else {
        Outcome::Unknown
    };
    let mut detail = format!(
        "{} {}{}",
        e.verb,
        e.resource,
        if e.subresource.is_empty() {
            String::new()
        } else {
            format!("/{}", e.subresource)
        }
    );
    if let Some(name) = e.name {
        match e.namespace {
            Some(ns) => detail.push_str(&format!(" {ns}/{name}")),
            None => detail.push_str(&format!(" {name}")),
        }
    }
    detail.push_str(&format!(" on {}", e.cluster));
    if let Some(code) = e.code {
        detail.push_str(&format!(": {code}"));
    }
    if e.is_refused() {
        let b = e.record.body();
        let reason = b
            .pointer("/annotations/authorization.k8s.io~1reason")
            .or_else(|| b.pointer("/responseStatus/message"))
            .or_else(|| b.pointer("/responseStatus/reason"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        if let Some(reason) = reason {
            detail.push_str(&format!(" ({reason})"));
        }
    }
    if let (Some(imp), Some(user)) = (e.impersonated, e.user) {
        detail.push_str(&format!(", {user} impersonating {imp}"));
    }
    if let Some(agent) = e.user_agent {
        detail.push_str(&format!(", via {agent}"));
    }
    let actor = if action == Action::Impersonation {
        e.user
    } else {
        e.actor()
    };
    Some(TimelineEvent {
        time,
        cluster: (!cluster.is_empty()).then_some(cluster),
        action,
        subject,
        actor: actor.map(str::to_string),
        source: Source::Audit,
        outcome,
        detail,
        evidence: vec![e.record.reference()],
    })
}

fn commit_events(c: &Commit<'_>, out: &mut Vec<TimelineEvent>) {
    let Some(time) = c.time() else {
        return;
    };
    let short: String = c.sha.chars().take(12).collect();
    let mut who = c.author.display().unwrap_or_else(|| "unknown author".into());
    if !c.committer.same_identity(&c.author)
        && let Some(committer) = c.committer.display()
    {
        who.push_str(&format!(", committed by {committer}"));
    }
    let signed = if c.signed { "signed" } else { "unsigned" };
    for f in &c.files {
        let path = match f.old_path {
            Some(old) if old != f.path => format!("{old} -> {}", f.path),
            _ => f.path.to_string(),
        };
        let detail = format!(
            "{} {path} in {}@{short} \"{}\" by {who} ({signed})",
            f.change,
            c.repo,
            c.summary.unwrap_or_default()
        );
        let objects: Vec<&ManifestObject<'_>> = if f.change == "deleted" {
            f.objects_before.iter().collect()
        } else {
            let mut objs: Vec<&ManifestObject<'_>> = f.objects_after.iter().collect();
            for before in &f.objects_before {
                if !objs.iter().any(|o| o == &before) {
                    objs.push(before);
                }
            }
            objs
        };
        let subjects: BTreeSet<String> = match f.cluster {
            Some(cluster) if !objects.is_empty() => objects
                .iter()
                .map(|o| {
                    let group = o.api_version.map(selection::group_of).unwrap_or_default();
                    format!(
                        "{cluster}/{}/{}/{}",
                        o.namespace.unwrap_or("_cluster"),
                        selection::subject_kind(group, o.kind),
                        o.name
                    )
                })
                .collect(),
            _ => BTreeSet::from([format!("git/{}/{}", c.repo, f.path)]),
        };
        for subject in subjects {
            out.push(TimelineEvent {
                time,
                cluster: f.cluster.map(str::to_string),
                action: Action::ManifestCommitted,
                subject,
                actor: c.author.display(),
                source: Source::Git,
                outcome: Outcome::Success,
                detail: detail.clone(),
                evidence: vec![c.record.reference()],
            });
        }
    }
}
