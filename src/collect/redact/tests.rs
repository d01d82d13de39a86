//! Tests of the redaction module on real Istio sample certificates, generated keys and junk.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::*;
use crate::model::sha256;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CA_CERT: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/ca-cert.pem");
const CA_KEY: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/ca-key.pem");
const CA_CERT_ALT: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/ca-cert-alt.pem");
const CA_KEY_ALT: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/ca-key-alt.pem");
const CA_CERT_ALT_2: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/ca-cert-alt-2.pem");
const CA_KEY_ALT_2: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/ca-key-alt-2.pem");
const ROOT_CERT: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/root-cert.pem");
const ROOT_CERT_ALT: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/root-cert-alt.pem");
const CERT_CHAIN_ALT: &str = include_str!("../../../tests/fixtures/real-world/istio-sample-certs/cert-chain-alt.pem");
const ROOT_COMBINED: &[u8] =
    include_bytes!("../../../tests/fixtures/real-world/istio-sample-certs/root-cert-combined.pem");
const ROOT_COMBINED_2: &[u8] =
    include_bytes!("../../../tests/fixtures/real-world/istio-sample-certs/root-cert-combined-2.pem");
const WORKLOAD_FOO: &[u8] =
    include_bytes!("../../../tests/fixtures/real-world/istio-sample-certs/workload-foo-cert.pem");

fn b64(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

fn secret(entries: &[(&str, &[u8])]) -> Value {
    let data: serde_json::Map<String, Value> = entries
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String(b64(v))))
        .collect();
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts", "namespace": "istio-system"},
           "type": "Opaque", "data": data})
}

fn redacted(mut object: Value) -> Value {
    redact_object(&mut object);
    object
}

fn entry<'a>(object: &'a Value, name: &str) -> &'a Value {
    &object["data"][name]
}

/// The base64 body lines of a PEM text (what must never appear).
fn pem_body_lines(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect()
}

fn assert_absent(haystack: &str, needle: &str, what: &str) {
    assert!(!haystack.contains(needle), "{what} leaked");
}

/// A JWT with a long RS256-like signature.
fn make_jwt(claims: &Value) -> (String, String) {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"Zk9mcGxhY2Vob2xkZXI"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let sig_bytes: Vec<u8> = (0..256u32)
        .map(|i| (i.wrapping_mul(37).wrapping_add(11) % 251) as u8)
        .collect();
    let signature = URL_SAFE_NO_PAD.encode(sig_bytes);
    (format!("{header}.{payload}.{signature}"), signature)
}

#[test]
fn pkcs1_key_matches_its_certificate() {
    let out = redacted(secret(&[
        ("ca-cert.pem", CA_CERT.as_bytes()),
        ("ca-key.pem", CA_KEY.as_bytes()),
        ("root-cert.pem", ROOT_CERT.as_bytes()),
        ("cert-chain.pem", CA_CERT.as_bytes()),
    ]));
    let key = entry(&out, "ca-key.pem");
    assert_eq!(key["type"], "private-key");
    assert_eq!(key["size"], CA_KEY.len());
    assert_eq!(key["key"]["format"], "pkcs1");
    assert_eq!(key["key"]["algorithm"], "rsa");
    assert_eq!(key["key"]["bits"], 2048);
    assert_eq!(key["key"]["matches"], true);
    assert_eq!(key["key"]["matches_certificate"], "ca-cert.pem");
    let cert = &entry(&out, "ca-cert.pem")["certificates"][0];
    assert_eq!(key["key"]["public_key_sha256"], cert["spki_sha256"]);
    assert_eq!(entry(&out, "ca-cert.pem")["pem"], CA_CERT);
    // Intermediate A as documented in NOTES.md.
    assert_eq!(cert["serial"], "e37589fac1676fc1");
    assert_eq!(
        cert["sha256"],
        "f867174e4a31f1792f8c0354a23f8f049bd4019729cd2ee579d67033065b2dc2"
    );
    assert_eq!(cert["is_ca"], true);
    assert_eq!(cert["ski"], Value::Null);
    assert_eq!(cert["san"]["dns"], json!(["ca.istio.io"]));
    assert_eq!(cert["not_after"], "2117-12-31T19:15:51Z");
    assert_eq!(cert["signature_algorithm"], "sha256WithRSAEncryption");
    let text = out.to_string();
    for line in pem_body_lines(CA_KEY) {
        assert_absent(&text, line, "PKCS#1 key body");
    }
    assert_absent(&text, &b64(CA_KEY), "base64 key");
}

