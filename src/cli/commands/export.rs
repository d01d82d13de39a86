//! `meshproof export --bundle`: the auditor's evidence bundle.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store, read_pubkey};
use crate::cli::args::ExportArgs;
use crate::cli::settings::Config;
use crate::model::Timestamp;
use crate::report::{build, bundle, frameworks};
use crate::store::verify;

pub(super) fn run(
    store_path: &Path,
    as_of: Timestamp,
    config: &Config,
    args: ExportArgs,
) -> anyhow::Result<ExitStatus> {
    if args.bundle.exists() {
        anyhow::bail!("{} already exists; choose a new bundle path", args.bundle.display());
    }
    let catalogues = frameworks::load(args.templates.as_deref()).context("loading framework catalogues")?;
    let selected = frameworks::select(&catalogues, &args.framework)?;
    let verify_options = verify::Options {
        pinned: read_pubkey(args.pubkey.as_deref())?,
        checkpoint: None,
    };
    let store = open_store(store_path)?;
    let request = build::Request {
        scan: args.scan,
        ..build::Request::new(as_of, &config.analysis, config.organisation.as_deref(), &verify_options)
    };
    // One set of reports per framework, from one verification and one analysis.
    let per_framework: Vec<&[frameworks::Framework]> = selected.iter().map(std::slice::from_ref).collect();
    let reports: Vec<(String, _)> = build::build_documents(&store, &request, &per_framework)
        .context("building the reports")?
        .into_iter()
        .zip(&selected)
        .map(|(report, framework)| (framework.info.id.clone(), report))
        .collect();
    let intact = reports.iter().all(|(_, r)| r.integrity.verified);
    let is_archive = args.bundle.to_string_lossy().ends_with(".tar.gz");
    if is_archive {
        let staging = crate::store::sibling(&args.bundle, ".partial");
        if staging.exists() {
            anyhow::bail!("{} exists (an interrupted export?); remove it first", staging.display());
        }
        let dir = staging.join("bundle");
        bundle::export_dir(&store, &reports, &dir)?;
        let mtime = u64::try_from(as_of.unix()).unwrap_or(0);
        bundle::pack(&dir, &args.bundle, mtime)?;
        std::fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    } else {
        bundle::export_dir(&store, &reports, &args.bundle)?;
    }
    tracing::info!(bundle = %args.bundle.display(), reports = reports.len(), "bundle written");
    eprintln!(
        "wrote {} ({} framework(s), every report format, proofs for cited records)",
        args.bundle.display(),
        reports.len()
    );
    Ok(if intact {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
