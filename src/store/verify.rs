//! `meshproof verify`: recompute every body hash, record hash, Merkle root and signature.
//!
//! Three streams run side by side, so memory stays flat however large the store grows: a worker
//! thread reads the `bodies` table in storage order and re-hashes every body; another looks up the
//! body of every record, in sorted chunks the calling thread hands it; the calling thread walks
//! the records in sequence order, recomputing each header hash, the chain link and the
//! Merkle frontier, and checks every checkpoint's tree size, root and Ed25519 signature (against
//! the pinned key when one is given). Finally the store's head and frontier in `meta` and the
//! checkpoint note beside the store (or a given one) must agree with the chain.
//!
//! The result names the first bad sequence number and what is wrong with it.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use serde_json::Value;

use super::merkle::Frontier;
use super::note::{NoteVerifier, verify_checkpoint};
use super::{Error, GENESIS, Result, Store, sibling};
use crate::model::{Digest, HeaderFields, kinds, object_kind, sha256};

/// What `verify` checks against beyond the store itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Require every checkpoint to be signed by this key.
    pub pinned: Option<NoteVerifier>,
    /// A checkpoint note published earlier (default: the `.checkpoint` file beside the store).
    pub checkpoint: Option<PathBuf>,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The first bad record, when one can be named.
    pub seq: Option<u64>,
    /// What is wrong.
    pub what: String,
}

/// Outcome of a verification run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The store file.
    pub store: String,
    /// True when nothing is wrong.
    pub intact: bool,
    /// The first problem, when not intact.
    pub problem: Option<Problem>,
    /// Records checked.
    pub records: u64,
    /// Bodies re-hashed.
    pub bodies: u64,
    /// Body bytes re-hashed.
    pub body_bytes: u64,
    /// Checkpoints whose signature was verified.
    pub checkpoints: u64,
    /// Scans with no `scan.finished` (interrupted collects).
    pub incomplete_scans: Vec<u64>,
    /// Hash of the last record.
    pub head: Option<Digest>,
    /// Tree size of the last checkpoint.
    pub checkpoint_size: Option<u64>,
    /// Merkle root of the last checkpoint.
    pub checkpoint_root: Option<Digest>,
    /// Verifier key of the last checkpoint (note format).
    pub key: Option<String>,
    /// SHA-256 fingerprint of that key.
    pub key_fingerprint: Option<Digest>,
    /// Whether checkpoints were checked against a pinned key.
    pub key_pinned: bool,
    /// Things worth knowing that are not tampering.
    pub notes: Vec<String>,
}

struct BodyPass {
    bodies: u64,
    bytes: u64,
    bad: Vec<(Digest, String)>,
}

/// Re-hashes every body in storage (rowid) order: one sequential scan, blobs borrowed from
/// SQLite's page buffers (no copy), constant memory.
fn body_pass(path: PathBuf) -> rusqlite::Result<BodyPass> {
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut stmt = conn.prepare("SELECT hash, data FROM bodies ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut out = BodyPass {
        bodies: 0,
        bytes: 0,
        bad: Vec::new(),
    };
    while let Some(row) = rows.next()? {
        let stored = row.get_ref(0)?.as_blob().ok().and_then(Digest::from_slice);
        let data = row.get_ref(1)?.as_blob().unwrap_or_default();
        out.bodies += 1;
        out.bytes += data.len() as u64;
        let actual = sha256(data);
        match stored {
            Some(h) if h == actual => {}
            Some(h) if out.bad.len() < 1024 => out
                .bad
                .push((h, format!("body {h} was modified (its content hashes to {actual})"))),
            None if out.bad.len() < 1024 => out.bad.push((actual, "a body's stored hash is not 32 bytes".into())),
            _ => {}
        }
    }
    Ok(out)
}

