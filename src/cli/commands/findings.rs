//! `meshproof findings`.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, open_store};
use crate::analyze::{self, Context};
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
    let store = open_store(store)?;
    let scan = match args.scan {
        Some(s) => s,
        None => store.latest_complete_scan()?,
    };
    let set = store
        .evidence_set(scan)
        .with_context(|| format!("reading scan {scan}"))?;
    let context = Context {
        as_of,
        settings: config.analysis.clone(),
    };
    let mut findings = analyze::analyze(&set, &context);
    findings.retain(|f| {
        min.is_none_or(|m| f.severity.at_least(m))
            && (args.checks.is_empty() || args.checks.iter().any(|c| c.eq_ignore_ascii_case(&f.check)))
    });
    render(&findings, args.output)?;
    let failed = fail_on.is_some_and(|t| findings.iter().any(|f| f.severity.at_least(t)));
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn render(findings: &[Finding], format: Format) -> anyhow::Result<()> {
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
                        f.message.clone(),
                        refs(f),
                    ]
                })
                .collect();
            let mut text = output::table(&["SEVERITY", "CHECK", "CLUSTER", "MESSAGE", "EVIDENCE"], &rows);
            let counts: Vec<String> = Severity::ALL
                .iter()
                .map(|s| format!("{} {s}", findings.iter().filter(|f| f.severity == *s).count()))
                .collect();
            text.push_str(&format!("\n{} finding(s): {}\n", findings.len(), counts.join(", ")));
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
                "evidence_seq",
                "evidence_hash",
            ];
            output::print(&output::csv(&headers, &rows)?)
        }
        Format::Json => output::print_json(findings),
        Format::Yaml => output::print_yaml(findings),
    }
}
