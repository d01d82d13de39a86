//! No secret ever persists: real keys and tokens are planted in every place a dump or audit log can
//! carry them, then the store file, every output and every log line are searched for them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use serde_json::{Value, json};

use crate::harness::{AS_OF, Env};

struct Planted {
    /// Every string that must never appear anywhere.
    needles: Vec<(String, String)>,
}

impl Planted {
    fn add(&mut self, what: &str, secret: &str) {
        self.needles.push((what.to_string(), secret.to_string()));
        self.needles.push((format!("{what} (base64)"), B64.encode(secret)));
        // Fragments from the middle of long secrets catch partial copies.
        let compact: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() > 120 {
            for start in [40, compact.len() / 2, compact.len() - 80] {
                self.needles.push((
                    format!("{what} (fragment at {start})"),
                    compact[start..start + 36].to_string(),
                ));
            }
        }
    }

    fn assert_absent(&self, place: &str, haystack: &[u8]) {
        let text = String::from_utf8_lossy(haystack);
        for (what, needle) in &self.needles {
            assert!(!text.contains(needle.as_str()), "{what} leaked into {place}");
        }
    }
}

fn jwt(claims: &Value) -> String {
    let header = B64URL.encode(br#"{"alg":"RS256","kid":"test-kid"}"#);
    let payload = B64URL.encode(serde_json::to_vec(claims).expect("json"));
    let signature = B64URL.encode((0..256u32).map(|i| (i * 37 % 251) as u8).collect::<Vec<u8>>());
    format!("{header}.{payload}.{signature}")
}

fn kubeconfig(cluster: &str, token: &str, client_key_pem: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster:\n    server: https://{cluster}.example:6443\n    insecure-skip-tls-verify: true\ncontexts:\n- name: {cluster}\n  context: {{cluster: {cluster}, user: {cluster}}}\ncurrent-context: {cluster}\nusers:\n- name: {cluster}\n  user:\n    token: {token}\n- name: cert-user\n  user:\n    client-key-data: {}\n",
        B64.encode(client_key_pem)
    )
}