#[test]
fn pkcs8_alt_key_matches_and_alt_2_key_does_not() {
    let out = redacted(secret(&[
        ("ca-cert.pem", CA_CERT_ALT.as_bytes()),
        ("ca-key.pem", CA_KEY_ALT.as_bytes()),
        ("root-cert.pem", ROOT_CERT_ALT.as_bytes()),
        ("cert-chain.pem", CERT_CHAIN_ALT.as_bytes()),
    ]));
    let key = &entry(&out, "ca-key.pem")["key"];
    assert_eq!(key["format"], "pkcs8");
    assert_eq!(key["bits"], 4096);
    assert_eq!(key["matches"], true);
    assert_eq!(key["matches_certificate"], "ca-cert.pem");
    assert_eq!(
        entry(&out, "cert-chain.pem")["certificates"].as_array().map(Vec::len),
        Some(2)
    );

    let out = redacted(secret(&[
        ("ca-cert.pem", CA_CERT_ALT_2.as_bytes()),
        ("ca-key.pem", CA_KEY_ALT_2.as_bytes()),
        ("root-cert.pem", ROOT_CERT_ALT.as_bytes()),
    ]));
    let key = &entry(&out, "ca-key.pem")["key"];
    assert_eq!(key["format"], "pkcs8");
    assert_eq!(key["algorithm"], "rsa");
    assert_eq!(key["bits"], 4096);
    assert_eq!(key["matches"], false);
    assert_eq!(key["matches_certificate"], Value::Null);
    assert!(key["public_key_sha256"].as_str().is_some_and(|h| h.len() == 64));
    for line in pem_body_lines(CA_KEY_ALT_2) {
        assert_absent(&out.to_string(), line, "PKCS#8 key body");
    }
}

#[test]
fn key_without_certificates_has_null_match() {
    let out = redacted(secret(&[("ca-key.pem", CA_KEY.as_bytes())]));
    assert_eq!(entry(&out, "ca-key.pem")["key"]["matches"], Value::Null);
}

#[test]
fn bundles_dual_root_and_duplicate() {
    let facts = certificate_facts(ROOT_COMBINED);
    let certs = facts["certificates"].as_array().cloned().unwrap_or_default();
    assert_eq!(certs.len(), 2);
    assert_eq!(facts["errors"], json!([]));
    assert_eq!(certs[0]["serial"], "e2110e139cc6cc7a");
    assert_eq!(
        certs[0]["sha256"],
        "63727a1785cab47acec5c24cc0669c20824e8ae1ac28079a4d2f8c830592e7b0"
    );
    assert_eq!(certs[0]["self_issued"], true);
    assert_eq!(
        certs[1]["sha256"],
        "11c9202c6be8ea5fcfb46d8591a8cf83b20eb97ade97234840851af8763ae428"
    );
    assert_eq!(
        certs[1]["key"],
        json!({"algorithm": "rsa", "bits": 4096, "curve": null})
    );
    assert_eq!(
        certs[1]["key_usage"],
        json!(["digitalSignature", "nonRepudiation", "keyEncipherment", "keyCertSign"])
    );

    let facts = certificate_facts(ROOT_COMBINED_2);
    let certs = facts["certificates"].as_array().cloned().unwrap_or_default();
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[1]["sha256"], certs[2]["sha256"]);
    assert_ne!(certs[0]["sha256"], certs[1]["sha256"]);
}

#[test]
fn workload_certificate_facts() {
    let facts = certificate_facts(WORKLOAD_FOO);
    let leaf = &facts["certificates"][0];
    assert_eq!(leaf["subject"], "");
    assert_eq!(leaf["san"]["uri"], json!(["spiffe://trust-domain-foo/ns/foo/sa/foo"]));
    assert_eq!(leaf["spiffe_trust_domains"], json!(["trust-domain-foo"]));
    assert_eq!(leaf["is_ca"], false);
    assert_eq!(leaf["serial"], "56b993119a3099bbe3c6286acb4b6a09be820c91");
    assert_eq!(leaf["extended_key_usage"], json!(["serverAuth", "clientAuth"]));
    assert_eq!(facts["certificates"].as_array().map(Vec::len), Some(2));
}

