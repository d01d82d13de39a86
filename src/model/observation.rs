//! What collectors hand over: an [`Observation`] per piece of evidence, written to a [`RecordSink`].

use serde_json::Value;

/// Record kinds. A kind names the shape of a record's body (see `docs/evidence-format.md`).
pub mod kinds {
    /// A Kubernetes object, redacted (snapshot kind: part of a scan's state).
    pub const K8S_OBJECT: &str = "k8s.object";
    /// One API-server audit event (history kind: cumulative across scans).
    pub const AUDIT_EVENT: &str = "audit.event";
    /// Counted read noise of one audit log file (history kind).
    pub const AUDIT_SUMMARY: &str = "audit.summary";
    /// One git commit touching mesh manifests (history kind).
    pub const GIT_COMMIT: &str = "git.commit";
    /// Something could not be collected: cluster, resource or file, and why.
    pub const COLLECTION_GAP: &str = "collection.gap";
    /// What a collector read but did not keep (skipped kinds, duplicates), per source.
    pub const COLLECTION_NOTE: &str = "collection.note";
    /// First record of every scan.
    pub const SCAN_STARTED: &str = "scan.started";
    /// The scan's snapshot state relative to its base scan.
    pub const SCAN_MANIFEST: &str = "scan.manifest";
    /// Last data record of a complete scan.
    pub const SCAN_FINISHED: &str = "scan.finished";
    /// The waiver file in force for a scan: the validated waivers and the file's SHA-256
    /// (per-scan kind, written by `collect --waivers`).
    pub const WAIVER_FILE: &str = "waiver.file";
    /// Signed Merkle checkpoint (C2SP tlog-checkpoint) over every earlier record.
    pub const CHECKPOINT: &str = "checkpoint";

    /// Snapshot kinds: a scan's view holds what that scan observed.
    pub fn is_snapshot(kind: &str) -> bool {
        kind == K8S_OBJECT
    }

    /// History kinds: facts about the past, kept across scans (latest version per subject).
    pub fn is_history(kind: &str) -> bool {
        matches!(kind, AUDIT_EVENT | AUDIT_SUMMARY | GIT_COMMIT)
    }
}

/// One piece of evidence as a collector saw it, already redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Where it came from, e.g. `k8s/eu-central-1`, `audit/mgmt`, `git/gitops`.
    pub source: String,
    /// Record kind, one of [`kinds`].
    pub kind: &'static str,
    /// Stable key, e.g. `eu-central-1/istio-system/Secret/cacerts`.
    pub subject: String,
    /// The redacted body; it is canonicalized and hashed by the store.
    pub body: Value,
}

/// An observation whose body is already canonicalized and hashed (by a collector's worker
/// thread), so the sink's single writer thread does not redo that work. The body's value tree is
/// dropped on the thread that built it: its canonical JSON is the body from here on.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Where it came from.
    pub source: String,
    /// Record kind, one of [`kinds`].
    pub kind: &'static str,
    /// Stable key.
    pub subject: String,
    /// Canonical JSON of its body.
    pub canonical: Vec<u8>,
    /// SHA-256 of `canonical`.
    pub hash: super::Digest,
}

impl Prepared {
    /// Canonicalizes and hashes `observation`'s body.
    pub fn new(observation: Observation) -> Prepared {
        let canonical = super::to_canonical_vec(&observation.body);
        let hash = super::sha256(&canonical);
        Prepared {
            source: observation.source,
            kind: observation.kind,
            subject: observation.subject,
            canonical,
            hash,
        }
    }

    /// The observation again, its body parsed back from the canonical JSON.
    pub fn into_observation(self) -> Result<Observation, serde_json::Error> {
        Ok(Observation {
            body: serde_json::from_slice(&self.canonical)?,
            source: self.source,
            kind: self.kind,
            subject: self.subject,
        })
    }
}

/// A sink could not take an observation (the store failed underneath).
#[derive(Debug, thiserror::Error)]
#[error("evidence sink failed: {message}")]
pub struct SinkError {
    /// What failed.
    pub message: String,
    /// The underlying error.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Where collectors write. The store's scan writer implements it; tests may collect into a `Vec`.
pub trait RecordSink {
    /// Takes one observation.
    fn observe(&mut self, observation: Observation) -> Result<(), SinkError>;

    /// Takes an observation whose body is already canonicalized and hashed.
    fn observe_prepared(&mut self, prepared: Prepared) -> Result<(), SinkError> {
        let observation = prepared.into_observation().map_err(|e| SinkError {
            message: format!("a prepared body is not JSON: {e}"),
            source: Some(Box::new(e)),
        })?;
        self.observe(observation)
    }

    /// Declares that this collection covers `cluster`: its objects not observed now are gone.
    /// Objects of clusters a scan does not cover carry forward from the previous scan. Observing
    /// any object of a cluster declares it too; a collector calls this for clusters it tried
    /// but could not read (so their old objects do not pass for current).
    fn declare_cluster(&mut self, _cluster: &str) -> Result<(), SinkError> {
        Ok(())
    }
}

impl RecordSink for Vec<Observation> {
    fn observe(&mut self, observation: Observation) -> Result<(), SinkError> {
        self.push(observation);
        Ok(())
    }
}
