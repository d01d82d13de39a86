//! The RBAC model the RBAC checks share: bindings, subjects and rules read from `k8s.object`
//! bodies, and the rule that tells a platform default from a custom grant.
//!
//! **Default grants** (never reported):
//! - a binding labelled `kubernetes.io/bootstrapping: rbac-defaults`, for each subject that is a
//!   system identity (a User or Group named `system:…`, or a ServiceAccount in `kube-system`).
//!   The label alone is not trusted: anyone can set it, and a labelled binding to a person (the
//!   Falco "attach cluster-admin" event) is a custom grant;
//! - a Helm-managed binding (label `app.kubernetes.io/managed-by: Helm`) for each subject that is
//!   one of the mesh's own control-plane service accounts (istiod, ztunnel, istio-cni, the
//!   istio-reader account, the Gloo agent and management server) or a system identity.
//!
//! Every other (binding, subject) pair is a **custom grant**. A role is **default** when it carries
//! the `rbac-defaults` label or is Helm-managed; otherwise it is custom.
//!
//! This module does not decide what is a finding; it answers questions about one object.
//! Main types: [`Binding`], [`Subject`], [`Rule`].

use serde_json::Value;

use crate::model::{Evidence, EvidenceSet};

/// Label of the API server's bootstrap RBAC objects.
pub const DEFAULTS_LABEL: &str = "kubernetes.io/bootstrapping";
/// Namespaces of the mesh control plane and the management plane.
pub const CONTROL_PLANE_NAMESPACES: &[&str] = &["istio-system", "gloo-mesh", "kube-system"];
/// Secrets whose read access is read access to the mesh CA or the relay PKI.
pub const TRUST_SECRETS: &[&str] = &[
    "cacerts",
    "istio-ca-secret",
    "relay-root-tls-secret",
    "relay-server-tls-secret",
    "relay-tls-signing-secret",
    "relay-identity-token-secret",
    "relay-client-tls-secret",
];
/// Namespaces holding those secrets: a RoleBinding here that reads Secrets reads them.
pub const TRUST_SECRET_NAMESPACES: &[&str] = &["istio-system", "gloo-mesh"];

/// Whether an object carries a label with this value.
fn has_label(record: &Evidence, label: &str, value: &str) -> bool {
    record
        .body()
        .pointer("/metadata/labels")
        .and_then(|l| l.get(label))
        .and_then(Value::as_str)
        == Some(value)
}

/// Labelled as an API-server bootstrap object.
pub fn has_defaults_label(record: &Evidence) -> bool {
    has_label(record, DEFAULTS_LABEL, "rbac-defaults")
}

/// Installed by Helm (label `app.kubernetes.io/managed-by: Helm`).
pub fn is_helm_managed(record: &Evidence) -> bool {
    has_label(record, "app.kubernetes.io/managed-by", "Helm")
}

/// A role is a default (bootstrap or Helm-installed) rather than custom.
pub fn is_default_role(record: &Evidence) -> bool {
    has_defaults_label(record) || is_helm_managed(record)
}

/// One subject of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject<'a> {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'a str,
    /// Namespace of a ServiceAccount.
    pub namespace: Option<&'a str>,
    /// Name.
    pub name: &'a str,
}

impl Subject<'_> {
    /// `User alice`, `ServiceAccount istio-system/istiod`.
    pub fn display(&self) -> String {
        match self.namespace {
            Some(ns) if self.kind == "ServiceAccount" => format!("{} {ns}/{}", self.kind, self.name),
            _ => format!("{} {}", self.kind, self.name),
        }
    }

    /// A Kubernetes system identity: `system:` users and groups, kube-system service accounts.
    pub fn is_system_identity(&self) -> bool {
        if self.kind == "ServiceAccount" {
            return self.namespace == Some("kube-system");
        }
        self.name.starts_with("system:")
    }

    /// One of the mesh's own control-plane service accounts.
    pub fn is_control_plane(&self) -> bool {
        if self.kind != "ServiceAccount" || !self.namespace.is_some_and(|ns| CONTROL_PLANE_NAMESPACES.contains(&ns)) {
            return false;
        }
        let n = self.name;
        matches!(
            n,
            "istiod"
                | "ztunnel"
                | "istio-cni"
                | "istio-cni-plugin"
                | "istio-reader-service-account"
                | "gloo-mesh-agent"
                | "gloo-mesh-mgmt-server"
        ) || n.starts_with("istiod-")
            || n.starts_with("istio-reader-")
    }
}

/// One rule of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule<'a> {
    /// API groups (`""` = core).
    pub api_groups: Vec<&'a str>,
    /// Resources.
    pub resources: Vec<&'a str>,
    /// Verbs.
    pub verbs: Vec<&'a str>,
    /// Names the rule is limited to; empty = all.
    pub resource_names: Vec<&'a str>,
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