/// Records' body hashes, looked up in `bodies` on a thread of their own, in chunks sorted by hash:
/// probing the `bodies.hash` index in key order touches each index page about once per chunk,
/// where probing in record order would read a random page per record (the index outgrows SQLite's
/// page cache). Memory stays bounded by the chunk size however large the store grows.
struct BodyRefs {
    pending: Vec<(Digest, u64)>,
    chunks: Option<mpsc::SyncSender<Vec<(Digest, u64)>>>,
    thread: Option<std::thread::JoinHandle<rusqlite::Result<Option<Missing>>>>,
}

/// A record (seq) whose body (hash) is not in the store.
type Missing = (u64, Digest);

const BODY_REF_CHUNK: usize = 1 << 16;

impl BodyRefs {
    fn start(path: PathBuf) -> BodyRefs {
        let (tx, rx) = mpsc::sync_channel::<Vec<(Digest, u64)>>(1);
        let thread = std::thread::spawn(move || {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            // One read transaction spans all lookups (not a lock and a cache check per lookup).
            conn.execute_batch("BEGIN")?;
            let mut first_missing: Option<Missing> = None;
            for mut chunk in rx {
                first_missing = min_seq(first_missing, first_missing_body(&conn, &mut chunk)?);
            }
            Ok(first_missing)
        });
        BodyRefs {
            pending: Vec::with_capacity(BODY_REF_CHUNK),
            chunks: Some(tx),
            thread: Some(thread),
        }
    }

    fn push(&mut self, hash: Digest, seq: u64) {
        self.pending.push((hash, seq));
        if self.pending.len() >= BODY_REF_CHUNK {
            self.send();
        }
    }

    fn send(&mut self) {
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(BODY_REF_CHUNK));
        // A closed channel means the thread failed: `finish` returns its error.
        if let Some(tx) = &self.chunks {
            let _ = tx.send(chunk);
        }
    }

    /// The record (lowest seq) whose body is not in the store, if any.
    fn finish(mut self) -> rusqlite::Result<Option<Missing>> {
        self.send();
        self.chunks = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the body lookup thread failed".into()),
            )),
        }
    }
}

/// The lowest-seq entry of `chunk` whose body hash is not in `bodies`.
fn first_missing_body(conn: &Connection, chunk: &mut [(Digest, u64)]) -> rusqlite::Result<Option<Missing>> {
    chunk.sort_unstable();
    let mut stmt = conn.prepare_cached("SELECT 1 FROM bodies WHERE hash = ?1")?;
    let mut last: Option<Digest> = None;
    let mut missing = None;
    for &(hash, seq) in chunk.iter() {
        // Sorted by (hash, seq): the first entry of each hash has its lowest seq.
        if last == Some(hash) {
            continue;
        }
        last = Some(hash);
        if !stmt.exists([&hash.0[..]])? {
            missing = min_seq(missing, Some((seq, hash)));
        }
    }
    Ok(missing)
}

