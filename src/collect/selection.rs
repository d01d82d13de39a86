//! Which Kubernetes objects are kept as evidence, and the subject key each one gets.
//!
//! One table serves every Kubernetes collector (dumps on disk and the live API), so the same
//! mesh collected either way yields the same records. Objects of other kinds are counted per kind
//! and skipped.

/// Namespaces whose Secrets are kept (the mesh's CA and the management plane's relay secrets).
pub const SECRET_NAMESPACES: &[&str] = &["istio-system", "gloo-mesh"];
/// The mesh's root namespace.
pub const ISTIO_NAMESPACE: &str = "istio-system";
/// The management plane's namespace.
pub const GLOO_NAMESPACE: &str = "gloo-mesh";

/// One kind of object the collectors keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptKind {
    /// API group (`""` for core).
    pub group: &'static str,
    /// Version served by the API that the live collector asks for.
    pub version: &'static str,
    /// Kind; `"*"` means every kind of the group.
    pub kind: &'static str,
    /// Plural resource name (for the live API); empty for `"*"`.
    pub plural: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Only these namespaces, when set.
    pub namespaces: Option<&'static [&'static str]>,
}

const fn kept(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    namespaces: Option<&'static [&'static str]>,
) -> KeptKind {
    KeptKind {
        group,
        version,
        kind,
        plural,
        namespaced,
        namespaces,
    }
}

/// Every kind kept, in a fixed order.
pub const KEPT: &[KeptKind] = &[
    kept("", "v1", "Namespace", "namespaces", false, None),
    kept("", "v1", "Secret", "secrets", true, Some(SECRET_NAMESPACES)),
    kept("", "v1", "ConfigMap", "configmaps", true, Some(&[ISTIO_NAMESPACE])),
    kept("", "v1", "ServiceAccount", "serviceaccounts", true, None),
    kept("", "v1", "Event", "events", true, Some(&[GLOO_NAMESPACE])),
    kept("events.k8s.io", "v1", "Event", "events", true, Some(&[GLOO_NAMESPACE])),
    kept(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        None,
    ),
    kept(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        None,
    ),
    kept("rbac.authorization.k8s.io", "v1", "Role", "roles", true, None),
    kept(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        None,
    ),
    kept(
        "security.istio.io",
        "v1",
        "AuthorizationPolicy",
        "authorizationpolicies",
        true,
        None,
    ),
    kept(
        "security.istio.io",
        "v1",
        "PeerAuthentication",
        "peerauthentications",
        true,
        None,
    ),
    kept("gateway.networking.k8s.io", "v1", "Gateway", "gateways", true, None),
    kept("networking.istio.io", "v1", "*", "", true, None),
    kept(
        "admin.gloo.solo.io",
        "v2",
        "KubernetesCluster",
        "kubernetesclusters",
        true,
        None,
    ),
    kept(
        "admin.gloo.solo.io",
        "v2",
        "RootTrustPolicy",
        "roottrustpolicies",
        true,
        None,
    ),
    kept("admin.gloo.solo.io", "v2", "Workspace", "workspaces", true, None),
    kept(
        "admin.gloo.solo.io",
        "v2",
        "WorkspaceSettings",
        "workspacesettings",
        true,
        None,
    ),
    kept(
        "security.policy.gloo.solo.io",
        "v2",
        "AccessPolicy",
        "accesspolicies",
        true,
        None,
    ),
    kept("admin.solo.io", "v1alpha1", "Segment", "segments", true, None),
];

/// The API group of an `apiVersion` (`"v1"` → `""`, `"rbac.authorization.k8s.io/v1"` → the group).
pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// Whether an object is kept, and if not, why (for the skipped-kind counts).
pub fn is_kept(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
    let group = group_of(api_version);
    let Some(rule) = KEPT
        .iter()
        .find(|k| k.group == group && (k.kind == kind || k.kind == "*"))
    else {
        return false;
    };
    if let Some(allowed) = rule.namespaces
        && !namespace.is_some_and(|ns| allowed.contains(&ns))
    {
        return false;
    }
    if group.is_empty() && kind == "ConfigMap" {
        return is_mesh_configmap(name);
    }
    true
}

/// ConfigMaps kept in the root namespace: the mesh config (`istio`, or `istio-<revision>`) and the
/// root bundle `istio-ca-root-cert`.
pub fn is_mesh_configmap(name: &str) -> bool {
    name == "istio"
        || name == "istio-ca-root-cert"
        || name.strip_prefix("istio-").is_some_and(|rev| {
            !rev.is_empty()
                && !rev.contains("sidecar")
                && !rev.contains("injector")
                && !rev.contains("leader")
                && !rev.contains("grafana")
        })
}

/// The kind as it appears in subjects: the Kind, qualified with its group where two collected
/// groups share the Kind (`Gateway.networking.istio.io` beside the Gateway API's `Gateway`).
pub fn subject_kind(group: &str, kind: &str) -> String {
    if group == "networking.istio.io" && kind == "Gateway" {
        format!("{kind}.{group}")
    } else {
        kind.to_string()
    }
}

