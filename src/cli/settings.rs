//! Configuration: `meshproof.toml` (or `--config FILE`), `MESHPROOF_<SECTION>_<KEY>` environment
//! variables, `--set SECTION.KEY=VALUE` and the flags of `scan`, merged with the precedence
//! flag > environment > file > default, and validated before anything runs, with every problem
//! listed at once. Every key is declared once, in [`KEYS`]; `docs/configuration.md` documents
//! each of them (a test checks that it does).
//!
//! ```toml
//! as_of = "2026-12-01T00:00:00Z"          # optional; default: now
//!
//! [organisation]                          # or [organization]
//! name = "Acme Corp"
//!
//! [store]
//! path = "meshproof.db"                   # relative to the working directory
//! key = "meshproof.db.key"                # default: <store>.key
//!
//! [sources]                               # relative to the configuration file's directory
//! from = ["mesh"]
//! git = ["gitops.git"]
//! waivers = "waivers.toml"
//!
//! [analysis]
//! token_max_age_days = 90                 # TOKEN-001
//!
//! [reports]
//! frameworks = ["all"]
//! formats = ["pdf", "html"]
//! out_dir = "meshproof-out"               # relative to the working directory
//!
//! [fail]
//! on = "high"
//! on_gaps = true
//! ```
//!
//! Paths read from the file: inputs (`[sources]`, `reports.templates`) resolve against the
//! directory of the configuration file; outputs (`[store]`, `reports.out_dir`) against the working
//! directory. Paths from flags and environment variables resolve against the working directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::ValueEnum as _;

use super::args::ReportFormat;
use crate::analyze::Settings as AnalysisSettings;
use crate::model::{Severity, Timestamp};

/// The type of a configuration value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// An RFC 3339 time.
    Time,
    /// A path that is read (relative paths in the file: against the file's directory).
    Input,
    /// A path that is written (relative paths: against the working directory).
    Output,
    /// `true` or `false`.
    Bool,
    /// A positive whole number.
    Count,
    /// critical, high, medium, low or info.
    Severity,
    /// A severity, or `none`.
    FailOn,
    /// A list of strings (a comma-separated string from the environment or `--set`).
    TextList,
    /// A list of input paths.
    InputList,
    /// A list of report formats.
    Formats,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Its table (`""` for top-level keys).
    pub section: &'static str,
    /// Its name in the table.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// The default, as documented.
    pub default: &'static str,
    /// The flag that overrides it, if any (besides `--set`).
    pub flag: Option<&'static str>,
}

impl Key {
    /// `section.name` (or `name` at top level), as `--set` takes it.
    pub fn dotted(&self) -> String {
        if self.section.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.section, self.name)
        }
    }

    /// The environment variable: `MESHPROOF_` + section + `_` + key, upper case.
    pub fn env(&self) -> String {
        format!("MESHPROOF_{}", self.dotted().replace('.', "_").to_ascii_uppercase())
    }
}

const fn key(section: &'static str, name: &'static str, kind: Kind, default: &'static str) -> Key {
    Key {
        section,
        name,
        kind,
        default,
        flag: None,
    }
}

const fn flagged(
    section: &'static str,
    name: &'static str,
    kind: Kind,
    default: &'static str,
    flag: &'static str,
) -> Key {
    Key {
        section,
        name,
        kind,
        default,
        flag: Some(flag),
    }
}

