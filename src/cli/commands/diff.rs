//! `meshproof diff`: what changed in mesh trust state between two scans.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store};
use crate::cli::args::DiffArgs;
use crate::cli::output::{self, Format};
use crate::cli::settings::Config;
use crate::query::diff::{self, Diff};
use crate::report::build;
use crate::store::Store;

pub(super) fn run(store_path: &Path, config: &Config, args: DiffArgs) -> anyhow::Result<ExitStatus> {
    let store = open_store(store_path)?;
    let (from, to) = scans(&store, args.from, args.to)?;
    let d = build::diff_scans(&store, from, to, &config.analysis)
        .with_context(|| format!("comparing scan {from} with scan {to}"))?;
    let headers = ["AREA", "CHANGE", "CLUSTER", "SUBJECT", "DETAIL"];
    match args.output {
        Format::Json => output::print_json(&d)?,
        Format::Yaml => output::print_yaml(&d)?,
        Format::Csv => output::print(&output::csv(&headers, &rows(&d))?)?,
        Format::Table => {
            let mut text = format!(
                "scan {} ({}) → scan {} ({})\n\n",
                d.from_scan, d.from_collected_at, d.to_scan, d.to_collected_at
            );
            let rows = rows(&d);
            if rows.is_empty() {
                text.push_str("no changes in mesh trust state\n");
            } else {
                text.push_str(&output::table(&headers, &rows));
            }
            text.push_str(&format!(
                "\nfindings: {} opened, {} closed, {} still open\n",
                d.findings.opened.len(),
                d.findings.closed.len(),
                d.findings.still_open.len()
            ));
            output::print(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// `--from`/`--to` resolved: defaults are the last two complete scans.
fn scans(store: &Store, from: Option<u64>, to: Option<u64>) -> anyhow::Result<(u64, u64)> {
    let to = super::resolve_scan(store, to)?;
    let from = match from {
        Some(f) => super::resolve_scan(store, Some(f))?,
        None => super::previous_scan(store, to)?.with_context(|| {
            format!("scan {to} is the first complete scan: there is nothing to compare it with; collect again, or pass --from")
        })?,
    };
    if from == to {
        anyhow::bail!("--from and --to are both scan {from}: pick two different scans (`meshproof scans`)");
    }
    Ok((from, to))
}

/// One row per change, in the order of the diff's sections.
fn rows(d: &Diff) -> Vec<Vec<String>> {
    diff::rows(d)
        .into_iter()
        .map(|r| vec![r.area, r.change, r.cluster, r.subject, r.detail])
        .collect()
}
