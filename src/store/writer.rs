//! Appending one scan: [`ScanWriter`].
//!
//! A scan is written so that a crash at any point leaves a store that verifies:
//! 1. `scan.started` is appended and committed on its own, so an interrupted scan stays visible;
//! 2. observations are canonicalized and hashed as they arrive; what is to be appended goes, in
//!    batches, to a writer thread that inserts each batch's bodies (content-addressed, stored
//!    once) and chained records in one transaction, while the scan goes on with the next objects.
//!    Records keep the order the collectors deliver them in (cluster by cluster in name order);
//! 3. [`ScanWriter::finish`] waits for the writer thread, then appends `scan.manifest`,
//!    `scan.finished` and a signed `checkpoint` in one final transaction, and writes the checkpoint
//!    note beside the store.
//!
//! Unchanged objects are not appended again: a snapshot record is written only when its subject is
//! new or its body changed since the base scan (the last complete one); `scan.manifest` lists the
//! subjects that disappeared and a digest of the whole state, so every scan's state can be
//! rebuilt from the chain. History records (audit events, commits) are appended once per distinct
//! body. A second writer waits for the lock file beside the store and gives up with
//! [`Error::Locked`].

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write as _;
use std::time::{Duration, Instant};

use std::sync::mpsc;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Transaction, params};
use serde_json::{Value, json};

use super::merkle::Frontier;
use super::{Error, GENESIS, Result, Signer, Store, digest_col, sibling, sqlite};
use crate::model::{
    Digest, HeaderFields, Observation, Prepared, RecordSink, SinkError, Timestamp, kinds, object_kind, sha256,
    write_canonical,
};

/// A batch for the writer thread is handed over at this many body bytes or records; the first
/// one at an eighth of that, so that the writer thread starts early.
const BATCH_BYTES: usize = 16 << 20;
const BATCH_RECORDS: usize = 20_000;
const FIRST_BATCH_SHARE: usize = 8;
/// At most this many batches go into one transaction of the appender thread.
const BATCHES_PER_COMMIT: usize = 8;

/// What one finished scan added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScanSummary {
    /// Scan number.
    pub scan: u64,
    /// The scan it was compared with (last complete scan before it).
    pub base: Option<u64>,
    /// Records appended, including the scan's own bookkeeping records.
    pub appended: u64,
    /// Snapshot objects observed.
    pub observed: u64,
    /// Snapshot objects unchanged since the base scan (not appended again).
    pub unchanged: u64,
    /// Snapshot subjects of the base scan not observed any more.
    pub removed: u64,
    /// Collection gaps recorded.
    pub gaps: u64,
    /// Chain head after the scan.
    pub head: Digest,
    /// Tree size covered by the scan's checkpoint.
    pub tree_size: u64,
    /// Merkle root of the checkpoint.
    pub root: Digest,
}

/// One record to append; its canonical body is a range of its [`Queue`]'s body bytes.
struct Pending {
    source: String,
    kind: &'static str,
    subject: String,
    body_hash: Digest,
    body: std::ops::Range<usize>,
    link: Link,
}

/// Records queued for one transaction, their bodies in one buffer. The appender thread hands
/// written queues back, and the scan refills them: no allocation per body, and what the scan
/// allocated is freed on its own thread.
struct Queue {
    records: Vec<Pending>,
    bodies: Vec<u8>,
}

impl Queue {
    /// An empty queue with room for a full batch (its bodies may run past by one body): filled
    /// without growing, so without copying into fresh memory on the way.
    fn with_room() -> Queue {
        Queue {
            records: Vec::with_capacity(BATCH_RECORDS),
            bodies: Vec::with_capacity(BATCH_BYTES + (64 << 10)),
        }
    }

    fn body(&self, pending: &Pending) -> &[u8] {
        &self.bodies[pending.body.clone()]
    }

    fn clear(&mut self) {
        self.records.clear();
        self.bodies.clear();
    }
}

/// Chain position: next sequence number, head hash and Merkle frontier.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub(crate) next_seq: u64,
    pub(crate) head: Digest,
    pub(crate) frontier: Frontier,
    /// Scratch buffer for canonical headers.
    pub(crate) scratch: Vec<u8>,
}

