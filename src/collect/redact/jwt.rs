//! Bearer tokens reduced to their SHA-256 and, for JWTs, the decoded header and claims.
//!
//! A JWT is split on `.` into exactly three segments; only the header and payload are decoded
//! (base64url, padding optional) and must be JSON objects. The signature segment is never kept.
//! The hash covers the token with surrounding ASCII whitespace trimmed, so a token read from a
//! file with a trailing newline hashes like the same token seen in a kubeconfig or header.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::pem::BASE64URL_LENIENT;
use crate::model::sha256;

/// Decoded header and claims of a JWT.
pub(super) struct Jwt {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
}

fn is_segment_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'='
}

/// Parses a compact JWS: three base64url segments, header and payload JSON objects.
pub(super) fn parse(token: &str) -> Option<Jwt> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || header.is_empty() || payload.is_empty() {
        return None;
    }
    if ![header, payload, signature]
        .iter()
        .all(|s| s.bytes().all(is_segment_byte))
    {
        return None;
    }
    let decode = |segment: &str| -> Option<Map<String, Value>> {
        let bytes = BASE64URL_LENIENT.decode(segment.trim_end_matches('=')).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let header = decode(header)?;
    let claims = decode(payload)?;
    Some(Jwt { header, claims })
}

/// Whether `text` (trimmed) is a JWT.
pub(super) fn is_jwt(text: &str) -> bool {
    parse(text.trim()).is_some()
}

/// The token object: `{"type":"token","size","redacted","sha256","jwt"}`.
pub(super) fn token_facts(token: &str, size: usize) -> Value {
    let trimmed = token.trim();
    let jwt = parse(trimmed).map(|j| json!({"header": j.header, "claims": j.claims}));
    json!({
        "type": "token",
        "size": size,
        "redacted": true,
        "sha256": sha256(trimmed.as_bytes()).to_hex(),
        "jwt": jwt,
    })
}

/// `[redacted token: sha256=<hex>, sub=<sub>, exp=<exp>]` (sub and exp only for JWTs).
pub(super) fn description(token: &str) -> String {
    let trimmed = token.trim();
    let hash = sha256(trimmed.as_bytes()).to_hex();
    match parse(trimmed) {
        Some(jwt) => {
            let claim = |name: &str| match jwt.claims.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => "none".to_string(),
            };
            format!(
                "[redacted token: sha256={hash}, sub={}, exp={}]",
                claim("sub"),
                claim("exp")
            )
        }
        None => format!("[redacted token: sha256={hash}]"),
    }
}

/// Byte ranges of the JWTs embedded in `text` (header starting `eyJ`, three segments).
pub(super) fn find_all(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = text.get(pos..).and_then(|t| t.find("eyJ")) {
        let start = pos + found;
        let preceded = start > 0
            && bytes
                .get(start - 1)
                .copied()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let end = scan_jwt(bytes, start);
        match end {
            Some(end) if !preceded && text.get(start..end).is_some_and(|t| parse(t).is_some()) => {
                out.push((start, end));
                pos = end;
            }
            // Any other `eyJ` inside this run is preceded by a segment byte: skip the run.
            _ => {
                pos = start
                    + 3
                    + bytes
                        .get(start + 3..)
                        .map_or(0, |r| r.iter().take_while(|b| is_segment_byte(**b)).count())
            }
        }
    }
    out
}

/// End of a `seg.seg.seg` candidate starting at `start`.
fn scan_jwt(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    for segment in 0..3 {
        let seg_start = i;
        while bytes.get(i).copied().is_some_and(is_segment_byte) {
            i += 1;
        }
        if segment < 2 {
            if i == seg_start || bytes.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}
