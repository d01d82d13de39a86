//! Configuration: `meshproof.toml` (or `--config FILE`) merged with `--set KEY=VALUE` overrides,
//! validated before anything runs, with every problem listed at once.
//!
//! ```toml
//! [organisation]
//! name = "Acme Corp"
//!
//! [analysis]
//! intermediate_expiry_days = 90      # CERT-001
//! root_expiry_days = 365             # CERT-001
//! intermediate_max_age_days = 1095   # CERT-007
//! root_max_age_days = 7300           # CERT-007
//! token_max_age_days = 90            # TOKEN-001
//! token_max_lifetime_days = 365      # TOKEN-002
//! unsigned_change_severity = "info"  # CHG-001
//! gitops_identities = ["system:serviceaccount:argocd:argocd-application-controller"]
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::analyze::Settings as AnalysisSettings;
use crate::model::Severity;

/// Validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Organisation name shown on reports.
    pub organisation: Option<String>,
    /// Analysis thresholds and identities.
    pub analysis: AnalysisSettings,
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
}

const ANALYSIS_DAYS: &[&str] = &[
    "intermediate_expiry_days",
    "root_expiry_days",
    "intermediate_max_age_days",
    "root_max_age_days",
    "token_max_age_days",
    "token_max_lifetime_days",
];

/// Loads `path` (or `./meshproof.toml` when present and no path is given) and applies overrides.
pub fn load(path: Option<&Path>, overrides: &[String]) -> anyhow::Result<Config> {
    let (table, source) = match path {
        Some(p) => (read(p)?, Some(p.to_path_buf())),
        None if Path::new("meshproof.toml").is_file() => (
            read(Path::new("meshproof.toml"))?,
            Some(PathBuf::from("meshproof.toml")),
        ),
        None => (toml::Table::new(), None),
    };
    let mut table = table;
    let mut errors = Vec::new();
    for o in overrides {
        match o.split_once('=') {
            Some((key, value)) => apply_override(&mut table, key.trim(), value.trim(), &mut errors),
            None => errors.push(format!(
                "--set {o}: expected KEY=VALUE, e.g. analysis.token_max_age_days=30"
            )),
        }
    }
    let mut config = validate(&table, &mut errors);
    config.source = source.clone();
    if !errors.is_empty() {
        let origin = source
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "configuration".into());
        anyhow::bail!("{origin} is invalid:\n  - {}", errors.join("\n  - "));
    }
    Ok(config)
}

fn read(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading configuration {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

fn apply_override(table: &mut toml::Table, key: &str, value: &str, errors: &mut Vec<String>) {
    let Some((section, field)) = key.split_once('.') else {
        errors.push(format!(
            "--set {key}: expected SECTION.KEY, e.g. analysis.token_max_age_days"
        ));
        return;
    };
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let entry = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match entry.as_table_mut() {
        Some(t) => {
            t.insert(field.to_string(), parsed);
        }
        None => errors.push(format!("--set {key}: [{section}] is not a table")),
    }
}

fn validate(table: &toml::Table, errors: &mut Vec<String>) -> Config {
    let mut config = Config::default();
    for (section, value) in table {
        match (section.as_str(), value.as_table()) {
            ("organisation", Some(t)) => {
                for (k, v) in t {
                    match (k.as_str(), v.as_str()) {
                        ("name", Some(name)) => config.organisation = Some(name.to_string()),
                        ("name", None) => errors.push("organisation.name must be a string".into()),
                        _ => errors.push(format!("organisation.{k}: unknown key (known: name)")),
                    }
                }
            }
            ("analysis", Some(t)) => validate_analysis(t, &mut config.analysis, errors),
            // Sections other commands own are accepted here and validated where they are used.
            ("sources" | "report" | "scan" | "waivers", _) => {}
            (_, Some(_)) | (_, None) => {
                errors.push(format!("[{section}]: unknown section (known: organisation, analysis)"))
            }
        }
    }
    config
}

fn validate_analysis(t: &toml::Table, s: &mut AnalysisSettings, errors: &mut Vec<String>) {
    for (k, v) in t {
        let key = k.as_str();
        if ANALYSIS_DAYS.contains(&key) {
            match v.as_integer() {
                Some(days) if days > 0 => {
                    let slot = match key {
                        "intermediate_expiry_days" => &mut s.intermediate_expiry_days,
                        "root_expiry_days" => &mut s.root_expiry_days,
                        "intermediate_max_age_days" => &mut s.intermediate_max_age_days,
                        "root_max_age_days" => &mut s.root_max_age_days,
                        "token_max_age_days" => &mut s.token_max_age_days,
                        _ => &mut s.token_max_lifetime_days,
                    };
                    *slot = days;
                }
                _ => errors.push(format!(
                    "analysis.{key} must be a positive whole number of days, not {v}"
                )),
            }
            continue;
        }
        match key {
            "unsigned_change_severity" => match v.as_str().map(str::parse::<Severity>) {
                Some(Ok(sev)) => s.unsigned_change_severity = sev,
                _ => errors.push(format!(
                    "analysis.unsigned_change_severity must be critical, high, medium, low or info, not {v}"
                )),
            },
            "gitops_identities" => match v.as_array().map(|a| {
                a.iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            }) {
                Some(Some(list)) => s.gitops_identities = list,
                _ => errors.push("analysis.gitops_identities must be a list of strings".into()),
            },
            _ => errors.push(format!(
                "analysis.{key}: unknown key (known: {}, unsigned_change_severity, gitops_identities)",
                ANALYSIS_DAYS.join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_listed_at_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            "[analysis]\ntoken_max_age_days = -3\nroot_expiry_days = \"soon\"\nbogus = 1\nunsigned_change_severity = \"urgent\"\n[typo]\nx = 1\n",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let err = load(Some(&path), &["analysis.intermediate_expiry_days=0".into()])
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        for needle in [
            "token_max_age_days",
            "root_expiry_days",
            "bogus",
            "unsigned_change_severity",
            "[typo]",
            "intermediate_expiry_days",
        ] {
            assert!(err.contains(needle), "{needle} missing from:\n{err}");
        }
    }

    #[test]
    fn overrides_replace_file_values() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            "[organisation]\nname = \"Acme\"\n[analysis]\ntoken_max_age_days = 60\n",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let c = load(Some(&path), &["analysis.token_max_age_days=30".into()]).ok();
        assert_eq!(c.as_ref().map(|c| c.analysis.token_max_age_days), Some(30));
        assert_eq!(c.and_then(|c| c.organisation), Some("Acme".into()));
    }
}
