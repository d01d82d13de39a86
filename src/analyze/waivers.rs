//! Waivers: time-boxed, owned exceptions for findings, read from a `waivers.toml` file.
//!
//! ```toml
//! [[waiver]]
//! check = "CERT-002"                                   # a check id (required)
//! cluster = "ap-south-1"                               # glob on the finding's cluster (optional)
//! subject = "ap-south-1/istio-system/Secret/cacerts"   # glob on the finding's subject (required)
//! owner = "platform-security@acme.example"
//! reason = "RSA-1024 intermediate replaced in the Q1 rotation"
//! ticket = "SEC-1423"
//! expires = 2027-03-31                                 # a TOML date or "YYYY-MM-DD"
//! ```
//!
//! Globs know `*` (any run of characters, `/` included) and `?` (one character). A waiver lapses
//! at the start (00:00 UTC) of its `expires` date: from then on the finding is open again and is
//! marked as such, never hidden. [`parse`] validates the whole file and lists every problem at
//! once; [`apply`] marks findings (`Finding::waiver`) and returns the waivers that matched
//! nothing, so stale exceptions are visible too.
//!
//! The waiver file is evidence: `collect --waivers FILE` records the validated waivers and the
//! file's SHA-256 as a `waiver.file` record of the scan ([`WaiverFile`] is that record's body),
//! and `findings` applies the waivers recorded in the scan it analyses.
//!
//! Pure: no I/O, no clock. Main types: [`Waiver`], [`WaiverFile`], [`Applied`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Evidence, EvidenceSet, Finding, Timestamp, WaiverStatus, kinds};

/// One validated waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// 1-based position in the file, to name it in messages.
    pub index: usize,
    /// The check it waives, e.g. `CERT-002` (as written in the catalogue).
    pub check: String,
    /// Glob on the finding's cluster; `None` matches any finding, mesh-wide ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Glob on the finding's subject.
    pub subject: String,
    /// Who owns the exception.
    pub owner: String,
    /// Why it was granted.
    pub reason: String,
    /// Ticket reference.
    pub ticket: String,
    /// Expiry date (`YYYY-MM-DD`); the waiver lapses at 00:00 UTC that day.
    pub expires: String,
}

impl Waiver {
    /// Whether it has lapsed at `as_of` (at or after 00:00 UTC of the expiry date).
    pub fn is_expired(&self, as_of: Timestamp) -> bool {
        match NaiveDate::parse_from_str(&self.expires, "%Y-%m-%d") {
            Ok(date) => date
                .and_hms_opt(0, 0, 0)
                .is_none_or(|start| as_of.0.naive_utc() >= start),
            // Validated on parse; an unreadable date counts as lapsed, never as forever.
            Err(_) => true,
        }
    }

    /// Whether it covers `finding` (check, cluster glob, subject glob), expired or not.
    pub fn matches(&self, finding: &Finding) -> bool {
        self.check.eq_ignore_ascii_case(&finding.check)
            && match (&self.cluster, &finding.cluster) {
                (None, _) => true,
                (Some(pattern), Some(cluster)) => glob_match(pattern, cluster),
                (Some(pattern), None) => pattern == "*",
            }
            && glob_match(&self.subject, &finding.subject)
    }

    /// Short label: `waiver 2 (CERT-002 ap-south-1/…)`.
    pub fn label(&self) -> String {
        format!("waiver {} ({} {})", self.index, self.check, self.subject)
    }

    fn status(&self, as_of: Timestamp) -> WaiverStatus {
        WaiverStatus {
            owner: self.owner.clone(),
            reason: self.reason.clone(),
            ticket: Some(self.ticket.clone()),
            until: self.expires.clone(),
            expired: self.is_expired(as_of),
        }
    }
}

/// The body of a `waiver.file` record: the validated waivers and the file they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverFile {
    /// The file's name as given (for people; not a path to open).
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Every waiver, in file order.
    pub waivers: Vec<Waiver>,
}