fn min_seq(a: Option<Missing>, b: Option<Missing>) -> Option<Missing> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Verifies the store at `path`. `Err` means verification could not run (not a store, I/O);
/// tampering is reported in `Ok(report)` with `intact: false`.
pub fn verify(path: &Path, options: &Options) -> Result<Report> {
    let store = Store::open_existing(path)?;
    let sql = |what| {
        move |source| Error::Sqlite {
            path: path.to_path_buf(),
            what,
            source,
        }
    };
    // One pass in sequence order reads every page once: SQLite's default 2 MiB cache, not the
    // readers' 64 MiB, keeps memory flat as the store grows.
    store
        .conn
        .pragma_update(None, "cache_size", -2048)
        .map_err(sql("cannot set cache_size"))?;
    let published_note = read_published_checkpoint(&store, options)?;
    let published = published_note.as_ref().map(|(c, _)| c.clone());

    let (tx, rx) = mpsc::channel();
    let body_path = path.to_path_buf();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(body_pass(body_path));
    });

    let mut report = Report {
        store: path.display().to_string(),
        intact: true,
        problem: None,
        records: 0,
        bodies: 0,
        body_bytes: 0,
        checkpoints: 0,
        incomplete_scans: Vec::new(),
        head: None,
        checkpoint_size: None,
        checkpoint_root: None,
        key: None,
        key_fingerprint: None,
        key_pinned: options.pinned.is_some(),
        notes: Vec::new(),
    };
    let mut problem: Option<Problem> = None;
    let set = |p: Problem, problem: &mut Option<Problem>| {
        if problem.is_none() {
            *problem = Some(p);
        }
    };

    let mut frontier = Frontier::default();
    let mut head = GENESIS;
    let mut expected: u64 = 0;
    let mut published_root: Option<Digest> = None;
    let mut published_record_note: Option<String> = None;
    let mut store_key: Option<NoteVerifier> = None;
    let mut started: Vec<u64> = Vec::new();
    let mut scratch = Vec::with_capacity(256);
    let mut finished: Vec<u64> = Vec::new();
    let mut refs = BodyRefs::start(path.to_path_buf());
    {
        let mut stmt = store
            .conn
            .prepare(&format!(
                "SELECT seq, scan, collected_at, source, kind, subject, body_hash, prev_hash, hash, {}
                 FROM records ORDER BY seq",
                if store.object_kind_column {
                    "object_kind"
                } else {
                    "NULL"
                }
            ))
            .map_err(sql("cannot read records"))?;
        let mut rows = stmt.query([]).map_err(sql("cannot read records"))?;
        while let Some(row) = rows.next().map_err(sql("cannot read records"))? {
            let seq: i64 = row.get(0).map_err(sql("cannot read records"))?;
            let seq_u = u64::try_from(seq).unwrap_or(u64::MAX);
            if published.as_ref().is_some_and(|p| p.size == frontier.size()) {
                published_root = Some(frontier.root());
            }
            if seq_u != expected {
                let what = if seq_u > expected {
                    format!("record {expected} is missing (the next record is {seq})")
                } else {
                    format!("unexpected record number {seq} after {}", expected.saturating_sub(1))
                };
                set(
                    Problem {
                        seq: Some(expected),
                        what,
                    },
                    &mut problem,
                );
                break;
            }
            // A non-text value cannot reproduce the hashed header: the placeholder makes it fail.
            let text = |i: usize| -> rusqlite::Result<&str> {
                match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Text(t) => Ok(std::str::from_utf8(t).unwrap_or("\u{fffd}")),
                    _ => Ok("\u{fffd}"),
                }
            };
            let digest = |i: usize| -> rusqlite::Result<Option<Digest>> {
                Ok(row.get_ref(i)?.as_blob().ok().and_then(Digest::from_slice))
            };
            let scan: Option<u64> = row
                .get_ref(1)
                .ok()
                .and_then(|v| v.as_i64().ok())
                .and_then(|v| u64::try_from(v).ok());
            let (Some(scan), Some(body_hash), Some(prev), Some(hash)) = (
                scan,
                digest(6).map_err(sql("cannot read records"))?,
                digest(7).map_err(sql("cannot read records"))?,
                digest(8).map_err(sql("cannot read records"))?,
            ) else {
                set(
                    Problem {
                        seq: Some(seq_u),
                        what: "a header column has the wrong type or length".into(),
                    },
                    &mut problem,
                );
                break;
            };
            let header = HeaderFields {
                seq: seq_u,
                scan,
                collected_at: text(2).map_err(sql("cannot read records"))?,
                source: text(3).map_err(sql("cannot read records"))?,
                kind: text(4).map_err(sql("cannot read records"))?,
                subject: text(5).map_err(sql("cannot read records"))?,
                body_hash: &body_hash,
            };
            if prev != head {
                set(
                    Problem {
                        seq: Some(seq_u),
                        what: if seq == 0 {
                            format!("chain broken: the first record's previous-hash {prev} is not the genesis value")
                        } else {
                            format!(
                                "chain broken: previous-hash {prev} does not equal record {}'s hash {head}",
                                seq - 1
                            )
                        },
                    },
                    &mut problem,
                );
                break;
            }
            let computed = header.chain_hash(&head, &mut scratch);
            if computed != hash {
                set(
                    Problem {
                        seq: Some(seq_u),
                        what: format!("record header was modified: stored hash {hash}, recomputed {computed}"),
                    },
                    &mut problem,
                );
                break;
            }
            // The object-kind index column must be what the chained header implies: a changed or
            // cleared value would hide a record from lookups by object kind.
            if store.object_kind_column {
                let stored = row.get_ref(9).map_err(sql("cannot read records"))?;
                let expected_kind = object_kind(header.kind, header.subject);
                let agrees = match (stored, expected_kind) {
                    (rusqlite::types::ValueRef::Null, None) => true,
                    (rusqlite::types::ValueRef::Text(t), Some(k)) => t == k.as_bytes(),
                    _ => false,
                };
                if !agrees {
                    set(
                        Problem {
                            seq: Some(seq_u),
                            what: format!(
                                "the object_kind column does not match the record's kind and subject (expected {})",
                                expected_kind.map_or_else(|| "NULL".to_string(), |k| format!("{k:?}"))
                            ),
                        },
                        &mut problem,
                    );
                    break;
                }
            }
            match header.kind {
                kinds::SCAN_STARTED => started.push(scan),
                kinds::SCAN_FINISHED => finished.push(scan),
                kinds::CHECKPOINT => {
                    let body = store.body(&body_hash, seq_u).ok().flatten();
                    if published.as_ref().is_some_and(|p| p.size == seq_u) {
                        published_record_note = body
                            .as_ref()
                            .and_then(|b| b.get("note"))
                            .and_then(Value::as_str)
                            .map(str::to_string);
                    }
                    match check_checkpoint(body.as_ref(), seq_u, &frontier, options.pinned.as_ref()) {
                        Ok((verifier, size, root)) => {
                            report.checkpoints += 1;
                            report.checkpoint_size = Some(size);
                            report.checkpoint_root = Some(root);
                            if store_key.as_ref().is_some_and(|k| k != &verifier) {
                                report.notes.push(format!(
                                    "the checkpoint at record {seq} is signed by another key than earlier checkpoints ({})",
                                    verifier.to_note_string()
                                ));
                            }
                            report.key = Some(verifier.to_note_string());
                            report.key_fingerprint = Some(verifier.fingerprint());
                            store_key = Some(verifier);
                        }
                        Err(what) => {
                            set(Problem { seq: Some(seq_u), what }, &mut problem);
                            break;
                        }
                    }
                }
                _ => {}
            }
            refs.push(body_hash, seq_u);
            frontier.push(&hash);
            head = hash;
            expected += 1;
        }
    }
    // Every record's body must be in the store.
    let first_missing = refs.finish().map_err(sql("cannot look up bodies"))?;
    if published.as_ref().is_some_and(|p| p.size == frontier.size()) && problem.is_none() {
        published_root = Some(frontier.root());
    }
    report.records = expected;
    report.head = (expected > 0).then_some(head);

    // Bodies.
    let bodies = rx.recv().ok();
    let _ = worker.join();
    match bodies {
        Some(Ok(pass)) => {
            report.bodies = pass.bodies;
            report.body_bytes = pass.bytes;
            if let Some((seq, hash)) = &first_missing {
                let p = Problem {
                    seq: Some(*seq),
                    what: format!("body {hash} is missing"),
                };
                problem = match problem {
                    Some(existing) if existing.seq.unwrap_or(u64::MAX) <= *seq => Some(existing),
                    _ => Some(p),
                };
            }
            if let Some((bad_hash, what)) = pass.bad.first() {
                // One pass over the records for all bad bodies (not one table scan per body).
                let bad: std::collections::HashSet<Digest> = pass.bad.iter().map(|(h, _)| *h).collect();
                let first_seq = first_record_with_body(&store.conn, &bad).map_err(sql("cannot read records"))?;
                let _ = bad_hash;
                let p = Problem {
                    seq: first_seq,
                    what: match first_seq {
                        Some(_) => what.clone(),
                        None => format!("{what}; no record references it"),
                    },
                };
                problem = match problem {
                    Some(existing) if existing.seq.unwrap_or(u64::MAX) <= p.seq.unwrap_or(u64::MAX) => Some(existing),
                    _ => Some(p),
                };
            }
        }
        Some(Err(e)) => {
            return Err(Error::Sqlite {
                path: path.to_path_buf(),
                what: "cannot read bodies",
                source: e,
            });
        }
        None => report.notes.push("body check did not complete".into()),
    }

    if problem.is_none() {
        problem = check_meta(&store, &frontier, report.records, head)?;
    }
    if problem.is_none()
        && let Some(p) = &published
    {
        if report.records <= p.size {
            problem = Some(Problem {
                seq: Some(report.records),
                what: format!(
                    "store truncated: the published checkpoint sits at record {} but the store holds {} records",
                    p.size, report.records
                ),
            });
        } else if published_root != Some(p.root) {
            problem = Some(Problem {
                seq: Some(p.size.saturating_sub(1)),
                what: format!(
                    "the published checkpoint's root for {} records does not match the store's records",
                    p.size
                ),
            });
        }
    }
    if problem.is_none()
        && let (Some((cp, note)), Some(key)) = (&published_note, options.pinned.as_ref().or(store_key.as_ref()))
    {
        let what = match verify_checkpoint(note, key) {
            Err(e) => Some(format!("the published checkpoint does not verify: {e}")),
            Ok(c) if c.origin != key.name => Some(format!(
                "the published checkpoint's origin {} is not {}",
                c.origin, key.name
            )),
            Ok(_) if published_record_note.as_deref() != Some(note.as_str()) => Some(format!(
                "the checkpoint record at {} differs from the published checkpoint note",
                cp.size
            )),
            Ok(_) => None,
        };
        problem = what.map(|what| Problem {
            seq: Some(cp.size),
            what,
        });
    }
    let mut incomplete: Vec<u64> = started.iter().copied().filter(|s| !finished.contains(s)).collect();
    incomplete.sort_unstable();
    if let Some(size) = report.checkpoint_size {
        let uncovered = report.records.saturating_sub(size + 1);
        if uncovered > 0 {
            report.notes.push(format!(
                "{uncovered} record(s) after the last checkpoint are not yet covered by a signature (incomplete scan)"
            ));
        }
    }
    if published.is_none() && report.records > 0 {
        report.notes.push(format!(
            "no published checkpoint to compare with ({} missing); truncation of whole scans is only detected against a kept checkpoint",
            store.checkpoint_path().display()
        ));
    }
    if options.pinned.is_none() && report.key.is_some() {
        report
            .notes
            .push("signatures checked with the key recorded in the store; pass --pubkey to pin it".into());
    }
    report.incomplete_scans = incomplete;
    report.intact = problem.is_none();
    report.problem = problem;
    Ok(report)
}

