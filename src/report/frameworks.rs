//! Framework control catalogues: which meshproof checks speak to which control.
//!
//! The built-in catalogues (`report-templates/{soc2,pci-dss,dora}.toml`) are embedded in the
//! binary, so it works alone. `--templates DIR` adds to or overrides them without recompiling:
//! every `DIR/*.toml` holding a `[framework]` table is a catalogue, and one whose `id` matches a
//! built-in replaces it. Other TOML files in the directory are ignored.
//!
//! A catalogue is validated as a whole before any report is built, and every problem is listed
//! at once (missing fields, unknown keys, duplicate control ids, check ids the analyzers do not
//! know), each naming its file and control. This module does not evaluate controls (that is
//! [`super::build`]).
//!
//! Main types: [`Framework`], [`Control`], [`StatusTexts`], [`Error`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::model::FrameworkInfo;
use crate::analyze;

/// The built-in catalogues: (file name, text), in report order.
pub const BUILTIN: &[(&str, &str)] = &[
    ("soc2.toml", include_str!("../../report-templates/soc2.toml")),
    ("pci-dss.toml", include_str!("../../report-templates/pci-dss.toml")),
    ("dora.toml", include_str!("../../report-templates/dora.toml")),
];

/// The framework id that selects every loaded framework.
pub const ALL: &str = "all";

/// Catalogue files larger than this are refused (they are hand-written text).
pub const MAX_CATALOGUE_BYTES: u64 = 1 << 20;

/// Loading or validating catalogues failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A templates directory or file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The directory or file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// One or more catalogues are invalid; every problem is listed.
    #[error("invalid framework catalogue(s), {} problem(s):\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid {
        /// Each problem, prefixed with its file (and control).
        problems: Vec<String>,
    },
    /// `--framework` names no loaded catalogue.
    #[error("unknown framework {id:?} (known: {})", known.join(", "))]
    UnknownFramework {
        /// What was asked for.
        id: String,
        /// Loaded framework ids and `all`.
        known: Vec<String>,
    },
}

/// The one-sentence explanation each status gets in a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTexts {
    /// Why a control is satisfied.
    pub satisfied: String,
    /// Why a control is not satisfied.
    pub not_satisfied: String,
    /// Why a control is not evaluated.
    pub not_evaluated: String,
}

impl Default for StatusTexts {
    fn default() -> Self {
        StatusTexts {
            satisfied: "Every mapped check ran on complete evidence for the scan and reported nothing open.".into(),
            not_satisfied: "At least one mapped check reported an open (not waived) finding.".into(),
            not_evaluated:
                "Evidence the mapped checks need is missing, or nothing in the mesh falls under the control.".into(),
        }
    }
}

/// One control of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Control id, e.g. `CC6.1`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What the evidence shows for it.
    pub evidence: String,
    /// meshproof check ids mapped to it (validated against the analyzers' catalogue).
    pub checks: Vec<String>,
    /// Scope note (applied by analogy, …).
    pub scope_note: Option<String>,
    /// Satisfied only when the evidence store verifies intact.
    pub integrity: bool,
}

/// A validated catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    /// Identity.
    pub info: FrameworkInfo,
    /// Status explanations.
    pub status: StatusTexts,
    /// Controls in catalogue order.
    pub controls: Vec<Control>,
    /// Where it came from (`built-in soc2.toml` or a path).
    pub origin: String,
}

/// The built-in catalogues.
pub fn builtin() -> Result<Vec<Framework>, Error> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        if let Some(f) = parse(&format!("built-in {name}"), text, &mut problems) {
            out.push(f);
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid { problems })
    }
}

/// The built-in catalogues, added to and overridden by every `DIR/*.toml` with a `[framework]`
/// table (files in name order). Every problem of every file is reported at once.
pub fn load(dir: Option<&Path>) -> Result<Vec<Framework>, Error> {
    let mut frameworks = builtin()?;
    let Some(dir) = dir else {
        return Ok(frameworks);
    };
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Read { path, source }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    files.sort();
    let mut problems = Vec::new();
    let mut loaded: Vec<Framework> = Vec::new();
    for path in &files {
        let origin = path.display().to_string();
        let size = std::fs::metadata(path).map_err(read_err(path))?.len();
        if size > MAX_CATALOGUE_BYTES {
            problems.push(format!(
                "{origin}: {size} bytes, over the {MAX_CATALOGUE_BYTES}-byte limit"
            ));
            continue;
        }
        let text = std::fs::read_to_string(path).map_err(read_err(path))?;
        // Only files with a [framework] table are catalogues; a file that does not parse is
        // reported, since it may be one.
        match text.parse::<toml::Table>() {
            Ok(t) if !t.contains_key("framework") => continue,
            _ => {}
        }
        let Some(f) = parse(&origin, &text, &mut problems) else {
            continue;
        };
        if let Some(prev) = loaded.iter().find(|p| p.info.id == f.info.id) {
            problems.push(format!(
                "{origin}: framework id {:?} is already defined by {}",
                f.info.id, prev.origin
            ));
            continue;
        }
        loaded.push(f);
    }
    if !problems.is_empty() {
        return Err(Error::Invalid { problems });
    }
    for f in loaded {
        match frameworks.iter_mut().find(|b| b.info.id == f.info.id) {
            Some(slot) => *slot = f,
            None => frameworks.push(f),
        }
    }
    Ok(frameworks)
}

