//! One file per subcommand. Each takes parsed arguments, calls the library with plain values and
//! returns an [`ExitStatus`].

mod collect;
mod completions;
mod dev;
mod diff;
mod evidence;
mod export;
mod findings;
mod key;
mod man;
mod report;
mod scan;
mod scans;
mod timeline;
mod verify;
mod who_added;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::ExitStatus;
use super::args::{Cli, Command, DevCommand, EvidenceCommand, KeyCommand};
use crate::model::Timestamp;
use crate::store::Store;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let raw = &cli.global;
    let g = &Global {
        store: raw.store.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_STORE)),
        as_of: raw.as_of.clone(),
        quiet: raw.quiet,
        config: raw.config.clone(),
        overrides: raw.overrides.clone(),
    };
    match cli.command {
        Command::Scan(args) => scan::run(raw, args),
        Command::Collect(args) => collect::run(&g.store, as_of(g.as_of.as_deref())?, args, !g.quiet),
        Command::Verify(args) => verify::run(&g.store, args),
        Command::Scans(args) => scans::run(&g.store, args),
        Command::Evidence(EvidenceCommand::List(args)) => evidence::list(&g.store, args),
        Command::Evidence(EvidenceCommand::Show(args)) => evidence::show(&g.store, args),
        Command::Key(KeyCommand::Public(args)) => key::public(&key_path(&g.store, args.key.as_deref())),
        Command::Key(KeyCommand::Generate(args)) => key::generate(&key_path(&g.store, args.key.as_deref())),
        Command::Export(args) => export::run(&g.store, as_of(g.as_of.as_deref())?, &config(g)?, args),
        Command::Findings(args) => findings::run(&g.store, as_of(g.as_of.as_deref())?, &config(g)?, args),
        Command::WhoAdded(args) => who_added::run(&g.store, as_of(g.as_of.as_deref())?, args),
        Command::Timeline(args) => timeline::run(&g.store, as_of(g.as_of.as_deref())?, args),
        Command::Diff(args) => diff::run(&g.store, &config(g)?, args),
        Command::Completions(args) => completions::run(args),
        Command::Man => man::run(),
        Command::Dev(DevCommand::GenMesh(args)) => dev::gen_mesh(args),
        Command::Report(args) => report::run(&g.store, as_of(g.as_of.as_deref())?, &config(g)?, g.quiet, args),
    }
}

/// The store every command uses when `--store` is not given.
pub(crate) const DEFAULT_STORE: &str = "meshproof.db";

/// The global options with the store resolved.
struct Global {
    store: PathBuf,
    as_of: Option<String>,
    quiet: bool,
    config: Option<PathBuf>,
    overrides: Vec<String>,
}

/// `--as-of`, or the wall clock read once (the only place below `main` that reads it).
fn as_of(flag: Option<&str>) -> anyhow::Result<Timestamp> {
    match flag {
        Some(text) => text.parse().context("invalid --as-of"),
        #[allow(clippy::disallowed_methods)] // the one place that reads the clock
        None => Ok(Timestamp(chrono::Utc::now())),
    }
}

fn config(g: &Global) -> anyhow::Result<super::settings::Config> {
    super::settings::load(g.config.as_deref(), &g.overrides)
}

fn key_path(store: &Path, key: Option<&Path>) -> PathBuf {
    key.map(Path::to_path_buf)
        .unwrap_or_else(|| Store::default_key_path(store))
}

/// The scan to read: `--scan N` when it exists and is complete, else the latest complete scan.
/// An unknown or incomplete scan is an error that lists the scans there are.
fn resolve_scan(store: &Store, flag: Option<u64>) -> anyhow::Result<u64> {
    // The common cases in two index lookups; listing every scan reads the whole store.
    match flag {
        Some(n) if store.scan_complete(n)? == Some(true) => return Ok(n),
        None => {
            if let Ok(n) = store.latest_complete_scan() {
                return Ok(n);
            }
        }
        Some(_) => {}
    }
    let scans = store.scans()?;
    let available = || {
        let complete: Vec<String> = scans
            .iter()
            .filter(|s| s.complete)
            .map(|s| s.scan.to_string())
            .collect();
        if complete.is_empty() {
            "the store has no complete scan yet: run `meshproof collect` first".to_string()
        } else {
            format!("complete scans: {} (see `meshproof scans`)", complete.join(", "))
        }
    };
    match flag {
        Some(n) => match scans.iter().find(|s| s.scan == n) {
            Some(s) if s.complete => Ok(n),
            Some(_) => anyhow::bail!(
                "scan {n} is incomplete (its collection was interrupted); {}",
                available()
            ),
            None => anyhow::bail!("there is no scan {n}; {}", available()),
        },
        None => match scans.iter().rev().find(|s| s.complete) {
            Some(s) => Ok(s.scan),
            None => anyhow::bail!("{}", available()),
        },
    }
}

/// The latest complete scan before `scan`, if any: what "the previous scan" means to `diff` and
/// to the changes appendix of `report`.
fn previous_scan(store: &Store, scan: u64) -> anyhow::Result<Option<u64>> {
    Ok(store
        .scans()?
        .iter()
        .rev()
        .find(|s| s.complete && s.scan < scan)
        .map(|s| s.scan))
}

fn open_store(path: &Path) -> anyhow::Result<Store> {
    Store::open_existing(path).with_context(|| format!("opening evidence store {}", path.display()))
}

/// Reads a public key file (note format) given with `--pubkey`.
fn read_pubkey(path: Option<&Path>) -> anyhow::Result<Option<crate::store::NoteVerifier>> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading public key {}", path.display()))?;
    Ok(Some(
        crate::store::NoteVerifier::parse(&text).with_context(|| format!("public key {}", path.display()))?,
    ))
}
