//! Shared nouns without I/O: digests, timestamps, canonical JSON, observations and records.
//!
//! Everything here is pure: no files, no clock, no network. Collectors produce
//! [`Observation`]s into a [`RecordSink`]; the store turns them into [`EvidenceRecord`]s.

mod canonical_json;
mod digest;
mod evidence_set;
mod finding;
pub mod lenient;
mod observation;
mod pointer;
mod record;
mod time;

pub use canonical_json::{first_escape, member_order, to_canonical_vec, write_canonical, write_canonical_str};
pub use digest::{Digest, DigestParseError, sha256};
pub use evidence_set::{Evidence, EvidenceSet, ObjectKey, RecordRef, ViewSubset};
pub use finding::{Finding, Severity, SeverityParseError, WaiverStatus};
pub use observation::{Observation, Prepared, RecordSink, SinkError, kinds};
pub use pointer::pointer;
pub use record::{EvidenceRecord, HeaderFields, RecordHeader, object_kind};
pub use time::{Timestamp, TimestampParseError};