/// A waiver file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not TOML.
    #[error("not valid TOML: {0}")]
    Toml(String),
    /// TOML, but some waivers are invalid; every problem is listed.
    #[error("{} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
    /// A `waiver.file` record whose body is not a waiver file.
    #[error("waiver.file record #{seq} has an unreadable body: {message}")]
    Record {
        /// The record.
        seq: u64,
        /// What is wrong.
        message: String,
    },
}

const KEYS: &[&str] = &["check", "cluster", "subject", "owner", "reason", "ticket", "expires"];

/// Parses and validates a waiver file. `known_check` returns the catalogue spelling of a check id
/// (or `None` when there is no such check). Every problem is reported at once.
pub fn parse(text: &str, known_check: impl Fn(&str) -> Option<&'static str>) -> Result<Vec<Waiver>, Error> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Toml(e.to_string()))?;
    let mut problems = Vec::new();
    for key in table.keys() {
        if key != "waiver" {
            problems.push(format!("unknown top-level key `{key}` (expected [[waiver]] tables)"));
        }
    }
    let entries: Vec<&toml::Value> = match table.get("waiver") {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items.iter().collect(),
        Some(_) => {
            problems.push("`waiver` must be an array of tables: write [[waiver]]".into());
            Vec::new()
        }
    };
    let mut waivers = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let index = i + 1;
        let Some(t) = entry.as_table() else {
            problems.push(format!("waiver {index}: must be a table ([[waiver]])"));
            continue;
        };
        if let Some(w) = parse_one(index, t, &known_check, &mut problems) {
            waivers.push(w);
        }
    }
    for (i, a) in waivers.iter().enumerate() {
        for b in waivers.iter().skip(i + 1) {
            if a.check == b.check && a.cluster == b.cluster && a.subject == b.subject {
                problems.push(format!(
                    "waiver {} repeats waiver {} (same check, cluster and subject); keep one",
                    b.index, a.index
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(waivers)
    } else {
        Err(Error::Invalid(problems))
    }
}

fn parse_one(
    index: usize,
    t: &toml::Table,
    known_check: &impl Fn(&str) -> Option<&'static str>,
    problems: &mut Vec<String>,
) -> Option<Waiver> {
    let before = problems.len();
    for key in t.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(format!(
                "waiver {index}: unknown key `{key}` (known: {})",
                KEYS.join(", ")
            ));
        }
    }
    let mut text = |key: &str, required: bool| -> Option<String> {
        match t.get(key) {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(toml::Value::String(_)) => {
                problems.push(format!("waiver {index}: `{key}` is empty"));
                None
            }
            Some(other) => {
                problems.push(format!("waiver {index}: `{key}` must be a string, not {other}"));
                None
            }
            None if required => {
                problems.push(format!("waiver {index}: `{key}` is missing"));
                None
            }
            None => None,
        }
    };
    let check_text = text("check", true);
    let cluster = text("cluster", false);
    let subject = text("subject", true);
    let owner = text("owner", true);
    let reason = text("reason", true);
    let ticket = text("ticket", true);
    let check = check_text.and_then(|c| match known_check(&c) {
        Some(id) => Some(id.to_string()),
        None => {
            problems.push(format!(
                "waiver {index}: unknown check `{c}` (see `meshproof findings --help` and docs/checks.md)"
            ));
            None
        }
    });
    let expires = match t.get("expires") {
        None => {
            problems.push(format!(
                "waiver {index}: `expires` is missing (a date, e.g. 2027-03-31)"
            ));
            None
        }
        Some(value) => {
            let raw = match value {
                toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => Some(d.to_string()),
                toml::Value::String(s) => Some(s.trim().to_string()),
                _ => None,
            };
            match raw.filter(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d").is_ok()) {
                Some(date) => Some(date),
                None => {
                    problems.push(format!(
                        "waiver {index}: `expires` must be a date like 2027-03-31, not {value}"
                    ));
                    None
                }
            }
        }
    };
    if problems.len() != before {
        return None;
    }
    Some(Waiver {
        index,
        check: check?,
        cluster,
        subject: subject?,
        owner: owner?,
        reason: reason?,
        ticket: ticket?,
        expires: expires?,
    })
}

/// What applying waivers did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Findings a current waiver covers.
    pub waived: usize,
    /// Findings whose only matching waivers have lapsed: open again.
    pub expired: usize,
    /// Waivers that matched no finding, in file order.
    pub unused: Vec<Waiver>,
}

