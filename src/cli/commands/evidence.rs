//! `meshproof evidence list|show`.

use std::path::Path;

use anyhow::Context as _;
use serde_json::{Value, json};

use super::{ExitStatus, open_store};
use crate::cli::args::{EvidenceListArgs, EvidenceShowArgs};
use crate::cli::output::{self, Format};
use crate::model::{Digest, EvidenceRecord};
use crate::store::RecordFilter;

fn record_json(r: &EvidenceRecord) -> Value {
    json!({
        "seq": r.header.seq,
        "scan": r.header.scan,
        "kind": r.header.kind,
        "source": r.header.source,
        "subject": r.header.subject,
        "collected_at": r.header.collected_at,
        "hash": r.hash,
        "prev_hash": r.prev_hash,
        "body_hash": r.header.body_hash,
        "body": r.body,
    })
}

pub(super) fn list(store: &Path, args: EvidenceListArgs) -> anyhow::Result<ExitStatus> {
    let store = open_store(store)?;
    let scan = super::resolve_scan(&store, args.scan)?;
    let filter = RecordFilter {
        kind: args.kind,
        cluster: args.cluster,
        subject_prefix: args.subject,
    };
    let records = store.list(scan, &filter)?;
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.header.seq.to_string(),
                r.header.scan.to_string(),
                r.header.kind.clone(),
                r.header.subject.clone(),
                r.hash.to_hex().chars().take(16).collect(),
            ]
        })
        .collect();
    let json: Vec<Value> = records.iter().map(record_json).collect();
    output::print_rows(args.output, &["SEQ", "SCAN", "KIND", "SUBJECT", "HASH"], &rows, &json)?;
    Ok(ExitStatus::Success)
}

pub(super) fn show(store: &Path, args: EvidenceShowArgs) -> anyhow::Result<ExitStatus> {
    let store = open_store(store)?;
    let record = if let Ok(seq) = args.record.parse::<u64>() {
        store.record(seq, true)?
    } else {
        let hash: Digest = args
            .record
            .parse()
            .context("expected a sequence number or a 64-hex record hash")?;
        store.record_by_hash(&hash, true)?
    };
    let record = record.with_context(|| format!("no record {} in this store", args.record))?;
    match args.output {
        Format::Yaml => output::print_yaml(&record_json(&record))?,
        _ => output::print_json(&record_json(&record))?,
    }
    Ok(ExitStatus::Success)
}
