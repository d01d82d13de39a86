//! `meshproof scan --config FILE`: collect → verify → who-added and findings → changes since the
//! previous scan → every configured report and `summary.json`, in one run for cron and CI.
//!
//! The stages are the other commands' library calls: [`super::collect::execute`],
//! [`verify::verify`], [`build::changes`] and [`build::build_with`] (which runs the analyzers,
//! applies the waivers recorded with the scan and answers who added each cluster). Reports are
//! named `meshproof-<framework>.<ext>` (`<framework>` is an entry of `reports.frameworks`, `all`
//! for one document covering every framework; OSCAL is `.oscal.json`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::json;

use super::{DEFAULT_STORE, ExitStatus, open_store};
use crate::cli::args::{CollectArgs, Global, ScanArgs};
use crate::cli::output::{self, Format};
use crate::cli::settings::{self, Config, Overrides};
use crate::model::{Severity, sha256};
use crate::report::model::{Changes, Report};
use crate::report::{self, build, frameworks};
use crate::store::verify;

/// The file name of the machine-readable run summary in the output directory.
pub(crate) const SUMMARY_FILE: &str = "summary.json";

pub(super) fn run(global: &Global, args: ScanArgs) -> anyhow::Result<ExitStatus> {
    let config = settings::load_with(
        global.config.as_deref(),
        &overrides(global, &args),
        &|name| std::env::var(name).ok(),
        true,
    )?;
    let as_of = match config.as_of {
        Some(t) => t,
        None => super::as_of(None)?,
    };
    let store_path = config
        .store
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STORE));
    let key = super::key_path(&store_path, config.store.key.as_deref());
    let out_dir = config.reports.out_dir.clone();
    refuse_key_inside(&key, &out_dir)?;
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating output directory {}", out_dir.display()))?;
    // A summary from an earlier run must not be mistaken for this run's.
    let summary_path = out_dir.join(SUMMARY_FILE);
    if summary_path.exists() {
        std::fs::remove_file(&summary_path).with_context(|| format!("removing {}", summary_path.display()))?;
    }

    // 1. Collect.
    let collect_args = collect_args(&config, key);
    let collected = super::collect::execute(&store_path, as_of, &collect_args, !global.quiet)?;
    if collected.status == ExitStatus::Error {
        anyhow::bail!(
            "scan {} kept no evidence from the cluster sources (see the warnings above); no report was written",
            collected.finished.scan
        );
    }
    let scan = collected.finished.scan;

    // 2. Verify the whole store.
    let verify_options = verify::Options::default();
    let checked =
        verify::verify(&store_path, &verify_options).with_context(|| format!("verifying {}", store_path.display()))?;

    // 3. Changes since the previous complete scan.
    let store = open_store(&store_path)?;
    let changes = match collected.finished.base {
        Some(base) => Some(
            build::changes(&store, base, scan, &config.analysis)
                .with_context(|| format!("comparing scan {scan} with scan {base}"))?,
        ),
        None => None,
    };

    // 4. Who-added, findings (recorded waivers applied) and the reports.
    let catalogues = frameworks::load(config.reports.templates.as_deref()).context("loading framework catalogues")?;
    let selections = config
        .reports
        .frameworks
        .iter()
        .map(|entry| frameworks::select(&catalogues, entry))
        .collect::<Result<Vec<_>, _>>()?;
    let request = build::Request {
        scan: Some(scan),
        checked: Some(&checked),
        changes: changes.as_ref(),
        ..build::Request::new(as_of, &config.analysis, config.organisation.as_deref(), &verify_options)
    };
    let per_entry: Vec<&[frameworks::Framework]> = selections.iter().map(Vec::as_slice).collect();
    let built = if per_entry.is_empty() {
        Vec::new()
    } else {
        build::build_documents(&store, &request, &per_entry).context("building the reports")?
    };
    let documents: Vec<(String, Report)> = built
        .into_iter()
        .zip(&config.reports.frameworks)
        .map(|(document, entry)| (entry.to_ascii_lowercase(), document))
        .collect();
    let Some((_, first)) = documents.first() else {
        anyhow::bail!("reports.frameworks is empty: name at least one framework, or \"all\"");
    };
    let mut files = Vec::new();
    let formats: Vec<report::Format> = config
        .reports
        .formats
        .iter()
        .map(|f| super::report::format(*f))
        .collect();
    for (id, document) in &documents {
        for (&format, bytes) in formats.iter().zip(report::render_many(document, &formats)) {
            let path = out_dir.join(format!("meshproof-{id}.{}", format.extension()));
            let bytes = bytes.with_context(|| format!("rendering {}", path.display()))?;
            super::report::write_atomically(&path, &bytes)?;
            tracing::info!(path = %path.display(), bytes = bytes.len(), "report written");
            files.push(WrittenFile {
                path: path.display().to_string(),
                framework: id.clone(),
                format: format.as_str(),
                bytes: bytes.len() as u64,
                sha256: sha256(&bytes).to_hex(),
            });
        }
    }

    // 5. Outcome.
    let (status, reasons) = outcome(&config, &checked, first, collected.gaps);
    let counts = finding_counts(first);
    let summary = json!({
        "schema": "meshproof-scan-summary/1",
        "scan": scan,
        "previous_scan": collected.finished.base,
        "as_of": as_of.to_rfc3339(),
        "organisation": config.organisation,
        "config": config.source.as_ref().map(|p| p.display().to_string()),
        "store": {
            "path": store_path.display().to_string(),
            "head": collected.finished.head.to_hex(),
            "checkpoint": {"tree_size": collected.finished.tree_size, "root": collected.finished.root.to_hex()},
            "appended": collected.finished.appended,
            "unchanged": collected.finished.unchanged,
            "removed": collected.finished.removed,
        },
        "verify": {
            "intact": checked.intact,
            "records": checked.records,
            "problem": checked.problem.as_ref().map(|p| json!({"seq": p.seq, "what": p.what})),
        },
        "who_added": first.who_added,
        "findings": counts,
        "gaps": {"count": collected.gaps, "rows": first.gaps},
        "changes": changes.as_ref().map(|c| json!({
            "from_scan": c.from_scan,
            "to_scan": c.to_scan,
            "changes": c.rows.len(),
            "findings_opened": c.findings_opened,
            "findings_closed": c.findings_closed,
            "findings_still_open": c.findings_still_open,
            "by_area": by_area(c),
        })),
        "fail_policy": {
            "on": config.fail.on.map(|s| s.to_string()).unwrap_or_else(|| "none".into()),
            "on_gaps": config.fail.on_gaps,
        },
        "files": files,
        "exit": {"code": status.code(), "reasons": reasons},
    });
    let mut text = serde_json::to_string_pretty(&summary)?;
    text.push('\n');
    super::report::write_atomically(&summary_path, text.as_bytes())?;

    if !global.quiet {
        print_human(first, changes.as_ref(), &summary, &summary_path)?;
    }
    Ok(status)
}