/// Every configuration key, in documentation order.
pub const KEYS: &[Key] = &[
    flagged("", "as_of", Kind::Time, "now", "--as-of"),
    key("organisation", "name", Kind::Text, "none"),
    flagged("store", "path", Kind::Output, "meshproof.db", "--store"),
    flagged("store", "key", Kind::Output, "<store>.key", "--key"),
    key("store", "lock_timeout", Kind::Count, "10"),
    key("sources", "from", Kind::InputList, "[]"),
    key("sources", "kubeconfig", Kind::Input, "KUBECONFIG, else ~/.kube/config"),
    key("sources", "contexts", Kind::TextList, "[]"),
    key("sources", "all_contexts", Kind::Bool, "false"),
    key("sources", "in_cluster", Kind::Text, "none"),
    key("sources", "audit_logs", Kind::TextList, "[]"),
    key("sources", "git", Kind::InputList, "[]"),
    key("sources", "git_ref", Kind::Text, "HEAD"),
    key("sources", "git_paths", Kind::TextList, "[] (every path)"),
    key("sources", "waivers", Kind::Input, "none"),
    key("sources", "concurrency", Kind::Count, "8"),
    key("sources", "page_size", Kind::Count, "500"),
    key("sources", "request_timeout", Kind::Count, "30"),
    key("sources", "max_file_size", Kind::Count, "268435456"),
    key("analysis", "intermediate_expiry_days", Kind::Count, "90"),
    key("analysis", "root_expiry_days", Kind::Count, "365"),
    key("analysis", "intermediate_max_age_days", Kind::Count, "1095"),
    key("analysis", "root_max_age_days", Kind::Count, "7300"),
    key("analysis", "token_max_age_days", Kind::Count, "90"),
    key("analysis", "token_max_lifetime_days", Kind::Count, "365"),
    key("analysis", "unsigned_change_severity", Kind::Severity, "info"),
    key(
        "analysis",
        "gitops_identities",
        Kind::TextList,
        "Argo CD and Flux controllers",
    ),
    flagged("reports", "frameworks", Kind::TextList, "[\"all\"]", "--framework"),
    flagged(
        "reports",
        "formats",
        Kind::Formats,
        "[\"pdf\", \"html\", \"json\"]",
        "--format",
    ),
    flagged("reports", "out_dir", Kind::Output, "meshproof-out", "--out-dir"),
    key("reports", "templates", Kind::Input, "none"),
    flagged("fail", "on", Kind::FailOn, "none", "--fail-on"),
    flagged("fail", "on_gaps", Kind::Bool, "false", "--fail-on-gaps"),
];

/// Keys whose environment variable is read by clap as the global flag's (`MESHPROOF_AS_OF`).
const ENV_BY_FLAG: &[&str] = &["as_of"];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The configuration file.
    File,
    /// An environment variable.
    Env(String),
    /// A flag (`--set`, `--out-dir`, …).
    Flag(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File => f.write_str("in the file"),
            Origin::Env(v) => write!(f, "from {v}"),
            Origin::Flag(flag) => write!(f, "from {flag}"),
        }
    }
}

/// Values from the command line, applied over the file and the environment.
#[derive(Debug, Default)]
pub struct Overrides {
    /// `--set KEY=VALUE`, as typed.
    pub set: Vec<String>,
    /// Flags of `scan` mapped to their key: (key, value, flag name).
    pub flags: Vec<(&'static str, toml::Value, &'static str)>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// Evaluation and collection time (`as_of`).
    pub as_of: Option<Timestamp>,
    /// Organisation name shown on reports.
    pub organisation: Option<String>,
    /// `[store]`.
    pub store: StoreConfig,
    /// `[sources]`.
    pub sources: Sources,
    /// Analysis thresholds and identities.
    pub analysis: AnalysisSettings,
    /// `[reports]`.
    pub reports: Reports,
    /// `[fail]`.
    pub fail: FailPolicy,
}

/// `[store]`.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The store file (`None`: the default of `--store`).
    pub path: Option<PathBuf>,
    /// The signing key (`None`: `<store>.key`).
    pub key: Option<PathBuf>,
    /// Seconds to wait for another writer.
    pub lock_timeout: u64,
}

/// `[sources]`: what `scan` collects.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Dump directories (one subfolder per cluster).
    pub from: Vec<PathBuf>,
    /// Kubeconfig for live collection.
    pub kubeconfig: Option<PathBuf>,
    /// Contexts, `NAME[=ALIAS]`.
    pub contexts: Vec<String>,
    /// Every context of the kubeconfig.
    pub all_contexts: bool,
    /// The cluster this pod runs in, by name.
    pub in_cluster: Option<String>,
    /// Audit logs: (cluster, file).
    pub audit_logs: Vec<(String, PathBuf)>,
    /// GitOps repositories.
    pub git: Vec<PathBuf>,
    /// The git reference to walk.
    pub git_ref: Option<String>,
    /// Git pathspec globs.
    pub git_paths: Vec<String>,
    /// The waivers file recorded with the scan.
    pub waivers: Option<PathBuf>,
    /// Live clusters collected at once.
    pub concurrency: u16,
    /// Objects per list request.
    pub page_size: u32,
    /// Seconds per API request.
    pub request_timeout: u64,
    /// Largest file read, in bytes.
    pub max_file_size: u64,
}

