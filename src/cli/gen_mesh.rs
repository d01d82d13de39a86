//! `meshproof dev gen-mesh`: a synthetic multi-cluster mesh as kubectl-style dumps, for
//! benchmarks and scale tests.
//!
//! `OUT/mgmt/` holds the management plane (one `KubernetesCluster` per workload cluster, the
//! registrars' RBAC and an API-server audit log of the registrations); `OUT/cluster-NNN/` holds a
//! workload cluster: namespaces, the mesh config and root bundle, `cacerts` (real certificates:
//! the demo mesh's published intermediates, alternating), remote secrets for three peers with
//! JWT-shaped tokens, peer gateways, RBAC, ServiceAccounts, Istio policies and traffic objects in
//! application namespaces, and a small audit log. Files alternate between JSON `List`s and
//! multi-document YAML, as real dumps do.
//!
//! Deterministic: everything derives from `--seed` through a SplitMix64 generator and fixed
//! dates; no clock, no randomness source, no network. The same arguments give the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::{Value, json};

/// The demo mesh's cacerts Secrets (published, fake), reused as real certificate material.
const CACERTS: &[&str] = &[
    include_str!("../../sample-evidence/mesh/eu-west-1/istio-system/cacerts/secret-istio-system-cacerts.json"),
    include_str!("../../sample-evidence/mesh/ap-south-1/istio-system/cacerts/secret-istio-system-cacerts.json"),
];

/// Fixed base date: 2026-06-01T00:00:00Z.
const BASE_UNIX: i64 = 1_780_272_000;
const DAY: i64 = 86_400;

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn hex(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes * 2);
        for _ in 0..bytes {
            let _ = write!(s, "{:02x}", self.next() as u8);
        }
        s
    }
    fn uid(&mut self) -> String {
        let h = self.hex(16);
        format!(
            "{}-{}-{}-{}-{}",
            h.get(0..8).unwrap_or_default(),
            h.get(8..12).unwrap_or_default(),
            h.get(12..16).unwrap_or_default(),
            h.get(16..20).unwrap_or_default(),
            h.get(20..32).unwrap_or_default()
        )
    }
}

fn time(unix: i64) -> String {
    crate::model::Timestamp::from_unix(unix)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| "2026-06-01T00:00:00Z".into())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What was generated.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Generated {
    /// Workload clusters (plus `mgmt`).
    pub clusters: u32,
    /// Kept objects written, all clusters.
    pub objects: u64,
    /// Audit lines written.
    pub audit_events: u64,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
}

struct Writer<'a> {
    out: &'a Path,
    stats: Generated,
}

impl Writer<'_> {
    fn write(&mut self, rel: &str, text: &str) -> anyhow::Result<()> {
        let path = self.out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        self.stats.files += 1;
        self.stats.bytes += text.len() as u64;
        Ok(())
    }

    /// Writes `items` as a JSON `List` or as multi-document YAML, depending on `yaml`.
    fn objects(&mut self, rel: &str, items: Vec<Value>, yaml: bool) -> anyhow::Result<()> {
        self.stats.objects += items.len() as u64;
        let text = if yaml {
            let mut text = String::new();
            for item in &items {
                text.push_str("---\n");
                text.push_str(&serde_saphyr::to_string(item)?);
            }
            text
        } else {
            let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
            serde_json::to_string_pretty(&list)?
        };
        self.write(rel, &text)
    }
}

fn meta(rng: &mut Rng, name: &str, namespace: Option<&str>, created: i64) -> Value {
    let mut m = json!({
        "name": name,
        "uid": rng.uid(),
        "resourceVersion": (100_000 + rng.below(900_000)).to_string(),
        "creationTimestamp": time(created),
    });
    if let (Some(ns), Some(obj)) = (namespace, m.as_object_mut()) {
        obj.insert("namespace".into(), json!(ns));
    }
    m
}

fn cluster_name(i: u32) -> String {
    format!("cluster-{i:03}")
}

/// A JWT-shaped bound service-account token for `target` (unsigned: the signature is random bytes).
fn token(rng: &mut Rng, target: &str, iat: i64) -> String {
    let header = json!({"alg": "RS256", "kid": b64url(rng.hex(16).as_bytes())});
    let claims = json!({
        "aud": ["https://kubernetes.default.svc.cluster.local"],
        "exp": iat + 180 * DAY,
        "iat": iat,
        "nbf": iat,
        "iss": "https://kubernetes.default.svc.cluster.local",
        "jti": rng.uid(),
        "kubernetes.io": {"namespace": "istio-system", "serviceaccount": {"name": "istio-reader-service-account", "uid": rng.uid()}},
        "sub": "system:serviceaccount:istio-system:istio-reader-service-account",
        "target": target,
    });
    let sig: Vec<u8> = (0..256).map(|_| rng.next() as u8).collect();
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&sig)
    )
}