fn rcgen_pair(alg: &'static rcgen::SignatureAlgorithm) -> Result<(String, String), Box<dyn std::error::Error>> {
    let key = rcgen::KeyPair::generate_for(alg)?;
    let cert = rcgen::CertificateParams::new(vec!["svc.example".to_string()])?.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[test]
fn ec_and_ed25519_keys_match_their_certificates() -> TestResult {
    let cases: [(&'static rcgen::SignatureAlgorithm, &str, Value, u32); 3] = [
        (&rcgen::PKCS_ECDSA_P256_SHA256, "ec", json!("P-256"), 256),
        (&rcgen::PKCS_ECDSA_P384_SHA384, "ec", json!("P-384"), 384),
        (&rcgen::PKCS_ED25519, "ed25519", Value::Null, 256),
    ];
    for (alg, algorithm, curve, bits) in cases {
        let (cert, key) = rcgen_pair(alg)?;
        let out = redacted(secret(&[("tls.crt", cert.as_bytes()), ("tls.key", key.as_bytes())]));
        let facts = &entry(&out, "tls.key")["key"];
        assert_eq!(facts["format"], "pkcs8", "{algorithm}");
        assert_eq!(facts["algorithm"], algorithm);
        assert_eq!(facts["curve"], curve);
        assert_eq!(facts["bits"], bits);
        assert_eq!(facts["matches"], true, "{algorithm} {curve}");
        assert_eq!(facts["matches_certificate"], "tls.crt");
        assert_eq!(entry(&out, "tls.crt")["certificates"][0]["key"]["curve"], curve);
        for line in pem_body_lines(&key) {
            assert_absent(&out.to_string(), line, "generated key body");
        }
        // A combined PEM keeps the certificate and reduces the key.
        let combined = format!("{cert}{key}");
        let out = redacted(secret(&[("tls.pem", combined.as_bytes())]));
        let e = entry(&out, "tls.pem");
        assert_eq!(e["type"], "certificates");
        assert_eq!(e["key"]["matches"], true);
        assert_eq!(e["certificates"].as_array().map(Vec::len), Some(1));
        assert!(e["pem"].as_str().is_some_and(|p| !p.contains("PRIVATE KEY")));
    }
    Ok(())
}

#[test]
fn der_private_key_in_secret() -> TestResult {
    let (cert, key) = rcgen_pair(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let der = rcgen::KeyPair::from_pem(&key)?.serialize_der();
    let out = redacted(secret(&[("tls.crt", cert.as_bytes()), ("tls.key", &der)]));
    assert_eq!(entry(&out, "tls.key")["type"], "private-key");
    assert_eq!(entry(&out, "tls.key")["key"]["matches"], true);
    assert_absent(&out.to_string(), &b64(&der), "DER key");
    Ok(())
}

/// Runs a tool from the test; `None` when it is not installed or fails.
fn run(cmd: &str, args: &[&str]) -> Option<Vec<u8>> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status.success().then_some(out.stdout)
}

#[test]
fn openssl_rsa_1024_and_sec1_keys() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let Some(rsa) = run("openssl", &["genrsa", "-traditional", "1024"]) else {
        return Ok(());
    };
    std::fs::write(path("rsa.pem"), &rsa)?;
    let rsa_cert = run(
        "openssl",
        &["req", "-x509", "-key", &path("rsa.pem"), "-subj", "/CN=t", "-days", "1"],
    )
    .unwrap_or_default();
    let out = redacted(secret(&[("tls.crt", &rsa_cert), ("tls.key", &rsa)]));
    let key = &entry(&out, "tls.key")["key"];
    assert_eq!(
        (key["format"].clone(), key["bits"].clone()),
        (json!("pkcs1"), json!(1024))
    );
    assert_eq!(key["matches"], true);

    let Some(ec) = run("openssl", &["ecparam", "-name", "prime256v1", "-genkey", "-noout"]) else {
        return Ok(());
    };
    assert!(String::from_utf8_lossy(&ec).contains("EC PRIVATE KEY"));
    std::fs::write(path("ec.pem"), &ec)?;
    let ec_cert = run(
        "openssl",
        &["req", "-x509", "-key", &path("ec.pem"), "-subj", "/CN=t", "-days", "1"],
    )
    .unwrap_or_default();
    let out = redacted(secret(&[("tls.crt", &ec_cert), ("tls.key", &ec)]));
    let key = &entry(&out, "tls.key")["key"];
    assert_eq!(
        (key["format"].clone(), key["curve"].clone()),
        (json!("sec1"), json!("P-256"))
    );
    assert_eq!(key["matches"], true);
    Ok(())
}

#[test]
fn openssh_key_hash_equals_its_pem_form() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("id").to_string_lossy().into_owned();
    if run("ssh-keygen", &["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", &file]).is_none() {
        return Ok(());
    }
    let openssh = std::fs::read(&file)?;
    if run(
        "ssh-keygen",
        &["-q", "-p", "-m", "PEM", "-N", "", "-P", "", "-f", &file],
    )
    .is_none()
    {
        return Ok(());
    }
    let pem = std::fs::read(&file)?;
    let out = redacted(secret(&[("a.key", &openssh), ("b.key", &pem)]));
    let (a, b) = (&entry(&out, "a.key")["key"], &entry(&out, "b.key")["key"]);
    assert_eq!(a["format"], "openssh");
    assert_eq!(a["bits"], 2048);
    assert!(a["public_key_sha256"].is_string());
    assert_eq!(a["public_key_sha256"], b["public_key_sha256"]);
    Ok(())
}

