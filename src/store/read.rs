//! Read queries: scans, a scan's view of the evidence, single records and bodies.
//!
//! A scan's *view* is what analyses and `evidence list` see for it: the snapshot objects of its
//! state (rebuilt from the manifests of its base chain), every history record (latest version per
//! subject) appended up to the scan's end, and the scan's own per-scan records (gaps, notes, scan
//! bookkeeping).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension as _, params};
use serde_json::Value;

use super::writer::state_digest;
use super::{Error, Result, Store, digest_col};
use crate::model::{Digest, Evidence, EvidenceRecord, EvidenceSet, RecordHeader, Timestamp, kinds};

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
        let mut stmt = self
            .conn
            .prepare(
                "SELECT g.scan, g.first, g.last, g.n, g.finished, f.collected_at, l.hash
                 FROM (SELECT scan, min(seq) AS first, max(seq) AS last, count(*) AS n,
                              sum(kind = 'scan.finished') AS finished
                       FROM records GROUP BY scan) g
                 JOIN records f ON f.seq = g.first
                 JOIN records l ON l.seq = g.last
                 ORDER BY g.scan",
            )
            .map_err(self.sql("cannot list scans"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, u64>(1)?,
                    r.get::<_, u64>(2)?,
                    r.get::<_, u64>(3)?,
                    r.get::<_, u64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                ))
            })
            .map_err(self.sql("cannot list scans"))?;
        let mut out = Vec::new();
        for row in rows {
            let (scan, first_seq, last_seq, records, finished, collected_at, head) =
                row.map_err(self.sql("cannot list scans"))?;
            out.push(ScanInfo {
                scan,
                collected_at,
                complete: finished > 0,
                records,
                first_seq,
                last_seq,
                head: digest_col(head, &self.path, last_seq, "hash")?,
            });
        }
        Ok(out)
    }

    /// The latest complete scan.
    pub fn latest_complete_scan(&self) -> Result<u64> {
        let scan: Option<u64> = self
            .conn
            .query_row(
                "SELECT max(scan) FROM records WHERE kind = ?1",
                [kinds::SCAN_FINISHED],
                |r| r.get(0),
            )
            .map_err(self.sql("cannot find the latest scan"))?;
        scan.ok_or(Error::NoScan)
    }

    /// The body of a scan's record of `kind` (e.g. its manifest), if it has one.
    fn scan_record_body(&self, scan: u64, kind: &str) -> Result<Option<Value>> {
        let seq: Option<u64> = self
            .conn
            .query_row(
                "SELECT seq FROM records WHERE scan = ?1 AND kind = ?2",
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

    /// Rebuilds the snapshot state (subject → record) of a complete scan from the manifests of its
    /// base chain, and checks it against the manifest's state digest.
    pub fn snapshot_state(&self, scan: u64) -> Result<BTreeMap<String, StateEntry>> {
        let mut chain = Vec::new();
        let mut next = Some(scan);
        while let Some(s) = next {
            let manifest = self
                .scan_record_body(s, kinds::SCAN_MANIFEST)?
                .ok_or(Error::NoSuchScan(s))?;
            next = manifest.get("base_scan").and_then(Value::as_u64).filter(|b| *b < s);
            chain.push((s, manifest));
        }
        let mut state: BTreeMap<String, StateEntry> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, subject, body_hash FROM records WHERE scan = ?1 AND kind = ?2 ORDER BY seq")
            .map_err(self.sql("cannot read snapshot records"))?;
        for (s, manifest) in chain.iter().rev() {
            for removed in manifest.get("removed").and_then(Value::as_array).into_iter().flatten() {
                if let Some(subject) = removed.as_str() {
                    state.remove(subject);
                }
            }
            let mut rows = stmt
                .query(params![s, kinds::K8S_OBJECT])
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
        let info = self.scan_info(scan)?;
        self.view_seqs_of(&info)
    }

    /// One scan's listing entry; [`Error::NoSuchScan`] when there is none.
    fn scan_info(&self, scan: u64) -> Result<ScanInfo> {
        self.scans()?
            .into_iter()
            .find(|s| s.scan == scan)
            .ok_or(Error::NoSuchScan(scan))
    }

    fn view_seqs_of(&self, info: &ScanInfo) -> Result<Vec<u64>> {
        let scan = info.scan;
        let mut seqs: Vec<u64> = self.snapshot_state(scan)?.values().map(|e| e.seq).collect();
        let mut stmt = self
            .conn
            .prepare("SELECT max(seq) FROM records WHERE kind IN (?1, ?2, ?3) AND seq <= ?4 GROUP BY kind, subject")
            .map_err(self.sql("cannot read history records"))?;
        let history = stmt
            .query_map(
                params![
                    kinds::AUDIT_EVENT,
                    kinds::AUDIT_SUMMARY,
                    kinds::GIT_COMMIT,
                    info.last_seq
                ],
                |r| r.get::<_, u64>(0),
            )
            .map_err(self.sql("cannot read history records"))?;
        for seq in history {
            seqs.push(seq.map_err(self.sql("cannot read history records"))?);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT seq, kind FROM records WHERE scan = ?1")
            .map_err(self.sql("cannot read scan records"))?;
        let own = stmt
            .query_map([scan], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sql("cannot read scan records"))?;
        for row in own {
            let (seq, kind) = row.map_err(self.sql("cannot read scan records"))?;
            if !kinds::is_snapshot(&kind) && !kinds::is_history(&kind) {
                seqs.push(seq);
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
        let info = self.scan_info(scan)?;
        let collected_at: Timestamp = info.collected_at.parse().map_err(|_| Error::Corrupt {
            path: self.path.clone(),
            seq: info.first_seq,
            reason: format!("scan {scan}: collected_at {:?} is not RFC 3339", info.collected_at),
        })?;
        let seqs = self.view_seqs_of(&info)?;
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
                let body = serde_json::from_slice(&data).map_err(|e| Error::Corrupt {
                    path: self.path.clone(),
                    seq,
                    reason: format!("body is not JSON: {e}"),
                })?;
                records.push(Evidence {
                    seq,
                    hash: digest_col(hash, &self.path, seq, "hash")?,
                    kind: row.get(1).map_err(get)?,
                    source: row.get(2).map_err(get)?,
                    subject: row.get(3).map_err(get)?,
                    body,
                });
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
                "SELECT max(seq) FROM records WHERE kind = ?1",
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