/// Appends one scan to a [`Store`]. Dropping it without [`ScanWriter::finish`] leaves the scan
/// incomplete (visible, with no `scan.finished`).
pub struct ScanWriter<'a> {
    /// Declared first so it is dropped (what it was handed committed) before the lock is released.
    appender: Appender,
    store: &'a mut Store,
    _lock: fs::File,
    scan: u64,
    base: Option<u64>,
    collected_at: String,
    chain: Chain,
    base_state: HashMap<String, Digest>,
    observed: HashMap<String, Digest>,
    history: HashMap<(&'static str, String), Digest>,
    queue: Queue,
    /// Data records appended (or handed to the appender) per kind.
    per_kind: BTreeMap<&'static str, u64>,
    scope: std::collections::BTreeSet<String>,
    unchanged: u64,
}

impl std::fmt::Debug for ScanWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanWriter")
            .field("scan", &self.scan)
            .field("queued", &self.queue.records.len())
            .finish()
    }
}

impl Store {
    /// Starts a scan collected at `at`; `info` (sources, options) goes into `scan.started`.
    /// Takes the writer lock for the scan's lifetime.
    pub fn begin_scan(&mut self, at: Timestamp, info: Value) -> Result<ScanWriter<'_>> {
        let lock = self.acquire_lock()?;
        let chain = self.load_chain()?;
        let scan: u64 = self
            .conn
            .query_row(
                "SELECT coalesce(max(scan), 0) + 1 FROM records WHERE kind <> 'k8s.object'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql("cannot read scan numbers"))?;
        let base: Option<u64> = self
            .conn
            .query_row(
                "SELECT max(scan) FROM records WHERE kind = ?1 AND kind <> 'k8s.object'",
                [kinds::SCAN_FINISHED],
                |r| r.get(0),
            )
            .map_err(self.sql("cannot find the last complete scan"))?;
        let base_state = match base {
            Some(b) => self
                .snapshot_state(b)?
                .into_iter()
                .map(|(s, e)| (s, e.body_hash))
                .collect(),
            None => HashMap::new(),
        };
        // A re-collect observes about as many objects as its base scan holds.
        let expected = base_state.len();
        let mut writer = ScanWriter {
            store: self,
            _lock: lock,
            scan,
            base,
            collected_at: at.to_rfc3339(),
            chain,
            base_state,
            observed: HashMap::with_capacity(expected),
            history: HashMap::new(),
            // With room for a full batch from the start: growing the first one copied it into
            // fresh memory several times.
            queue: Queue::with_room(),
            per_kind: BTreeMap::new(),
            scope: std::collections::BTreeSet::new(),
            appender: Appender::default(),
            unchanged: 0,
        };
        let started = json!({
            "format": super::FORMAT,
            "scan": scan,
            "base_scan": base,
            "tool": "meshproof",
            "version": env!("CARGO_PKG_VERSION"),
            "info": info,
        });
        writer.append_now(vec![(
            "meshproof".into(),
            kinds::SCAN_STARTED,
            format!("scan/{scan}"),
            started,
        )])?;
        Ok(writer)
    }

