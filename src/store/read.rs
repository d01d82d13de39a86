//! Read queries: scans, a scan's view of the evidence, single records and bodies.
//!
//! A scan's *view* is what analyses and `evidence list` see for it: the snapshot objects of its
//! state (rebuilt from the manifests of its base chain), every history record (latest version per
//! subject) appended up to the scan's end, and the scan's own per-scan records (gaps, notes, scan
//! bookkeeping).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension as _, params};
use serde_json::Value;

use super::writer::state_digest;
use super::{Error, OBJECT_KIND_SQL, Result, Store, digest_col};
use crate::model::{Digest, Evidence, EvidenceRecord, EvidenceSet, RecordHeader, Timestamp, ViewSubset, kinds};

/// One scan as listed by `meshproof scans`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScanInfo {
    /// Scan number.
    pub scan: u64,
    /// When it was collected (the `collected_at` of its records).
    pub collected_at: String,
    /// Whether `scan.finished` was written.
    pub complete: bool,
    /// Records the scan appended.
    pub records: u64,
    /// First and last sequence numbers.
    pub first_seq: u64,
    /// Last sequence number of the scan.
    pub last_seq: u64,
    /// Hash of the scan's last record.
    pub head: Digest,
}

/// A scan's records: `first_seq..=last_seq`.
struct ScanRange {
    scan: u64,
    first_seq: u64,
    last_seq: u64,
    complete: bool,
}

/// One entry of a scan's snapshot state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateEntry {
    /// The record holding the object's current body.
    pub seq: u64,
    /// Its body hash.
    pub body_hash: Digest,
}

/// Which records `evidence list` shows.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only records about this cluster (subject `cluster/…` or source `…/cluster`).
    pub cluster: Option<String>,
    /// Only subjects starting with this.
    pub subject_prefix: Option<String>,
}

impl RecordFilter {
    fn matches(&self, h: &RecordHeader) -> bool {
        self.kind.as_ref().is_none_or(|k| &h.kind == k)
            && self
                .subject_prefix
                .as_ref()
                .is_none_or(|p| h.subject.starts_with(p.as_str()))
            && self.cluster.as_ref().is_none_or(|c| {
                h.subject.split('/').next() == Some(c.as_str()) || h.source.rsplit('/').next() == Some(c.as_str())
            })
    }
}

