//! Secret data entries reduced to tagged facts (shapes documented in the `redact` module).
//!
//! `stringData` is merged into `data` as the API server would (it wins on equal keys), then
//! every entry is classified by content (PEM private key, PEM certificates, kubeconfig, JWT, DER
//! private key) and by key name (`token`), and replaced. Private keys are paired with the
//! certificates of the same Secret to report whether they match.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::certificates::{self, Bundle};
use super::pem::{self, BASE64_LENIENT};
use super::private_key::{self, KeyFacts};
use super::{jwt, kubeconfig};

/// One entry after classification; keys and certificates wait for the pairing pass.
enum Classified {
    /// Final form.
    Done(Value),
    /// A private key alone.
    Key { size: usize, facts: KeyFacts },
    /// Certificates, possibly with a private key in the same PEM text.
    Certificates {
        size: usize,
        pem: String,
        bundle: Bundle,
        key: Option<KeyFacts>,
    },
}

/// Decoded bytes of an entry, or why not and the size of what was there.
type RawEntry = Result<Vec<u8>, (&'static str, usize)>;

/// Replaces `data` and `stringData` of a Secret by redacted `data`.
pub(super) fn redact_secret(secret: &mut Map<String, Value>) {
    let mut raw: Vec<(String, RawEntry)> = Vec::new();
    if let Some(Value::Object(data)) = secret.remove("data") {
        for (name, value) in data {
            let bytes = match value {
                Value::String(text) => decode_data(&text).ok_or(("not valid base64", text.len())),
                Value::Null => Ok(Vec::new()),
                _ => Err(("not a string", 0)),
            };
            raw.push((name, bytes));
        }
    }
    if let Some(Value::Object(string_data)) = secret.remove("stringData") {
        for (name, value) in string_data {
            let bytes = match value {
                Value::String(text) => Ok(text.into_bytes()),
                _ => Err(("not a string", 0)),
            };
            raw.retain(|(n, _)| *n != name);
            raw.push((name, bytes));
        }
    }

    let classified: Vec<(String, Classified)> = raw
        .into_iter()
        .map(|(name, bytes)| {
            let entry = match bytes {
                Ok(bytes) => classify(&name, &bytes),
                Err((error, size)) => Classified::Done(invalid(size, error)),
            };
            (name, entry)
        })
        .collect();

    let cert_sets: Vec<(&str, &[String])> = classified
        .iter()
        .filter_map(|(name, c)| match c {
            Classified::Certificates { bundle, .. } if !bundle.spki_hashes.is_empty() => {
                Some((name.as_str(), bundle.spki_hashes.as_slice()))
            }
            _ => None,
        })
        .collect();

    let mut data = Map::new();
    for (name, entry) in &classified {
        let value = match entry {
            Classified::Done(value) => value.clone(),
            Classified::Key { size, facts } => {
                let (with, matches) = match_key(name, facts, &cert_sets);
                json!({"type": "private-key", "size": size, "redacted": true, "key": facts.to_json(with, matches)})
            }
            Classified::Certificates { size, pem, bundle, key } => {
                let mut value = json!({
                    "type": "certificates",
                    "size": size,
                    "pem": pem,
                    "certificates": bundle.certificates,
                    "errors": bundle.errors,
                });
                if let (Some(facts), Some(obj)) = (key, value.as_object_mut()) {
                    let (with, matches) = match_key(name, facts, &cert_sets);
                    obj.insert("redacted".into(), Value::Bool(true));
                    obj.insert("key".into(), facts.to_json(with, matches));
                }
                value
            }
        };
        data.insert(name.clone(), value);
    }
    secret.insert("data".into(), Value::Object(data));
}

/// Secret `data` values are standard base64; tolerate line breaks and missing padding.
fn decode_data(text: &str) -> Option<Vec<u8>> {
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        BASE64_LENIENT.decode(compact.as_bytes()).ok()
    } else {
        BASE64_LENIENT.decode(text.as_bytes()).ok()
    }
}

fn invalid(size: usize, error: &str) -> Value {
    json!({"type": "invalid", "size": size, "redacted": true, "error": error})
}

fn opaque(size: usize) -> Value {
    json!({"type": "opaque", "size": size, "redacted": true})
}