    fn acquire_lock(&self) -> Result<fs::File> {
        let lock_path = sibling(&self.path, ".lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| Error::Io {
                what: "cannot open lock file",
                path: lock_path.clone(),
                source,
            })?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < self.lock_timeout => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: self.path.clone(),
                        lock: lock_path,
                        waited: start.elapsed(),
                    });
                }
                Err(fs::TryLockError::Error(source)) => {
                    return Err(Error::Io {
                        what: "cannot lock",
                        path: lock_path,
                        source,
                    });
                }
            }
        }
    }

    pub(crate) fn load_chain(&self) -> Result<Chain> {
        let last: Option<(u64, Vec<u8>)> = self
            .conn
            .query_row("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(self.sql("cannot read chain head"))?;
        let Some((seq, hash)) = last else {
            return Ok(Chain {
                next_seq: 0,
                head: GENESIS,
                frontier: Frontier::default(),
                scratch: Vec::new(),
            });
        };
        let head = digest_col(hash, &self.path, seq, "hash")?;
        let stored: Option<Frontier> = self
            .meta("merkle_frontier")?
            .and_then(|text| serde_json::from_str(&text).ok());
        let frontier = match stored {
            Some(f) if f.size() == seq + 1 => f,
            _ => self.rebuild_frontier()?,
        };
        Ok(Chain {
            next_seq: seq + 1,
            head,
            frontier,
            scratch: Vec::new(),
        })
    }

    fn rebuild_frontier(&self) -> Result<Frontier> {
        let mut frontier = Frontier::default();
        let mut stmt = self
            .conn
            .prepare("SELECT seq, hash FROM records ORDER BY seq")
            .map_err(self.sql("cannot read records"))?;
        let mut rows = stmt.query([]).map_err(self.sql("cannot read records"))?;
        while let Some(row) = rows.next().map_err(self.sql("cannot read records"))? {
            let seq: u64 = row.get(0).map_err(self.sql("cannot read records"))?;
            let hash: Vec<u8> = row.get(1).map_err(self.sql("cannot read records"))?;
            frontier.push(&digest_col(hash, &self.path, seq, "hash")?);
        }
        Ok(frontier)
    }
}

/// Inserts: the statement up to `VALUES`, and the number of values per row.
///
/// Records are inserted without their `seq`, which SQLite then numbers as the largest one so far
/// plus one, and `OR FAIL` rather than the default `ABORT`. A multi-row `INSERT` that names the
/// `INTEGER PRIMARY KEY` or may abort makes SQLite copy every page it changes into a statement
/// journal first, so that it can undo just that statement: 64 KiB per page and statement, written
/// to a temporary file (1 GB for 200,000 records). [`insert_records`] checks that SQLite's numbers
/// are the chain's; `FAIL` stops at the offending row without undoing the rows before it, and the
/// error drops the whole transaction, which rolls back every row of the batch (tested). Bodies
/// are inserted `OR IGNORE`, which never aborts either.
const INSERT_RECORD: (&str, usize) = (
    "INSERT OR FAIL INTO records(scan, collected_at, source, kind, subject, body_hash, prev_hash, hash, object_kind) VALUES",
    9,
);
/// The first record of a store, whose `seq` 0 SQLite would not give (one row: no statement
/// journal).
const INSERT_FIRST_RECORD: (&str, usize) = (
    "INSERT INTO records(scan, collected_at, source, kind, subject, body_hash, prev_hash, hash, object_kind, seq) VALUES",
    10,
);
const INSERT_BODY: (&str, usize) = ("INSERT OR IGNORE INTO bodies(hash, data) VALUES", 2);

/// Rows per multi-row `INSERT` (each statement run has a fixed cost: cursors, reset, unbinding).
const ROWS_PER_INSERT: usize = 32;

