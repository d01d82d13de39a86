//! The safety net: every string of any JSON tree is checked for credentials and rewritten.
//!
//! Per string, in order: a kubeconfig (or a YAML/JSON document) carrying credentials becomes its
//! reduced canonical JSON; PEM private-key blocks become a key description; JWTs and `Bearer`
//! tokens become a token description; runs of 40+ base64 characters that decode to any of these
//! (or to a DER private key) are replaced the same way. Cheap byte checks come first so that
//! ordinary strings cost one pass. Plain passwords and random tokens outside known places cannot
//! be recognised here; Secrets are reduced by key name before (see `secret`).

use base64::Engine as _;
use serde_json::Value;

use super::pem::{self, BASE64_LENIENT, BASE64URL_LENIENT};
use super::{jwt, kubeconfig, private_key};
use crate::model::to_canonical_vec;

/// Strings shorter than this cannot hold a key or a JWT.
const MIN_LEN: usize = 24;
/// Shortest base64 run that is decoded.
const MIN_BASE64_RUN: usize = 40;
/// How deep decoded texts are scrubbed again; deeper texts with markers are dropped whole.
const MAX_DEPTH: u8 = 4;

/// Replaces credentials in every string of `value`; returns how many strings changed.
pub fn scrub(value: &mut Value) -> usize {
    scrub_value(value, 0)
}

fn scrub_value(value: &mut Value, depth: u8) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                if let Some(new) = scrub_text(s, depth) {
                    *s = new;
                    count += 1;
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    count
}

/// The scrubbed form of `text`, `None` when nothing had to change.
pub(super) fn scrub_text(text: &str, depth: u8) -> Option<String> {
    if text.len() < MIN_LEN || !may_hold_credential(text) {
        return None;
    }
    scrub_candidate(text, depth)
}

/// [`scrub_text`] past its quick checks.
fn scrub_candidate(text: &str, depth: u8) -> Option<String> {
    let has_key = text.contains("PRIVATE") || text.contains("-----BEGIN ");
    let has_jwt = text.contains("eyJ");
    let has_kubeconfig = kubeconfig::looks_like(text) && kubeconfig::mentions_credentials(text);
    if depth >= MAX_DEPTH {
        return (has_key || has_jwt || has_kubeconfig)
            .then(|| format!("[redacted: nested encoded text, {} bytes]", text.len()));
    }
    let mut current = None::<String>;
    if has_kubeconfig {
        current = scrub_document(text, depth);
    }
    if has_key {
        let base = current.as_deref().unwrap_or(text);
        if let Some(new) = replace_private_keys(base) {
            current = Some(new);
        }
    }
    if has_jwt {
        let base = current.as_deref().unwrap_or(text);
        let found = jwt::find_all(base);
        if !found.is_empty() {
            let replacements = found
                .into_iter()
                .map(|(s, e)| (s, e, jwt::description(base.get(s..e).unwrap_or(""))))
                .collect();
            current = Some(splice(base, replacements));
        }
    }
    {
        let base = current.as_deref().unwrap_or(text);
        if let Some(new) = replace_bearer(base) {
            current = Some(new);
        }
    }
    {
        let base = current.as_deref().unwrap_or(text);
        if let Some(new) = replace_base64(base, depth) {
            current = Some(new);
        }
    }
    current
}

/// `false` proves that every step below leaves `text` unchanged, because it holds none of their
/// markers (`PRIVATE`, `-----BEGIN `, `eyJ`, `earer `, `clusters`, which a kubeconfig needs) and
/// no base64 run long enough to be decoded (see [`replace_base64`]). Also `false` for every piece
/// of a text it is `false` for (the dump collector relies on that, see
/// [`super::changes_only_managed_fields`]).
pub(super) fn may_hold_credential(text: &str) -> bool {
    static MARKERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 5]> = std::sync::LazyLock::new(|| {
        [b"PRIVATE".as_slice(), b"-----BEGIN ", b"eyJ", b"earer ", b"clusters"].map(memchr::memmem::Finder::new)
    });
    let bytes = text.as_bytes();
    MARKERS.iter().any(|m| m.find(bytes).is_some()) || (has_run_window(bytes) && has_long_base64_run(bytes))
}

