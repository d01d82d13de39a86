//! A stored evidence record and its canonical header.

use serde::Serialize;
use serde_json::{Value, json};

use super::Digest;
use super::canonical_json::{write_canonical_str, write_integer};

/// The hashed fields of a record, in the exact form that goes into the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordHeader {
    /// Position in the chain, from 0; also the Merkle leaf index.
    pub seq: u64,
    /// Scan number, from 1.
    pub scan: u64,
    /// When the evidence was collected, RFC 3339 UTC.
    pub collected_at: String,
    /// Where it came from.
    pub source: String,
    /// Record kind.
    pub kind: String,
    /// Stable key of what it is about.
    pub subject: String,
    /// SHA-256 of the canonical body.
    pub body_hash: Digest,
}

/// Header format version hashed into every record.
pub const HEADER_VERSION: u64 = 1;

impl RecordHeader {
    /// Canonical bytes of the header: RFC 8785 JSON of
    /// `{"body","collected_at","kind","scan","seq","source","subject","v"}`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.subject.len());
        write_header(
            &mut out,
            &HeaderFields {
                seq: self.seq,
                scan: self.scan,
                collected_at: &self.collected_at,
                source: &self.source,
                kind: &self.kind,
                subject: &self.subject,
                body_hash: &self.body_hash,
            },
        );
        out
    }

    /// Record hash = SHA-256(previous record hash ‖ canonical header).
    pub fn chain_hash(&self, prev: &Digest) -> Digest {
        let mut buf = Vec::with_capacity(160 + self.subject.len());
        HeaderFields {
            seq: self.seq,
            scan: self.scan,
            collected_at: &self.collected_at,
            source: &self.source,
            kind: &self.kind,
            subject: &self.subject,
            body_hash: &self.body_hash,
        }
        .chain_hash(prev, &mut buf)
    }
}

/// Borrowed header fields: hashing without building a [`RecordHeader`] (the writer's and the
/// verifier's hot path).
#[derive(Debug, Clone, Copy)]
pub struct HeaderFields<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Scan number.
    pub scan: u64,
    /// RFC 3339 collection time.
    pub collected_at: &'a str,
    /// Source.
    pub source: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Body hash.
    pub body_hash: &'a Digest,
}

impl HeaderFields<'_> {
    /// Record hash = SHA-256(previous record hash ‖ canonical header); `buf` is scratch space.
    pub fn chain_hash(&self, prev: &Digest, buf: &mut Vec<u8>) -> Digest {
        use sha2::Digest as _;
        buf.clear();
        write_header(buf, self);
        let mut h = sha2::Sha256::new();
        h.update(prev.as_bytes());
        h.update(&buf[..]);
        Digest(h.finalize().into())
    }
}

/// A record's `object_kind` column: for a `k8s.object` record the third `/` segment of its subject
/// (`<cluster>/<namespace>/<Kind>/<name>` → `Kind`), else none. A value derived from the chained
/// header for the object-kind index; `verify` recomputes it (docs/evidence-format.md §2).
pub fn object_kind<'a>(kind: &str, subject: &'a str) -> Option<&'a str> {
    (kind == super::kinds::K8S_OBJECT).then(|| object_kind_of(subject))
}

/// The third `/` segment of `subject`, computed like the SQL expression older stores indexed:
/// a missing `/` leaves the text whole at the first two steps, and a missing third `/` gives "".
fn object_kind_of(subject: &str) -> &str {
    fn after_slash(s: &str) -> &str {
        s.find('/').map_or(s, |i| &s[i + 1..])
    }
    let rest = after_slash(after_slash(subject));
    rest.find('/').map_or("", |i| &rest[..i])
}

/// Writes the canonical header. Keys in RFC 8785 order: body, collected_at, kind, scan, seq,
/// source, subject, v (all ASCII, so UTF-16 order equals byte order).
fn write_header(out: &mut Vec<u8>, f: &HeaderFields<'_>) {
    out.extend_from_slice(b"{\"body\":\"");
    f.body_hash.write_hex(out);
    out.extend_from_slice(b"\",\"collected_at\":");
    write_canonical_str(f.collected_at, out);
    out.extend_from_slice(b",\"kind\":");
    write_canonical_str(f.kind, out);
    out.extend_from_slice(b",\"scan\":");
    write_integer(false, f.scan, out);
    out.extend_from_slice(b",\"seq\":");
    write_integer(false, f.seq, out);
    out.extend_from_slice(b",\"source\":");
    write_canonical_str(f.source, out);
    out.extend_from_slice(b",\"subject\":");
    write_canonical_str(f.subject, out);
    out.extend_from_slice(b",\"v\":");
    write_integer(false, HEADER_VERSION, out);
    out.push(b'}');
}

/// A record as read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceRecord {
    /// The hashed header fields.
    #[serde(flatten)]
    pub header: RecordHeader,
    /// Hash of the previous record (32 zero bytes for the first).
    pub prev_hash: Digest,
    /// This record's hash.
    pub hash: Digest,
    /// The body, when it was loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl EvidenceRecord {
    /// A short reference an answer can cite: `#seq` and the record hash.
    pub fn reference(&self) -> Value {
        json!({"seq": self.header.seq, "hash": self.hash.to_hex()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{sha256, to_canonical_vec};

    #[test]
    fn fast_header_equals_canonical_json_of_the_same_fields() {
        let h = RecordHeader {
            seq: 42,
            scan: 3,
            collected_at: "2026-12-01T00:00:00Z".into(),
            source: "k8s/eu-west-1".into(),
            kind: "k8s.object".into(),
            subject: "eu-west-1/istio-system/Secret/cacerts \"q\" \u{1}".into(),
            body_hash: sha256(b"body"),
        };
        let reference = to_canonical_vec(&json!({
            "v": HEADER_VERSION, "seq": h.seq, "scan": h.scan, "collected_at": h.collected_at,
            "source": h.source, "kind": h.kind, "subject": h.subject, "body": h.body_hash.to_hex(),
        }));
        assert_eq!(h.canonical_bytes(), reference);
        let mut prev = [0u8; 32].to_vec();
        prev.extend_from_slice(&reference);
        assert_eq!(h.chain_hash(&Digest([0; 32])), sha256(&prev));
    }
}
