//! Redaction: private keys and bearer tokens become non-secret facts the moment they are read.
//!
//! No private key, bearer token, password or kubeconfig credential leaves this module: not in
//! the returned values, not in errors (there are none: bad input yields an `invalid`/`unknown`
//! fact), not in logs. Nothing here panics on input.
//!
//! Entry points:
//! - [`redact_object`]: one Kubernetes object in place (Secrets, `last-applied-configuration`,
//!   `managedFields`, `TokenRequest`), then [`scrub`];
//! - [`scrub`]: the safety net for any JSON (audit events, git manifests, whole objects);
//! - [`certificate_facts`]: facts of every certificate of a PEM bundle.
//!
//! # Redacted Secret data entries
//!
//! Every `data` entry (after merging `stringData`) becomes one of these objects; `size` is the
//! decoded size in bytes:
//!
//! - certificate bundle (PEM CERTIFICATE blocks, no key):
//!   `{"type":"certificates","size","pem":"<PEM as given>","certificates":[CERT...],"errors":[...]}`;
//!   when the same PEM also holds a private key, `pem` keeps only the certificate blocks and
//!   `"redacted":true,"key":KEY` are added;
//! - private key (PEM `RSA PRIVATE KEY`, `PRIVATE KEY`, `EC PRIVATE KEY`,
//!   `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, any other `… PRIVATE KEY`, or DER):
//!   `{"type":"private-key","size","redacted":true,"key":KEY}` with KEY =
//!   `{"format":"pkcs1|pkcs8|sec1|encrypted|openssh|unknown","algorithm":"rsa|ec|ed25519|unknown",
//!   "bits":N|null,"curve":"P-256"|null,"public_key_sha256":hex|null,"matches_certificate":name|null,
//!   "matches":bool|null}`. `public_key_sha256` is the SHA-256 of the SubjectPublicKeyInfo DER
//!   derived from the private key (equal to a certificate's `spki_sha256` when they match).
//!   `matches` is null without certificates in the Secret (or without a derivable public key),
//!   otherwise whether the paired certificate entry holds the key (`ca-key.pem`↔`ca-cert.pem`,
//!   `tls.key`↔`tls.crt`, `key.pem`↔`cert-chain.pem`/`cert.pem`, `root-key.pem`↔`root-cert.pem`,
//!   `x.key`↔`x.crt`/`x.pem`, `*key*`↔`*cert*`/`*crt*`), or any certificate when no pair exists;
//!   `matches_certificate` names the entry whose certificate holds the key (pair first);
//! - kubeconfig (`kind: Config`, or `clusters[].cluster`/`users[].user`; istio remote secrets):
//!   `{"type":"kubeconfig","size","redacted":true,"kubeconfig":{"clusters":[{"name","server",
//!   "tls_server_name","insecure_skip_tls_verify","certificate_authority":{"present","source":
//!   "data|file|none","certificates":[CERT...]}}],"users":[{"name","auth":"token|token-file|
//!   client-certificate|basic|auth-provider|exec|none","token":TOKEN|null,"client_certificate":
//!   {"source","certificates":[CERT...]}|null,"client_key":KEY|null,"auth_provider":name|null,
//!   "exec_command":command|null}],"contexts":[{"name","cluster","user","namespace"}],
//!   "current_context"}}` (unparsable: `"kubeconfig":null,"error":"unparsable kubeconfig"`);
//! - token (entry `token`, or any JWT): TOKEN = `{"type":"token","size","redacted":true,
//!   "sha256":"<hex of the trimmed token>","jwt":{"header":{...},"claims":{...}}|null}`;
//!   the JWT signature is never kept;
//! - anything else: `{"type":"opaque","size","redacted":true}` (no hash: it may be a
//!   low-entropy password; PEM texts without keys or certificates add `"pem_labels"`);
//!   undecodable base64: `{"type":"invalid","size":<length of the text>,"redacted":true,
//!   "error":"not valid base64"}` (a non-string value: `"error":"not a string"`, size 0).
//!
//! CERT = `{"subject","issuer","serial","not_before","not_after","key":{"algorithm":
//! "rsa|ec|ed25519|other","bits","curve"},"signature_algorithm","is_ca","path_len","key_usage",
//! "extended_key_usage","ski","aki","san":{"dns","uri","ip"},"spiffe_trust_domains","self_issued",
//! "sha256","spki_sha256","der_size"}`: serial lower-case hex without colons or sign padding,
//! times RFC 3339 UTC (`…Z`), hashes lower-case hex. Signatures are not verified here.
//!
//! # What this module does not do
//!
//! It cannot recognise a random password or an opaque token outside a Secret, a kubeconfig,
//! a `Bearer` header or a `TokenRequest`; it does not verify signatures or chains; it does not
//! recompute an EC public point absent from the key structure (the hash is then null).

mod certificates;
mod der;
mod jwt;
mod kubeconfig;
mod pem;
mod private_key;
mod scrub;
mod secret;

use serde_json::Value;