/// Generates `clusters` workload clusters of about `objects_per_cluster` kept objects each, plus
/// `mgmt`, under `out` (which must be empty or absent).
pub fn generate(out: &Path, clusters: u32, objects_per_cluster: u32, seed: u64) -> anyhow::Result<Generated> {
    if out.exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_some()
    {
        anyhow::bail!("{} is not empty: pass a new directory", out.display());
    }
    let cacerts: Vec<Value> = CACERTS
        .iter()
        .map(|t| serde_json::from_str(t))
        .collect::<Result<_, _>>()
        .context("parsing the bundled cacerts")?;
    let root_pem = cacerts
        .first()
        .and_then(|c| c.pointer("/data/root-cert.pem"))
        .and_then(Value::as_str)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut w = Writer {
        out,
        stats: Generated {
            clusters,
            ..Generated::default()
        },
    };
    mgmt(&mut w, clusters, seed)?;
    for i in 0..clusters {
        workload(&mut w, i, clusters, objects_per_cluster, seed, &cacerts, &root_pem)?;
    }
    Ok(w.stats)
}

fn mgmt(w: &mut Writer<'_>, clusters: u32, seed: u64) -> anyhow::Result<()> {
    let mut rng = Rng::new(seed, u64::MAX);
    let mut regs = Vec::new();
    let mut audit = String::new();
    for i in 0..clusters {
        let name = cluster_name(i);
        let created = BASE_UNIX + i64::from(i) * 3_600;
        regs.push(json!({
            "apiVersion": "admin.gloo.solo.io/v2", "kind": "KubernetesCluster",
            "metadata": meta(&mut rng, &name, Some("gloo-mesh"), created),
            "spec": {"clusterDomain": "cluster.local"},
            // Every 25th registration is still pending: the management plane never accepted it.
            "status": {"common": {"state": {"approval": if i % 25 == 24 { "PENDING" } else { "ACCEPTED" }}}}
        }));
        let user = ["alice", "bob", "carol"]
            .get(i as usize % 3)
            .copied()
            .unwrap_or("alice");
        let event = json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
            "auditID": rng.uid(), "stage": "ResponseComplete",
            "requestURI": "/apis/admin.gloo.solo.io/v2/namespaces/gloo-mesh/kubernetesclusters",
            "verb": "create", "user": {"username": format!("{user}@acme.example"), "groups": ["system:authenticated"]},
            "sourceIPs": ["198.51.100.7"],
            "objectRef": {"resource": "kubernetesclusters", "namespace": "gloo-mesh", "name": name,
                          "apiGroup": "admin.gloo.solo.io", "apiVersion": "v2"},
            "responseStatus": {"metadata": {}, "code": 201},
            "requestReceivedTimestamp": time(created).replace('Z', ".000000Z"),
            "stageTimestamp": time(created).replace('Z', ".120000Z"),
        });
        audit.push_str(&event.to_string());
        audit.push('\n');
        w.stats.audit_events += 1;
    }
    w.objects("mgmt/gloo-mesh/kubernetesclusters.json", regs, false)?;
    let ns: Vec<Value> = ["gloo-mesh", "kube-system", "default"]
        .iter()
        .map(|n| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta(&mut rng, n, None, BASE_UNIX - 2 * DAY)}))
        .collect();
    w.objects("mgmt/namespaces.yaml", ns, true)?;
    w.write("mgmt/audit/kube-apiserver-audit.log", &audit)
}

