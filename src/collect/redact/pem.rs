//! A tolerant PEM block scanner.
//!
//! Finds `-----BEGIN <label>-----` … `-----END <label>-----` blocks in any text, including texts
//! without a trailing newline, with RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), with literal
//! `\n` escapes (PEM inside a JSON string inside a string) and truncated blocks (no END line).
//! It does not validate what the blocks contain; see `certificates` and `private_key`.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard base64 that accepts missing padding.
pub(super) const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// URL-safe base64 that accepts missing padding.
pub(super) const BASE64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const BEGIN: &str = "-----BEGIN ";
const DASHES: &str = "-----";
/// Labels longer than this are not PEM labels.
const MAX_LABEL: usize = 64;

/// One PEM block found in a text.
pub(super) struct Block<'a> {
    /// The label, e.g. `CERTIFICATE` or `RSA PRIVATE KEY`.
    pub label: &'a str,
    /// Byte offset of the BEGIN line.
    pub start: usize,
    /// Byte offset just after the END line's dashes (or the text's end when truncated).
    pub end: usize,
    /// Text between the BEGIN and END lines.
    pub body: &'a str,
    /// Whether the END line was found.
    pub complete: bool,
}

impl Block<'_> {
    /// Whether the label names a private key of any kind.
    pub fn is_private_key(&self) -> bool {
        self.label.contains("PRIVATE KEY")
    }

    /// Whether the label names a certificate.
    pub fn is_certificate(&self) -> bool {
        self.label == "CERTIFICATE" || self.label == "X509 CERTIFICATE"
    }

    /// Whether an RFC 1421 header says the body is encrypted.
    pub fn has_encrypted_header(&self) -> bool {
        self.body.lines().any(|l| l.contains(':') && l.contains("ENCRYPTED"))
    }

    /// The decoded body, `None` when it is not base64.
    pub fn decode(&self) -> Option<Vec<u8>> {
        decode_body(self.body)
    }
}

/// The PEM blocks of `text`, in order. A BEGIN line without its END line yields one last,
/// incomplete block reaching to the end of the text.
pub(super) fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = text.get(pos..).and_then(|t| t.find(BEGIN)) {
        let start = pos + found;
        let label_start = start + BEGIN.len();
        let Some(rest) = text.get(label_start..) else {
            break;
        };
        let label_end = match rest.find(DASHES) {
            Some(n) if n <= MAX_LABEL && !rest.get(..n).is_some_and(|l| l.contains('\n')) => n,
            _ => {
                pos = label_start;
                continue;
            }
        };
        let label = rest.get(..label_end).unwrap_or("");
        let body_start = label_start + label_end + DASHES.len();
        let end_marker = format!("-----END {label}-----");
        match text.get(body_start..).and_then(|t| t.find(&end_marker)) {
            Some(n) => {
                let body = text.get(body_start..body_start + n).unwrap_or("");
                let end = body_start + n + end_marker.len();
                out.push(Block {
                    label,
                    start,
                    end,
                    body,
                    complete: true,
                });
                pos = end;
            }
            None => {
                let body = text.get(body_start..).unwrap_or("");
                out.push(Block {
                    label,
                    start,
                    end: text.len(),
                    body,
                    complete: false,
                });
                break;
            }
        }
    }
    out
}

/// Decodes a PEM body: skips header lines, undoes literal `\n`/`\r` escapes and whitespace.
fn decode_body(body: &str) -> Option<Vec<u8>> {
    let unescaped = body.replace("\\n", "\n").replace("\\r", "\n");
    let mut b64 = String::with_capacity(unescaped.len());
    for line in unescaped.lines() {
        if line.contains(':') {
            continue; // RFC 1421 header
        }
        b64.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    BASE64_LENIENT.decode(b64.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_with_and_without_end() {
        let text =
            "x-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----y\n-----BEGIN RSA PRIVATE KEY-----\nAAEC";
        let found = blocks(text);
        assert_eq!(found.len(), 2);
        let (first, second) = (&found[0], &found[1]);
        assert!(first.is_certificate() && first.complete);
        assert_eq!(first.decode(), Some(vec![0, 1, 2]));
        assert!(second.is_private_key() && !second.complete);
        assert_eq!(second.end, text.len());
    }

    #[test]
    fn ignores_non_labels_and_decodes_escaped_bodies() {
        assert!(blocks("-----BEGIN \n-----END").is_empty());
        let text = r"-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----";
        let found = blocks(text);
        assert_eq!(found.first().and_then(Block::decode), Some(vec![0, 1, 2]));
    }
}
