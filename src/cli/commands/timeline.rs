//! `meshproof timeline`.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store};
use crate::cli::args::TimelineArgs;
use crate::cli::output;
use crate::model::Timestamp;
use crate::query::{Filter, timeline};

fn time_flag(flag: &str, value: Option<&str>) -> anyhow::Result<Option<Timestamp>> {
    value
        .map(|v| v.parse().with_context(|| format!("invalid {flag}")))
        .transpose()
}

pub(super) fn run(store: &Path, as_of: Timestamp, args: TimelineArgs) -> anyhow::Result<ExitStatus> {
    let since = time_flag("--since", args.since.as_deref())?;
    let until = time_flag("--until", args.until.as_deref())?;
    let store = open_store(store)?;
    let scan = super::resolve_scan(&store, args.scan)?;
    let set = store
        .evidence_set(scan)
        .with_context(|| format!("reading scan {scan}"))?;
    let filter = Filter {
        cluster: args.cluster,
        subject_prefix: args.subject,
        since,
        // Nothing after "now".
        until: Some(until.map_or(as_of, |u| u.min(as_of))),
    };
    let events = timeline(&set, &filter);
    let table: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.time.to_rfc3339(),
                e.cluster.clone().unwrap_or_default(),
                e.action.as_str().to_string(),
                e.subject.clone(),
                e.actor.clone().unwrap_or_default(),
                e.source.as_str().to_string(),
                e.outcome.as_str().to_string(),
                e.detail.clone(),
                e.evidence
                    .iter()
                    .map(|r| format!("#{}", r.seq))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    output::print_rows(
        args.output,
        &[
            "TIME", "CLUSTER", "ACTION", "SUBJECT", "ACTOR", "SOURCE", "OUTCOME", "DETAIL", "EVIDENCE",
        ],
        &table,
        &events,
    )?;
    Ok(ExitStatus::Success)
}