impl Sources {
    /// Whether any source is configured.
    pub fn is_empty(&self) -> bool {
        self.from.is_empty()
            && self.contexts.is_empty()
            && !self.all_contexts
            && self.in_cluster.is_none()
            && self.audit_logs.is_empty()
            && self.git.is_empty()
    }
}

/// `[reports]`.
#[derive(Debug, Clone)]
pub struct Reports {
    /// Framework ids, or `all` for one combined document.
    pub frameworks: Vec<String>,
    /// Formats written for each framework entry.
    pub formats: Vec<ReportFormat>,
    /// Output directory.
    pub out_dir: PathBuf,
    /// Extra framework catalogues.
    pub templates: Option<PathBuf>,
}

/// `[fail]`: when `scan` exits non-zero.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailPolicy {
    /// Exit 1 when an open finding is at or above this severity.
    pub on: Option<Severity>,
    /// Exit 3 when the collection recorded gaps.
    pub on_gaps: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: None,
            as_of: None,
            organisation: None,
            store: StoreConfig {
                path: None,
                key: None,
                lock_timeout: 10,
            },
            sources: Sources {
                from: Vec::new(),
                kubeconfig: None,
                contexts: Vec::new(),
                all_contexts: false,
                in_cluster: None,
                audit_logs: Vec::new(),
                git: Vec::new(),
                git_ref: None,
                git_paths: Vec::new(),
                waivers: None,
                concurrency: 8,
                page_size: 500,
                request_timeout: 30,
                max_file_size: 256 << 20,
            },
            analysis: AnalysisSettings::default(),
            reports: Reports {
                frameworks: vec!["all".into()],
                formats: vec![ReportFormat::Pdf, ReportFormat::Html, ReportFormat::Json],
                out_dir: PathBuf::from("meshproof-out"),
                templates: None,
            },
            fail: FailPolicy::default(),
        }
    }
}

/// Loads `path` (or `./meshproof.toml` when present and no path is given), applies the
/// `MESHPROOF_*` environment and `--set` overrides. Types and values are checked; files are not.
pub fn load(path: Option<&Path>, overrides: &[String]) -> anyhow::Result<Config> {
    let layers = Overrides {
        set: overrides.to_vec(),
        flags: Vec::new(),
    };
    load_with(path, &layers, &|name| std::env::var(name).ok(), false)
}

/// Loads with explicit overrides and environment; with `check_files`, every input path must exist
/// and the scan's sources and frameworks must make sense (what `scan` needs).
pub fn load_with(
    path: Option<&Path>,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
    check_files: bool,
) -> anyhow::Result<Config> {
    let (table, source) = match path {
        Some(p) => (read(p)?, Some(p.to_path_buf())),
        None if Path::new("meshproof.toml").is_file() => (
            read(Path::new("meshproof.toml"))?,
            Some(PathBuf::from("meshproof.toml")),
        ),
        None => (toml::Table::new(), None),
    };
    let base = source
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut errors = Vec::new();
    let mut values = flatten(&table, &mut errors);
    for k in KEYS {
        if ENV_BY_FLAG.contains(&k.name) && k.section.is_empty() {
            continue;
        }
        let mut names = vec![k.env()];
        if k.section == "organisation" {
            names.push(k.env().replace("ORGANISATION", "ORGANIZATION"));
        }
        for name in names {
            if let Some(text) = env(&name) {
                values.insert(k.dotted(), (parse_text(&text), Origin::Env(name)));
            }
        }
    }
    for o in &overrides.set {
        match o.split_once('=') {
            Some((key, value)) => {
                let key = normalise(key.trim());
                if known(&key).is_none() {
                    errors.push(format!("--set {o}: unknown key {key} ({})", known_list(&key)));
                } else {
                    values.insert(key, (parse_text(value.trim()), Origin::Flag(format!("--set {o}"))));
                }
            }
            None => errors.push(format!(
                "--set {o}: expected KEY=VALUE, e.g. analysis.token_max_age_days=30"
            )),
        }
    }
    for (key, value, flag) in &overrides.flags {
        values.insert((*key).to_string(), (value.clone(), Origin::Flag((*flag).to_string())));
    }
    let mut config = Config {
        source: source.clone(),
        ..Config::default()
    };
    for (dotted, (value, origin)) in &values {
        let Some(k) = known(dotted) else { continue };
        let mut fail = |why: String| errors.push(format!("{dotted} ({origin}): {why}"));
        apply(&mut config, k, value, origin, &base, &mut fail);
    }
    if check_files {
        check_scan(&config, &values, &mut errors);
    }
    if !errors.is_empty() {
        let origin = source
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "configuration".into());
        anyhow::bail!(
            "{origin} is invalid ({} problem(s)):\n  - {}",
            errors.len(),
            errors.join("\n  - ")
        );
    }
    Ok(config)
}

