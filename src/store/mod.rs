//! The evidence store: an append-only, hash-chained, Merkle-checkpointed SQLite file.
//!
//! - [`Store`] opens or creates the file and answers read queries ([`read`]);
//! - [`ScanWriter`] appends one scan under an exclusive writer lock ([`writer`]);
//! - [`verify`] recomputes every body hash, record hash, Merkle root and signature;
//! - [`merkle`] and [`note`] hold the RFC 6962 and C2SP constructions.
//!
//! The exact format is specified in `docs/evidence-format.md`. The store only grows: nothing here
//! updates or deletes a record.

pub mod merkle;
pub mod note;
pub mod read;
pub mod verify;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _};

pub use note::{Checkpoint, NoteVerifier, Signer};
pub use read::{RecordFilter, ScanInfo};
pub use writer::{ScanSummary, ScanWriter};

use crate::model::Digest;

/// Format identifier kept in the `meta` table and in every scan's `scan.started` body.
pub const FORMAT: &str = "meshproof-evidence/2";

/// The format before records carried their `object_kind` column: read as it is, brought to
/// [`FORMAT`] on its first writable open (see [`migrate_format_1`]).
const FORMAT_1: &str = "meshproof-evidence/1";

/// Previous-hash of the first record: 32 zero bytes.
pub const GENESIS: Digest = Digest([0u8; 32]);

/// Store errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed.
    #[error("evidence store {path}: {what}")]
    Sqlite {
        /// The store file.
        path: PathBuf,
        /// What we were doing.
        what: &'static str,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is not a meshproof store.
    #[error("{path} is not a meshproof evidence store ({reason})")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The store file does not exist.
    #[error("evidence store {0} does not exist (run `meshproof collect` first, or pass --store)")]
    Missing(PathBuf),
    /// Another process holds the writer lock.
    #[error(
        "evidence store {path} is being written by another meshproof process (lock {lock} held for {waited:?}); \
         wait for it to finish or raise --lock-timeout"
    )]
    Locked {
        /// The store file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
    /// I/O on a file beside the store.
    #[error("{what} {path}")]
    Io {
        /// What we were doing.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A stored value has an unexpected shape (the store is damaged; `verify` says where).
    #[error("evidence store {path}: record {seq}: {reason} (run `meshproof verify`)")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// The record.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// The requested scan does not exist.
    #[error("scan {0} does not exist in this store (see `meshproof scans`)")]
    NoSuchScan(u64),
    /// The store has no complete scan yet.
    #[error("the evidence store has no complete scan yet (run `meshproof collect`)")]
    NoScan,
}

/// Result alias for store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An open evidence store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    lock_timeout: Duration,
    writable: bool,
    /// Whether records have the `object_kind` column (format 2; a format-1 store opened read-only
    /// has not).
    object_kind_column: bool,
}

impl Drop for Store {
    /// A writer leaves the file self-contained: WAL is folded back and switched off, so readers
    /// (which open read-only) and copies of the file see everything without a `-wal` beside it.
    fn drop(&mut self) {
        if self.writable {
            let _ = self.conn.pragma_update(None, "journal_mode", "DELETE");
        }
    }
}

/// The object kind of a `k8s.object` subject (`<cluster>/<namespace>/<Kind>/<name>`, its third
/// segment) as an SQL expression of built-in functions: what format-1 stores indexed, and how
/// [`migrate_format_1`] fills their `object_kind` column. Queries on a format-1 store must spell it
/// exactly like this for the planner to use that store's `records_object_kind` index.
pub(crate) const OBJECT_KIND_SQL: &str = "substr(substr(substr(subject, instr(subject, '/') + 1), \
     instr(substr(subject, instr(subject, '/') + 1), '/') + 1), 1, \
     instr(substr(substr(subject, instr(subject, '/') + 1), \
     instr(substr(subject, instr(subject, '/') + 1), '/') + 1), '/') - 1)";

/// The `k8s.object` records by object kind: what `who-added` and other partial loads look up
/// (the (kind, subject) index cannot, since the object kind is not a prefix of the subject).
/// The writer fills `object_kind` from the subject (see [`crate::model::object_kind`]); an index
/// on the SQL expression instead cost a quarter of the append rate.
const OBJECT_KIND_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS records_object_kind ON records(object_kind) WHERE kind = 'k8s.object';";

/// A reader's page cache, in KiB when negative (SQLite's convention).
const READER_CACHE_KIB: i64 = -65536;

/// Tables and indexes. Objects (most records) stay out of the (scan, kind) and (kind, subject)
/// indexes: those serve lookups of history, scan and checkpoint records, which add
/// `kind <> 'k8s.object'` so that the planner can use them (stores made before keep full indexes,
/// which serve those queries as well); a scan's objects are read by its sequence range. Each index
/// is one more B-tree insert per record, the largest cost of an append.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bodies (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    scan INTEGER NOT NULL,
    collected_at TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_hash BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    object_kind TEXT
);
CREATE INDEX IF NOT EXISTS records_scan_kind ON records(scan, kind) WHERE kind <> 'k8s.object';
CREATE INDEX IF NOT EXISTS records_kind_subject ON records(kind, subject, seq) WHERE kind <> 'k8s.object';
";

