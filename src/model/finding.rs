//! Findings: what an analysis concluded, with its severity and the records it rests on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::RecordRef;

/// How bad a finding is. Ordered from most to least severe, so sorting puts critical first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks the mesh or exposes its trust anchor now.
    Critical,
    /// Needs action before the next audit.
    High,
    /// A weakness to plan work for.
    Medium,
    /// Hygiene.
    Low,
    /// Worth knowing; no action implied.
    Info,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Whether `self` is at least as severe as `threshold`.
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a severity name.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity {0:?} (expected critical, high, medium, low or info)")]
pub struct SeverityParseError(String);

impl FromStr for Severity {
    type Err = SeverityParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SeverityParseError(s.to_string()))
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable check id, e.g. `CERT-001`.
    pub check: String,
    /// Kebab-case check name, e.g. `ca-expiring`.
    pub name: String,
    /// Severity.
    pub severity: Severity,
    /// The cluster, or `None` when mesh-wide.
    pub cluster: Option<String>,
    /// What it is about (a record subject or another stable key).
    pub subject: String,
    /// Specific: names the object, the values and the threshold.
    pub message: String,
    /// What to do.
    pub remediation: String,
    /// The records it rests on.
    pub evidence: Vec<RecordRef>,
    /// The exception in force for it, if any: a waived finding stays visible, marked as waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverStatus>,
}

/// A waiver (exception) as applied to one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverStatus {
    /// Who owns the exception.
    pub owner: String,
    /// Why it was granted.
    pub reason: String,
    /// Ticket reference.
    pub ticket: Option<String>,
    /// Expiry date (RFC 3339 or YYYY-MM-DD).
    pub until: String,
    /// True when the waiver has expired at as-of: the finding is open again.
    pub expired: bool,
}

impl Finding {
    /// Whether a current (unexpired) waiver covers it.
    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }
}

impl Finding {
    /// The total order every renderer uses: severity, check, cluster, subject, message.
    pub fn sort_key(&self) -> (Severity, &str, Option<&str>, &str, &str) {
        (
            self.severity,
            &self.check,
            self.cluster.as_deref(),
            &self.subject,
            &self.message,
        )
    }
}

impl PartialOrd for Finding {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Finding {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key()
            .cmp(&other.sort_key())
            .then_with(|| self.evidence.cmp(&other.evidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_sort_most_severe_first_and_parse() {
        let mut v = vec![Severity::Info, Severity::Critical, Severity::Medium];
        v.sort();
        assert_eq!(v, vec![Severity::Critical, Severity::Medium, Severity::Info]);
        assert!(Severity::High.at_least(Severity::Medium));
        assert!(!Severity::Low.at_least(Severity::Medium));
        assert_eq!("HIGH".parse::<Severity>().ok(), Some(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }
}