fn read(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading configuration {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

/// `organization.x` is `organisation.x`.
fn normalise(dotted: &str) -> String {
    match dotted.strip_prefix("organization.") {
        Some(rest) => format!("organisation.{rest}"),
        None => dotted.to_string(),
    }
}

fn known(dotted: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.dotted() == dotted)
}

/// The keys of the section of `dotted`, or the sections, for an "unknown key" message.
fn known_list(dotted: &str) -> String {
    let section = dotted.split_once('.').map(|(s, _)| s).unwrap_or("");
    let names: Vec<&str> = KEYS.iter().filter(|k| k.section == section).map(|k| k.name).collect();
    if names.is_empty() {
        format!("known sections: {}", sections().join(", "))
    } else {
        format!("known: {}", names.join(", "))
    }
}

fn sections() -> Vec<&'static str> {
    let mut out: Vec<&str> = KEYS.iter().map(|k| k.section).filter(|s| !s.is_empty()).collect();
    out.dedup();
    out
}

/// The file's values by dotted key; unknown sections and keys are errors.
fn flatten(table: &toml::Table, errors: &mut Vec<String>) -> BTreeMap<String, (toml::Value, Origin)> {
    let mut out = BTreeMap::new();
    for (name, value) in table {
        let section = normalise(&format!("{name}.")).trim_end_matches('.').to_string();
        if known(name).is_some() {
            out.insert(name.clone(), (value.clone(), Origin::File));
            continue;
        }
        match value.as_table() {
            Some(t) if sections().contains(&section.as_str()) => {
                for (k, v) in t {
                    let dotted = format!("{section}.{k}");
                    if known(&dotted).is_some() {
                        out.insert(dotted, (v.clone(), Origin::File));
                    } else {
                        errors.push(format!("{dotted}: unknown key ({})", known_list(&dotted)));
                    }
                }
            }
            Some(_) => errors.push(format!("[{name}]: unknown section (known: {})", sections().join(", "))),
            None => errors.push(format!(
                "{name}: unknown top-level key (known: as_of, and the sections {})",
                sections().join(", ")
            )),
        }
    }
    out
}

/// A value typed in an environment variable or `--set`: TOML if it parses, else a string.
fn parse_text(text: &str) -> toml::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn as_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// A list of strings: an array, or a comma-separated string.
fn as_list(v: &toml::Value) -> Option<Vec<String>> {
    match v {
        toml::Value::Array(a) => a.iter().map(as_text).collect(),
        toml::Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

fn as_bool(v: &toml::Value) -> Option<bool> {
    match v {
        toml::Value::Boolean(b) => Some(*b),
        toml::Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "yes" | "true" => Some(true),
            "0" | "no" | "false" => Some(false),
            _ => None,
        },
        toml::Value::Integer(1) => Some(true),
        toml::Value::Integer(0) => Some(false),
        _ => None,
    }
}

fn as_count(v: &toml::Value) -> Option<u64> {
    v.as_integer().and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0)
}

/// A path as configured: relative input paths from the file resolve against its directory.
fn resolve(text: &str, kind: Kind, origin: &Origin, base: &Path) -> PathBuf {
    let p = PathBuf::from(text);
    if p.is_relative() && *origin == Origin::File && matches!(kind, Kind::Input | Kind::InputList) {
        base.join(p)
    } else {
        p
    }
}