#[test]
fn planted_keys_and_tokens_never_reach_the_store_logs_or_outputs() {
    let env = Env::new();
    let mut planted = Planted { needles: Vec::new() };

    // A real CA (rcgen, EC P-256) and the real Istio sample RSA key (PKCS#1).
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Planted Intermediate");
    let ca_cert = params.self_signed(&ca_key).expect("cert").pem();
    let ca_key_pem = ca_key.serialize_pem();
    planted.add("EC CA private key", &ca_key_pem);
    let rsa_key = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real-world/istio-sample-certs/ca-key.pem"),
    )
    .expect("fixture");
    planted.add("RSA private key", &rsa_key);
    let client_key = rcgen::KeyPair::generate().expect("key").serialize_pem();
    planted.add("client key", &client_key);

    let token = jwt(
        &json!({"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:istio-system:istio-reader-service-account", "iat": 1780000000, "exp": 1790000000}),
    );
    planted.add("bearer token", &token);
    planted.needles.push((
        "token signature".into(),
        token.rsplit('.').next().expect("sig").to_string(),
    ));
    let opaque = "rly-PLANTED-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    planted.add("opaque relay token", opaque);
    let kc = kubeconfig("peer-1", &token, &client_key);
    planted.add("kubeconfig", &kc);

    let cacerts = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "cacerts", "namespace": "istio-system", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": serde_json::to_string(&json!({
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts", "namespace": "istio-system"},
                "data": {"ca-key.pem": B64.encode(&ca_key_pem), "ca-cert.pem": B64.encode(&ca_cert)}})).expect("json")}},
        "data": {"ca-cert.pem": B64.encode(&ca_cert), "ca-key.pem": B64.encode(&ca_key_pem), "legacy-key.pem": B64.encode(&rsa_key)}
    });
    let remote = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "istio-remote-secret-peer-1", "namespace": "istio-system",
                     "labels": {"istio/multiCluster": "true"}, "annotations": {"networking.istio.io/cluster": "peer-1"}},
        "stringData": {"peer-1": kc}
    });
    let relay = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "relay-identity-token-secret", "namespace": "gloo-mesh"},
                       "data": {"token": B64.encode(opaque)}});
    let leaky_config = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
                              "data": {"mesh": format!("trustDomain: acme.internal\n# pasted by mistake:\n{rsa_key}"), "token": token}});
    env.write(
        "mesh/c1/secrets.json",
        serde_json::to_vec_pretty(&json!({"apiVersion": "v1", "kind": "List", "items": [cacerts, remote, relay]}))
            .expect("json"),
    );
    env.write("mesh/c1/config.json", serde_json::to_vec(&leaky_config).expect("json"));

    // An audit log whose request and response bodies carry the same material.
    let event = |id: &str, stage: &str, body: Value| {
        json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "auditID": id, "stage": stage,
               "verb": "create", "requestURI": "/api/v1/namespaces/istio-system/secrets",
               "user": {"username": "alice@example.com", "groups": ["system:authenticated"]},
               "objectRef": {"resource": "secrets", "namespace": "istio-system", "name": "cacerts", "apiVersion": "v1"},
               "responseStatus": {"code": 201}, "requestObject": body.clone(), "responseObject": body,
               "requestReceivedTimestamp": "2026-10-01T10:00:00.000001Z", "stageTimestamp": "2026-10-01T10:00:00.100000Z",
               "annotations": {"authorization.k8s.io/decision": "allow", "note": format!("token was {token}")}})
    };
    let secret_body = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts", "namespace": "istio-system"},
                             "data": {"ca-key.pem": B64.encode(&ca_key_pem)}, "stringData": {"token": token, "peer": kc}});
    let log = [
        event("e-1", "RequestReceived", secret_body.clone()),
        event("e-1", "ResponseComplete", secret_body),
    ]
    .iter()
    .map(|e| serde_json::to_string(e).expect("json"))
    .collect::<Vec<_>>()
    .join("\n");
    env.write("mesh/c1/audit/audit.log", log);

    let collect = env
        .cmd()
        .args(["-v", "-v", "collect", "--as-of", AS_OF, "-o", "json", "--from"])
        .arg(env.path("mesh"))
        .output()
        .expect("run");
    assert_eq!(
        collect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&collect.stderr)
    );
    planted.assert_absent("collect stdout", &collect.stdout);
    planted.assert_absent("collect logs (stderr, -vv)", &collect.stderr);

    let list = env
        .cmd()
        .args(["-v", "-v", "evidence", "list", "-o", "json"])
        .output()
        .expect("run");
    assert!(list.status.success());
    planted.assert_absent("evidence list", &list.stdout);
    planted.assert_absent("evidence list logs", &list.stderr);
    let yaml = env
        .cmd()
        .args(["evidence", "list", "-o", "yaml"])
        .output()
        .expect("run");
    planted.assert_absent("evidence list -o yaml", &yaml.stdout);
    let verify = env.cmd().args(["verify", "-o", "json"]).output().expect("run");
    planted.assert_absent("verify", &verify.stdout);
    for file in ["meshproof.db", "meshproof.db-wal", "meshproof.db.checkpoint"] {
        if let Ok(bytes) = std::fs::read(env.path(file)) {
            planted.assert_absent(file, &bytes);
        }
    }

    // What remains are facts an auditor can use.
    let records: Vec<Value> = serde_json::from_slice(&list.stdout).expect("json");
    let find = |subject: &str| {
        records
            .iter()
            .find(|r| r["subject"] == subject)
            .unwrap_or_else(|| panic!("no {subject}"))
    };
    let cacerts = &find("c1/istio-system/Secret/cacerts")["body"]["data"];
    assert_eq!(cacerts["ca-key.pem"]["type"], "private-key");
    assert_eq!(cacerts["ca-key.pem"]["key"]["matches"], true, "{cacerts}");
    assert_eq!(cacerts["ca-cert.pem"]["certificates"][0]["is_ca"], true);
    assert_eq!(cacerts["legacy-key.pem"]["key"]["bits"], 2048);
    let peer = &find("c1/istio-system/Secret/istio-remote-secret-peer-1")["body"]["data"]["peer-1"]["kubeconfig"];
    let user = &peer["users"][0];
    assert_eq!(
        user["token"]["jwt"]["claims"]["sub"],
        "system:serviceaccount:istio-system:istio-reader-service-account"
    );
    assert_eq!(user["token"]["jwt"]["claims"]["exp"], 1790000000);
    assert_eq!(peer["clusters"][0]["insecure_skip_tls_verify"], true);
    let relay = &find("c1/gloo-mesh/Secret/relay-identity-token-secret")["body"]["data"]["token"];
    assert_eq!(relay["size"], opaque.len());
    assert_eq!(relay["sha256"].as_str().map(str::len), Some(64));
    let audit = find("c1/audit/e-1");
    assert_eq!(audit["body"]["user"]["username"], "alice@example.com");
}

#[test]
fn the_sample_mesh_leaves_no_key_or_token_in_the_store() {
    let env = Env::new();
    let mesh = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh");
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(&mesh)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let store = std::fs::read(env.store()).expect("store");
    let text = String::from_utf8_lossy(&store);
    // Every private key and token planted in the sample (see sample-evidence/README.md).
    assert!(!text.contains("PRIVATE KEY"), "a PEM private key reached the store");
    assert!(
        !text.contains("rly-PLANTED-"),
        "the planted relay token reached the store"
    );
    let jwt_like = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .filter(|w| w.starts_with("eyJ") && w.split('.').count() == 3 && w.split('.').all(|p| p.len() > 10))
        .count();
    assert_eq!(jwt_like, 0, "JWTs reached the store");
    // Base64 of a PEM private key begins with the base64 of "-----BEGIN".
    assert!(
        !text.contains("LS0tLS1CRUdJTi"),
        "base64 PEM material reached the store"
    );
    // The facts are there instead.
    let list = env
        .cmd()
        .args([
            "evidence",
            "list",
            "--subject",
            "us-east-1/istio-system/Secret/cacerts",
            "-o",
            "json",
        ])
        .output()
        .expect("run");
    let records: Vec<Value> = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(records[0]["body"]["data"]["ca-key.pem"]["key"]["matches"], true);
    assert_eq!(records[0]["body"]["data"]["ca-key.pem"]["key"]["format"], "pkcs1");
}