/// Inserts one row per item with `insert`, [`ROWS_PER_INSERT`] rows per statement; `bind` binds an
/// item's values from the given 1-based parameter index on.
fn insert_rows<T>(
    tx: &Transaction<'_>,
    insert: (&str, usize),
    items: &[T],
    bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let (head, width) = insert;
    let sql = |rows: usize| {
        let row = format!("({})", vec!["?"; width].join(","));
        format!("{head} {}", vec![row; rows].join(","))
    };
    let full = sql(ROWS_PER_INSERT);
    for chunk in items.chunks(ROWS_PER_INSERT) {
        let mut stmt = if chunk.len() == ROWS_PER_INSERT {
            tx.prepare_cached(&full)?
        } else {
            tx.prepare_cached(&sql(chunk.len()))?
        };
        for (i, item) in chunk.iter().enumerate() {
            bind(&mut stmt, 1 + i * width, item)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

impl Chain {
    /// Chains the next record: its sequence number, previous hash and record hash.
    fn link(
        &mut self,
        scan: u64,
        collected_at: &str,
        source: &str,
        kind: &str,
        subject: &str,
        body_hash: &Digest,
    ) -> Link {
        let seq = self.next_seq;
        let prev = self.head;
        let hash = HeaderFields {
            seq,
            scan,
            collected_at,
            source,
            kind,
            subject,
            body_hash,
        }
        .chain_hash(&prev, &mut self.scratch);
        self.head = hash;
        self.frontier.push(&hash);
        self.next_seq += 1;
        Link { seq, prev, hash }
    }

    /// The `meta` rows that let the next writer go on from here.
    fn meta(&self) -> ChainMeta {
        ChainMeta {
            head_seq: self.next_seq.saturating_sub(1).to_string(),
            head_hash: self.head.to_hex(),
            frontier: serde_json::to_string(&self.frontier).unwrap_or_default(),
        }
    }
}

/// A record's place in the chain.
#[derive(Debug, Clone, Copy)]
struct Link {
    seq: u64,
    prev: Digest,
    hash: Digest,
}

/// The chain head and Merkle frontier as stored in `meta`.
struct ChainMeta {
    head_seq: String,
    head_hash: String,
    frontier: String,
}

fn save_chain(tx: &Transaction<'_>, meta: &ChainMeta) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")?;
    stmt.execute(params!["head_seq", meta.head_seq])?;
    stmt.execute(params!["head_hash", meta.head_hash])?;
    stmt.execute(params!["merkle_frontier", meta.frontier])?;
    Ok(())
}

/// Appends chained records and their bodies (stored once per hash) and saves the chain's `meta`
/// after them, in one transaction.
fn write_batch(
    conn: &mut Connection,
    scan: u64,
    collected_at: &str,
    queue: &Queue,
    meta: &ChainMeta,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    insert_batch(&tx, scan, collected_at, queue, meta)?;
    tx.commit()
}

/// [`write_batch`] within a transaction of the caller's.
fn insert_batch(
    tx: &Transaction<'_>,
    scan: u64,
    collected_at: &str,
    queue: &Queue,
    meta: &ChainMeta,
) -> rusqlite::Result<()> {
    // Bodies in hash order: each insert into the hash index lands beside the last one, on pages
    // still in the cache, rather than on a random page of the index.
    let mut by_hash: Vec<&Pending> = queue.records.iter().collect();
    by_hash.sort_unstable_by_key(|p| p.body_hash.0);
    insert_rows(tx, INSERT_BODY, &by_hash, |stmt, at, p| {
        stmt.raw_bind_parameter(at, &p.body_hash.0[..])?;
        stmt.raw_bind_parameter(at + 1, queue.body(p))
    })?;
    insert_records(tx, scan, collected_at, &queue.records)?;
    save_chain(tx, meta)
}

/// Inserts chained records, numbered by SQLite (see [`INSERT_RECORD`]) except the store's first,
/// and fails unless SQLite gave each the `seq` it was chained under.
fn insert_records(tx: &Transaction<'_>, scan: u64, collected_at: &str, records: &[Pending]) -> rusqlite::Result<()> {
    let bind = |stmt: &mut rusqlite::Statement<'_>, at: usize, p: &Pending| {
        stmt.raw_bind_parameter(at, scan)?;
        stmt.raw_bind_parameter(at + 1, collected_at)?;
        stmt.raw_bind_parameter(at + 2, &p.source)?;
        stmt.raw_bind_parameter(at + 3, p.kind)?;
        stmt.raw_bind_parameter(at + 4, &p.subject)?;
        stmt.raw_bind_parameter(at + 5, &p.body_hash.0[..])?;
        stmt.raw_bind_parameter(at + 6, &p.link.prev.0[..])?;
        stmt.raw_bind_parameter(at + 7, &p.link.hash.0[..])?;
        stmt.raw_bind_parameter(at + 8, object_kind(p.kind, &p.subject))
    };
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(());
    };
    let numbered = if first.link.seq == 0 {
        insert_rows(tx, INSERT_FIRST_RECORD, &records[..1], |stmt, at, p| {
            bind(stmt, at, p)?;
            stmt.raw_bind_parameter(at + 9, p.link.seq)
        })?;
        &records[1..]
    } else {
        records
    };
    insert_rows(tx, INSERT_RECORD, numbered, bind)?;
    // SQLite numbers each row one past the largest seq before it, so the rows are numbered as
    // chained exactly when the last one is.
    if u64::try_from(tx.last_insert_rowid()).ok() != Some(last.link.seq) {
        let message = format!(
            "records were numbered up to {} where the chain is at {}: the records table changed under the writer",
            tx.last_insert_rowid(),
            last.link.seq
        );
        let code = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT);
        return Err(rusqlite::Error::SqliteFailure(code, Some(message)));
    }
    Ok(())
}