/// The lowest `seq` whose `body_hash` is one of `bodies`.
fn first_record_with_body(
    conn: &Connection,
    bodies: &std::collections::HashSet<Digest>,
) -> rusqlite::Result<Option<u64>> {
    let mut stmt = conn.prepare("SELECT seq, body_hash FROM records ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let hash = row.get_ref(1)?.as_blob().ok().and_then(Digest::from_slice);
        if hash.is_some_and(|h| bodies.contains(&h)) {
            return Ok(u64::try_from(row.get::<_, i64>(0)?).ok());
        }
    }
    Ok(None)
}

fn check_checkpoint(
    body: Option<&Value>,
    seq: u64,
    frontier: &Frontier,
    pinned: Option<&NoteVerifier>,
) -> std::result::Result<(NoteVerifier, u64, Digest), String> {
    let body = body.ok_or("checkpoint body is not JSON")?;
    let field = |k: &str| body.get(k).ok_or(format!("checkpoint body lacks {k}"));
    let size = field("tree_size")?
        .as_u64()
        .ok_or("checkpoint tree_size is not a number")?;
    let note = field("note")?.as_str().ok_or("checkpoint note is not text")?;
    let key_text = field("key")?.as_str().ok_or("checkpoint key is not text")?;
    let recorded = NoteVerifier::parse(key_text).map_err(|e| e.to_string())?;
    if let Some(pinned) = pinned
        && pinned != &recorded
    {
        return Err(format!(
            "checkpoint is signed by key {} ({}), not by the pinned key {}",
            recorded.to_note_string(),
            recorded.fingerprint(),
            pinned.to_note_string()
        ));
    }
    let cp = verify_checkpoint(note, &recorded).map_err(|e| e.to_string())?;
    if size != seq || cp.size != seq {
        return Err(format!(
            "checkpoint claims tree size {} but sits at record {seq}",
            cp.size
        ));
    }
    let root = frontier.root();
    if cp.root != root || field("root")?.as_str() != Some(root.to_hex().as_str()) {
        return Err(format!(
            "checkpoint root {} does not match the recomputed Merkle root {root}",
            cp.root
        ));
    }
    if field("origin")?.as_str() != Some(cp.origin.as_str()) {
        return Err("checkpoint origin differs from its signed note".into());
    }
    Ok((recorded, size, root))
}