#[test]
fn remote_secret_keeps_facts_and_drops_credentials() -> TestResult {
    let claims = json!({"iss": "kubernetes/serviceaccount", "iat": 1735732800, "exp": 1767268800,
        "sub": "system:serviceaccount:istio-system:istio-reader-service-account"});
    let (token, signature) = make_jwt(&claims);
    let (client_cert, client_key) = rcgen_pair(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: eu-west-prod\n  cluster:\n    server: https://10.20.0.10:6443\n    certificate-authority-data: {}\ncontexts:\n- name: eu-west-prod\n  context: {{cluster: eu-west-prod, user: eu-west-prod}}\ncurrent-context: eu-west-prod\nusers:\n- name: eu-west-prod\n  user:\n    token: {token}\n- name: admin\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n- name: basic\n  user: {{username: u, password: hunter2-secret-pw}}\n- name: plugin\n  user:\n    exec: {{command: aws, args: [eks, get-token, --secret-arg-value], env: [{{name: K, value: env-secret-value}}]}}\n",
        b64(ROOT_CERT),
        b64(&client_cert),
        b64(&client_key),
    );
    let mut object = secret(&[("eu-west-prod", kubeconfig.as_bytes())]);
    object["metadata"]["name"] = json!("istio-remote-secret-eu-west-prod");
    let out = redacted(object);
    let text = out.to_string();
    assert_absent(&text, &token, "token");
    assert_absent(&text, &signature, "signature");
    assert_absent(&text, &b64(&client_key), "base64 client key");
    assert_absent(&text, &b64(&kubeconfig), "base64 kubeconfig");
    for line in pem_body_lines(&client_key) {
        assert_absent(&text, line, "client key body");
    }
    for secret_text in ["hunter2-secret-pw", "--secret-arg-value", "env-secret-value"] {
        assert_absent(&text, secret_text, secret_text);
    }
    let entry = entry(&out, "eu-west-prod");
    assert_eq!(entry["type"], "kubeconfig");
    let config = &entry["kubeconfig"];
    let user = &config["users"][0];
    assert_eq!(user["auth"], "token");
    assert_eq!(user["token"]["sha256"], sha256(token.as_bytes()).to_hex());
    assert_eq!(user["token"]["jwt"]["claims"], claims);
    assert!(text.contains("system:serviceaccount:istio-system:istio-reader-service-account"));
    assert!(text.contains("1735732800") && text.contains("1767268800"));
    assert_eq!(config["users"][1]["auth"], "client-certificate");
    assert_eq!(config["users"][1]["client_key"]["matches"], true);
    assert_eq!(config["users"][2]["auth"], "basic");
    assert_eq!(config["users"][3]["exec_command"], "aws");
    let cluster = &config["clusters"][0];
    assert_eq!(cluster["server"], "https://10.20.0.10:6443");
    assert_eq!(cluster["certificate_authority"]["source"], "data");
    assert_eq!(
        cluster["certificate_authority"]["certificates"][0]["serial"],
        "e2110e139cc6cc7a"
    );
    assert_eq!(config["current_context"], "eu-west-prod");
    assert_eq!(config["contexts"][0]["user"], "eu-west-prod");
    Ok(())
}

