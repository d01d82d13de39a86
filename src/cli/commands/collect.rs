//! `meshproof collect`: one scan from a dump directory into the store.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;

use super::{ExitStatus, key_path};
use crate::cli::args::CollectArgs;
use crate::cli::output::{self, Format};
use crate::collect::kube_dump;
use crate::model::Timestamp;
use crate::store::{Signer, Store};

pub(super) fn run(store_path: &Path, at: Timestamp, args: CollectArgs) -> anyhow::Result<ExitStatus> {
    // Check the source before touching the store: a wrong path should not leave a scan behind.
    let clusters = list_cluster_dirs(&args.from)?;
    let key = key_path(store_path, args.key.as_deref());
    let signer = Signer::load_or_create(&key).context("loading the signing key")?;
    let mut store =
        Store::open(store_path).with_context(|| format!("opening evidence store {}", store_path.display()))?;
    store.set_lock_timeout(Duration::from_secs(args.lock_timeout));
    let info = json!({"sources": [{"type": "kube-dump", "path": args.from.display().to_string(), "clusters": clusters}], "max_file_size": args.max_file_size});
    let mut scan = store.begin_scan(at, info)?;
    let options = kube_dump::Options {
        max_file_size: args.max_file_size,
    };
    let summary = kube_dump::collect(&args.from, &options, &mut scan)
        .with_context(|| format!("collecting from {}", args.from.display()))?;
    let finished = scan.finish(&signer)?;
    tracing::info!(scan = finished.scan, appended = finished.appended, "scan finished");

    match args.output {
        Format::Json | Format::Yaml => {
            let v = json!({"scan": finished, "collected": summary});
            if args.output == Format::Json {
                output::print_json(&v)?
            } else {
                output::print_yaml(&v)?
            }
        }
        Format::Table | Format::Csv => {
            let rows: Vec<Vec<String>> = summary
                .clusters
                .iter()
                .map(|c| {
                    vec![
                        c.cluster.clone(),
                        c.files.to_string(),
                        c.objects.to_string(),
                        c.skipped.to_string(),
                        c.audit_events.to_string(),
                        c.gaps.to_string(),
                    ]
                })
                .collect();
            let headers = ["CLUSTER", "FILES", "OBJECTS", "SKIPPED", "AUDIT EVENTS", "GAPS"];
            if args.output == Format::Csv {
                output::print(&output::csv(&headers, &rows)?)?;
            } else {
                let mut text = output::table(&headers, &rows);
                text.push_str(&format!(
                    "\nscan {} collected at {}: {} records appended ({} objects unchanged since scan {}, {} removed), {} gap(s)\nhead {}\ncheckpoint: tree size {}, root {}\n",
                    finished.scan,
                    at,
                    finished.appended,
                    finished.unchanged,
                    finished.base.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
                    finished.removed,
                    summary.gaps(),
                    finished.head,
                    finished.tree_size,
                    finished.root,
                ));
                if summary.gaps() > 0 {
                    text.push_str("gaps recorded: see `meshproof evidence list --kind collection.gap`\n");
                }
                output::print(&text)?;
            }
        }
    }
    Ok(if summary.kept() == 0 {
        ExitStatus::Error
    } else if summary.gaps() > 0 {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
}

fn list_cluster_dirs(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read dump directory {}", dir.display()))?;
    let mut clusters = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read dump directory {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_dir()) {
            clusters.push(name);
        }
    }
    clusters.sort();
    if clusters.is_empty() {
        anyhow::bail!(
            "{} has no cluster folders: expected one subdirectory per cluster (DIR/<cluster>/…) holding kubectl output",
            dir.display()
        );
    }
    Ok(clusters)
}