const SEVERITIES: &str = "critical, high, medium, low or info";

fn apply(config: &mut Config, k: &Key, v: &toml::Value, origin: &Origin, base: &Path, fail: &mut dyn FnMut(String)) {
    let shown = |v: &toml::Value| v.to_string();
    match k.kind {
        Kind::Text => match as_text(v) {
            Some(s) if !s.trim().is_empty() => set_text(config, k, s),
            _ => fail(format!("must be a non-empty string, not {}", shown(v))),
        },
        Kind::Time => match as_text(v).map(|s| s.parse::<Timestamp>()) {
            Some(Ok(t)) => config.as_of = Some(t),
            _ => fail(format!(
                "must be an RFC 3339 time such as \"2026-12-01T00:00:00Z\", not {}",
                shown(v)
            )),
        },
        Kind::Input | Kind::Output => match as_text(v) {
            Some(s) if !s.is_empty() => {
                let p = resolve(&s, k.kind, origin, base);
                match k.dotted().as_str() {
                    "store.path" => config.store.path = Some(p),
                    "store.key" => config.store.key = Some(p),
                    "sources.kubeconfig" => config.sources.kubeconfig = Some(p),
                    "sources.waivers" => config.sources.waivers = Some(p),
                    "reports.out_dir" => config.reports.out_dir = p,
                    _ => config.reports.templates = Some(p),
                }
            }
            _ => fail(format!("must be a path (a non-empty string), not {}", shown(v))),
        },
        Kind::Bool => match as_bool(v) {
            Some(b) if k.name == "all_contexts" => config.sources.all_contexts = b,
            Some(b) => config.fail.on_gaps = b,
            None => fail(format!("must be true or false, not {}", shown(v))),
        },
        Kind::Count => match as_count(v) {
            Some(n) => {
                if let Err(why) = set_count(config, k, n) {
                    fail(why);
                }
            }
            None => fail(format!("must be a positive whole number, not {}", shown(v))),
        },
        Kind::Severity => match as_text(v).map(|s| s.parse::<Severity>()) {
            Some(Ok(s)) => config.analysis.unsigned_change_severity = s,
            _ => fail(format!("must be {SEVERITIES}, not {}", shown(v))),
        },
        Kind::FailOn => match as_text(v).map(|s| s.to_ascii_lowercase()) {
            Some(s) if s == "none" => config.fail.on = None,
            Some(s) => match s.parse::<Severity>() {
                Ok(sev) => config.fail.on = Some(sev),
                Err(_) => fail(format!("must be none, {SEVERITIES}, not {}", shown(v))),
            },
            None => fail(format!("must be none, {SEVERITIES}, not {}", shown(v))),
        },
        Kind::TextList | Kind::InputList => match as_list(v) {
            Some(list) => set_list(config, k, list, origin, base, fail),
            None => fail(format!("must be a list of strings, not {}", shown(v))),
        },
        Kind::Formats => match as_list(v) {
            Some(list) => {
                let mut formats = Vec::new();
                for name in &list {
                    match ReportFormat::from_str(name, true) {
                        Ok(f) if !formats.contains(&f) => formats.push(f),
                        Ok(_) => {}
                        Err(_) => fail(format!(
                            "unknown format {name:?} (known: pdf, html, csv, json, md, oscal)"
                        )),
                    }
                }
                config.reports.formats = formats;
            }
            None => fail(format!("must be a list of formats, not {}", shown(v))),
        },
    }
}

fn set_text(config: &mut Config, k: &Key, s: String) {
    match k.dotted().as_str() {
        "organisation.name" => config.organisation = Some(s),
        "sources.in_cluster" => config.sources.in_cluster = Some(s),
        _ => config.sources.git_ref = Some(s),
    }
}