/// The subjects a scan manifest lists as removed.
fn removed(manifest: &Value) -> impl Iterator<Item = &str> {
    manifest
        .get("removed")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// How much of the store file [`Store::evidence_subset`] maps into memory.
const SUBSET_MMAP_BYTES: i64 = 1 << 32;

/// Records read per statement by [`Store::evidence_set`].
pub const EVIDENCE_BATCH: usize = 500;

fn batch_sql(n: usize) -> String {
    let marks = vec!["?"; n].join(",");
    format!(
        "SELECT r.seq, r.kind, r.source, r.subject, r.hash, b.data
         FROM records r LEFT JOIN bodies b ON b.hash = r.body_hash
         WHERE r.seq IN ({marks})"
    )
}

const HEADER_COLUMNS: &str = "seq, scan, collected_at, source, kind, subject, body_hash, prev_hash, hash";

impl Store {
    fn row_to_record(&self, row: &rusqlite::Row<'_>) -> Result<EvidenceRecord> {
        let get = |e| Error::Sqlite {
            path: self.path.clone(),
            what: "cannot read record",
            source: e,
        };
        let seq: u64 = row.get(0).map_err(get)?;
        let col = |i: usize, name: &str| -> Result<Digest> {
            let bytes: Vec<u8> = row.get(i).map_err(get)?;
            digest_col(bytes, &self.path, seq, name)
        };
        Ok(EvidenceRecord {
            header: RecordHeader {
                seq,
                scan: row.get(1).map_err(get)?,
                collected_at: row.get(2).map_err(get)?,
                source: row.get(3).map_err(get)?,
                kind: row.get(4).map_err(get)?,
                subject: row.get(5).map_err(get)?,
                body_hash: col(6, "body_hash")?,
            },
            prev_hash: col(7, "prev_hash")?,
            hash: col(8, "hash")?,
            body: None,
        })
    }

    /// Every scan, oldest first.
    pub fn scans(&self) -> Result<Vec<ScanInfo>> {
        let mut out = Vec::new();
        for range in self.scan_ranges()? {
            let ScanRange {
                scan,
                first_seq,
                last_seq,
                complete,
            } = range;
            let (collected_at, head): (Option<String>, Option<Vec<u8>>) = self
                .conn
                .query_row(
                    "SELECT (SELECT collected_at FROM records WHERE seq = ?1),
                            (SELECT hash FROM records WHERE seq = ?2)",
                    [first_seq, last_seq],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(self.sql("cannot list scans"))?;
            let missing = |seq: u64| Error::Corrupt {
                path: self.path.clone(),
                seq,
                reason: format!("record {seq} of scan {scan} is missing"),
            };
            let collected_at = collected_at.ok_or_else(|| missing(first_seq))?;
            let head = head.ok_or_else(|| missing(last_seq))?;
            out.push(ScanInfo {
                scan,
                collected_at,
                complete,
                records: last_seq + 1 - first_seq,
                first_seq,
                last_seq,
                head: digest_col(head, &self.path, last_seq, "hash")?,
            });
        }
        Ok(out)
    }

    /// Every scan's sequence range, oldest first.
    ///
    /// A scan's records are contiguous (one writer at a time appends a whole scan, its first record
    /// being `scan.started`): each scan runs from its first record to the record before the next
    /// scan's first, the last scan to the end of the chain. The first records and `scan.finished`
    /// come from the (scan, kind) index, which holds every record but objects.
    fn scan_ranges(&self) -> Result<Vec<ScanRange>> {
        let sql = self.sql("cannot list scans");
        let starts: Vec<(u64, u64, bool)> = self
            .conn
            .prepare_cached(
                "SELECT scan, min(seq), sum(kind = 'scan.finished') > 0 FROM records
                 WHERE kind <> 'k8s.object' GROUP BY scan ORDER BY scan",
            )
            .and_then(|mut stmt| stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
            .map_err(&sql)?;
        let end: Option<u64> = self
            .conn
            .query_row("SELECT max(seq) FROM records", [], |r| r.get(0))
            .map_err(&sql)?;
        Ok(starts
            .iter()
            .enumerate()
            .map(|(i, &(scan, first_seq, complete))| {
                let last_seq = match starts.get(i + 1) {
                    Some(&(_, next, _)) => next.saturating_sub(1),
                    None => end.unwrap_or(first_seq),
                };
                ScanRange {
                    scan,
                    first_seq,
                    last_seq: last_seq.max(first_seq),
                    complete,
                }
            })
            .collect())
    }

    /// The latest complete scan.
    pub fn latest_complete_scan(&self) -> Result<u64> {
        let scan: Option<u64> = self
            .conn
            .query_row(
                "SELECT max(scan) FROM records WHERE kind = ?1 AND kind <> 'k8s.object'",
                [kinds::SCAN_FINISHED],
                |r| r.get(0),
            )
            .map_err(self.sql("cannot find the latest scan"))?;
        scan.ok_or(Error::NoScan)
    }

    /// Whether a scan is complete (`scan.finished` written); `None` when it has no records.
    pub fn scan_complete(&self, scan: u64) -> Result<Option<bool>> {
        let (exists, finished): (bool, bool) = self
            .conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM records WHERE scan = ?1 AND kind <> 'k8s.object'),
                        EXISTS(SELECT 1 FROM records WHERE scan = ?1 AND kind = ?2 AND kind <> 'k8s.object')",
                params![scan, kinds::SCAN_FINISHED],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.sql("cannot read scan"))?;
        Ok(exists.then_some(finished))
    }

    /// The body of a scan's record of `kind` (e.g. its manifest), if it has one.
    fn scan_record_body(&self, scan: u64, kind: &str) -> Result<Option<Value>> {
        let seq: Option<u64> = self
            .conn
            .query_row(
                "SELECT seq FROM records WHERE scan = ?1 AND kind = ?2 AND kind <> 'k8s.object'",
                params![scan, kind],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("cannot read scan record"))?;
        match seq {
            Some(seq) => Ok(self.record(seq, true)?.and_then(|r| r.body)),
            None => Ok(None),
        }
    }

    /// The base chain of a complete scan (§11 of docs/evidence-format.md), newest first: each
    /// scan with its manifest.
    fn base_chain(&self, scan: u64) -> Result<Vec<(u64, Value)>> {
        let mut chain = Vec::new();
        let mut next = Some(scan);
        while let Some(s) = next {
            let manifest = self
                .scan_record_body(s, kinds::SCAN_MANIFEST)?
                .ok_or(Error::NoSuchScan(s))?;
            next = manifest.get("base_scan").and_then(Value::as_u64).filter(|b| *b < s);
            chain.push((s, manifest));
        }
        Ok(chain)
    }

    /// Rebuilds the snapshot state (subject → record) of a complete scan from the manifests of its
    /// base chain, and checks it against the manifest's state digest.
    pub fn snapshot_state(&self, scan: u64) -> Result<BTreeMap<String, StateEntry>> {
        let chain = self.base_chain(scan)?;
        let mut state: BTreeMap<String, StateEntry> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, subject, body_hash FROM records
                 WHERE seq BETWEEN ?1 AND ?2 AND scan = ?3 AND kind = 'k8s.object' ORDER BY seq",
            )
            .map_err(self.sql("cannot read snapshot records"))?;
        // Objects are not in the (scan, kind) index: each scan's are read by its sequence range.
        let ranges = self.scan_ranges()?;
        for (s, manifest) in chain.iter().rev() {
            for subject in removed(manifest) {
                state.remove(subject);
            }
            let range = ranges
                .binary_search_by_key(s, |r| r.scan)
                .map(|i| &ranges[i])
                .map_err(|_| Error::NoSuchScan(*s))?;
            let mut rows = stmt
                .query(params![range.first_seq, range.last_seq, s])
                .map_err(self.sql("cannot read snapshot records"))?;
            while let Some(row) = rows.next().map_err(self.sql("cannot read snapshot records"))? {
                let get = |e| Error::Sqlite {
                    path: self.path.clone(),
                    what: "cannot read snapshot records",
                    source: e,
                };
                let seq: u64 = row.get(0).map_err(get)?;
                let subject: String = row.get(1).map_err(get)?;
                let hash: Vec<u8> = row.get(2).map_err(get)?;
                state.insert(
                    subject,
                    StateEntry {
                        seq,
                        body_hash: digest_col(hash, &self.path, seq, "body_hash")?,
                    },
                );
            }
        }
        let want = chain
            .first()
            .and_then(|(_, m)| m.get("state"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let got = state_digest(state.iter().map(|(s, e)| (s, &e.body_hash)));
        if got.to_hex() != want {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                seq: 0,
                reason: format!("scan {scan}: rebuilt state digest {got} differs from its manifest's {want}"),
            });
        }
        Ok(state)
    }

    /// Sequence numbers of a complete scan's view, ascending.
    pub fn view_seqs(&self, scan: u64) -> Result<Vec<u64>> {
        let own = self.own_records(scan)?;
        self.view_seqs_of(scan, &own)
    }

    /// A scan's records of every kind but `k8s.object` (its bookkeeping, gaps, notes, and the
    /// history records it appended): `(seq, kind)` in seq order; [`Error::NoSuchScan`] when it
    /// has none. Two index ranges on `(scan, kind)`, so the scan's objects are not read.
    fn own_records(&self, scan: u64) -> Result<Vec<(u64, String)>> {
        let mut out = Vec::new();
        for sql in [
            "SELECT seq, kind FROM records WHERE scan = ?1 AND kind < ?2 AND kind <> 'k8s.object'",
            "SELECT seq, kind FROM records WHERE scan = ?1 AND kind > ?2 AND kind <> 'k8s.object'",
        ] {
            let mut stmt = self
                .conn
                .prepare_cached(sql)
                .map_err(self.sql("cannot read scan records"))?;
            let rows = stmt
                .query_map(params![scan, kinds::K8S_OBJECT], |r| {
                    Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(self.sql("cannot read scan records"))?;
            for row in rows {
                out.push(row.map_err(self.sql("cannot read scan records"))?);
            }
        }
        if out.is_empty() {
            return Err(Error::NoSuchScan(scan));
        }
        out.sort_unstable();
        Ok(out)
    }

    /// When a scan was collected (every record of a scan carries the same `collected_at`).
    fn scan_collected_at(&self, scan: u64, first_seq: u64) -> Result<Timestamp> {
        let text: String = self
            .conn
            .query_row("SELECT collected_at FROM records WHERE seq = ?1", [first_seq], |r| {
                r.get(0)
            })
            .map_err(self.sql("cannot read scan"))?;
        text.parse().map_err(|_| Error::Corrupt {
            path: self.path.clone(),
            seq: first_seq,
            reason: format!("scan {scan}: collected_at {text:?} is not RFC 3339"),
        })
    }

    /// History records (latest per subject) of `kinds` appended up to `last_seq`.
    fn history_seqs(&self, history: &[&str], last_seq: u64, out: &mut Vec<u64>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT max(seq) FROM records WHERE kind = ?1 AND kind <> 'k8s.object' AND seq <= ?2 GROUP BY subject",
            )
            .map_err(self.sql("cannot read history records"))?;
        for kind in history {
            let rows = stmt
                .query_map(params![kind, last_seq], |r| r.get::<_, u64>(0))
                .map_err(self.sql("cannot read history records"))?;
            for seq in rows {
                out.push(seq.map_err(self.sql("cannot read history records"))?);
            }
        }
        Ok(())
    }

    fn view_seqs_of(&self, scan: u64, own: &[(u64, String)]) -> Result<Vec<u64>> {
        let mut seqs: Vec<u64> = self.snapshot_state(scan)?.values().map(|e| e.seq).collect();
        let last_seq = own.last().map_or(0, |(seq, _)| *seq);
        self.history_seqs(
            &[kinds::AUDIT_EVENT, kinds::AUDIT_SUMMARY, kinds::GIT_COMMIT],
            last_seq,
            &mut seqs,
        )?;
        for (seq, kind) in own {
            if !kinds::is_snapshot(kind) && !kinds::is_history(kind) {
                seqs.push(*seq);
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        Ok(seqs)
    }

    /// Records of a scan's view that pass `filter`, with bodies, in sequence order.
    pub fn list(&self, scan: u64, filter: &RecordFilter) -> Result<Vec<EvidenceRecord>> {
        let mut out = Vec::new();
        for seq in self.view_seqs(scan)? {
            if let Some(record) = self.record(seq, false)?
                && filter.matches(&record.header)
            {
                out.push(record);
            }
        }
        for record in &mut out {
            record.body = self.body(&record.header.body_hash, record.header.seq)?;
        }
        Ok(out)
    }

    /// A complete scan's view in memory, bodies parsed and indexed, for analyses and queries.
    ///
    /// Reads the view's records in batches (one statement per [`EVIDENCE_BATCH`] records), so a
    /// large scan loads in a few statements rather than one query per record.
    pub fn evidence_set(&self, scan: u64) -> Result<EvidenceSet> {
        let own = self.own_records(scan)?;
        let collected_at = self.scan_collected_at(scan, own.first().map_or(0, |(seq, _)| *seq))?;
        let seqs = self.view_seqs_of(scan, &own)?;
        self.load_evidence(scan, collected_at, &seqs)
    }

    /// Part of a complete scan's view: its `k8s.object` records of `subset.object_kinds` and its
    /// records of `subset.record_kinds`, as [`evidence_set`](Self::evidence_set) would hold them,
    /// without reading the rest of the scan.
    ///
    /// Objects are found through the object-kind index, one range per kind. A subject is in the
    /// scan's state when its latest record in the scan's base chain (§11 of
    /// docs/evidence-format.md) is not followed by a manifest of the chain that removes it. Unlike a full load, the state digest is not
    /// checked (that needs every subject; `meshproof verify` and full loads check it).
    pub fn evidence_subset(&self, scan: u64, subset: &ViewSubset) -> Result<EvidenceSet> {
        // Scattered reads: pages mapped from the file are read in place rather than copied into
        // the page cache one (64 KiB) page at a time: 0.21 -> 0.15 s for `who-added` on 1.2 M
        // records. Where mapping is unavailable SQLite reads as before.
        let _ = self.conn.pragma_update(None, "mmap_size", SUBSET_MMAP_BYTES);
        let own = self.own_records(scan)?;
        let collected_at = self.scan_collected_at(scan, own.first().map_or(0, |(seq, _)| *seq))?;
        let last_seq = own.last().map_or(0, |(seq, _)| *seq);
        // The base chain, newest first, with what each manifest removed.
        let chain: Vec<(u64, BTreeSet<String>)> = self
            .base_chain(scan)?
            .into_iter()
            .map(|(s, manifest)| (s, removed(&manifest).map(str::to_string).collect()))
            .collect();
        let mut seqs = Vec::new();
        if !subset.object_kinds.is_empty() {
            for (subject, (seq, record_scan)) in self.latest_objects(subset.object_kinds, &chain)? {
                let removed_later = chain
                    .iter()
                    .any(|(s, removed)| *s > record_scan && removed.contains(&subject));
                if !removed_later {
                    seqs.push(seq);
                }
            }
        }
        let history: Vec<&str> = subset
            .record_kinds
            .iter()
            .copied()
            .filter(|k| kinds::is_history(k))
            .collect();
        self.history_seqs(&history, last_seq, &mut seqs)?;
        for (seq, kind) in &own {
            if !kinds::is_snapshot(kind) && !kinds::is_history(kind) && subset.record_kinds.contains(&kind.as_str()) {
                seqs.push(*seq);
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        self.load_evidence(scan, collected_at, &seqs)
    }

    /// For every `k8s.object` subject `<cluster>/<namespace>/<Kind>/…` with a Kind of `object_kinds`,
    /// its latest record in one of the `chain` scans: subject → (seq, scan). Read through the
    /// object-kind index (one range per kind).
    fn latest_objects(
        &self,
        object_kinds: &[&str],
        chain: &[(u64, BTreeSet<String>)],
    ) -> Result<BTreeMap<String, (u64, u64)>> {
        let in_chain: BTreeSet<u64> = chain.iter().map(|(s, _)| *s).collect();
        let column = if self.object_kind_column {
            "object_kind"
        } else {
            OBJECT_KIND_SQL
        };
        let mut range = self
            .conn
            .prepare_cached(&format!(
                "SELECT subject, seq, scan FROM records WHERE kind = 'k8s.object' AND {column} = ?1"
            ))
            .map_err(self.sql("cannot read snapshot records"))?;
        let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for kind in object_kinds {
            let rows = range
                .query_map(params![kind], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?, r.get::<_, u64>(2)?))
                })
                .map_err(self.sql("cannot read snapshot records"))?;
            for row in rows {
                let (subject, seq, record_scan) = row.map_err(self.sql("cannot read snapshot records"))?;
                if !in_chain.contains(&record_scan) {
                    continue;
                }
                let entry = out.entry(subject).or_insert((seq, record_scan));
                if seq > entry.0 {
                    *entry = (seq, record_scan);
                }
            }
        }
        Ok(out)
    }

    /// The records `seqs` with their bodies (text, checked to be JSON), as one scan's set.
    fn load_evidence(&self, scan: u64, collected_at: Timestamp, seqs: &[u64]) -> Result<EvidenceSet> {
        let mut records = Vec::with_capacity(seqs.len());
        let full_sql = batch_sql(EVIDENCE_BATCH);
        for chunk in seqs.chunks(EVIDENCE_BATCH) {
            let sql = if chunk.len() == EVIDENCE_BATCH {
                full_sql.clone()
            } else {
                batch_sql(chunk.len())
            };
            let mut stmt = self
                .conn
                .prepare_cached(&sql)
                .map_err(self.sql("cannot read evidence"))?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(chunk.iter()))
                .map_err(self.sql("cannot read evidence"))?;
            while let Some(row) = rows.next().map_err(self.sql("cannot read evidence"))? {
                let get = |e| Error::Sqlite {
                    path: self.path.clone(),
                    what: "cannot read evidence",
                    source: e,
                };
                let seq: u64 = row.get(0).map_err(get)?;
                let hash: Vec<u8> = row.get(4).map_err(get)?;
                let data: Option<Vec<u8>> = row.get(5).map_err(get)?;
                let data = data.ok_or_else(|| Error::Corrupt {
                    path: self.path.clone(),
                    seq,
                    reason: "body missing".into(),
                })?;
                let text = String::from_utf8(data)
                    .map_err(|e| e.to_string())
                    .and_then(|t| {
                        serde_json::from_str::<serde::de::IgnoredAny>(&t).map_err(|e| e.to_string())?;
                        Ok(t)
                    })
                    .map_err(|e| Error::Corrupt {
                        path: self.path.clone(),
                        seq,
                        reason: format!("body is not JSON: {e}"),
                    })?;
                records.push(Evidence::from_json_text(
                    seq,
                    digest_col(hash, &self.path, seq, "hash")?,
                    row.get::<_, String>(1).map_err(get)?,
                    row.get::<_, String>(2).map_err(get)?,
                    row.get::<_, String>(3).map_err(get)?,
                    text.into_boxed_str(),
                ));
            }
        }
        Ok(EvidenceSet::new(scan, collected_at, records))
    }

    /// One record by sequence number.
    pub fn record(&self, seq: u64, with_body: bool) -> Result<Option<EvidenceRecord>> {
        let sql = format!("SELECT {HEADER_COLUMNS} FROM records WHERE seq = ?1");
        self.fetch_one(&sql, params![seq], with_body)
    }

    /// One record by its record hash.
    pub fn record_by_hash(&self, hash: &Digest, with_body: bool) -> Result<Option<EvidenceRecord>> {
        let sql = format!("SELECT {HEADER_COLUMNS} FROM records WHERE hash = ?1");
        self.fetch_one(&sql, params![&hash.0[..]], with_body)
    }

    fn fetch_one(&self, sql: &str, p: impl rusqlite::Params, with_body: bool) -> Result<Option<EvidenceRecord>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.sql("cannot read record"))?;
        let mut rows = stmt.query(p).map_err(self.sql("cannot read record"))?;
        let Some(row) = rows.next().map_err(self.sql("cannot read record"))? else {
            return Ok(None);
        };
        let mut record = self.row_to_record(row)?;
        if with_body {
            record.body = self.body(&record.header.body_hash, record.header.seq)?;
        }
        Ok(Some(record))
    }

    /// A body by hash, parsed.
    pub fn body(&self, hash: &Digest, seq: u64) -> Result<Option<Value>> {
        let data: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT data FROM bodies WHERE hash = ?1")
            .and_then(|mut s| s.query_row([&hash.0[..]], |r| r.get(0)).optional())
            .map_err(self.sql("cannot read body"))?;
        data.map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                path: self.path.clone(),
                seq,
                reason: format!("body is not JSON: {e}"),
            })
        })
        .transpose()
    }

    /// The latest checkpoint record's body, if any.
    pub fn latest_checkpoint(&self) -> Result<Option<EvidenceRecord>> {
        let seq: Option<u64> = self
            .conn
            .query_row(
                "SELECT max(seq) FROM records WHERE kind = ?1 AND kind <> 'k8s.object'",
                [kinds::CHECKPOINT],
                |r| r.get(0),
            )
            .map_err(self.sql("cannot find checkpoint"))?;
        match seq {
            Some(seq) => self.record(seq, true),
            None => Ok(None),
        }
    }
}

