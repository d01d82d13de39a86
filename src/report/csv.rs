//! The CSV report (RFC 4180): one row per control × finding, and one row for each control
//! without findings (satisfied or not evaluated), so every control appears and every finding
//! carries its framework, control id, remediation and evidence.
//!
//! Columns ([`COLUMNS`]) are fixed. Several evidence references are joined with spaces, in the
//! same order in `evidence_seq` and `evidence_hash`. A waived finding's message starts with
//! `[waived until …, owner …]` (`[waiver expired …]` when its waiver lapsed). Nothing is truncated.

use super::RenderError;
use super::model::{ControlStatus, Report};
use crate::model::Finding;

/// The header row.
pub const COLUMNS: [&str; 15] = [
    "framework",
    "control_id",
    "control_title",
    "status",
    "check",
    "severity",
    "cluster",
    "subject",
    "message",
    "remediation",
    "evidence_seq",
    "evidence_hash",
    "collected_at",
    "as_of",
    "scan_id",
];

/// The `status` column text.
pub fn status_text(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Satisfied => "satisfied",
        ControlStatus::NotSatisfied => "not-satisfied",
        ControlStatus::NotEvaluated => "not-evaluated",
    }
}

/// A finding's message with its waiver state in front.
pub fn message_with_waiver(f: &Finding) -> String {
    match &f.waiver {
        Some(w) if w.expired => format!("[waiver expired {}, owner {}] {}", w.until, w.owner, f.message),
        Some(w) => format!("[waived until {}, owner {}] {}", w.until, w.owner, f.message),
        None => f.message.clone(),
    }
}

/// RFC 4180 CSV with a header row, CRLF line ends.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let failed = |e: &dyn std::fmt::Display| RenderError::Failed {
        format: "csv",
        reason: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(|e| failed(&e))?;
    let scan = report.cover.scan.to_string();
    for control in &report.controls {
        let head = [
            control.framework.as_str(),
            control.id.as_str(),
            control.title.as_str(),
            status_text(control.status),
        ];
        let tail = [
            report.cover.collected_at.as_str(),
            report.cover.as_of.as_str(),
            scan.as_str(),
        ];
        if control.findings.is_empty() {
            let empty = [""; 8];
            w.write_record(head.iter().chain(empty.iter()).chain(tail.iter()))
                .map_err(|e| failed(&e))?;
            continue;
        }
        for f in report.findings_of(control) {
            let seqs: Vec<String> = f.evidence.iter().map(|e| e.seq.to_string()).collect();
            let hashes: Vec<String> = f.evidence.iter().map(|e| e.hash.to_hex()).collect();
            let cells = [
                f.check.clone(),
                f.severity.to_string(),
                f.cluster.clone().unwrap_or_default(),
                f.subject.clone(),
                message_with_waiver(f),
                f.remediation.clone(),
                seqs.join(" "),
                hashes.join(" "),
            ];
            w.write_record(
                head.iter()
                    .copied()
                    .chain(cells.iter().map(String::as_str))
                    .chain(tail.iter().copied()),
            )
            .map_err(|e| failed(&e))?;
        }
    }
    w.into_inner().map_err(|e| failed(&e))
}