/// Whether `text` has [`MIN_BASE64_RUN`] bytes in a row that are base64 or `=`, which a run that
/// [`has_long_base64_run`] counts needs. Looks at each window's last byte first and skips past
/// the last byte that breaks it, so most bytes of ordinary text are never looked at.
fn has_run_window(text: &[u8]) -> bool {
    let mut start = 0;
    // text[start..checked] is known to be all run bytes.
    let mut checked = 0;
    while start + MIN_BASE64_RUN <= text.len() {
        let end = start + MIN_BASE64_RUN;
        let from = checked.max(start);
        match text
            .get(from..end)
            .and_then(|w| w.iter().rposition(|&b| !is_base64_byte(b) && b != b'='))
        {
            None => return true,
            Some(i) => {
                start = from + i + 1;
                checked = end;
            }
        }
    }
    false
}

/// Whether `text` has a run of at least [`MIN_BASE64_RUN`] base64 bytes, padding included (a
/// base64 byte after padding starts a new run), as [`replace_base64`] decodes them.
fn has_long_base64_run(text: &[u8]) -> bool {
    let mut run = 0usize;
    let mut padding = false;
    for &b in text {
        if is_base64_byte(b) {
            if padding {
                run = 0;
                padding = false;
            }
            run += 1;
        } else if b == b'=' && run > 0 {
            padding = true;
            run += 1;
        } else {
            run = 0;
            padding = false;
        }
        if run >= MIN_BASE64_RUN {
            return true;
        }
    }
    false
}

/// A YAML/JSON text with credentials: a kubeconfig becomes its reduced JSON, another document
/// is scrubbed as data (and written back as canonical JSON when something changed).
fn scrub_document(text: &str, depth: u8) -> Option<String> {
    if let Some(config) = kubeconfig::parse(text) {
        return String::from_utf8(to_canonical_vec(&kubeconfig::reduce(&config))).ok();
    }
    let parsed: Option<Value> = serde_json::from_str(text)
        .ok()
        .or_else(|| serde_saphyr::from_str(text).ok())
        .or_else(|| serde_saphyr::from_str_multiple::<Value, _>(text).ok().map(Value::Array));
    match parsed {
        Some(Value::String(_)) => None,
        Some(mut doc) => {
            if scrub_value(&mut doc, depth + 1) > 0 {
                String::from_utf8(to_canonical_vec(&doc)).ok()
            } else {
                None
            }
        }
        None => (text.contains("clusters:") || text.contains("\"clusters\""))
            .then(|| format!("[redacted: unparsable kubeconfig, {} bytes]", text.len())),
    }
}

/// PEM private-key blocks, including damaged ones: a block whose label still says `PRIVATE` or
/// (non-public) `KEY`, and, when a `PRIVATE KEY` marker survives outside any block, the region
/// from that marker's BEGIN line (or the previous `-----`) to its END line (or the text's end).
fn replace_private_keys(text: &str) -> Option<String> {
    let replacements: Vec<(usize, usize, String)> = pem::blocks(text)
        .iter()
        .filter(|b| {
            b.is_private_key()
                || b.label.contains("PRIVATE")
                || (b.label.contains("KEY") && !b.label.contains("PUBLIC"))
        })
        .map(|b| (b.start, b.end, private_key::from_pem_block(b).description()))
        .collect();
    let replaced = (!replacements.is_empty()).then(|| splice(text, replacements));
    let current = replaced.as_deref().unwrap_or(text);
    match leftover_key_region(current) {
        Some((start, end)) => Some(splice(
            current,
            vec![(start, end, "[redacted private key: unparsable]".to_string())],
        )),
        None => replaced,
    }
}

