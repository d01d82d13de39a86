//! `meshproof scans`.

use std::path::Path;

use super::{ExitStatus, open_store};
use crate::cli::args::ListArgs;
use crate::cli::output;

pub(super) fn run(store: &Path, args: ListArgs) -> anyhow::Result<ExitStatus> {
    let scans = open_store(store)?.scans()?;
    let rows: Vec<Vec<String>> = scans
        .iter()
        .map(|s| {
            vec![
                s.scan.to_string(),
                s.collected_at.clone(),
                if s.complete {
                    "complete".into()
                } else {
                    "incomplete".into()
                },
                s.records.to_string(),
                format!("{}..{}", s.first_seq, s.last_seq),
                s.head.to_hex(),
            ]
        })
        .collect();
    output::print_rows(
        args.output,
        &["SCAN", "COLLECTED AT", "STATUS", "RECORDS", "SEQ", "HEAD"],
        &rows,
        &scans,
    )?;
    Ok(ExitStatus::Success)
}