pub use certificates::certificate_facts;
pub use scrub::scrub;

use crate::collect::selection::group_of;
use crate::model::to_canonical_vec;

/// The annotation `kubectl apply` writes, holding the whole applied object.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
static LAST_APPLIED_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(LAST_APPLIED));
/// Nesting limit for objects inside `last-applied-configuration` and `List` items.
const MAX_NESTING: u8 = 4;

/// The members [`redact_object`] drops from every object: the field sets of `managedFields`
/// (manager names, operations and times stay), as a path with `*` for each array item.
pub const DROPPED_MEMBERS: &[&str] = &["metadata", "managedFields", "*", "fieldsV1"];

/// JSON text without a backslash, so without escapes: every string in it (name or value) is a
/// piece of the text, exactly as written.
#[derive(Debug, Clone, Copy)]
pub struct Unescaped<'a>(&'a str);

impl<'a> Unescaped<'a> {
    /// `text`, when it has no backslash.
    pub fn new(text: &'a str) -> Option<Unescaped<'a>> {
        (!text.contains('\\')).then_some(Unescaped(text))
    }

    /// The text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Whether [`redact_object`] provably leaves the object whose JSON text is `text` as it is, but
/// for dropping [`DROPPED_MEMBERS`]. True only when its `kind` is none that is reduced by kind
/// (Secrets, `TokenRequest`s, lists), the text has no `last-applied-configuration`, and the
/// whole text holds no credential marker and no base64 run long enough to be decoded — then, as
/// every string's value is a piece of the text ([`Unescaped`]), no string holds one either, and
/// [`scrub`] changes none. The dump collector writes such objects without building a value tree.
pub fn changes_only_managed_fields(kind: &str, text: Unescaped<'_>) -> bool {
    let text = text.as_str();
    !matches!(kind, "Secret" | "TokenRequest")
        && !kind.ends_with("List")
        && LAST_APPLIED_FINDER.find(text.as_bytes()).is_none()
        && !scrub::may_hold_credential(text)
}

/// Redacts one Kubernetes object in place. Never fails, never panics.
pub fn redact_object(object: &mut Value) {
    redact_nested(object, 0);
    scrub(object);
}

fn redact_nested(object: &mut Value, depth: u8) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let api_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1")
        .to_string();
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
    let is_secret = kind == "Secret" && api_version == "v1";

    if is_secret {
        secret::redact_secret(map);
    }
    if kind == "TokenRequest"
        && group_of(&api_version) == "authentication.k8s.io"
        && let Some(token) = map.get_mut("status").and_then(|s| s.get_mut("token"))
        && let Some(text) = token.as_str()
    {
        *token = jwt::token_facts(text, text.len());
    }
    if kind.ends_with("List")
        && depth < MAX_NESTING
        && let Some(Value::Array(items)) = map.get_mut("items")
    {
        for item in items {
            redact_nested(item, depth + 1);
        }
    }
    drop_members(object, DROPPED_MEMBERS);
    let Some(Value::Object(metadata)) = object.get_mut("metadata") else {
        return;
    };
    if let Some(Value::Object(annotations)) = metadata.get_mut("annotations")
        && let Some(Value::String(text)) = annotations.get_mut(LAST_APPLIED)
        && let Some(new) = redact_last_applied(text, is_secret, depth)
    {
        *text = new;
    }
}

/// Removes the member that `path` ends in (member names, `*` for every item of an array), where
/// the path leads through objects and arrays; the dump collector's tape writer reads the same
/// path ([`crate::collect::json_tape::Cursor::write_canonical`]).
fn drop_members(value: &mut Value, path: &[&str]) {
    match (value, path) {
        (Value::Object(map), [last]) => {
            map.remove(*last);
        }
        (Value::Object(map), [head, rest @ ..]) => {
            if let Some(inner) = map.get_mut(*head) {
                drop_members(inner, rest);
            }
        }
        (Value::Array(items), ["*", rest @ ..]) => {
            for item in items {
                drop_members(item, rest);
            }
        }
        _ => {}
    }
}

/// The redacted `last-applied-configuration`, `None` to keep it as is.
fn redact_last_applied(text: &str, is_secret: bool, depth: u8) -> Option<String> {
    let unparsable = || {
        format!(
            "[redacted: unparsable last-applied-configuration, {} bytes]",
            text.len()
        )
    };
    let Ok(mut inner) = serde_json::from_str::<Value>(text) else {
        return is_secret.then(unparsable);
    };
    let inner_is_secret = inner.get("kind").and_then(Value::as_str) == Some("Secret");
    if depth >= MAX_NESTING {
        return (is_secret || inner_is_secret).then(unparsable);
    }
    let before = (!is_secret && !inner_is_secret).then(|| inner.clone());
    redact_nested(&mut inner, depth + 1);
    if before.is_some_and(|b| b == inner) {
        return None;
    }
    String::from_utf8(to_canonical_vec(&inner)).ok()
}

#[cfg(test)]
mod tests;
