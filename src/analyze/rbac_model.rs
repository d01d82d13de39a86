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

use serde::Deserialize;

use crate::model::lenient::{Labels, List, Obj, Text};
use crate::model::{Evidence, EvidenceSet};

/// Label of the API server's bootstrap RBAC objects.
pub const DEFAULTS_LABEL: &str = "kubernetes.io/bootstrapping";
/// Its value on them.
const DEFAULTS_VALUE: &str = "rbac-defaults";
/// Label of Helm-installed objects, and its value.
const HELM_LABEL: &str = "app.kubernetes.io/managed-by";
const HELM_VALUE: &str = "Helm";
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

/// The fields of an RBAC object (Role, ClusterRole and their bindings) the checks read,
/// deserialized from the body's text with strings borrowed ([`Evidence::read`]): the RBAC objects
/// are most of a large scan's objects, and a parsed `Value` tree costs about ten times its text.
/// Reading is lenient like a `Value` walk ([`crate::model::lenient`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Fields<'a> {
    #[serde(borrow)]
    metadata: Obj<Metadata<'a>>,
    #[serde(borrow, rename = "roleRef")]
    role_ref: Obj<RoleRef<'a>>,
    #[serde(borrow)]
    subjects: List<Obj<SubjectFields<'a>>>,
    #[serde(borrow)]
    rules: List<Obj<RuleFields<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata<'a> {
    #[serde(borrow)]
    labels: Labels<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleRef<'a> {
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SubjectFields<'a> {
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    namespace: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RuleFields<'a> {
    #[serde(borrow, rename = "apiGroups")]
    api_groups: List<Text<'a>>,
    #[serde(borrow)]
    resources: List<Text<'a>>,
    #[serde(borrow)]
    verbs: List<Text<'a>>,
    #[serde(borrow, rename = "resourceNames")]
    resource_names: List<Text<'a>>,
}

fn fields(record: &Evidence) -> Fields<'_> {
    record.read().unwrap_or_default()
}

fn texts<'a>(list: &List<Text<'a>>) -> Vec<&'a str> {
    list.0.iter().filter_map(|t| t.get()).collect()
}

/// Whether an object carries a label with this value.
fn has_label(record: &Evidence, label: &str, value: &str) -> bool {
    fields(record).metadata.0.labels.get(label) == Some(value)
}

/// Labelled as an API-server bootstrap object.
pub fn has_defaults_label(record: &Evidence) -> bool {
    has_label(record, DEFAULTS_LABEL, DEFAULTS_VALUE)
}

/// Installed by Helm (label `app.kubernetes.io/managed-by: Helm`).
pub fn is_helm_managed(record: &Evidence) -> bool {
    has_label(record, HELM_LABEL, HELM_VALUE)
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
    fields(role)
        .rules
        .0
        .iter()
        .map(|Obj(r)| Rule {
            api_groups: texts(&r.api_groups),
            resources: texts(&r.resources),
            verbs: texts(&r.verbs),
            resource_names: texts(&r.resource_names),
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
    /// Labelled as an API-server bootstrap object ([`has_defaults_label`]).
    pub defaults_label: bool,
    /// Installed by Helm ([`is_helm_managed`]).
    pub helm_managed: bool,
}

impl<'a> Binding<'a> {
    /// Reads a binding record; `None` for other kinds or without a `roleRef`.
    pub fn parse(record: &'a Evidence) -> Option<Binding<'a>> {
        let key = record.object_key()?;
        if key.kind != "RoleBinding" && key.kind != "ClusterRoleBinding" {
            return None;
        }
        let body = fields(record);
        let role_kind = body.role_ref.0.kind.get()?;
        let role_name = body.role_ref.0.name.get()?;
        let subjects = body
            .subjects
            .0
            .iter()
            .filter_map(|Obj(s)| {
                let f = |t: Text<'a>| t.get().filter(|v| !v.is_empty());
                Some(Subject {
                    kind: f(s.kind)?,
                    namespace: f(s.namespace),
                    name: f(s.name)?,
                })
            })
            .collect();
        let labels = &body.metadata.0.labels;
        Some(Binding {
            defaults_label: labels.get(DEFAULTS_LABEL) == Some(DEFAULTS_VALUE),
            helm_managed: labels.get(HELM_LABEL) == Some(HELM_VALUE),
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
        (self.defaults_label && subject.is_system_identity())
            || (self.helm_managed && (subject.is_control_plane() || subject.is_system_identity()))
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
        let labelled = self.defaults_label || self.helm_managed;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::kinds;

    fn set(objects: Vec<(&str, serde_json::Value)>) -> EvidenceSet {
        // Loaded as text, like a scan read from the store.
        let set = EvidenceSet::for_tests(
            objects
                .into_iter()
                .map(|(s, b)| (kinds::K8S_OBJECT, s.to_string(), b))
                .collect(),
        );
        let records = set
            .records()
            .iter()
            .map(|r| {
                let text = serde_json::to_string(r.body()).expect("json").into_boxed_str();
                Evidence::from_json_text(r.seq, r.hash, r.kind.clone(), r.source.clone(), r.subject.clone(), text)
            })
            .collect();
        EvidenceSet::new(set.scan(), set.collected_at(), records)
    }

    #[test]
    fn odd_json_types_read_like_a_value_walk_and_escapes_fall_back_to_the_parsed_body() {
        let set = set(vec![
            (
                "c1/_cluster/ClusterRoleBinding/b",
                json!({
                    "metadata": {"labels": {"app.kubernetes.io/managed-by": "Helm", "n": 3}},
                    "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [
                        {"kind": "User", "name": 7},
                        {"kind": "User", "name": "al\"ice"},
                        "not a subject",
                        {"kind": "ServiceAccount", "namespace": "istio-system", "name": "istiod"}
                    ]
                }),
            ),
            (
                "c1/_cluster/ClusterRole/r",
                json!({"rules": [{"verbs": ["*", 1], "resources": "secrets", "apiGroups": [""]}]}),
            ),
            (
                "c1/_cluster/ClusterRoleBinding/no-ref",
                json!({"roleRef": "x", "subjects": {}}),
            ),
        ]);
        let bindings = Binding::all(&set);
        assert_eq!(bindings.len(), 1, "a binding without a roleRef object is not read");
        let b = &bindings[0];
        let names: Vec<&str> = b.subjects.iter().map(|s| s.name).collect();
        assert_eq!(names, ["al\"ice", "istiod"]);
        assert!(b.helm_managed && is_helm_managed(b.record) && !b.defaults_label);
        assert_eq!(b.custom_subjects().len(), 1, "only the person is a custom grant");
        let role = set.object("c1", None, "ClusterRole", "r").expect("role");
        let rules = rules(role);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].verbs, ["*"]);
        assert!(rules[0].resources.is_empty(), "a string is not a list");
        assert!(!is_admin_role("ClusterRole", "r", Some(role)));
    }
}