fn set_count(config: &mut Config, k: &Key, n: u64) -> Result<(), String> {
    let days = || i64::try_from(n).map_err(|_| format!("{n} is too large"));
    let a = &mut config.analysis;
    let s = &mut config.sources;
    match k.dotted().as_str() {
        "store.lock_timeout" => config.store.lock_timeout = n,
        "sources.concurrency" => s.concurrency = u16::try_from(n).map_err(|_| format!("{n} is too large"))?,
        "sources.page_size" => s.page_size = u32::try_from(n).map_err(|_| format!("{n} is too large"))?,
        "sources.request_timeout" => s.request_timeout = n,
        "sources.max_file_size" => s.max_file_size = n,
        "analysis.intermediate_expiry_days" => a.intermediate_expiry_days = days()?,
        "analysis.root_expiry_days" => a.root_expiry_days = days()?,
        "analysis.intermediate_max_age_days" => a.intermediate_max_age_days = days()?,
        "analysis.root_max_age_days" => a.root_max_age_days = days()?,
        "analysis.token_max_age_days" => a.token_max_age_days = days()?,
        _ => a.token_max_lifetime_days = days()?,
    }
    Ok(())
}

fn set_list(
    config: &mut Config,
    k: &Key,
    list: Vec<String>,
    origin: &Origin,
    base: &Path,
    fail: &mut dyn FnMut(String),
) {
    let paths = |list: &[String]| -> Vec<PathBuf> { list.iter().map(|s| resolve(s, k.kind, origin, base)).collect() };
    match k.dotted().as_str() {
        "sources.from" => config.sources.from = paths(&list),
        "sources.git" => config.sources.git = paths(&list),
        "sources.contexts" => config.sources.contexts = list,
        "sources.git_paths" => config.sources.git_paths = list,
        "analysis.gitops_identities" => config.analysis.gitops_identities = list,
        "reports.frameworks" => {
            if list.is_empty() {
                fail("must name at least one framework (or \"all\")".into());
            }
            config.reports.frameworks = list;
        }
        _ => {
            let mut logs = Vec::new();
            for entry in list {
                match entry.split_once('=') {
                    Some((cluster, file)) if !cluster.is_empty() && !file.is_empty() => {
                        let path = PathBuf::from(file);
                        let path = if path.is_relative() && *origin == Origin::File {
                            base.join(path)
                        } else {
                            path
                        };
                        logs.push((cluster.to_string(), path));
                    }
                    _ => fail(format!(
                        "{entry:?}: expected CLUSTER=FILE, e.g. \"mgmt=/var/log/kube-apiserver/audit.log\""
                    )),
                }
            }
            config.sources.audit_logs = logs;
        }
    }
}

