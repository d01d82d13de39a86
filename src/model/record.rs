//! A stored evidence record and its canonical header.

use serde::Serialize;
use serde_json::{Value, json};

use super::{Digest, to_canonical_vec};

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
        to_canonical_vec(&json!({
            "v": HEADER_VERSION,
            "seq": self.seq,
            "scan": self.scan,
            "collected_at": self.collected_at,
            "source": self.source,
            "kind": self.kind,
            "subject": self.subject,
            "body": self.body_hash.to_hex(),
        }))
    }

    /// Record hash = SHA-256(previous record hash ‖ canonical header).
    pub fn chain_hash(&self, prev: &Digest) -> Digest {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(prev.as_bytes());
        h.update(self.canonical_bytes());
        Digest(h.finalize().into())
    }
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