/// The scan's flags, `--store` and `--as-of` as flag-level configuration values.
fn overrides(global: &Global, args: &ScanArgs) -> Overrides {
    let text = |s: String| toml::Value::String(s);
    let path = |p: &Path| text(p.display().to_string());
    let list = |v: &[String]| toml::Value::Array(v.iter().cloned().map(toml::Value::String).collect());
    let mut flags: Vec<(&'static str, toml::Value, &'static str)> = Vec::new();
    if let Some(p) = &global.store {
        flags.push(("store.path", path(p), "--store"));
    }
    if let Some(t) = &global.as_of {
        flags.push(("as_of", text(t.clone()), "--as-of"));
    }
    if let Some(p) = &args.key {
        flags.push(("store.key", path(p), "--key"));
    }
    if let Some(p) = &args.out_dir {
        flags.push(("reports.out_dir", path(p), "--out-dir"));
    }
    if let Some(s) = &args.fail_on {
        flags.push(("fail.on", text(s.clone()), "--fail-on"));
    }
    if args.fail_on_gaps {
        flags.push(("fail.on_gaps", toml::Value::Boolean(true), "--fail-on-gaps"));
    }
    if !args.format.is_empty() {
        flags.push(("reports.formats", list(&args.format), "--format"));
    }
    if !args.framework.is_empty() {
        flags.push(("reports.frameworks", list(&args.framework), "--framework"));
    }
    Overrides {
        set: global.overrides.clone(),
        flags,
    }
}