fn leftover_key_region(text: &str) -> Option<(usize, usize)> {
    const MARKER: &str = "PRIVATE KEY";
    let first = text.find(MARKER)?;
    let last = text.rfind(MARKER).unwrap_or(first);
    let line_start = |i: usize| text.get(..i).and_then(|t| t.rfind('\n')).map_or(0, |n| n + 1);
    let line_end = |i: usize| text.get(i..).and_then(|t| t.find('\n')).map_or(text.len(), |n| i + n);
    let first_line_start = line_start(first);
    let first_line = text.get(first_line_start..line_end(first)).unwrap_or("");
    let start = if first_line.contains("BEGIN") || !first_line.contains("END") {
        first_line_start
    } else {
        text.get(..first_line_start)
            .and_then(|t| t.rfind("-----"))
            .map_or(0, |n| n + 5)
    };
    let last_line = text.get(line_start(last)..line_end(last)).unwrap_or("");
    let end = if last_line.contains("END") {
        line_end(last)
    } else {
        text.len()
    };
    Some((start, end.max(start)))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// `Bearer <token>` (non-JWT tokens; JWTs are already gone).
fn replace_bearer(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut replacements = Vec::new();
    let mut pos = 0;
    while let Some(found) = text.get(pos..).and_then(|t| t.find("earer ")) {
        let marker = pos + found;
        pos = marker + 6;
        let b_ok = marker > 0 && matches!(bytes.get(marker - 1), Some(b'B' | b'b'));
        if !b_ok {
            continue;
        }
        let start = pos;
        let mut end = start;
        while bytes.get(end).copied().is_some_and(is_token_byte) {
            end += 1;
        }
        if end - start >= 16 {
            let token = text.get(start..end).unwrap_or("");
            replacements.push((start, end, jwt::description(token)));
            pos = end;
        }
    }
    (!replacements.is_empty()).then(|| splice(text, replacements))
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Runs of base64 that decode to a credential.
fn replace_base64(text: &str, depth: u8) -> Option<String> {
    let bytes = text.as_bytes();
    let mut replacements = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes.get(i).copied().is_some_and(is_base64_byte) {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).copied().is_some_and(is_base64_byte) {
            i += 1;
        }
        while bytes.get(i) == Some(&b'=') {
            i += 1;
        }
        if i - start < MIN_BASE64_RUN {
            continue;
        }
        let run = text.get(start..i).unwrap_or("");
        if let Some(replacement) = decode_credential(run, depth) {
            replacements.push((start, i, replacement));
        }
    }
    (!replacements.is_empty()).then(|| splice(text, replacements))
}

/// What a base64 run stands for, when it decodes to a credential.
fn decode_credential(run: &str, depth: u8) -> Option<String> {
    let url_safe = run.bytes().any(|b| b == b'-' || b == b'_');
    let decode = |s: &str| {
        if url_safe {
            BASE64URL_LENIENT.decode(s)
        } else {
            BASE64_LENIENT.decode(s)
        }
        .ok()
    };
    let unpadded = run.trim_end_matches('=');
    let prefix_len = unpadded.len().min(64) / 4 * 4;
    let prefix = decode(unpadded.get(..prefix_len)?)?;
    let is_text = prefix
        .iter()
        .all(|b| matches!(b, 0x09 | 0x0a | 0x0d | 0x20..=0x7e | 0x80..));
    if prefix.first() != Some(&0x30) && !is_text {
        return None;
    }
    let decoded = decode(unpadded)?;
    if decoded.first() == Some(&0x30) {
        return private_key::from_der(&decoded).map(|k| k.description());
    }
    let inner = std::str::from_utf8(&decoded).ok()?;
    scrub_text(inner, depth + 1)
}

/// Applies non-overlapping, ordered `(start, end, replacement)` edits.
fn splice(text: &str, replacements: Vec<(usize, usize, String)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end, replacement) in replacements {
        if start < pos {
            continue;
        }
        out.push_str(text.get(pos..start).unwrap_or(""));
        out.push_str(&replacement);
        pos = end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick check never turns away a text the full pass would change.
    #[test]
    fn quick_check_only_skips_texts_left_unchanged() {
        let pieces = [
            "abcdefghij",
            "0123456789",
            "AAAAAAAAAAAAAAAA",
            "-",
            "_",
            "=",
            "==",
            " ",
            "\n",
            ".",
            "/",
            "+",
            "eyJ",
            "eyJhbGciOiJIUzI1NiJ9",
            "Bearer ",
            "earer",
            "PRIVATE",
            "-----BEGIN ",
            "-----BEGIN PRIVATE KEY-----",
            "clusters:",
            "users:",
            "token: x",
            "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t",
            "ZXlKaGJHY2lPaUpJVXpJMU5pSjkuZXlKemRXSWlPaUppYjJJaWZRLnNpZw",
        ];
        // Every text of up to four pieces (with repetition).
        let mut checked = 0;
        let n = pieces.len();
        for a in 0..n {
            for b in 0..n {
                for c in 0..n {
                    for d in 0..n {
                        let text = [pieces[a], pieces[b], pieces[c], pieces[d]].concat();
                        if text.len() >= MIN_LEN && !may_hold_credential(&text) {
                            checked += 1;
                            assert_eq!(scrub_candidate(&text, 0), None, "{text}");
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        assert!(may_hold_credential("x-----BEGIN RSA PRIVATE KEY-----"));
        assert!(may_hold_credential(&"a".repeat(40)));
        assert!(may_hold_credential(&format!("{}==", "a".repeat(38))));
        assert!(!may_hold_credential(&format!("{}.{}", "a".repeat(39), "a".repeat(39))));
        assert!(!may_hold_credential(&format!("{}=={}", "a".repeat(30), "a".repeat(30))));
    }

    /// The quick check without its shortcuts: markers compared at every position, runs counted
    /// byte by byte over the whole text. The reference for the faster one (markers found by
    /// `memmem`, runs counted only where a window of run bytes was found).
    fn may_hold_credential_bytewise(text: &[u8]) -> bool {
        const MARKERS: &[&[u8]] = &[b"PRIVATE", b"-----BEGIN ", b"eyJ", b"earer ", b"clusters"];
        MARKERS.iter().any(|m| text.windows(m.len()).any(|w| w == *m)) || has_long_base64_run(text)
    }

    proptest::proptest! {
        /// The quick check answers as the byte loop does, and a text it clears has no piece it
        /// would not clear (what the dump collector's fast path relies on).
        #[test]
        fn the_quick_check_is_the_byte_loop_and_holds_for_every_piece(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "Zz09", "abcdefghijklmnopqrst", "+", "/", "-", "_", "=", "==", " ", "\"", ":", ".",
                    "\n", "é", "eyJ", "ey", "J", "earer ", "PRIVAT", "E", "-----BEGIN ", "-----", "BEGIN ",
                    "clusters", "cluster", "s",
                ]),
                0..40,
            )
        ) {
            let text = pieces.concat();
            let quick = may_hold_credential(&text);
            proptest::prop_assert_eq!(quick, may_hold_credential_bytewise(text.as_bytes()), "{}", text);
            if !quick {
                for (start, _) in text.char_indices() {
                    for (end, _) in text.char_indices().skip_while(|(e, _)| *e <= start).chain([(text.len(), ' ')]) {
                        let piece = text.get(start..end).unwrap_or_default();
                        proptest::prop_assert!(!may_hold_credential(piece), "{}", piece);
                    }
                }
            }
        }
    }

    #[test]
    fn runs_are_found_wherever_their_window_starts() {
        for prefix in 0..50 {
            for len in [39, 40, 41, 80] {
                for breaker in [".", "=", " ", "=a"] {
                    let text = format!(
                        "{}{}{}{}",
                        ".a".repeat(prefix),
                        "b".repeat(len),
                        breaker,
                        "c".repeat(prefix % 7)
                    );
                    assert_eq!(
                        may_hold_credential(&text),
                        may_hold_credential_bytewise(text.as_bytes()),
                        "{text}"
                    );
                }
            }
        }
    }
}