/// A batch for the appender thread: chained records and the chain's `meta` after them.
struct Batch {
    queue: Queue,
    meta: ChainMeta,
}

/// What the appender thread needs to know of the scan.
struct ScanFields {
    path: std::path::PathBuf,
    scan: u64,
    collected_at: String,
}

/// Appends batches on its own connection, each batch's bodies and records in one transaction,
/// while the scan goes on canonicalizing, hashing and chaining the next objects; hands each
/// written queue back to be refilled.
fn appender(fields: ScanFields, batches: mpsc::Receiver<Batch>, written: mpsc::Sender<Queue>) -> Result<()> {
    let path = &fields.path;
    let sql = |what| sqlite(path, what);
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("cannot open"))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(sql("cannot set busy timeout"))?;
    super::writer_pragmas(&conn).map_err(sql("cannot configure the appender"))?;
    while let Ok(first) = batches.recv() {
        // Batches already waiting join the transaction (up to a limit): every commit writes each
        // index page it changed anew, and the body-hash index takes random inserts.
        let tx = conn.transaction().map_err(sql("cannot append records"))?;
        let mut next = Some(first);
        let mut joined = 0;
        while let Some(batch) = next.take() {
            insert_batch(&tx, fields.scan, &fields.collected_at, &batch.queue, &batch.meta)
                .map_err(sql("cannot append records"))?;
            // The scan may be done and gone: then the queue is simply dropped.
            let _ = written.send(batch.queue);
            joined += 1;
            if joined < BATCHES_PER_COMMIT {
                next = batches.try_recv().ok();
            }
        }
        tx.commit().map_err(sql("cannot append records"))?;
    }
    Ok(())
}

/// The appender thread, the channel feeding it and the one bringing written queues back.
#[derive(Default)]
struct Appender {
    batches: Option<mpsc::SyncSender<Batch>>,
    written: Option<mpsc::Receiver<Queue>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Appender {
    /// Waits until every batch sent so far is committed.
    fn finish(&mut self) -> Result<()> {
        self.batches = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Io {
                what: "the appender thread failed",
                path: std::path::PathBuf::new(),
                source: std::io::Error::other("panic"),
            }),
        }
    }
}

impl Drop for Appender {
    /// A scan dropped without `finish` still commits what it handed over (records of a scan that
    /// stays incomplete) before the store closes.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Digest of a snapshot state: SHA-256 over `subject \t body-hash-hex \n` lines in subject order.
pub fn state_digest<'a>(entries: impl Iterator<Item = (&'a String, &'a Digest)>) -> Digest {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let mut line = Vec::new();
    for (subject, hash) in entries {
        line.clear();
        line.extend_from_slice(subject.as_bytes());
        line.push(b'\t');
        hash.write_hex(&mut line);
        line.push(b'\n');
        h.update(&line);
    }
    Digest(h.finalize().into())
}