/// The output directory is meant to be published (CI artifacts); the private key must not be in it.
fn refuse_key_inside(key: &Path, out_dir: &Path) -> anyhow::Result<()> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if abs(key).starts_with(abs(out_dir)) {
        anyhow::bail!(
            "the signing key {} is inside the output directory {}, which pipelines publish; keep the key elsewhere (store.key, --key)",
            key.display(),
            out_dir.display()
        );
    }
    Ok(())
}

fn collect_args(config: &Config, key: PathBuf) -> CollectArgs {
    let s = &config.sources;
    CollectArgs {
        from: s.from.clone(),
        audit_logs: s
            .audit_logs
            .iter()
            .map(|(cluster, file)| format!("{cluster}={}", file.display()))
            .collect(),
        git: s.git.clone(),
        git_ref: s.git_ref.clone(),
        git_path: s.git_paths.clone(),
        contexts: s.contexts.clone(),
        all_contexts: s.all_contexts,
        kubeconfig: s.kubeconfig.clone(),
        in_cluster: s.in_cluster.clone(),
        page_size: s.page_size,
        concurrency: s.concurrency,
        request_timeout: s.request_timeout,
        key: Some(key),
        waivers: s.waivers.clone(),
        max_file_size: s.max_file_size,
        lock_timeout: config.store.lock_timeout,
        output: Format::Json,
    }
}

/// A report file the run wrote.
#[derive(Debug, Serialize)]
struct WrittenFile {
    path: String,
    framework: String,
    format: &'static str,
    bytes: u64,
    sha256: String,
}

/// Findings per severity: total, open (no waiver, or an expired one) and waived.
fn finding_counts(doc: &Report) -> serde_json::Value {
    let mut by_severity = serde_json::Map::new();
    for s in Severity::ALL {
        let of: Vec<_> = doc.findings.iter().filter(|f| f.severity == s).collect();
        let waived = of.iter().filter(|f| f.is_waived()).count();
        by_severity.insert(
            s.to_string(),
            json!({"total": of.len(), "open": of.len() - waived, "waived": waived}),
        );
    }
    let expired = doc
        .findings
        .iter()
        .filter(|f| f.waiver.as_ref().is_some_and(|w| w.expired))
        .count();
    let waived = doc.findings.iter().filter(|f| f.is_waived()).count();
    json!({
        "total": doc.findings.len(),
        "open": doc.findings.len() - waived,
        "waived": waived,
        "waiver_expired": expired,
        "by_severity": by_severity,
    })
}

fn by_area(c: &Changes) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in &c.rows {
        *out.entry(r.area.clone()).or_insert(0) += 1;
    }
    out
}

/// The exit status and every reason for it (most serious first): `store-not-intact` (1),
/// `findings-at-or-above-<severity>` (1), `collection-gaps` (3, with `fail.on_gaps`).
fn outcome(config: &Config, checked: &verify::Report, doc: &Report, gaps: u64) -> (ExitStatus, Vec<String>) {
    let mut reasons = Vec::new();
    let mut status = ExitStatus::Success;
    if !checked.intact {
        reasons.push("store-not-intact".to_string());
        status = ExitStatus::Failure;
    }
    if let Some(level) = config.fail.on
        && doc
            .findings
            .iter()
            .any(|f| !f.is_waived() && f.severity.at_least(level))
    {
        reasons.push(format!("findings-at-or-above-{level}"));
        status = ExitStatus::Failure;
    }
    if config.fail.on_gaps && gaps > 0 {
        reasons.push("collection-gaps".to_string());
        if status == ExitStatus::Success {
            status = ExitStatus::Partial;
        }
    }
    (status, reasons)
}