impl Rule<'_> {
    /// Grants every verb on every resource (of its groups).
    pub fn is_wildcard_admin(&self) -> bool {
        self.verbs.contains(&"*") && self.resources.contains(&"*")
    }

    /// Uses `*` as a verb or as a resource.
    pub fn has_wildcard(&self) -> bool {
        self.verbs.contains(&"*") || self.resources.contains(&"*")
    }

    /// Grants get, list or watch on core Secrets, limited to `names` when the rule names objects.
    pub fn reads_secrets(&self, names: &[&str]) -> bool {
        let core = self.api_groups.iter().any(|g| g.is_empty() || *g == "*");
        let secrets = self.resources.iter().any(|r| *r == "secrets" || *r == "*");
        let read = self.verbs.iter().any(|v| matches!(*v, "get" | "list" | "watch" | "*"));
        let named = self.resource_names.is_empty() || self.resource_names.iter().any(|n| names.contains(n));
        core && secrets && read && named
    }

    /// `verbs [..] on resources [..] (groups [..])`.
    pub fn display(&self) -> String {
        let groups: Vec<String> = self
            .api_groups
            .iter()
            .map(|g| {
                if g.is_empty() {
                    "\"\"".to_string()
                } else {
                    g.to_string()
                }
            })
            .collect();
        let mut s = format!(
            "verbs [{}] on resources [{}] in apiGroups [{}]",
            self.verbs.join(", "),
            self.resources.join(", "),
            groups.join(", ")
        );
        if !self.resource_names.is_empty() {
            s.push_str(&format!(" (resourceNames [{}])", self.resource_names.join(", ")));
        }
        s
    }
}

/// The rules of a Role or ClusterRole body.
pub fn rules(role: &Evidence) -> Vec<Rule<'_>> {
    role.body()
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| Rule {
            api_groups: strings(r.get("apiGroups")),
            resources: strings(r.get("resources")),
            verbs: strings(r.get("verbs")),
            resource_names: strings(r.get("resourceNames")),
        })
        .collect()
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub struct Binding<'a> {
    /// Its record.
    pub record: &'a Evidence,
    /// Cluster.
    pub cluster: &'a str,
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'a str,
    /// Namespace of a RoleBinding.
    pub namespace: Option<&'a str>,
    /// Name.
    pub name: &'a str,
    /// `roleRef.kind`.
    pub role_kind: &'a str,
    /// `roleRef.name`.
    pub role_name: &'a str,
    /// Subjects, in object order.
    pub subjects: Vec<Subject<'a>>,
}

impl<'a> Binding<'a> {
    /// Reads a binding record; `None` for other kinds or without a `roleRef`.
    pub fn parse(record: &'a Evidence) -> Option<Binding<'a>> {
        let key = record.object_key()?;
        if key.kind != "RoleBinding" && key.kind != "ClusterRoleBinding" {
            return None;
        }
        let role_kind = record.str_at("/roleRef/kind")?;
        let role_name = record.str_at("/roleRef/name")?;
        let subjects = record
            .body()
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let f = |k: &str| s.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
                Some(Subject {
                    kind: f("kind")?,
                    namespace: f("namespace"),
                    name: f("name")?,
                })
            })
            .collect();
        Some(Binding {
            record,
            cluster: key.cluster,
            kind: key.kind,
            namespace: key.namespace,
            name: key.name,
            role_kind,
            role_name,
            subjects,
        })
    }

    /// Every binding of the set (both kinds), in sequence order.
    pub fn all(evidence: &'a EvidenceSet) -> Vec<Binding<'a>> {
        evidence
            .objects_of_kind("ClusterRoleBinding")
            .chain(evidence.objects_of_kind("RoleBinding"))
            .filter_map(Binding::parse)
            .collect()
    }

    /// Whether this binding's grant to `subject` is a platform default (see the module docs).
    pub fn is_default_grant(&self, subject: &Subject<'_>) -> bool {
        (has_defaults_label(self.record) && subject.is_system_identity())
            || (is_helm_managed(self.record) && (subject.is_control_plane() || subject.is_system_identity()))
    }

    /// Subjects whose grant is custom.
    pub fn custom_subjects(&self) -> Vec<Subject<'a>> {
        self.subjects
            .iter()
            .filter(|s| !self.is_default_grant(s))
            .copied()
            .collect()
    }

    /// A custom binding: neither labelled default nor Helm-managed, or granting something to a
    /// subject that is not a default grant.
    pub fn is_custom(&self) -> bool {
        let labelled = has_defaults_label(self.record) || is_helm_managed(self.record);
        !labelled || !self.custom_subjects().is_empty()
    }

    /// The role it references (a RoleBinding's Role is in its namespace).
    pub fn role(&self, evidence: &'a EvidenceSet) -> Option<&'a Evidence> {
        match self.role_kind {
            "ClusterRole" => evidence.object(self.cluster, None, "ClusterRole", self.role_name),
            "Role" => evidence.object(self.cluster, self.namespace, "Role", self.role_name),
            _ => None,
        }
    }

    /// `ClusterRoleBinding name` or `RoleBinding ns/name`.
    pub fn display(&self) -> String {
        match self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// `ClusterRole name` / `Role ns/name` of the role it references.
    pub fn role_display(&self) -> String {
        match (self.role_kind, self.namespace) {
            ("Role", Some(ns)) => format!("Role {ns}/{}", self.role_name),
            _ => format!("{} {}", self.role_kind, self.role_name),
        }
    }
}

/// Whether a role is full admin: the `cluster-admin` ClusterRole, or any rule with `*` verbs on
/// `*` resources.
pub fn is_admin_role(role_kind: &str, role_name: &str, role: Option<&Evidence>) -> bool {
    (role_kind == "ClusterRole" && role_name == "cluster-admin")
        || role.is_some_and(|r| rules(r).iter().any(Rule::is_wildcard_admin))
}