/// What `scan` needs beyond types: sources that exist, no contradictions, known frameworks.
fn check_scan(config: &Config, values: &BTreeMap<String, (toml::Value, Origin)>, errors: &mut Vec<String>) {
    let origin = |key: &str| {
        values
            .get(key)
            .map(|(_, o)| o.to_string())
            .unwrap_or_else(|| "default".into())
    };
    let s = &config.sources;
    if s.is_empty() {
        errors.push(
            "[sources]: nothing to collect; set from (dump directories), contexts / all_contexts / in_cluster \
             (live clusters), audit_logs and/or git"
                .into(),
        );
    }
    if !s.contexts.is_empty() && s.all_contexts {
        errors.push("sources.contexts and sources.all_contexts exclude each other; set one".into());
    }
    let mut missing = |key: &str, path: &Path, dir: bool| {
        let ok = if dir { path.is_dir() } else { path.is_file() };
        if !ok {
            let what = if dir { "directory" } else { "file" };
            errors.push(format!(
                "{key} ({}): {} is not a readable {what}",
                origin(key),
                path.display()
            ));
        }
    };
    for p in &s.from {
        missing("sources.from", p, true);
    }
    for p in &s.git {
        missing("sources.git", p, true);
    }
    for (_, p) in &s.audit_logs {
        missing("sources.audit_logs", p, false);
    }
    if let Some(p) = &s.waivers {
        missing("sources.waivers", p, false);
    }
    if let Some(p) = &s.kubeconfig {
        missing("sources.kubeconfig", p, false);
    }
    if let Some(p) = &config.reports.templates {
        missing("reports.templates", p, true);
    }
    if config.reports.templates.as_deref().is_none_or(Path::is_dir) {
        match crate::report::frameworks::load(config.reports.templates.as_deref()) {
            Ok(catalogues) => {
                for id in &config.reports.frameworks {
                    if let Err(e) = crate::report::frameworks::select(&catalogues, id) {
                        errors.push(format!("reports.frameworks ({}): {e}", origin("reports.frameworks")));
                    }
                }
            }
            Err(e) => errors.push(format!("reports.templates: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("m.toml");
        std::fs::write(&path, text).unwrap_or_else(|e| unreachable!("{e}"));
        (dir, path)
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn every_error_is_listed_at_once() {
        let (_dir, path) = write(
            "[analysis]\ntoken_max_age_days = -3\nroot_expiry_days = \"soon\"\nbogus = 1\nunsigned_change_severity = \"urgent\"\n[typo]\nx = 1\n[reports]\nformats = [\"pdf\", \"docx\"]\n[fail]\non = \"severe\"\non_gaps = \"maybe\"\n[sources]\nfrom = [\"nowhere\"]\n",
        );
        let layers = Overrides {
            set: vec!["analysis.intermediate_expiry_days=0".into()],
            flags: Vec::new(),
        };
        let err = load_with(Some(&path), &layers, &no_env, true)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for needle in [
            "token_max_age_days",
            "root_expiry_days",
            "bogus",
            "unsigned_change_severity",
            "[typo]",
            "intermediate_expiry_days",
            "docx",
            "fail.on (in the file)",
            "fail.on_gaps",
            "nowhere",
        ] {
            assert!(err.contains(needle), "{needle} missing from:\n{err}");
        }
    }

    #[test]
    fn overrides_replace_file_values() {
        let (_dir, path) = write("[organisation]\nname = \"Acme\"\n[analysis]\ntoken_max_age_days = 60\n");
        let c = load(Some(&path), &["analysis.token_max_age_days=30".into()]).ok();
        assert_eq!(c.as_ref().map(|c| c.analysis.token_max_age_days), Some(30));
        assert_eq!(c.and_then(|c| c.organisation), Some("Acme".into()));
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let (_dir, path) = write("[fail]\non = \"low\"\n[reports]\nout_dir = \"file-out\"\nformats = [\"csv\"]\n");
        let env = |name: &str| match name {
            "MESHPROOF_FAIL_ON" => Some("medium".to_string()),
            "MESHPROOF_REPORTS_OUT_DIR" => Some("env-out".to_string()),
            _ => None,
        };
        let flags = Overrides {
            set: Vec::new(),
            flags: vec![("fail.on", toml::Value::String("critical".into()), "--fail-on")],
        };
        let c = load_with(Some(&path), &flags, &env, false).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(c.fail.on, Some(Severity::Critical), "flag over env");
        assert_eq!(c.reports.out_dir, PathBuf::from("env-out"), "env over file");
        assert_eq!(c.reports.formats, vec![ReportFormat::Csv], "file over default");
        assert!(!c.fail.on_gaps, "default");
    }

    #[test]
    fn input_paths_resolve_against_the_file_and_outputs_against_the_working_directory() {
        let (dir, path) = write("[sources]\nfrom = \"mesh\"\nwaivers = \"w.toml\"\n[reports]\nout_dir = \"out\"\n");
        let env = |name: &str| (name == "MESHPROOF_SOURCES_GIT").then(|| "repo.git".to_string());
        let c = load_with(Some(&path), &Overrides::default(), &env, false).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(c.sources.from, vec![dir.path().join("mesh")]);
        assert_eq!(c.sources.waivers, Some(dir.path().join("w.toml")));
        assert_eq!(
            c.sources.git,
            vec![PathBuf::from("repo.git")],
            "env paths are cwd-relative"
        );
        assert_eq!(c.reports.out_dir, PathBuf::from("out"));
    }

    #[test]
    fn env_names_follow_the_rule() {
        let names: Vec<String> = KEYS.iter().map(Key::env).collect();
        assert!(names.contains(&"MESHPROOF_FAIL_ON_GAPS".to_string()));
        assert!(names.contains(&"MESHPROOF_ANALYSIS_TOKEN_MAX_AGE_DAYS".to_string()));
        assert!(names.contains(&"MESHPROOF_AS_OF".to_string()));
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }
}