impl ScanWriter<'_> {
    /// This scan's number.
    pub fn scan(&self) -> u64 {
        self.scan
    }

    fn sql_err(&self, what: &'static str) -> impl Fn(rusqlite::Error) -> Error + '_ {
        self.store.sql(what)
    }

    /// Chains the record whose canonical body was just added to the queue's body bytes from
    /// `body_start` on, and queues it.
    fn enqueue(&mut self, source: String, kind: &'static str, subject: String, body_start: usize, body_hash: Digest) {
        let link = self
            .chain
            .link(self.scan, &self.collected_at, &source, kind, &subject, &body_hash);
        let body = body_start..self.queue.bodies.len();
        self.queue.records.push(Pending {
            source,
            kind,
            subject,
            body_hash,
            body,
            link,
        });
    }

    /// Appends records right away, in one transaction (used for the scan's bookkeeping records,
    /// while the appender thread is not running).
    fn append_now(&mut self, records: Vec<(String, &'static str, String, Value)>) -> Result<()> {
        debug_assert!(self.queue.records.is_empty());
        for (source, kind, subject, body) in records {
            let start = self.queue.bodies.len();
            write_canonical(&body, &mut self.queue.bodies);
            let body_hash = sha256(&self.queue.bodies[start..]);
            self.enqueue(source, kind, subject, start, body_hash);
        }
        let meta = self.chain.meta();
        let written = write_batch(&mut self.store.conn, self.scan, &self.collected_at, &self.queue, &meta);
        self.queue.clear();
        written.map_err(sqlite(&self.store.path, "cannot append records"))
    }

    /// Hands the queued records to the appender thread (started on first use), and takes a
    /// written queue back to fill next when there is one.
    fn flush(&mut self) -> Result<()> {
        if self.queue.records.is_empty() {
            return Ok(());
        }
        let mut next = match self.appender.written.as_ref().map(mpsc::Receiver::try_recv) {
            Some(Ok(mut spent)) => {
                spent.clear();
                spent
            }
            _ => Queue::with_room(),
        };
        std::mem::swap(&mut next, &mut self.queue);
        let batch = Batch {
            queue: next,
            meta: self.chain.meta(),
        };
        if self.appender.thread.is_none() {
            // One batch queued while the thread writes another: at most three batches in memory.
            let (tx, rx) = mpsc::sync_channel(1);
            let (written_tx, written_rx) = mpsc::channel();
            let fields = ScanFields {
                path: self.store.path.clone(),
                scan: self.scan,
                collected_at: self.collected_at.clone(),
            };
            self.appender = Appender {
                batches: Some(tx),
                written: Some(written_rx),
                thread: Some(std::thread::spawn(move || appender(fields, rx, written_tx))),
            };
        }
        let sent = match &self.appender.batches {
            Some(tx) => tx.send(batch).is_ok(),
            None => false,
        };
        if !sent {
            // The thread stopped: its result says why.
            self.appender.finish()?;
            return Err(Error::Io {
                what: "the appender stopped",
                path: self.store.path.clone(),
                source: std::io::Error::other("channel closed"),
            });
        }
        Ok(())
    }

    fn latest_history_hash(&self, kind: &str, subject: &str) -> Result<Option<Digest>> {
        let row: Option<(u64, Vec<u8>)> = self
            .store
            .conn
            .prepare_cached(
                "SELECT seq, body_hash FROM records WHERE kind = ?1 AND kind <> 'k8s.object' AND subject = ?2 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![kind, subject], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(self.sql_err("cannot look up history record"))?;
        row.map(|(seq, h)| digest_col(h, &self.store.path, seq, "body_hash"))
            .transpose()
    }

    /// Takes one observation: canonicalizes and hashes its body, and queues it unless it is an
    /// unchanged snapshot object or an already stored history record.
    pub fn add(&mut self, obs: Observation) -> Result<()> {
        let Observation {
            source,
            kind,
            subject,
            body,
        } = obs;
        // Canonicalized straight into the queue; taken out again when it is not appended.
        let start = self.queue.bodies.len();
        write_canonical(&body, &mut self.queue.bodies);
        let hash = sha256(&self.queue.bodies[start..]);
        if !self.admit(kind, &subject, hash)? {
            self.queue.bodies.truncate(start);
            return Ok(());
        }
        self.queue_record(source, kind, subject, start, hash)
    }

    /// [`ScanWriter::add`] for a body already canonicalized and hashed.
    pub fn add_prepared(&mut self, prepared: Prepared) -> Result<()> {
        let Prepared {
            source,
            kind,
            subject,
            canonical,
            hash,
        } = prepared;
        if !self.admit(kind, &subject, hash)? {
            return Ok(());
        }
        let start = self.queue.bodies.len();
        self.queue.bodies.extend_from_slice(&canonical);
        self.queue_record(source, kind, subject, start, hash)
    }

    /// Whether a record of `kind` for `subject` with body hash `hash` is to be appended: not when
    /// it is an unchanged snapshot object (or a duplicate within the scan) or an already stored
    /// history record. Notes what it lets through.
    fn admit(&mut self, kind: &'static str, subject: &str, hash: Digest) -> Result<bool> {
        if kinds::is_snapshot(kind) {
            if let Some(cluster) = subject.split('/').next()
                && !self.scope.contains(cluster)
            {
                self.scope.insert(cluster.to_string());
            }
            match self.observed.entry(subject.to_string()) {
                // The collector reports conflicting duplicates itself; keep the first.
                Entry::Occupied(_) => return Ok(false),
                Entry::Vacant(slot) => slot.insert(hash),
            };
            if self.base_state.get(subject) == Some(&hash) {
                self.unchanged += 1;
                return Ok(false);
            }
        } else if kinds::is_history(kind) {
            let key = (kind, subject.to_string());
            let known = match self.history.get(&key) {
                Some(h) => Some(*h),
                None => self.latest_history_hash(kind, subject)?,
            };
            if known == Some(hash) {
                return Ok(false);
            }
            self.history.insert(key, hash);
        }
        *self.per_kind.entry(kind).or_default() += 1;
        Ok(true)
    }

    /// Queues an admitted record (its body already in the queue from `body_start` on) and hands
    /// the queue over when it is full.
    fn queue_record(
        &mut self,
        source: String,
        kind: &'static str,
        subject: String,
        body_start: usize,
        hash: Digest,
    ) -> Result<()> {
        self.enqueue(source, kind, subject, body_start, hash);
        // The appender thread starts with the first batch handed over.
        let share = if self.appender.thread.is_none() {
            FIRST_BATCH_SHARE
        } else {
            1
        };
        if self.queue.bodies.len() >= BATCH_BYTES / share || self.queue.records.len() >= BATCH_RECORDS / share {
            self.flush()?;
        }
        Ok(())
    }

    /// Appends everything queued, the manifest, `scan.finished` and a signed checkpoint.
    pub fn finish(mut self, signer: &Signer) -> Result<ScanSummary> {
        self.flush()?;
        let records: u64 = self.per_kind.values().sum();
        let gaps = self.per_kind.get(kinds::COLLECTION_GAP).copied().unwrap_or(0);

        // The new state: base objects of clusters this scan collected are replaced by what it
        // observed; objects of clusters outside its scope (e.g. a git-only collect) carry forward.
        let in_scope = |subject: &str| subject.split('/').next().is_some_and(|c| self.scope.contains(c));
        let mut removed: Vec<&String> = self
            .base_state
            .keys()
            .filter(|s| !self.observed.contains_key(*s) && in_scope(s))
            .collect();
        removed.sort();
        // Sorted by subject; what this scan observed wins over a base entry of the same subject
        // (the stable sort keeps base entries first, dedup keeps the last of each subject).
        let mut state: Vec<(&String, &Digest)> = self.base_state.iter().filter(|(s, _)| !in_scope(s)).collect();
        state.extend(self.observed.iter());
        state.sort_by(|a, b| a.0.cmp(b.0));
        state.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                *earlier = *later;
            }
            same
        });
        let manifest = json!({
            "scan": self.scan,
            "base_scan": self.base,
            "scope": self.scope,
            "observed": self.observed.len(),
            "unchanged": self.unchanged,
            "removed": removed,
            "state": state_digest(state.into_iter()).to_hex(),
        });
        let removed_count = removed.len() as u64;
        let finished = json!({
            "scan": self.scan,
            "records": records,
            "per_kind": self.per_kind,
            "observed": self.observed.len(),
            "unchanged": self.unchanged,
            "removed": removed_count,
            "gaps": gaps,
        });
        // The manifest was computed while the appender thread wrote the last batches.
        self.appender.finish()?;
        let scan = self.scan;
        self.append_now(vec![
            (
                "meshproof".into(),
                kinds::SCAN_MANIFEST,
                format!("scan/{scan}/manifest"),
                manifest,
            ),
            (
                "meshproof".into(),
                kinds::SCAN_FINISHED,
                format!("scan/{scan}"),
                finished,
            ),
        ])?;

        let tree_size = self.chain.next_seq;
        let root = self.chain.frontier.root();
        let note = signer.sign_checkpoint(tree_size, &root);
        let checkpoint = json!({
            "origin": signer.verifier().name,
            "tree_size": tree_size,
            "root": root.to_hex(),
            "key": signer.verifier().to_note_string(),
            "note": note,
        });
        self.append_now(vec![(
            "meshproof".into(),
            kinds::CHECKPOINT,
            format!("checkpoint/{tree_size}"),
            checkpoint,
        )])?;
        self.write_checkpoint_file(&note)?;
        Ok(ScanSummary {
            scan,
            base: self.base,
            // The data records, scan.started, scan.manifest, scan.finished and the checkpoint.
            appended: records + 4,
            observed: self.observed.len() as u64,
            unchanged: self.unchanged,
            removed: removed_count,
            gaps,
            head: self.chain.head,
            tree_size,
            root,
        })
    }

    fn write_checkpoint_file(&self, note: &str) -> Result<()> {
        let path = self.store.checkpoint_path();
        let tmp = sibling(&path, ".tmp");
        let io = |source| Error::Io {
            what: "cannot write checkpoint file",
            path: path.clone(),
            source,
        };
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(note.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)
    }
}