#[allow(clippy::too_many_arguments)]
fn workload(
    w: &mut Writer<'_>,
    i: u32,
    clusters: u32,
    objects: u32,
    seed: u64,
    cacerts: &[Value],
    root_pem: &str,
) -> anyhow::Result<()> {
    let name = cluster_name(i);
    let mut rng = Rng::new(seed, u64::from(i));
    let built = BASE_UNIX - 3 * DAY + i64::from(i) * 600;
    let yaml = i % 2 == 1;
    let ext = if yaml { "yaml" } else { "json" };
    let mut budget = i64::from(objects);

    // Mesh infrastructure.
    let apps = (objects / 60).max(1);
    let mut namespaces: Vec<Value> = ["istio-system", "istio-eastwest", "gloo-mesh", "kube-system", "default"]
        .iter()
        .map(|n| (*n).to_string())
        .chain((0..apps).map(|a| format!("app-{a:03}")))
        .map(|n| {
            let mut m = meta(&mut rng, &n, None, built);
            if n == "istio-system"
                && let Some(o) = m.as_object_mut()
            {
                o.insert("labels".into(), json!({"topology.istio.io/network": name}));
            }
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": m})
        })
        .collect();
    budget -= namespaces.len() as i64;
    w.objects(
        &format!("{name}/namespaces.{ext}"),
        std::mem::take(&mut namespaces),
        yaml,
    )?;

    let mesh_config = "trustDomain: acme.internal\nrootNamespace: istio-system\ndefaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n";
    let configmaps = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(&mut rng, "istio", Some("istio-system"), built + DAY), "data": {"mesh": mesh_config}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(&mut rng, "istio-ca-root-cert", Some("istio-system"), built + DAY), "data": {"root-cert.pem": root_pem}}),
    ];
    let mut cacert = cacerts
        .get(i as usize % cacerts.len().max(1))
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(m) = cacert.get_mut("metadata") {
        *m = meta(&mut rng, "cacerts", Some("istio-system"), built + DAY);
    }
    budget -= 3;
    w.objects(&format!("{name}/istio-system/configmaps.{ext}"), configmaps, yaml)?;
    w.objects(&format!("{name}/istio-system/cacerts.json"), vec![cacert], false)?;

    // Remote secrets and peer gateways for three peers (a ring).
    let mut secrets = Vec::new();
    let mut gateways = Vec::new();
    let peers: Vec<u32> = (1..=3u32.min(clusters.saturating_sub(1)))
        .map(|d| (i + d) % clusters)
        .collect();
    for p in &peers {
        let peer = cluster_name(*p);
        let iat = BASE_UNIX + 120 * DAY + rng.below(60) as i64 * DAY;
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://{peer}.k8s.acme.internal:6443\n  name: {peer}\ncontexts:\n- context:\n    cluster: {peer}\n    user: {peer}\n  name: {peer}\ncurrent-context: {peer}\nusers:\n- name: {peer}\n  user:\n    token: {}\n",
            b64(root_pem.as_bytes()),
            token(&mut rng, &peer, iat)
        );
        let mut m = meta(
            &mut rng,
            &format!("istio-remote-secret-{peer}"),
            Some("istio-system"),
            iat,
        );
        if let Some(o) = m.as_object_mut() {
            o.insert("labels".into(), json!({"istio/multiCluster": "true"}));
            o.insert("annotations".into(), json!({"networking.istio.io/cluster": peer}));
        }
        secrets.push(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": m,
                            "data": {peer.clone(): b64(kubeconfig.as_bytes())}}),
        );
        let mut gm = meta(
            &mut rng,
            &format!("istio-remote-peer-{peer}"),
            Some("istio-eastwest"),
            iat,
        );
        if let Some(o) = gm.as_object_mut() {
            o.insert("labels".into(), json!({"topology.istio.io/network": peer}));
            o.insert(
                "annotations".into(),
                json!({"gateway.istio.io/trust-domain": "acme.internal"}),
            );
        }
        gateways.push(json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": gm,
            "spec": {"gatewayClassName": "istio-remote", "addresses": [{"type": "IPAddress", "value": format!("203.0.113.{}", p % 250)}],
                     "listeners": [{"name": "cross-network", "port": 15008, "protocol": "HBONE", "tls": {"mode": "Passthrough"}}]}}));
    }
    budget -= (secrets.len() + gateways.len()) as i64;
    w.objects(&format!("{name}/istio-system/remote-secrets.{ext}"), secrets, yaml)?;
    w.objects(&format!("{name}/istio-eastwest/gateways.{ext}"), gateways, yaml)?;

    // RBAC: the reader, an on-call binding, sometimes a cluster-admin grant.
    let mut rbac = vec![
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta(&mut rng, "istio-reader-clusterrole-istio-system", None, built + DAY),
               "rules": [{"apiGroups": ["", "networking.istio.io", "security.istio.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta(&mut rng, "istio-reader-clusterrole-istio-system", None, built + DAY),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "istio-reader-clusterrole-istio-system"},
               "subjects": [{"kind": "ServiceAccount", "name": "istio-reader-service-account", "namespace": "istio-system"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta(&mut rng, "platform-oncall", None, built + 2 * DAY),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "Group", "name": "platform-oncall", "apiGroup": "rbac.authorization.k8s.io"}]}),
    ];
    if rng.below(10) == 0 {
        rbac.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta(&mut rng, "debug-admin", None, built + 30 * DAY),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
               "subjects": [{"kind": "User", "name": format!("contractor-{}@example.com", rng.below(100))}]}));
    }
    budget -= rbac.len() as i64;
    w.objects(&format!("{name}/rbac/mesh.{ext}"), rbac, yaml)?;
    let pa = json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": meta(&mut rng, "default", Some("istio-system"), built + DAY),
                    "spec": {"mtls": {"mode": "STRICT"}}});
    budget -= 1;
    w.objects(&format!("{name}/policies/peerauthentication.yaml"), vec![pa], true)?;

    // Application namespaces fill the rest of the budget, in a fixed rotation of kinds.
    let mut per_ns: Vec<Vec<Value>> = vec![Vec::new(); apps as usize];
    let mut k: u64 = 0;
    while budget > 0 {
        let a = (k % u64::from(apps)) as u32;
        let ns = format!("app-{a:03}");
        let n = k / u64::from(apps);
        let created = built + 5 * DAY + rng.below(150) as i64 * DAY;
        let obj = match n % 8 {
            0..=2 => {
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&mut rng, &format!("svc-{n:04}"), Some(&ns), created)})
            }
            3 => {
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(&mut rng, &format!("role-{n:04}"), Some(&ns), created),
                        "rules": [{"apiGroups": [""], "resources": ["configmaps", "services"], "verbs": ["get", "list"]}]})
            }
            4 => {
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, &format!("role-{:04}", n - 1), Some(&ns), created),
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("role-{:04}", n - 1)},
                        "subjects": [{"kind": "ServiceAccount", "name": format!("svc-{:04}", n - 4), "namespace": ns}]})
            }
            5 => {
                let principal = if rng.below(50) == 0 {
                    "*".to_string()
                } else {
                    format!("acme.internal/ns/{ns}/sa/svc-{:04}", n.saturating_sub(5))
                };
                json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta(&mut rng, &format!("allow-{n:04}"), Some(&ns), created),
                       "spec": {"action": "ALLOW", "selector": {"matchLabels": {"app": format!("svc-{n:04}")}},
                                "rules": [{"from": [{"source": {"principals": [principal]}}], "to": [{"operation": {"ports": ["8080"], "methods": ["GET", "POST"]}}]}]}})
            }
            6 => {
                json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta(&mut rng, &format!("dr-{n:04}"), Some(&ns), created),
                        "spec": {"host": format!("svc-{n:04}.{ns}.svc.cluster.local"), "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 100 + rng.below(900)}}}}})
            }
            _ => {
                json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": meta(&mut rng, &format!("se-{n:04}"), Some(&ns), created),
                        "spec": {"hosts": [format!("api-{n:04}.partner.example")], "ports": [{"number": 443, "name": "https", "protocol": "TLS"}], "resolution": "DNS"}})
            }
        };
        if let Some(list) = per_ns.get_mut(a as usize) {
            list.push(obj);
        }
        budget -= 1;
        k += 1;
    }
    for (a, items) in per_ns.into_iter().enumerate() {
        let yaml = (a + i as usize).is_multiple_of(3);
        let ext = if yaml { "yaml" } else { "json" };
        w.objects(&format!("{name}/apps/app-{a:03}.{ext}"), items, yaml)?;
    }
    // Skipped objects the collector counts: a few Deployments.
    let deployments: Vec<Value> = (0..5)
        .map(|d| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&mut rng, &format!("web-{d}"), Some("default"), built + DAY), "spec": {"replicas": 2}}))
        .collect();
    let text = serde_json::to_string_pretty(&json!({"apiVersion": "v1", "kind": "List", "items": deployments}))?;
    w.write(&format!("{name}/workloads/deployments.json"), &text)?;

    // A small audit log: who created the remote secrets and policies.
    let mut audit = String::new();
    for e in 0..20u32 {
        let at = built + i64::from(e) * 3_600;
        let event = json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": rng.uid(), "stage": "ResponseComplete",
            "requestURI": format!("/apis/security.istio.io/v1/namespaces/app-000/authorizationpolicies/allow-{e:04}"),
            "verb": if e % 4 == 0 { "update" } else { "patch" },
            "user": {"username": "system:serviceaccount:argocd:argocd-application-controller"},
            "objectRef": {"resource": "authorizationpolicies", "namespace": "app-000", "name": format!("allow-{e:04}"), "apiGroup": "security.istio.io", "apiVersion": "v1"},
            "responseStatus": {"metadata": {}, "code": 200},
            "requestReceivedTimestamp": time(at).replace('Z', ".000000Z"),
            "stageTimestamp": time(at).replace('Z', ".050000Z"),
        });
        audit.push_str(&event.to_string());
        audit.push('\n');
        w.stats.audit_events += 1;
    }
    w.write(&format!("{name}/audit/kube-apiserver-audit.log"), &audit)
}

/// `PathBuf` of a generated cluster folder (for tests and benchmarks).
pub fn cluster_dir(out: &Path, i: u32) -> PathBuf {
    out.join(cluster_name(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7, 3);
        let mut b = Rng::new(7, 3);
        assert_eq!((a.next(), a.uid()), (b.next(), b.uid()));
        assert_ne!(Rng::new(7, 4).next(), Rng::new(7, 3).next());
    }
}