#[test]
fn string_data_is_merged_into_data() {
    let object = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "data": {"a": b64("short"), "keep": b64("value")},
        "stringData": {"a": "a longer override", "ca.crt": ROOT_CERT, "token": "opaque-relay-token-value"}});
    let out = redacted(object);
    assert!(out.get("stringData").is_none());
    assert_eq!(
        entry(&out, "a"),
        &json!({"type": "opaque", "size": 17, "redacted": true})
    );
    assert_eq!(entry(&out, "keep")["size"], 5);
    assert_eq!(entry(&out, "ca.crt")["type"], "certificates");
    let token = entry(&out, "token");
    assert_eq!(token["type"], "token");
    assert_eq!(token["jwt"], Value::Null);
    assert_eq!(token["sha256"], sha256(b"opaque-relay-token-value").to_hex());
    assert_absent(&out.to_string(), "opaque-relay-token-value", "relay token");
}

#[test]
fn last_applied_configuration_of_a_secret_is_redacted() {
    let applied = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts"},
        "stringData": {"ca-key.pem": CA_KEY, "ca-cert.pem": CA_CERT}});
    let mut object = secret(&[("ca-cert.pem", CA_CERT.as_bytes())]);
    object["metadata"]["annotations"] = json!({LAST_APPLIED: applied.to_string()});
    object["metadata"]["managedFields"] = json!([{"manager": "kubectl", "operation": "Apply",
        "apiVersion": "v1", "time": "2025-01-10T08:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:ca-key.pem": {}}}}]);
    let out = redacted(object);
    let annotation = out["metadata"]["annotations"][LAST_APPLIED]
        .as_str()
        .unwrap_or_default();
    let inner: Value = serde_json::from_str(annotation).unwrap_or_default();
    assert_eq!(inner["data"]["ca-key.pem"]["key"]["matches"], true);
    assert!(inner.get("stringData").is_none());
    for line in pem_body_lines(CA_KEY) {
        assert_absent(&out.to_string(), line, "key in last-applied");
    }
    assert_eq!(out["metadata"]["managedFields"][0].get("fieldsV1"), None);
    assert_eq!(out["metadata"]["managedFields"][0]["manager"], "kubectl");

    let mut object = secret(&[]);
    object["metadata"]["annotations"] = json!({LAST_APPLIED: "{\"kind\":\"Secret\",\"data\":{\"x\":"});
    let out = redacted(object);
    assert_eq!(
        out["metadata"]["annotations"][LAST_APPLIED],
        "[redacted: unparsable last-applied-configuration, 29 bytes]"
    );
}

#[test]
fn token_request_status_token_is_reduced() {
    let (token, signature) = make_jwt(&json!({"sub": "system:serviceaccount:a:b", "exp": 1}));
    let out = redacted(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "status": {"token": token, "expirationTimestamp": "2026-01-01T00:00:00Z"}}));
    assert_eq!(
        out["status"]["token"]["jwt"]["claims"]["sub"],
        "system:serviceaccount:a:b"
    );
    assert_absent(&out.to_string(), &signature, "signature");
}

#[test]
fn scrub_catches_keys_and_tokens_anywhere() {
    let (token, signature) = make_jwt(&json!({"sub": "system:serviceaccount:x:y", "exp": 42}));
    let mut value = json!({
        "kind": "ConfigMap",
        "data": {"bundle": format!("# ca\n{CA_CERT}{CA_KEY}"), "plain": "nothing to see here, just a long string"},
        "items": [1, ["Authorization: Bearer ".to_string() + &token], {"deep": [format!("token={token}")]}],
        "encoded": b64(CA_KEY_ALT),
        "encoded_jwt": b64(&token),
        "command": "curl -H 'Authorization: Bearer s3cr3t-opaque-token-1234567890' https://x",
    });
    let before = value.clone();
    let count = scrub(&mut value);
    assert_eq!(count, 6, "{before:#}\n{value:#}");
    let text = value.to_string();
    assert_absent(&text, &signature, "signature");
    assert_absent(&text, "s3cr3t-opaque-token-1234567890", "opaque bearer token");
    for line in pem_body_lines(CA_KEY).into_iter().chain(pem_body_lines(CA_KEY_ALT)) {
        assert_absent(&text, line, "key body");
    }
    let bundle = value["data"]["bundle"].as_str().unwrap_or_default();
    assert!(bundle.contains("-----BEGIN CERTIFICATE-----"), "certificates stay");
    assert!(bundle.contains("[redacted private key: rsa 2048, public_key_sha256="));
    assert!(
        value["encoded"]
            .as_str()
            .is_some_and(|s| s.starts_with("[redacted private key: rsa 4096,"))
    );
    let expected = format!(
        "[redacted token: sha256={}, sub=system:serviceaccount:x:y, exp=42]",
        sha256(token.as_bytes())
    );
    assert_eq!(value["encoded_jwt"], expected);
    assert_eq!(value["items"][2]["deep"][0], format!("token={expected}"));
    assert_eq!(value["data"]["plain"], "nothing to see here, just a long string");
    // Idempotent: a second pass finds nothing.
    assert_eq!(scrub(&mut value), 0);
}