/// The frameworks `id` selects: one by id, or every one for [`ALL`].
pub fn select(frameworks: &[Framework], id: &str) -> Result<Vec<Framework>, Error> {
    if id.eq_ignore_ascii_case(ALL) {
        return Ok(frameworks.to_vec());
    }
    match frameworks.iter().find(|f| f.info.id.eq_ignore_ascii_case(id)) {
        Some(f) => Ok(vec![f.clone()]),
        None => Err(Error::UnknownFramework {
            id: id.to_string(),
            known: frameworks
                .iter()
                .map(|f| f.info.id.clone())
                .chain(std::iter::once(ALL.to_string()))
                .collect(),
        }),
    }
}

fn string_field(
    table: &toml::Table,
    key: &str,
    place: &str,
    required: bool,
    problems: &mut Vec<String>,
) -> Option<String> {
    match table.get(key) {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(toml::Value::String(_)) => {
            problems.push(format!("{place}: `{key}` is empty"));
            None
        }
        Some(other) => {
            problems.push(format!("{place}: `{key}` must be a string, not a {}", other.type_str()));
            None
        }
        None if required => {
            problems.push(format!("{place}: missing `{key}`"));
            None
        }
        None => None,
    }
}

fn unknown_keys(table: &toml::Table, known: &[&str], place: &str, problems: &mut Vec<String>) {
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(format!("{place}: unknown key `{key}` (known: {})", known.join(", ")));
        }
    }
}

