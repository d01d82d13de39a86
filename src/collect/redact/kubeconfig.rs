//! Kubeconfigs reduced to who connects where and how, without credentials.
//!
//! Kept: cluster names, servers, TLS server names, `insecure-skip-tls-verify`, CA certificate
//! facts; user names, the kind of authentication, token facts (hash and JWT claims), client
//! certificate facts and client key facts (with whether the key matches the certificate), the
//! auth-provider name and the exec command (without args or env); contexts and the current
//! context. Dropped entirely: passwords, auth-provider config, exec args and env, key bytes.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::pem::{self, BASE64_LENIENT};
use super::{certificates, jwt, private_key};

/// Kubeconfigs larger than this are not parsed (they are redacted whole).
const MAX_KUBECONFIG: usize = 4 << 20;

/// Cheap textual test: could `text` be a kubeconfig?
pub(super) fn looks_like(text: &str) -> bool {
    text.contains("clusters") && (text.contains("users") || text.contains("contexts"))
}

/// Whether a text that looks like a kubeconfig carries something secret.
pub(super) fn mentions_credentials(text: &str) -> bool {
    ["token", "client-key", "password", "auth-provider", "exec"]
        .iter()
        .any(|m| text.contains(m))
}

/// Parses a kubeconfig (YAML or JSON). `None` when it is not one.
pub(super) fn parse(text: &str) -> Option<Map<String, Value>> {
    if text.len() > MAX_KUBECONFIG {
        return None;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => serde_saphyr::from_str(text).ok()?,
    };
    let Value::Object(map) = value else {
        return None;
    };
    let is_config = map.get("kind").and_then(Value::as_str) == Some("Config");
    // Raw shape only: `clusters[].cluster` or `users[].user` (a reduced kubeconfig has neither).
    let entries_with = |list: &str, member: &str| {
        map.get(list)
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().any(|i| i.get(member).is_some()))
    };
    let has_lists = map.get("clusters").is_some_and(Value::is_array)
        && map.get("users").is_some_and(Value::is_array)
        && (entries_with("clusters", "cluster") || entries_with("users", "user"));
    (is_config || has_lists).then_some(map)
}

/// The reduced kubeconfig (the `kubeconfig` member of a redacted Secret entry).
pub(super) fn reduce(config: &Map<String, Value>) -> Value {
    let list = |name: &str| config.get(name).and_then(Value::as_array).cloned().unwrap_or_default();
    let clusters: Vec<Value> = list("clusters").iter().map(reduce_cluster).collect();
    let users: Vec<Value> = list("users").iter().map(reduce_user).collect();
    let contexts: Vec<Value> = list("contexts")
        .iter()
        .map(|c| {
            let ctx = c.get("context");
            json!({
                "name": text_of(c.get("name")),
                "cluster": text_of(ctx.and_then(|x| x.get("cluster"))),
                "user": text_of(ctx.and_then(|x| x.get("user"))),
                "namespace": text_of(ctx.and_then(|x| x.get("namespace"))),
            })
        })
        .collect();
    json!({
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current_context": text_of(config.get("current-context")),
    })
}

fn text_of(value: Option<&Value>) -> Value {
    match value {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        Some(Value::Bool(b)) => Value::String(b.to_string()),
        _ => Value::Null,
    }
}

fn is_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// Decoded `*-data` field (base64 of PEM).
fn data_field(value: Option<&Value>) -> Option<Vec<u8>> {
    let text = non_empty_str(value)?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    BASE64_LENIENT.decode(compact.as_bytes()).ok()
}

fn reduce_cluster(entry: &Value) -> Value {
    let cluster = entry.get("cluster");
    let field = |name: &str| cluster.and_then(|c| c.get(name));
    let ca = if let Some(pem_bytes) = data_field(field("certificate-authority-data")) {
        let bundle = certificates::from_blocks(&pem::blocks(&String::from_utf8_lossy(&pem_bytes)));
        json!({"present": true, "source": "data", "certificates": bundle.certificates, "errors": bundle.errors})
    } else if let Some(file) = non_empty_str(field("certificate-authority")) {
        json!({"present": true, "source": "file", "file": file, "certificates": []})
    } else {
        json!({"present": false, "source": "none", "certificates": []})
    };
    json!({
        "name": text_of(entry.get("name")),
        "server": text_of(field("server")),
        "tls_server_name": text_of(field("tls-server-name")),
        "insecure_skip_tls_verify": is_true(field("insecure-skip-tls-verify")),
        "certificate_authority": ca,
    })
}

fn reduce_user(entry: &Value) -> Value {
    let user = entry.get("user");
    let field = |name: &str| user.and_then(|u| u.get(name));
    let token = non_empty_str(field("token")).map(|t| jwt::token_facts(t, t.len()));

    let mut cert_hashes = Vec::new();
    let client_certificate = if let Some(pem_bytes) = data_field(field("client-certificate-data")) {
        let bundle = certificates::from_blocks(&pem::blocks(&String::from_utf8_lossy(&pem_bytes)));
        cert_hashes = bundle.spki_hashes.clone();
        Some(json!({"source": "data", "certificates": bundle.certificates, "errors": bundle.errors}))
    } else {
        non_empty_str(field("client-certificate")).map(|f| json!({"source": "file", "file": f, "certificates": []}))
    };

    let client_key = data_field(field("client-key-data")).map(|bytes| {
        let facts = key_facts_of(&bytes);
        let (name, matches) = match (&facts.public_key_sha256, cert_hashes.is_empty()) {
            (_, true) | (None, _) => (None, None),
            (Some(hash), false) => {
                let found = cert_hashes.contains(hash);
                (found.then_some("client-certificate-data"), Some(found))
            }
        };
        facts.to_json(name, matches)
    });

    let auth_provider = field("auth-provider")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str);
    let exec_command = field("exec").and_then(|e| e.get("command")).and_then(Value::as_str);
    let auth = if token.is_some() {
        "token"
    } else if non_empty_str(field("tokenFile")).is_some() {
        "token-file"
    } else if client_certificate.is_some() || client_key.is_some() || field("client-key").is_some() {
        "client-certificate"
    } else if field("username").is_some() || field("password").is_some() {
        "basic"
    } else if field("auth-provider").is_some() {
        "auth-provider"
    } else if field("exec").is_some() {
        "exec"
    } else {
        "none"
    };
    json!({
        "name": text_of(entry.get("name")),
        "auth": auth,
        "token": token,
        "client_certificate": client_certificate,
        "client_key": client_key,
        "auth_provider": auth_provider,
        "exec_command": exec_command,
    })
}

/// Key facts of PEM or DER key bytes; unknown facts when neither parses.
fn key_facts_of(bytes: &[u8]) -> private_key::KeyFacts {
    let text = String::from_utf8_lossy(bytes);
    let found = pem::blocks(&text);
    if let Some(block) = found.iter().find(|b| b.is_private_key()) {
        return private_key::from_pem_block(block);
    }
    private_key::from_der(bytes).unwrap_or(private_key::KeyFacts {
        format: "unknown",
        algorithm: "unknown",
        bits: None,
        curve: None,
        public_key_sha256: None,
    })
}