impl RecordSink for ScanWriter<'_> {
    fn observe_prepared(&mut self, prepared: Prepared) -> Result<(), SinkError> {
        self.add_prepared(prepared).map_err(|e| SinkError {
            message: e.to_string(),
            source: Some(Box::new(e)),
        })
    }

    fn declare_cluster(&mut self, cluster: &str) -> Result<(), SinkError> {
        self.scope.insert(cluster.to_string());
        Ok(())
    }

    fn observe(&mut self, observation: Observation) -> Result<(), SinkError> {
        self.add(observation).map_err(|e| SinkError {
            message: e.to_string(),
            source: Some(Box::new(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(queue: &mut Queue, seq: u64, subject: &str) {
        let body = format!("{{\"subject\":\"{subject}\"}}");
        let start = queue.bodies.len();
        queue.bodies.extend_from_slice(body.as_bytes());
        queue.records.push(Pending {
            source: "k8s/test".into(),
            kind: kinds::K8S_OBJECT,
            subject: subject.into(),
            body_hash: sha256(body.as_bytes()),
            body: start..queue.bodies.len(),
            link: Link {
                seq,
                prev: GENESIS,
                hash: sha256(subject.as_bytes()),
            },
        });
    }

    fn write(store: &mut Store, seqs: std::ops::Range<u64>) -> rusqlite::Result<()> {
        let mut queue = Queue::with_room();
        for seq in seqs.clone() {
            pending(&mut queue, seq, &format!("c/ns/ConfigMap/{seq}"));
        }
        let meta = ChainMeta {
            head_seq: (seqs.end - 1).to_string(),
            head_hash: GENESIS.to_hex(),
            frontier: "[]".into(),
        };
        write_batch(&mut store.conn, 1, "2026-12-01T00:00:00Z", &queue, &meta)
    }

    /// Records, their lowest and highest seq, and bodies.
    fn rows(store: &Store) -> (i64, i64, i64, i64) {
        let sql = "SELECT count(*), min(seq), max(seq), (SELECT count(*) FROM bodies) FROM records";
        store
            .conn
            .query_row(sql, [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .unwrap()
    }

    /// SQLite numbers the records (the store's first one aside) as the chain did, or the batch
    /// fails, and a failed batch leaves none of its rows although its inserts do not undo rows.
    #[test]
    fn records_are_numbered_as_chained_or_the_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.db")).unwrap();
        write(&mut store, 0..40).unwrap();
        assert_eq!(rows(&store), (40, 0, 39, 40));

        // The chain says 45 where the table ends at 39 (say, records deleted under the writer).
        let failed = write(&mut store, 45..80).unwrap_err().to_string();
        assert!(
            failed.contains("numbered up to 74 where the chain is at 79"),
            "{failed}"
        );
        assert_eq!(rows(&store), (40, 0, 39, 40));
        assert!(store.conn.is_autocommit(), "the transaction is closed");

        write(&mut store, 40..41).unwrap();
        write(&mut store, 41..80).unwrap();
        assert_eq!(rows(&store), (80, 0, 79, 80));
        let numbered: Vec<(i64, String)> = store
            .conn
            .prepare("SELECT seq, subject FROM records ORDER BY seq")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            numbered
                .iter()
                .all(|(seq, subject)| *subject == format!("c/ns/ConfigMap/{seq}"))
        );
    }
}