fn print_human(
    doc: &Report,
    changes: Option<&Changes>,
    summary: &serde_json::Value,
    summary_path: &Path,
) -> anyhow::Result<()> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let rows: Vec<Vec<String>> = doc
        .who_added
        .iter()
        .map(|r| {
            vec![
                r.cluster.clone(),
                text(&r.added_at),
                text(&r.added_by),
                text(&r.applied_by),
                r.trust_domain.clone(),
                r.method.clone(),
            ]
        })
        .collect();
    let mut out = format!(
        "scan {} at {}: store {}\n\nWho added each cluster\n",
        doc.cover.scan,
        doc.cover.as_of,
        if doc.integrity.verified {
            "verified intact"
        } else {
            "DID NOT VERIFY"
        }
    );
    out.push_str(&output::table(
        &[
            "CLUSTER",
            "ADDED AT",
            "ADDED BY",
            "APPLIED BY",
            "TRUST DOMAIN",
            "METHOD",
        ],
        &rows,
    ));
    out.push_str("\nFindings\n");
    let mut per_check: BTreeMap<(Severity, String), (usize, usize)> = BTreeMap::new();
    for f in &doc.findings {
        let e = per_check.entry((f.severity, f.check.clone())).or_default();
        if f.is_waived() {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    let rows: Vec<Vec<String>> = per_check
        .iter()
        .map(|((sev, check), (open, waived))| {
            vec![sev.to_string(), check.clone(), open.to_string(), waived.to_string()]
        })
        .collect();
    out.push_str(&output::table(&["SEVERITY", "CHECK", "OPEN", "WAIVED"], &rows));
    let f = &summary["findings"];
    let per: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {s}", f["by_severity"][s.as_str()]["open"]))
        .collect();
    out.push_str(&format!(
        "{} finding(s): {} open ({}), {} waived\n",
        f["total"],
        f["open"],
        per.join(", "),
        f["waived"]
    ));
    match changes {
        None => out.push_str("\nChanges: this is the first complete scan; nothing to compare with\n"),
        Some(c) => {
            out.push_str(&format!(
                "\nChanges since scan {} ({})\n",
                c.from_scan, c.from_collected_at
            ));
            if c.rows.is_empty() {
                out.push_str("no changes in mesh trust state\n");
            } else {
                let rows: Vec<Vec<String>> = c
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.area.clone(),
                            r.change.clone(),
                            r.cluster.clone(),
                            r.subject.clone(),
                            r.detail.clone(),
                        ]
                    })
                    .collect();
                out.push_str(&output::table(
                    &["AREA", "CHANGE", "CLUSTER", "SUBJECT", "DETAIL"],
                    &rows,
                ));
            }
            out.push_str(&format!(
                "findings: {} opened, {} closed, {} still open\n",
                c.findings_opened, c.findings_closed, c.findings_still_open
            ));
        }
    }
    let gaps = &summary["gaps"]["count"];
    out.push_str(&format!("\ngaps: {gaps}\n"));
    out.push_str("\nWritten\n");
    for file in summary["files"].as_array().into_iter().flatten() {
        out.push_str(&format!("  {}\n", file["path"].as_str().unwrap_or_default()));
    }
    out.push_str(&format!("  {}\n", summary_path.display()));
    let exit = &summary["exit"];
    let reasons: Vec<&str> = exit["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .collect();
    out.push_str(&format!(
        "\nexit {}{}\n",
        exit["code"],
        if reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", reasons.join(", "))
        }
    ));
    output::print(&out)
}
