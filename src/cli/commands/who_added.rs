//! `meshproof who-added`.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store};
use crate::cli::args::WhoAddedArgs;
use crate::cli::output;
use crate::model::Timestamp;
use crate::query::{Settings, who_added};

pub(super) fn run(store: &Path, as_of: Timestamp, args: WhoAddedArgs) -> anyhow::Result<ExitStatus> {
    let store = open_store(store)?;
    let scan = super::resolve_scan(&store, args.scan)?;
    let set = store
        .evidence_subset(scan, &crate::query::who_added::EVIDENCE)
        .with_context(|| format!("reading scan {scan}"))?;
    let mut settings = Settings::default();
    if !args.gitops_identity.is_empty() {
        settings.gitops_identities = args.gitops_identity;
    }
    let mut rows = who_added(&set, as_of, &settings);
    // The process exits after printing: freeing the loaded records one allocation at a time
    // would cost about a tenth of the command's time on a large store.
    std::mem::forget(set);
    if let Some(cluster) = &args.cluster {
        rows.retain(|r| &r.cluster == cluster);
        if rows.is_empty() {
            tracing::warn!(cluster, scan, "cluster is not in the mesh in this scan");
        }
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.cluster.clone(),
                r.added_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                text(&r.added_by),
                text(&r.applied_by),
                text(&r.committer),
                r.trust_domain.clone(),
                r.trust_domain_source.as_str().to_string(),
                r.method.as_str().to_string(),
                r.evidence
                    .iter()
                    .map(|e| format!("#{}", e.seq))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    output::print_rows(
        args.output,
        &[
            "CLUSTER",
            "ADDED AT",
            "ADDED BY",
            "APPLIED BY",
            "COMMITTER",
            "TRUST DOMAIN",
            "TRUST DOMAIN SOURCE",
            "METHOD",
            "EVIDENCE",
        ],
        &table,
        &rows,
    )?;
    Ok(ExitStatus::Success)
}
