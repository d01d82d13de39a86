//! Redaction: private keys and bearer tokens become non-secret facts the moment they are read.
//!
//! (Placeholder that over-redacts: every Secret value becomes its size. Replaced by the full
//! reduction of certificates, keys, kubeconfigs and tokens.)

use serde_json::{Value, json};

/// Redacts one Kubernetes object in place.
pub fn redact_object(object: &mut Value) {
    let is_secret = object.get("kind").and_then(Value::as_str) == Some("Secret");
    if !is_secret {
        return;
    }
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let mut data = serde_json::Map::new();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(entries)) = map.remove(field) {
            for (k, v) in entries {
                let size = v.as_str().map(str::len).unwrap_or(0);
                data.insert(k, json!({"type": "opaque", "redacted": true, "size": size}));
            }
        }
    }
    map.insert("data".into(), Value::Object(data));
}

/// Safety net over any JSON (placeholder: replaced by the full scrubber).
pub fn scrub(_value: &mut Value) -> usize {
    0
}
