//! `meshproof report`: build the report document for one scan and render it in one or more formats.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store};
use crate::cli::args::{ReportArgs, ReportFormat};
use crate::cli::output;
use crate::cli::settings::Config;
use crate::model::Timestamp;
use crate::report::{self, Format, build, frameworks};
use crate::store::{NoteVerifier, verify};

pub(super) fn format(f: ReportFormat) -> Format {
    match f {
        ReportFormat::Pdf => Format::Pdf,
        ReportFormat::Html => Format::Html,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Json => Format::Json,
        ReportFormat::Md => Format::Markdown,
        ReportFormat::Oscal => Format::Oscal,
    }
}

pub(super) fn run(
    store: &Path,
    as_of: Timestamp,
    config: &Config,
    quiet: bool,
    args: ReportArgs,
) -> anyhow::Result<ExitStatus> {
    let catalogues = frameworks::load(args.templates.as_deref()).context("loading framework catalogues")?;
    let selected = frameworks::select(&catalogues, &args.framework)?;
    let pinned = match &args.pubkey {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading public key {}", path.display()))?;
            Some(NoteVerifier::parse(&text).with_context(|| format!("public key {}", path.display()))?)
        }
        None => None,
    };
    let verify_options = verify::Options {
        pinned,
        checkpoint: None,
    };
    // Usage errors before the store is read.
    let formats: Vec<Format> = args.format.iter().map(|f| format(*f)).collect();
    let to_stdout = args.out.as_os_str() == "-";
    anyhow::ensure!(
        !to_stdout || formats.len() == 1,
        "several formats need a directory for -o, not `-`"
    );
    let store = open_store(store)?;
    let scan = super::resolve_scan(&store, args.scan)?;
    let changes = match super::previous_scan(&store, scan)? {
        Some(previous) if !args.no_changes => Some(
            build::changes(&store, previous, scan, &config.analysis)
                .with_context(|| format!("comparing scan {scan} with scan {previous}"))?,
        ),
        _ => None,
    };
    let document = build::build_with(
        &store,
        &build::Request {
            scan: Some(scan),
            changes: changes.as_ref(),
            ..build::Request::new(as_of, &config.analysis, config.organisation.as_deref(), &verify_options)
        },
        &selected,
    )
    .context("building the report")?;
    let mut written = Vec::new();
    if let [only] = formats[..] {
        let bytes = report::render(&document, only)?;
        if to_stdout {
            output::print_bytes(&bytes)?;
        } else {
            write_atomically(&args.out, &bytes)?;
            written.push((args.out.clone(), only, bytes.len()));
        }
    } else {
        std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
        let framework = args.framework.to_ascii_lowercase();
        for (f, bytes) in formats.iter().zip(report::render_many(&document, &formats)) {
            let path = args.out.join(format!("meshproof-{framework}.{}", f.extension()));
            let bytes = bytes.with_context(|| format!("rendering {}", path.display()))?;
            write_atomically(&path, &bytes)?;
            written.push((path, *f, bytes.len()));
        }
    }
    let s = &document.summary;
    let counts = format!(
        "{} control(s): {} satisfied, {} not satisfied, {} not evaluated",
        document.controls.len(),
        s.satisfied,
        s.not_satisfied,
        s.not_evaluated
    );
    for (path, f, bytes) in &written {
        tracing::info!(path = %path.display(), format = f.as_str(), bytes, "report written");
        if !quiet {
            eprintln!("wrote {} ({}, {bytes} bytes): {counts}", path.display(), f.as_str());
        }
    }
    if !document.integrity.verified {
        tracing::error!(
            problem = document.integrity.problem.as_deref().unwrap_or("unknown"),
            "the evidence store did not verify intact; the report says so"
        );
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let mut file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