impl Store {
    /// Record hashes of records `0..count`, in order (the Merkle leaves of a checkpoint of size
    /// `count`): the input of inclusion proofs.
    pub fn record_hashes(&self, count: u64) -> Result<Vec<Digest>> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, hash FROM records WHERE seq < ?1 ORDER BY seq")
            .map_err(self.sql("cannot read record hashes"))?;
        let mut rows = stmt.query([count]).map_err(self.sql("cannot read record hashes"))?;
        let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        while let Some(row) = rows.next().map_err(self.sql("cannot read record hashes"))? {
            let seq: u64 = row.get(0).map_err(self.sql("cannot read record hashes"))?;
            let hash: Vec<u8> = row.get(1).map_err(self.sql("cannot read record hashes"))?;
            if seq != out.len() as u64 {
                return Err(Error::Corrupt {
                    path: self.path.clone(),
                    seq,
                    reason: "records are not contiguous".into(),
                });
            }
            out.push(digest_col(hash, &self.path, seq, "hash")?);
        }
        Ok(out)
    }

    /// Writes a consistent copy of the store to `path` (SQLite `VACUUM INTO`): same records and
    /// bodies, one self-contained file.
    pub fn snapshot_to(&self, path: &std::path::Path) -> Result<()> {
        let target = path.to_string_lossy().into_owned();
        self.conn
            .execute("VACUUM INTO ?1", [target])
            .map_err(self.sql("cannot copy the store"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The object-kind lookup goes through its index, and the column the writer fills agrees
    /// with the SQL expression a format-1 store is migrated with, odd subjects included.
    #[test]
    fn object_kind_lookups_use_the_index_and_the_column_agrees_with_the_expression() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.db")).expect("store");
        let plan: Vec<String> = store
            .conn
            .prepare("EXPLAIN QUERY PLAN SELECT subject, seq, scan FROM records WHERE kind = 'k8s.object' AND object_kind = ?1")
            .expect("prepare")
            .query_map(["Secret"], |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert!(plan.iter().any(|p| p.contains("records_object_kind")), "{plan:?}");
        // Lookups by kind or scan name `kind <> 'k8s.object'` so the partial indexes serve them.
        for (sql, index) in [
            (
                "SELECT seq, body_hash FROM records WHERE kind = ?1 AND kind <> 'k8s.object' AND subject = ?2 ORDER BY seq DESC LIMIT 1",
                "records_kind_subject",
            ),
            (
                "SELECT max(seq) FROM records WHERE kind = ?1 AND kind <> 'k8s.object' AND seq <= ?2 GROUP BY subject",
                "records_kind_subject",
            ),
            (
                "SELECT max(seq) FROM records WHERE kind = ?1 AND kind <> 'k8s.object'",
                "records_kind_subject",
            ),
            (
                "SELECT seq FROM records WHERE scan = ?1 AND kind = ?2 AND kind <> 'k8s.object'",
                "records_scan_kind",
            ),
            (
                "SELECT seq, kind FROM records WHERE scan = ?1 AND kind > ?2 AND kind <> 'k8s.object'",
                "records_scan_kind",
            ),
            (
                "SELECT min(seq) FROM records WHERE scan = ?1 AND kind <> 'k8s.object'",
                "records_scan_kind",
            ),
            (
                "SELECT coalesce(max(scan), 0) + 1 FROM records WHERE kind <> 'k8s.object'",
                "records_scan_kind",
            ),
            (
                "SELECT scan, min(seq), sum(kind = 'scan.finished') FROM records WHERE kind <> 'k8s.object' GROUP BY scan ORDER BY scan",
                "records_scan_kind",
            ),
        ] {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("prepare");
            let args = &["1", "audit.event"][..stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
                .expect("plan")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            assert!(plan.iter().any(|p| p.contains(index)), "{sql}: {plan:?}");
        }
        for subject in [
            "us-east-1/istio-system/Secret/cacerts",
            "c1//ClusterRole/admin/extra",
            "c1/ns/Kind",
            "c1/ns",
            "no-slash",
            "",
            "ü/ñ/Kïnd/x",
        ] {
            let sql: String = store
                .conn
                .query_row(
                    &format!("SELECT {OBJECT_KIND_SQL} FROM (SELECT ?1 AS subject)"),
                    [subject],
                    |r| r.get(0),
                )
                .expect("kind");
            assert_eq!(
                crate::model::object_kind("k8s.object", subject),
                Some(sql.as_str()),
                "{subject}"
            );
        }
        assert_eq!(crate::model::object_kind("audit.event", "c1/ns/Secret/x"), None);
    }

    /// A format-1 store (records without `object_kind`, an expression index) is read as it is,
    /// and brought to the current format on its first writable open with the same evidence.
    #[test]
    fn format_1_stores_are_read_and_migrated_when_opened_for_writing() {
        use crate::model::{Observation, kinds};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let signer = crate::store::Signer::from_seed([3; 32]);
        {
            let mut store = Store::open(&path).expect("store");
            let mut scan = store
                .begin_scan(Timestamp::from_unix(1_793_000_000).expect("t"), serde_json::json!({}))
                .expect("scan");
            for subject in ["c1/gloo-mesh/KubernetesCluster/c1", "c1/istio-system/Secret/cacerts"] {
                scan.add(Observation {
                    source: "k8s/c1".into(),
                    kind: kinds::K8S_OBJECT,
                    subject: subject.into(),
                    body: serde_json::json!({"subject": subject}),
                })
                .expect("add");
            }
            scan.finish(&signer).expect("finish");
            // What a format-1 store looked like.
            store
                .conn
                .execute_batch(&format!(
                    "DROP INDEX records_object_kind; ALTER TABLE records DROP COLUMN object_kind;
                     CREATE INDEX records_object_kind ON records({OBJECT_KIND_SQL}) WHERE kind = 'k8s.object';
                     UPDATE meta SET value = 'meshproof-evidence/1' WHERE key = 'format';"
                ))
                .expect("downgrade");
        }
        let subset = ViewSubset {
            object_kinds: &["KubernetesCluster"],
            record_kinds: &[],
        };
        let subjects = |store: &Store| -> Vec<String> {
            let scan = store.latest_complete_scan().expect("scan");
            let set = store.evidence_subset(scan, &subset).expect("subset");
            set.records().iter().map(|e| e.subject.clone()).collect()
        };
        let reader = Store::open_existing(&path).expect("reader");
        assert!(!reader.object_kind_column);
        assert_eq!(subjects(&reader), ["c1/gloo-mesh/KubernetesCluster/c1"]);
        drop(reader);
        let writer = Store::open(&path).expect("writer");
        assert!(writer.object_kind_column);
        assert_eq!(
            writer.meta("format").expect("meta").as_deref(),
            Some(super::super::FORMAT)
        );
        drop(writer);
        let reader = Store::open_existing(&path).expect("reader");
        assert_eq!(subjects(&reader), ["c1/gloo-mesh/KubernetesCluster/c1"]);
        let report = crate::store::verify::verify(&path, &crate::store::verify::Options::default()).expect("verify");
        assert!(report.intact, "{:?}", report.problem);
    }
}