#[test]
fn scrub_reduces_kubeconfig_texts_and_their_base64() {
    let (token, _) = make_jwt(&json!({"sub": "s", "exp": 1}));
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://a:6443'}}\nusers:\n- name: u\n  user: {{token: plain-non-jwt-token-value}}\n- name: v\n  user: {{token: {token}}}\ncontexts: []\n"
    );
    let mut value = json!({"yaml": kubeconfig, "b64": b64(&kubeconfig)});
    assert_eq!(scrub(&mut value), 2);
    let text = value.to_string();
    assert_absent(&text, "plain-non-jwt-token-value", "kubeconfig token");
    assert_absent(&text, &token, "jwt");
    let reduced: Value = serde_json::from_str(value["yaml"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(reduced["clusters"][0]["server"], "https://a:6443");
    assert_eq!(
        reduced["users"][0]["token"]["sha256"],
        sha256(b"plain-non-jwt-token-value").to_hex()
    );
    assert_eq!(value["yaml"], value["b64"]);
    assert_eq!(scrub(&mut value), 0);
}

#[test]
fn junk_never_panics_and_never_leaks() {
    let truncated = CA_KEY.get(..CA_KEY.len() / 2).unwrap_or_default();
    let two_segments = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0";
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let mut object = secret(&[
        ("tls.key", truncated.as_bytes()),
        ("blob", &garbage),
        ("token", two_segments.as_bytes()),
        ("der", &[0x30, 0x82, 0xff, 0xff, 0x02, 0x01]),
        ("cfg", b"clusters: [\nusers: token: x"),
    ]);
    object["data"]["bad"] = json!("not base64!!");
    object["data"]["num"] = json!(5);
    let out = redacted(object);
    assert_eq!(entry(&out, "tls.key")["type"], "private-key");
    assert_eq!(
        entry(&out, "bad"),
        &json!({"type": "invalid", "size": 12, "redacted": true, "error": "not valid base64"})
    );
    assert_eq!(entry(&out, "num")["type"], "invalid");
    assert_eq!(entry(&out, "token")["jwt"], Value::Null);
    assert_eq!(entry(&out, "blob")["type"], "opaque");
    assert_eq!(entry(&out, "cfg")["type"], "kubeconfig");
    for line in pem_body_lines(truncated) {
        assert_absent(&out.to_string(), line, "truncated key body");
    }
    let mut texts = json!([
        truncated,
        "A".repeat(1 << 20),
        "MDAw".repeat(1 << 18),
        "eyJ".repeat(1 << 18),
        "-----BEGIN PRIVATE KEY-----".repeat(1000),
        "Bearer ".repeat(1000),
        format!("{}.{}", "eyJ".repeat(100), "eyJ".repeat(100)),
        String::from_utf8_lossy(&garbage),
    ]);
    scrub(&mut texts);
    assert!(
        !texts
            .to_string()
            .contains(pem_body_lines(truncated).first().copied().unwrap_or("x"))
    );
    assert!(
        certificate_facts(&garbage)["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let broken = format!("{}\n-----END CERTIFICATE-----", CA_CERT.get(..400).unwrap_or_default());
    assert_eq!(
        certificate_facts(broken.as_bytes())["errors"].as_array().map(Vec::len),
        Some(1)
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn scrub_and_redact_survive_random_input(text in ".{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut value = json!([text.clone(), String::from_utf8_lossy(&bytes), b64(&bytes)]);
            scrub(&mut value);
            let mut object = secret(&[("x", &bytes), ("tls.key", text.as_bytes())]);
            redact_object(&mut object);
            let _ = certificate_facts(&bytes);
        }

        #[test]
        fn mangled_keys_never_leak(cut in 0usize..1679, flip in 0usize..1679) {
            let mut key: Vec<u8> = CA_KEY.as_bytes().to_vec();
            if let Some(b) = key.get_mut(flip) { *b ^= 0x01; }
            key.truncate(cut.max(40));
            let text = String::from_utf8_lossy(&key).into_owned();
            let mut value = json!({"v": text});
            scrub(&mut value);
            let out = value.to_string();
            for line in pem_body_lines(CA_KEY) {
                prop_assert!(!out.contains(line));
            }
        }
    }
}