impl Store {
    /// Opens the store at `path`, creating an empty one when the file does not exist.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, true)
    }

    /// Opens an existing store; [`Error::Missing`] when there is none.
    pub fn open_existing(path: &Path) -> Result<Store> {
        Store::open_with(path, false)
    }

    fn open_with(path: &Path, create: bool) -> Result<Store> {
        if !create && !path.exists() {
            return Err(Error::Missing(path.to_path_buf()));
        }
        let sql = |what| {
            move |source| Error::Sqlite {
                path: path.to_path_buf(),
                what,
                source,
            }
        };
        // Readers open read-only: verifying or reporting never changes the evidence file.
        let flags = if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        let mut conn =
            Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(sql("cannot open"))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(sql("cannot set busy timeout"))?;
        let not_a_store = |reason: String| Error::NotAStore {
            path: path.to_path_buf(),
            reason,
        };
        // A file that is not SQLite fails on the first statement.
        let has_meta: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| not_a_store(format!("not an SQLite database: {e}")))?;
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(sql("cannot read schema"))?;
        if !has_meta && objects > 0 {
            return Err(not_a_store("an SQLite database without meshproof tables".into()));
        }
        if create && objects == 0 {
            // A new store: 64 KiB pages suit ~1 KiB bodies (appends measured ~2x faster with 16 KiB
            // pages than 4 KiB, and another ~20% faster with 64 KiB).
            conn.pragma_update(None, "page_size", 65536)
                .map_err(sql("cannot set page size"))?;
        }
        if create {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(sql("cannot enable WAL"))?;
            writer_pragmas(&conn).map_err(sql("cannot configure the writer"))?;
        }
        if !has_meta {
            if !create {
                return Err(not_a_store("empty database".into()));
            }
            // Schema and format marker in one transaction: a crash leaves either nothing or a store.
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} {OBJECT_KIND_INDEX} INSERT OR IGNORE INTO meta(key, value) VALUES ('format', '{FORMAT}'); COMMIT;"
            ))
            .map_err(sql("cannot create schema"))?;
        }
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key='format'", [], |r| r.get(0))
            .optional()
            .map_err(sql("cannot read format"))?;
        let object_kind_column = match format.as_deref() {
            Some(FORMAT) => true,
            Some(FORMAT_1) if create => {
                migrate_format_1(&mut conn).map_err(sql("cannot bring the store to the current format"))?;
                true
            }
            Some(FORMAT_1) => false,
            other => {
                return Err(not_a_store(format!("unknown format {other:?}, expected {FORMAT}")));
            }
        };
        if !create {
            // Loading a scan reads records and their bodies in sequence batches that revisit the
            // same pages; SQLite's default 2 MiB cache re-read them from the file over and over.
            conn.pragma_update(None, "cache_size", READER_CACHE_KIB)
                .map_err(sql("cannot set cache_size"))?;
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            lock_timeout: Duration::from_secs(10),
            writable: create,
            object_kind_column,
        })
    }

    /// How long [`Store::begin_scan`] waits for another writer before giving up.
    pub fn set_lock_timeout(&mut self, timeout: Duration) {
        self.lock_timeout = timeout;
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file beside the store that holds the latest signed checkpoint note.
    pub fn checkpoint_path(&self) -> PathBuf {
        sibling(&self.path, ".checkpoint")
    }

    /// The default signing key file beside the store.
    pub fn default_key_path(store: &Path) -> PathBuf {
        sibling(store, ".key")
    }

    fn sql(&self, what: &'static str) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |source| Error::Sqlite {
            path: self.path.clone(),
            what,
            source,
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key=?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.sql("cannot read meta"))
    }
}

/// Brings a format-1 store to [`FORMAT`] in one transaction: records get their `object_kind`
/// column, filled by [`OBJECT_KIND_SQL`], and the object-kind index moves from that expression to
/// the column. No hashed value changes; a concurrent writer that migrated first leaves nothing to do.
fn migrate_format_1(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let format: String = tx.query_row("SELECT value FROM meta WHERE key='format'", [], |r| r.get(0))?;
    if format == FORMAT_1 {
        tx.execute_batch(&format!(
            "ALTER TABLE records ADD COLUMN object_kind TEXT;
             UPDATE records SET object_kind = {OBJECT_KIND_SQL} WHERE kind = 'k8s.object';
             DROP INDEX IF EXISTS records_object_kind;
             {OBJECT_KIND_INDEX}
             UPDATE meta SET value = '{FORMAT}' WHERE key = 'format';"
        ))?;
    }
    tx.commit()
}

/// Settings of a writing connection (the store's own and the scan's appender).
pub(crate) fn writer_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -65536)?;
    // Checkpoint the WAL every 10,000 pages (640 MiB of 64 KiB pages, 160 MiB of 16 KiB) rather
    // than SQLite's 1,000: a scan of that size is folded back once, when the writer closes
    // (checkpointing at 160 MiB of 64 KiB pages cost a quarter of the append rate).
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)
}

/// `path` with `suffix` appended to its file name.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn digest_col(bytes: Vec<u8>, path: &Path, seq: u64, column: &str) -> Result<Digest> {
    Digest::from_slice(&bytes).ok_or_else(|| Error::Corrupt {
        path: path.to_path_buf(),
        seq,
        reason: format!("{column} is not 32 bytes"),
    })
}

/// Maps an SQLite error to [`Error::Sqlite`] for `path`.
pub(crate) fn sqlite(path: &Path, what: &'static str) -> impl FnOnce(rusqlite::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Sqlite { path, what, source }
}
