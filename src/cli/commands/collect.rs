//! `meshproof collect`: one scan from a dump directory and/or GitOps repositories into the store.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};

use super::{ExitStatus, key_path};
use crate::cli::args::CollectArgs;
use crate::cli::output::{self, Format};
use crate::cli::progress::Progress;
use crate::collect::git_history::{self, GitOptions};
use crate::collect::kube_dump;
use crate::model::{Observation, Timestamp, kinds};
use crate::store::{RecordFilter, Signer, Store};

pub(super) fn run(
    store_path: &Path,
    at: Timestamp,
    args: CollectArgs,
    show_progress: bool,
) -> anyhow::Result<ExitStatus> {
    if args.from.is_none() && args.git.is_empty() {
        anyhow::bail!(
            "nothing to collect: pass --from DIR (kubectl dumps, one folder per cluster) and/or --git PATH (a GitOps repository)"
        );
    }
    // Check every source before touching the store: a wrong path should not leave a scan behind.
    let clusters = match &args.from {
        Some(dir) => list_cluster_dirs(dir)?,
        None => Vec::new(),
    };
    let mut repos = git_sources(&args)?;
    let waiver_file = args.waivers.as_deref().map(crate::cli::waiver_file::load).transpose()?;
    let key = key_path(store_path, args.key.as_deref());
    let signer = Signer::load_or_create(&key).context("loading the signing key")?;
    let mut store =
        Store::open(store_path).with_context(|| format!("opening evidence store {}", store_path.display()))?;
    store.set_lock_timeout(Duration::from_secs(args.lock_timeout));

    let mut known: BTreeSet<String> = clusters.iter().cloned().collect();
    if !repos.is_empty() {
        known.extend(stored_clusters(&store)?);
    }
    let mut sources = Vec::new();
    if let Some(dir) = &args.from {
        sources.push(json!({"type": "kube-dump", "path": dir.display().to_string(), "clusters": clusters}));
    }
    for repo in &mut repos {
        repo.options.known_clusters = known.iter().cloned().collect();
        repo.since = previous_head(&store, &repo.options)?;
        sources.push(json!({
            "type": "git",
            "path": repo.path.display().to_string(),
            "name": repo.options.name,
            "reference": repo.options.reference,
            "path_globs": repo.options.path_globs,
        }));
    }
    if let Some(w) = &waiver_file {
        sources.push(json!({"type": "waivers", "file": w.file, "sha256": w.sha256, "waivers": w.waivers.len()}));
    }
    let info = json!({"sources": sources, "max_file_size": args.max_file_size});
    let mut scan = store.begin_scan(at, info)?;
    let mut bars = Progress::new(show_progress, clusters.len());
    let summary = match &args.from {
        Some(dir) => {
            bars.phase(&format!("reading dumps from {}", dir.display()));
            let options = kube_dump::Options {
                max_file_size: args.max_file_size,
            };
            let collected = kube_dump::collect(dir, &options, &mut bars.sink(&mut scan))
                .with_context(|| format!("collecting from {}", dir.display()))?;
            bars.clusters_done();
            Some(collected)
        }
        None => None,
    };
    let mut git = Vec::new();
    for repo in &repos {
        bars.phase(&format!("walking git history of {}", repo.path.display()));
        let collected = git_history::collect(
            &repo.path,
            &repo.options,
            repo.since.as_deref(),
            &mut bars.sink(&mut scan),
        )
        .with_context(|| format!("collecting git history from {}", repo.path.display()))?;
        git.push(collected);
    }
    bars.phase("writing the hash chain and checkpoint");
    if let Some(w) = &waiver_file {
        scan.add(Observation {
            source: "waivers".into(),
            kind: kinds::WAIVER_FILE,
            subject: format!("waivers/{}", w.file),
            body: serde_json::to_value(w)?,
        })?;
    }
    let finished = scan.finish(&signer)?;
    bars.finish();
    tracing::info!(scan = finished.scan, appended = finished.appended, "scan finished");
    let gaps = summary.as_ref().map_or(0, kube_dump::Summary::gaps) + git.iter().map(|g| g.gaps).sum::<u64>();

    match args.output {
        Format::Json | Format::Yaml => {
            let v = json!({"scan": finished, "collected": summary, "git": git});
            if args.output == Format::Json {
                output::print_json(&v)?
            } else {
                output::print_yaml(&v)?
            }
        }
        Format::Table | Format::Csv => {
            let rows: Vec<Vec<String>> = summary
                .iter()
                .flat_map(|s| &s.clusters)
                .map(|c| {
                    vec![
                        c.cluster.clone(),
                        c.files.to_string(),
                        c.objects.to_string(),
                        c.skipped.to_string(),
                        c.audit_events.to_string(),
                        c.gaps.to_string(),
                    ]
                })
                .collect();
            let headers = ["CLUSTER", "FILES", "OBJECTS", "SKIPPED", "AUDIT EVENTS", "GAPS"];
            let git_rows: Vec<Vec<String>> = git
                .iter()
                .map(|g| {
                    vec![
                        g.repo.clone(),
                        g.reference.clone(),
                        g.head
                            .as_deref()
                            .map(|h| h.chars().take(12).collect())
                            .unwrap_or_else(|| "-".into()),
                        g.commits_walked.to_string(),
                        g.evidence_commits.to_string(),
                        g.skipped_commits.to_string(),
                        g.gaps.to_string(),
                    ]
                })
                .collect();
            let git_headers = ["REPO", "REF", "HEAD", "WALKED", "EVIDENCE COMMITS", "SKIPPED", "GAPS"];
            if args.output == Format::Csv {
                if summary.is_some() {
                    output::print(&output::csv(&headers, &rows)?)?;
                }
                if !git.is_empty() {
                    output::print(&output::csv(&git_headers, &git_rows)?)?;
                }
            } else {
                let mut text = String::new();
                if summary.is_some() {
                    text.push_str(&output::table(&headers, &rows));
                }
                if !git.is_empty() {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&output::table(&git_headers, &git_rows));
                    for g in &git {
                        if let Some(reason) = &g.full_walk_reason {
                            text.push_str(&format!("{}: {reason}\n", g.repo));
                        }
                    }
                }
                text.push_str(&format!(
                    "\nscan {} collected at {}: {} records appended ({} objects unchanged since scan {}, {} removed), {} gap(s)\nhead {}\ncheckpoint: tree size {}, root {}\n",
                    finished.scan,
                    at,
                    finished.appended,
                    finished.unchanged,
                    finished.base.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
                    finished.removed,
                    gaps,
                    finished.head,
                    finished.tree_size,
                    finished.root,
                ));
                if gaps > 0 {
                    text.push_str("gaps recorded: see `meshproof evidence list --kind collection.gap`\n");
                }
                output::print(&text)?;
            }
        }
    }
    Ok(if summary.as_ref().is_some_and(|s| s.kept() == 0) {
        ExitStatus::Error
    } else if gaps > 0 {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
}

/// One `--git` repository to collect.
struct GitSource {
    path: PathBuf,
    options: GitOptions,
    since: Option<String>,
}

/// The `--git` repositories, each checked (a repository, a known reference, valid patterns).
fn git_sources(args: &CollectArgs) -> anyhow::Result<Vec<GitSource>> {
    let mut out: Vec<GitSource> = Vec::new();
    for path in &args.git {
        let options = GitOptions {
            name: git_history::repo_name(path),
            reference: args.git_ref.clone().unwrap_or_else(|| "HEAD".into()),
            path_globs: args.git_path.clone(),
            known_clusters: Vec::new(),
            max_blob_size: args.max_file_size,
        };
        if let Some(other) = out.iter().find(|o| o.options.name == options.name) {
            anyhow::bail!(
                "--git {} and --git {} have the same repository name {:?}; rename one directory",
                other.path.display(),
                path.display(),
                options.name
            );
        }
        git_history::probe(path, &options).with_context(|| format!("checking git repository {}", path.display()))?;
        out.push(GitSource {
            path: path.clone(),
            options,
            since: None,
        });
    }
    Ok(out)
}

/// Cluster names of the latest complete scan that observed Kubernetes objects (first segment of
/// its `k8s.object` subjects); a git-only scan in between observes none, so look past it.
fn stored_clusters(store: &Store) -> anyhow::Result<BTreeSet<String>> {
    let mut clusters = BTreeSet::new();
    let scans = store.scans()?;
    for scan in scans.iter().rev().filter(|s| s.complete).take(HEAD_LOOKBACK) {
        for seq in store.view_seqs(scan.scan)? {
            if let Some(record) = store.record(seq, false)?
                && record.header.kind == kinds::K8S_OBJECT
                && let Some(cluster) = record.header.subject.split('/').next()
            {
                clusters.insert(cluster.to_string());
            }
        }
        if !clusters.is_empty() {
            break;
        }
    }
    Ok(clusters)
}

/// How many complete scans back to look for a repository's previous head.
const HEAD_LOOKBACK: usize = 20;

/// The head the latest complete scan that collected this repository (same reference and path
/// patterns) reached, from its `git/<name>/note` record.
fn previous_head(store: &Store, options: &GitOptions) -> anyhow::Result<Option<String>> {
    let subject = format!("git/{}/note", options.name);
    let filter = RecordFilter {
        kind: Some(kinds::COLLECTION_NOTE.to_string()),
        cluster: None,
        subject_prefix: Some(subject.clone()),
    };
    let scans = store.scans()?;
    for scan in scans.iter().rev().filter(|s| s.complete).take(HEAD_LOOKBACK) {
        for record in store.list(scan.scan, &filter)? {
            if record.header.subject != subject {
                continue;
            }
            let Some(body) = record.body else { continue };
            let same_walk = body.get("reference").and_then(Value::as_str) == Some(options.reference.as_str())
                && body.get("path_globs") == Some(&json!(options.path_globs));
            if !same_walk {
                return Ok(None);
            }
            return Ok(body.get("head").and_then(Value::as_str).map(str::to_string));
        }
    }
    Ok(None)
}

fn list_cluster_dirs(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read dump directory {}", dir.display()))?;
    let mut clusters = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read dump directory {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_dir()) {
            clusters.push(name);
        }
    }
    clusters.sort();
    if clusters.is_empty() {
        anyhow::bail!(
            "{} has no cluster folders: expected one subdirectory per cluster (DIR/<cluster>/…) holding kubectl output",
            dir.display()
        );
    }
    Ok(clusters)
}