/// Subject of a Kubernetes object: `cluster/namespace/Kind/name`, with `_cluster` as the
/// namespace of cluster-scoped objects.
pub fn object_subject(cluster: &str, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    let ns = namespace.filter(|n| !n.is_empty()).unwrap_or("_cluster");
    format!("{cluster}/{ns}/{}/{name}", subject_kind(group_of(api_version), kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_mesh_objects_and_skips_the_rest() {
        assert!(is_kept("v1", "Secret", Some("istio-system"), "cacerts"));
        assert!(!is_kept("v1", "Secret", Some("default"), "db-password"));
        assert!(is_kept("v1", "ConfigMap", Some("istio-system"), "istio"));
        assert!(is_kept("v1", "ConfigMap", Some("istio-system"), "istio-ca-root-cert"));
        assert!(!is_kept(
            "v1",
            "ConfigMap",
            Some("istio-system"),
            "istio-sidecar-injector"
        ));
        assert!(!is_kept("v1", "ConfigMap", Some("default"), "istio"));
        assert!(is_kept("networking.istio.io/v1", "DestinationRule", Some("a"), "x"));
        assert!(is_kept(
            "admin.gloo.solo.io/v2",
            "KubernetesCluster",
            Some("gloo-mesh"),
            "c1"
        ));
        assert!(!is_kept("apps/v1", "Deployment", Some("istio-system"), "istiod"));
        assert!(!is_kept("v1", "Event", Some("istio-system"), "e"));
        assert!(is_kept("events.k8s.io/v1", "Event", Some("gloo-mesh"), "e"));
    }

    #[test]
    fn subjects_are_qualified_only_where_kinds_collide() {
        assert_eq!(
            object_subject("c1", "networking.istio.io/v1", "Gateway", Some("ns"), "gw"),
            "c1/ns/Gateway.networking.istio.io/gw"
        );
        assert_eq!(
            object_subject("c1", "gateway.networking.k8s.io/v1", "Gateway", Some("ns"), "gw"),
            "c1/ns/Gateway/gw"
        );
        assert_eq!(
            object_subject("c1", "rbac.authorization.k8s.io/v1", "ClusterRole", None, "view"),
            "c1/_cluster/ClusterRole/view"
        );
    }
}

/// What happens to one object a collector read: the one admission step the dump and live paths
/// share, so both keep, redact and key objects identically.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// Evidence: redacted body, subject and resourceVersion (for picking among duplicates).
    Kept {
        /// `cluster/namespace/Kind/name`.
        subject: String,
        /// The redacted object.
        body: serde_json::Value,
        /// `metadata.resourceVersion` as a number, when it is one.
        resource_version: Option<u64>,
    },
    /// Not evidence; the label (`apiVersion Kind`) it is counted under.
    Skipped(String),
    /// Not a Kubernetes object (no apiVersion, kind or metadata.name).
    Malformed,
}

/// A kept object: subject, redacted body, resourceVersion.
pub type KeptObject = (String, serde_json::Value, Option<u64>);

impl Admission {
    /// The kept object, counting a skipped one under its label in `skipped`; `Err(())` when the
    /// document is not a Kubernetes object (each collector reports that its own way).
    #[allow(clippy::result_unit_err)]
    pub fn kept(self, skipped: &mut std::collections::BTreeMap<String, u64>) -> Result<Option<KeptObject>, ()> {
        match self {
            Admission::Kept {
                subject,
                body,
                resource_version,
            } => Ok(Some((subject, body, resource_version))),
            Admission::Skipped(label) => {
                *skipped.entry(label).or_default() += 1;
                Ok(None)
            }
            Admission::Malformed => Err(()),
        }
    }
}

/// An object's string fields that decide what becomes of it, however they were read.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// `apiVersion`.
    pub api_version: Option<&'a str>,
    /// `kind`.
    pub kind: Option<&'a str>,
    /// `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// `metadata.name`.
    pub name: Option<&'a str>,
}

/// What [`classify`] makes of an object of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Evidence, under this subject (`cluster/namespace/Kind/name`).
    Kept(String),
    /// Not evidence; the label (`apiVersion Kind`) it is counted under.
    Skipped(String),
    /// Not a Kubernetes object (no apiVersion, kind or metadata.name).
    Malformed,
}

/// Whether an object of `cluster` is kept, and under which subject: the rules [`admit`] and the
/// dump collector's reader without value trees share.
pub fn classify(cluster: &str, id: Identity<'_>) -> Class {
    let (Some(api_version), Some(kind), Some(name)) = (id.api_version, id.kind, id.name) else {
        return Class::Malformed;
    };
    if is_kept(api_version, kind, id.namespace, name) {
        Class::Kept(object_subject(cluster, api_version, kind, id.namespace, name))
    } else {
        Class::Skipped(format!("{api_version} {kind}"))
    }
}

/// Classifies, redacts and keys one object of `cluster`.
pub fn admit(cluster: &str, mut object: serde_json::Value) -> Admission {
    use crate::model::pointer;
    use serde_json::Value;
    let field = |at: &str| pointer(&object, at).and_then(Value::as_str);
    let class = classify(
        cluster,
        Identity {
            api_version: field("/apiVersion"),
            kind: field("/kind"),
            namespace: field("/metadata/namespace"),
            name: field("/metadata/name"),
        },
    );
    let subject = match class {
        Class::Kept(subject) => subject,
        Class::Skipped(label) => return Admission::Skipped(label),
        Class::Malformed => return Admission::Malformed,
    };
    super::redact::redact_object(&mut object);
    let resource_version = pointer(&object, "/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok());
    Admission::Kept {
        subject,
        body: object,
        resource_version,
    }
}