/// Marks every finding a waiver matches (`Finding::waiver`). Among several matching waivers a
/// current one wins over a lapsed one, then the latest expiry, then the first in the file. Nothing
/// is removed: a waived finding stays in the list, marked.
pub fn apply(findings: &mut [Finding], waivers: &[Waiver], as_of: Timestamp) -> Applied {
    let mut used = vec![false; waivers.len()];
    let mut applied = Applied::default();
    for finding in findings.iter_mut() {
        let mut best: Option<&Waiver> = None;
        for (i, w) in waivers.iter().enumerate() {
            if !w.matches(finding) {
                continue;
            }
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            let rank = |w: &Waiver| (!w.is_expired(as_of), w.expires.clone());
            if best.is_none_or(|b| rank(w) > rank(b)) {
                best = Some(w);
            }
        }
        finding.waiver = best.map(|w| w.status(as_of));
        match &finding.waiver {
            Some(s) if s.expired => applied.expired += 1,
            Some(_) => applied.waived += 1,
            None => {}
        }
    }
    applied.unused = waivers
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(w, _)| w.clone())
        .collect();
    applied
}

/// The `waiver.file` record of a scan (the last one, if several) and its parsed body.
pub fn recorded(set: &EvidenceSet) -> Option<Result<(&Evidence, WaiverFile), Error>> {
    let record = set.of_kind(kinds::WAIVER_FILE).last()?;
    Some(
        serde_json::from_value::<WaiverFile>(record.body().clone())
            .map(|file| (record, file))
            .map_err(|e| Error::Record {
                seq: record.seq,
                message: e.to_string(),
            }),
    )
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character; everything else literal).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some('*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some('?'), Some(_)) => {
                pi += 1;
                ti += 1;
            }
            (Some(a), Some(b)) if a == b => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.iter().skip(pi).all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn known(id: &str) -> Option<&'static str> {
        ["CERT-001", "CERT-002", "RBAC-001"]
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(id))
    }

    fn finding(check: &str, cluster: Option<&str>, subject: &str) -> Finding {
        Finding {
            check: check.into(),
            name: "n".into(),
            severity: Severity::High,
            cluster: cluster.map(str::to_string),
            subject: subject.into(),
            message: "m".into(),
            remediation: "r".into(),
            evidence: Vec::new(),
            waiver: None,
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const FILE: &str = r#"
[[waiver]]
check = "cert-002"
cluster = "ap-*"
subject = "*/istio-system/Secret/cacerts"
owner = "alice"
reason = "rotation planned"
ticket = "SEC-1"
expires = 2027-03-31

[[waiver]]
check = "RBAC-001"
subject = "eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin"
owner = "bob"
reason = "migration"
ticket = "SEC-2"
expires = "2026-11-01"

[[waiver]]
check = "CERT-001"
subject = "nowhere/*"
owner = "carol"
reason = "old"
ticket = "SEC-3"
expires = 2027-01-01
"#;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*/x", "abc/def/x"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("eu-*", "us-east-1"));
        assert!(glob_match("*-1", "us-east-1"));
        assert!(glob_match("*a*b*", "xxaxxbxx"));
        assert!(!glob_match("*a*b", "xxbxxa"));
    }

    #[test]
    fn parses_and_applies_current_expired_and_unused() {
        let waivers = parse(FILE, known).unwrap();
        assert_eq!(waivers.len(), 3);
        assert_eq!(waivers[0].check, "CERT-002");
        assert_eq!(waivers[0].expires, "2027-03-31");
        let mut findings = vec![
            finding("CERT-002", Some("ap-south-1"), "ap-south-1/istio-system/Secret/cacerts"),
            finding(
                "RBAC-001",
                Some("eu-west-1"),
                "eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin",
            ),
            finding(
                "RBAC-001",
                Some("eu-central-1"),
                "eu-central-1/_cluster/ClusterRoleBinding/x",
            ),
        ];
        let applied = apply(&mut findings, &waivers, at("2026-12-01T00:00:00Z"));
        assert_eq!(applied.waived, 1);
        assert_eq!(applied.expired, 1);
        assert_eq!(applied.unused.iter().map(|w| w.index).collect::<Vec<_>>(), [3]);
        assert!(findings[0].is_waived());
        assert_eq!(findings[0].waiver.as_ref().map(|w| w.owner.as_str()), Some("alice"));
        assert!(!findings[1].is_waived());
        assert_eq!(findings[1].waiver.as_ref().map(|w| w.expired), Some(true));
        assert_eq!(findings[2].waiver, None);
    }

    #[test]
    fn expiry_starts_at_midnight_of_the_date() {
        let w = &parse(FILE, known).unwrap()[0];
        assert!(!w.is_expired(at("2027-03-30T23:59:59Z")));
        assert!(w.is_expired(at("2027-03-31T00:00:00Z")));
    }

    #[test]
    fn current_waiver_wins_over_lapsed_one() {
        let text = format!(
            "{FILE}\n[[waiver]]\ncheck = \"RBAC-001\"\nsubject = \"eu-west-1/*\"\nowner = \"dan\"\nreason = \"renewed\"\nticket = \"SEC-4\"\nexpires = 2027-06-01\n"
        );
        let waivers = parse(&text, known).unwrap();
        let mut findings = vec![finding(
            "RBAC-001",
            Some("eu-west-1"),
            "eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin",
        )];
        apply(&mut findings, &waivers, at("2026-12-01T00:00:00Z"));
        assert_eq!(findings[0].waiver.as_ref().map(|w| w.owner.as_str()), Some("dan"));
        assert!(findings[0].is_waived());
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let text = r#"
owner = "stray"
[[waiver]]
check = "NOPE-001"
subject = ""
reason = 3
ticket = "T"
expires = "next week"
colour = "red"

[[waiver]]
check = "CERT-001"
subject = "a/*"
owner = "o"
reason = "r"
ticket = "T"
expires = 2027-01-01T10:00:00Z
"#;
        let Err(Error::Invalid(problems)) = parse(text, known) else {
            panic!("expected invalid");
        };
        let all = problems.join("\n");
        for needle in [
            "top-level key `owner`",
            "waiver 1: unknown check `NOPE-001`",
            "waiver 1: `subject` is empty",
            "waiver 1: `owner` is missing",
            "waiver 1: `reason` must be a string",
            "waiver 1: `expires` must be a date",
            "waiver 1: unknown key `colour`",
            "waiver 2: `expires` must be a date",
        ] {
            assert!(all.contains(needle), "{needle} missing from\n{all}");
        }
        assert!(matches!(parse("[[waiver", known), Err(Error::Toml(_))));
    }

    #[test]
    fn duplicates_are_refused() {
        let one = "[[waiver]]\ncheck = \"CERT-001\"\nsubject = \"a\"\nowner = \"o\"\nreason = \"r\"\nticket = \"T\"\nexpires = 2027-01-01\n";
        let Err(Error::Invalid(problems)) = parse(&format!("{one}{one}"), known) else {
            panic!("expected invalid");
        };
        assert!(problems.iter().any(|p| p.contains("waiver 2 repeats waiver 1")));
    }
}
