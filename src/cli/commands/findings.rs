//! `meshproof findings`.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store};
use crate::analyze::{self, Context, waivers};
use crate::cli::args::FindingsArgs;
use crate::cli::output::{self, Format};
use crate::cli::settings::Config;
use crate::model::{Finding, Severity, Timestamp};

fn severity(flag: &str, text: &str) -> anyhow::Result<Severity> {
    text.parse().with_context(|| format!("invalid {flag}"))
}

pub(super) fn run(store: &Path, as_of: Timestamp, config: &Config, args: FindingsArgs) -> anyhow::Result<ExitStatus> {
    let min = args
        .severity
        .as_deref()
        .map(|s| severity("--severity", s))
        .transpose()?;
    let fail_on = args.fail_on.as_deref().map(|s| severity("--fail-on", s)).transpose()?;
    for id in &args.checks {
        if analyze::check(id).is_none() {
            let known: Vec<&str> = analyze::catalogue().map(|c| c.id).collect();
            anyhow::bail!("unknown check {id:?}; known checks: {}", known.join(", "));
        }
    }
    // An invalid --waivers file is a usage error before anything is read.
    let override_file = args
        .waivers
        .as_deref()
        .map(|p| crate::cli::waiver_file::load(p).map(|w| (p.to_path_buf(), w)))
        .transpose()?;
    let store = open_store(store)?;
    let scan = super::resolve_scan(&store, args.scan)?;
    let set = store
        .evidence_set(scan)
        .with_context(|| format!("reading scan {scan}"))?;
    let context = Context {
        as_of,
        settings: config.analysis.clone(),
    };
    let mut findings = analyze::analyze(&set, &context);
    let in_force = match override_file {
        Some((path, file)) => {
            tracing::warn!(
                "applying waivers from {} (sha256 {}), not the waivers recorded in scan {scan}: this is not the recorded evidence",
                path.display(),
                file.sha256
            );
            Some(file)
        }
        None => match waivers::recorded(&set) {
            Some(recorded) => Some(
                recorded
                    .map(|(_, f)| f)
                    .with_context(|| format!("reading scan {scan}"))?,
            ),
            None => None,
        },
    };
    let applied = in_force
        .as_ref()
        .map(|file| waivers::apply(&mut findings, &file.waivers, as_of));
    findings.retain(|f| {
        min.is_none_or(|m| f.severity.at_least(m))
            && (args.checks.is_empty() || args.checks.iter().any(|c| c.eq_ignore_ascii_case(&f.check)))
    });
    if let Some(applied) = &applied {
        for w in &applied.unused {
            tracing::warn!(
                "{} matches no finding (owner {}, ticket {}, expires {}): remove it or fix its pattern",
                w.label(),
                w.owner,
                w.ticket,
                w.expires
            );
        }
    }
    render(&findings, args.output, applied.as_ref())?;
    let failed = fail_on.is_some_and(|t| findings.iter().any(|f| !f.is_waived() && f.severity.at_least(t)));
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The waiver state of a finding for people: `open`, `waived (owner, reason, until D)` or
/// `open: waiver expired D (owner, reason)`.
pub(super) fn waiver_text(f: &Finding) -> String {
    match &f.waiver {
        None => "open".into(),
        Some(w) if w.expired => format!("open: waiver expired {} ({}, {})", w.until, w.owner, w.reason),
        Some(w) => format!("waived ({}, {}, until {})", w.owner, w.reason, w.until),
    }
}

fn render(findings: &[Finding], format: Format, applied: Option<&waivers::Applied>) -> anyhow::Result<()> {
    let refs = |f: &Finding| {
        f.evidence
            .iter()
            .map(|e| format!("#{}", e.seq))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match format {
        Format::Table => {
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    vec![
                        f.severity.to_string(),
                        f.check.clone(),
                        f.cluster.clone().unwrap_or_else(|| "-".into()),
                        waiver_text(f),
                        f.message.clone(),
                        refs(f),
                    ]
                })
                .collect();
            let mut text = output::table(
                &["SEVERITY", "CHECK", "CLUSTER", "STATUS", "MESSAGE", "EVIDENCE"],
                &rows,
            );
            let counts: Vec<String> = Severity::ALL
                .iter()
                .map(|s| format!("{} {s}", findings.iter().filter(|f| f.severity == *s).count()))
                .collect();
            text.push_str(&format!("\n{} finding(s): {}\n", findings.len(), counts.join(", ")));
            if let Some(a) = applied {
                let waived = findings.iter().filter(|f| f.is_waived()).count();
                let lapsed = findings
                    .iter()
                    .filter(|f| f.waiver.as_ref().is_some_and(|w| w.expired))
                    .count();
                text.push_str(&format!(
                    "waivers: {waived} finding(s) waived, {lapsed} open again (waiver expired), {} waiver(s) unused\n",
                    a.unused.len()
                ));
                for w in &a.unused {
                    text.push_str(&format!(
                        "  unused: {} owner {}, ticket {}\n",
                        w.label(),
                        w.owner,
                        w.ticket
                    ));
                }
            }
            output::print(&text)
        }
        Format::Csv => {
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    vec![
                        f.check.clone(),
                        f.name.clone(),
                        f.severity.to_string(),
                        f.cluster.clone().unwrap_or_default(),
                        f.subject.clone(),
                        f.message.clone(),
                        f.remediation.clone(),
                        waiver_text(f),
                        f.evidence
                            .iter()
                            .map(|e| e.seq.to_string())
                            .collect::<Vec<_>>()
                            .join(" "),
                        f.evidence.iter().map(|e| e.hash.to_hex()).collect::<Vec<_>>().join(" "),
                    ]
                })
                .collect();
            let headers = [
                "check",
                "name",
                "severity",
                "cluster",
                "subject",
                "message",
                "remediation",
                "status",
                "evidence_seq",
                "evidence_hash",
            ];
            output::print(&output::csv(&headers, &rows)?)
        }
        Format::Json => output::print_json(findings),
        Format::Yaml => output::print_yaml(findings),
    }
}