fn check_meta(store: &Store, frontier: &Frontier, records: u64, head: Digest) -> Result<Option<Problem>> {
    let head_seq = store.meta("head_seq")?;
    let head_hash = store.meta("head_hash")?;
    if records == 0 {
        return Ok(None);
    }
    let want_seq = (records - 1).to_string();
    if head_seq.as_deref() != Some(want_seq.as_str()) || head_hash.as_deref() != Some(head.to_hex().as_str()) {
        return Ok(Some(Problem {
            seq: Some(records - 1),
            what: format!(
                "the store's recorded head (record {}, {}) does not match the chain's last record ({want_seq}, {head}): records were removed or added",
                head_seq.unwrap_or_default(),
                head_hash.unwrap_or_default()
            ),
        }));
    }
    let stored: Option<Frontier> = store
        .meta("merkle_frontier")?
        .and_then(|t| serde_json::from_str(&t).ok());
    if stored.as_ref().is_some_and(|f| f != frontier) {
        return Ok(Some(Problem {
            seq: Some(records - 1),
            what: "the stored Merkle frontier does not match the chain".into(),
        }));
    }
    Ok(None)
}

fn read_published_checkpoint(store: &Store, options: &Options) -> Result<Option<(super::Checkpoint, String)>> {
    let path = options.checkpoint.clone().unwrap_or_else(|| store.checkpoint_path());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && options.checkpoint.is_none() => {
            return Ok(None);
        }
        Err(source) => {
            return Err(Error::Io {
                what: "cannot read checkpoint",
                path,
                source,
            });
        }
    };
    // Parse without trusting the signature yet: the signer is checked when the matching record is.
    let mut lines = text.lines();
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(Error::NotAStore {
            path,
            reason: "checkpoint file is not a checkpoint note".into(),
        });
    };
    use base64::Engine as _;
    let root = base64::engine::general_purpose::STANDARD
        .decode(root)
        .ok()
        .and_then(|b| Digest::from_slice(&b));
    match (super::note::parse_tree_size(size), root) {
        (Some(size), Some(root)) => Ok(Some((
            super::Checkpoint {
                origin: origin.to_string(),
                size,
                root,
            },
            text.clone(),
        ))),
        _ => Err(Error::NotAStore {
            path,
            reason: "checkpoint file is not a checkpoint note".into(),
        }),
    }
}

/// The `.checkpoint` file for a store path.
pub fn published_checkpoint_path(store: &Path) -> PathBuf {
    sibling(store, ".checkpoint")
}