/// Classifies one decoded entry.
fn classify(name: &str, bytes: &[u8]) -> Classified {
    let size = bytes.len();
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN ") {
        let blocks = pem::blocks(&text);
        let key = blocks
            .iter()
            .find(|b| b.is_private_key())
            .map(private_key::from_pem_block);
        let has_certificates = blocks.iter().any(|b| b.is_certificate());
        match (key, has_certificates) {
            (Some(facts), false) => return Classified::Key { size, facts },
            (key, true) => {
                let bundle = certificates::from_blocks(&blocks);
                let pem = if key.is_some() {
                    // Keep only the certificate blocks, exactly as written.
                    let mut kept = String::new();
                    for block in blocks.iter().filter(|b| b.is_certificate()) {
                        kept.push_str(text.get(block.start..block.end).unwrap_or(""));
                        kept.push('\n');
                    }
                    kept
                } else {
                    text.into_owned()
                };
                return Classified::Certificates { size, pem, bundle, key };
            }
            (None, false) => {
                let labels: Vec<String> = blocks
                    .iter()
                    .map(|b| {
                        b.label
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
                            .collect()
                    })
                    .collect();
                if !labels.is_empty() {
                    return Classified::Done(
                        json!({"type": "opaque", "size": size, "redacted": true, "pem_labels": labels}),
                    );
                }
            }
        }
    }
    if kubeconfig::looks_like(&text) {
        if let Some(config) = kubeconfig::parse(&text) {
            return Classified::Done(json!({
                "type": "kubeconfig", "size": size, "redacted": true, "kubeconfig": kubeconfig::reduce(&config),
            }));
        }
        if kubeconfig::mentions_credentials(&text) {
            return Classified::Done(json!({
                "type": "kubeconfig", "size": size, "redacted": true, "kubeconfig": null,
                "error": "unparsable kubeconfig",
            }));
        }
    }
    if name == "token" || jwt::is_jwt(&text) {
        return Classified::Done(jwt::token_facts(&text, size));
    }
    if let Some(facts) = private_key::from_der(bytes) {
        return Classified::Key { size, facts };
    }
    Classified::Done(opaque(size))
}

/// Certificate entries a key entry is paired with, by name.
fn paired_names(key: &str) -> Vec<String> {
    let fixed: &[&str] = match key {
        "ca-key.pem" => &["ca-cert.pem"],
        "tls.key" => &["tls.crt"],
        "key.pem" => &["cert-chain.pem", "cert.pem"],
        "root-key.pem" => &["root-cert.pem"],
        _ => &[],
    };
    if !fixed.is_empty() {
        return fixed.iter().map(|s| (*s).to_string()).collect();
    }
    let mut names = Vec::new();
    if let Some(stem) = key.strip_suffix(".key") {
        names.extend([format!("{stem}.crt"), format!("{stem}.pem"), format!("{stem}.cert")]);
    }
    if key.contains("key") {
        names.extend([key.replace("key", "cert"), key.replace("key", "crt")]);
    }
    names
}

/// `(matches_certificate, matches)` of a key entry: compared with its paired certificate
/// entries when present (and with certificates in its own PEM text), otherwise with every
/// certificate of the Secret. `(None, None)` without certificates or without a public key.
fn match_key<'a>(
    key_name: &str,
    facts: &KeyFacts,
    cert_sets: &[(&'a str, &[String])],
) -> (Option<&'a str>, Option<bool>) {
    let Some(hash) = facts.public_key_sha256.as_ref() else {
        return (None, None);
    };
    if cert_sets.is_empty() {
        return (None, None);
    }
    let paired = paired_names(key_name);
    let is_paired = |name: &str| name == key_name || paired.iter().any(|p| p == name);
    let holds = |set: &[String]| set.iter().any(|h| h == hash);
    let has_pair = cert_sets.iter().any(|(n, _)| is_paired(n));
    let matched_pair = cert_sets
        .iter()
        .find(|(n, set)| is_paired(n) && holds(set))
        .map(|(n, _)| *n);
    let matched_any = cert_sets.iter().find(|(_, set)| holds(set)).map(|(n, _)| *n);
    let with = matched_pair.or(matched_any);
    let matches = if has_pair {
        matched_pair.is_some()
    } else {
        matched_any.is_some()
    };
    (with, Some(matches))
}