/// Parses and validates one catalogue; problems go to `problems` (prefixed with `origin`).
/// Returns the framework only when this file had no problem.
pub fn parse(origin: &str, text: &str, problems: &mut Vec<String>) -> Option<Framework> {
    let before = problems.len();
    let table = match text.parse::<toml::Table>() {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!("{origin}: not valid TOML: {}", e.to_string().trim()));
            return None;
        }
    };
    unknown_keys(&table, &["framework", "status", "controls"], origin, problems);

    let info = match table.get("framework") {
        Some(toml::Value::Table(t)) => {
            let place = format!("{origin}: [framework]");
            unknown_keys(t, &["id", "name", "version", "publisher"], &place, problems);
            let id = string_field(t, "id", &place, true, problems);
            if let Some(id) = &id {
                let well_formed = id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !well_formed {
                    problems.push(format!(
                        "{place}: id {id:?} must be lower-case letters, digits and dashes"
                    ));
                }
                if id == ALL {
                    problems.push(format!("{place}: id {ALL:?} is reserved (it selects every framework)"));
                }
            }
            let name = string_field(t, "name", &place, true, problems);
            let version = string_field(t, "version", &place, true, problems);
            let publisher = string_field(t, "publisher", &place, true, problems);
            match (id, name, version, publisher) {
                (Some(id), Some(name), Some(version), Some(publisher)) => Some(FrameworkInfo {
                    id,
                    name,
                    version,
                    publisher,
                }),
                _ => None,
            }
        }
        Some(_) => {
            problems.push(format!("{origin}: `framework` must be a table"));
            None
        }
        None => {
            problems.push(format!("{origin}: missing [framework] table"));
            None
        }
    };

    let mut status = StatusTexts::default();
    match table.get("status") {
        Some(toml::Value::Table(t)) => {
            let place = format!("{origin}: [status]");
            unknown_keys(t, &["satisfied", "not_satisfied", "not_evaluated"], &place, problems);
            for (key, slot) in [
                ("satisfied", &mut status.satisfied),
                ("not_satisfied", &mut status.not_satisfied),
                ("not_evaluated", &mut status.not_evaluated),
            ] {
                if let Some(text) = string_field(t, key, &place, false, problems) {
                    *slot = text;
                }
            }
        }
        Some(_) => problems.push(format!("{origin}: `status` must be a table")),
        None => {}
    }

    let mut controls = Vec::new();
    match table.get("controls") {
        Some(toml::Value::Array(items)) if !items.is_empty() => {
            let mut ids: BTreeSet<String> = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let n = i + 1;
                let Some(t) = item.as_table() else {
                    problems.push(format!("{origin}: control #{n} must be a table ([[controls]])"));
                    continue;
                };
                let id = string_field(t, "id", &format!("{origin}: control #{n}"), true, problems);
                let place = match &id {
                    Some(id) => format!("{origin}: control {id}"),
                    None => format!("{origin}: control #{n}"),
                };
                unknown_keys(
                    t,
                    &["id", "title", "evidence", "checks", "scope_note", "integrity"],
                    &place,
                    problems,
                );
                if let Some(id) = &id
                    && !ids.insert(id.clone())
                {
                    problems.push(format!("{place}: duplicate control id {id:?}"));
                }
                let title = string_field(t, "title", &place, true, problems);
                let evidence = string_field(t, "evidence", &place, true, problems);
                let scope_note = string_field(t, "scope_note", &place, false, problems);
                let integrity = match t.get("integrity") {
                    None => false,
                    Some(toml::Value::Boolean(b)) => *b,
                    Some(other) => {
                        problems.push(format!("{place}: `integrity` must be true or false, not {other}"));
                        false
                    }
                };
                let mut checks = Vec::new();
                match t.get("checks") {
                    Some(toml::Value::Array(list)) => {
                        for c in list {
                            match c.as_str() {
                                Some(code) => match analyze::check(code) {
                                    Some(check) if checks.contains(&check.id.to_string()) => {
                                        problems.push(format!("{place}: check {code:?} is listed twice"));
                                    }
                                    Some(check) => checks.push(check.id.to_string()),
                                    None => problems.push(format!(
                                        "{place}: unknown check {code:?} (see docs/checks.md; known: {})",
                                        analyze::catalogue().map(|c| c.id).collect::<Vec<_>>().join(", ")
                                    )),
                                },
                                None => problems.push(format!("{place}: `checks` must hold strings, not {c}")),
                            }
                        }
                    }
                    Some(other) => problems.push(format!(
                        "{place}: `checks` must be a list of check ids, not a {}",
                        other.type_str()
                    )),
                    None => problems.push(format!("{place}: missing `checks` (use [] for none)")),
                }
                if let (Some(id), Some(title), Some(evidence)) = (id, title, evidence) {
                    controls.push(Control {
                        id,
                        title,
                        evidence,
                        checks,
                        scope_note,
                        integrity,
                    });
                }
            }
        }
        Some(toml::Value::Array(_)) => problems.push(format!("{origin}: no [[controls]]")),
        Some(_) => problems.push(format!(
            "{origin}: `controls` must be an array of tables ([[controls]])"
        )),
        None => problems.push(format!("{origin}: missing [[controls]]")),
    }

    if problems.len() > before {
        return None;
    }
    Some(Framework {
        info: info?,
        status,
        controls,
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn builtins_are_valid_and_map_every_check() {
        let frameworks = builtin().unwrap_or_else(|e| unreachable!("{e}"));
        let ids: Vec<&str> = frameworks.iter().map(|f| f.info.id.as_str()).collect();
        assert_eq!(ids, ["soc2", "pci-dss", "dora"]);
        let mapped: BTreeSet<&str> = frameworks
            .iter()
            .flat_map(|f| f.controls.iter())
            .flat_map(|c| c.checks.iter().map(String::as_str))
            .collect();
        for check in analyze::catalogue() {
            assert!(mapped.contains(check.id), "{} is mapped by no control", check.id);
        }
        for id in &mapped {
            assert!(analyze::check(id).is_some(), "{id} is not a check");
        }
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let text = r#"
[framework]
id = "Bad Id"
name = "x"
[[controls]]
id = "A.1"
title = "t"
checks = ["NOPE-001", "CERT-001"]
colour = "red"
[[controls]]
id = "A.1"
title = "t"
evidence = "e"
integrity = "yes"
"#;
        let mut problems = Vec::new();
        assert!(parse("x.toml", text, &mut problems).is_none());
        let all = problems.join("\n");
        for needle in [
            "lower-case",
            "missing `version`",
            "missing `publisher`",
            "missing `evidence`",
            "unknown check \"NOPE-001\"",
            "unknown key `colour`",
            "duplicate control id \"A.1\"",
            "`integrity` must be true or false",
            "missing `checks`",
        ] {
            assert!(all.contains(needle), "{needle} missing from:\n{all}");
        }
    }

    #[test]
    fn a_directory_adds_and_overrides() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let custom = "[framework]\nid = \"acme\"\nname = \"Acme\"\nversion = \"1\"\npublisher = \"Acme\"\n[[controls]]\nid = \"X1\"\ntitle = \"t\"\nevidence = \"e\"\nchecks = [\"CERT-001\"]\n";
        std::fs::write(dir.path().join("acme.toml"), custom).unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::write(dir.path().join("meshproof.toml"), "[organisation]\nname = \"x\"\n")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let soc2 = custom.replace("\"acme\"", "\"soc2\"");
        std::fs::write(dir.path().join("soc2.toml"), soc2).unwrap_or_else(|e| unreachable!("{e}"));
        let all = load(Some(dir.path())).unwrap_or_else(|e| unreachable!("{e}"));
        let ids: Vec<&str> = all.iter().map(|f| f.info.id.as_str()).collect();
        assert_eq!(ids, ["soc2", "pci-dss", "dora", "acme"]);
        assert_eq!(all.first().map(|f| f.controls.len()), Some(1));
        assert_eq!(select(&all, "all").map(|v| v.len()).ok(), Some(4));
        assert!(matches!(select(&all, "iso"), Err(Error::UnknownFramework { .. })));
    }
}
