//! `meshproof collect`: one scan from dump directories, live clusters and/or GitOps repositories into the store.

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
use crate::collect::{kube_dump, kube_live};
use crate::model::{Observation, RecordSink as _, Timestamp, kinds};
use crate::store::{RecordFilter, Signer, Store};

/// What one collection did.
pub(super) struct Collected {
    /// The finished scan.
    pub finished: crate::store::ScanSummary,
    /// Dump directories, merged.
    pub dumps: Option<kube_dump::Summary>,
    /// Live clusters.
    pub live: Option<kube_live::Summary>,
    /// Audit events read from `--audit-log` files.
    pub audit_events: u64,
    /// Git repositories walked.
    pub git: Vec<git_history::GitSummary>,
    /// Gaps recorded, all sources.
    pub gaps: u64,
    /// Exit status of `collect`: 2 when cluster sources kept nothing, 3 with gaps.
    pub status: ExitStatus,
}

pub(super) fn run(
    store_path: &Path,
    at: Timestamp,
    args: CollectArgs,
    show_progress: bool,
) -> anyhow::Result<ExitStatus> {
    let c = execute(store_path, at, &args, show_progress)?;
    print(&c, at, args.output)?;
    Ok(c.status)
}

/// Collects one scan into the store (creating it and the key when absent).
pub(super) fn execute(
    store_path: &Path,
    at: Timestamp,
    args: &CollectArgs,
    show_progress: bool,
) -> anyhow::Result<Collected> {
    let wants_live = !args.contexts.is_empty() || args.all_contexts || args.in_cluster.is_some();
    if args.from.is_empty() && args.git.is_empty() && !wants_live && args.audit_logs.is_empty() {
        anyhow::bail!(
            "nothing to collect: pass --from DIR (kubectl dumps, one folder per cluster), --context NAME / \
             --all-contexts / --in-cluster NAME (live clusters) and/or --git PATH (a GitOps repository)"
        );
    }
    // Check every source before touching the store: a wrong path should not leave a scan behind.
    let mut clusters: Vec<String> = Vec::new();
    for dir in &args.from {
        for cluster in list_cluster_dirs(dir)? {
            if clusters.contains(&cluster) {
                anyhow::bail!(
                    "cluster {cluster} has a folder in more than one dump directory ({}); cluster names must differ",
                    dir.display()
                );
            }
            clusters.push(cluster);
        }
    }
    let audit_logs = audit_log_sources(&args.audit_logs)?;
    let mut repos = git_sources(args)?;
    let waiver_file = args.waivers.as_deref().map(crate::cli::waiver_file::load).transpose()?;
    let live = LivePlan::from_args(args)?;
    if let Some(clash) = live.targets.iter().find(|t| clusters.contains(&t.cluster)) {
        anyhow::bail!(
            "cluster {} is both a folder of --from and a live cluster; rename the live one with --context NAME=ALIAS",
            clash.cluster
        );
    }
    // Live clusters are read before the store is locked; their records come in cluster order.
    let mut live_records: Vec<Observation> = Vec::new();
    let live_summary = if live.targets.is_empty() {
        None
    } else {
        let options = kube_live::Options {
            page_size: args.page_size,
            concurrency: usize::from(args.concurrency),
            request_timeout: Duration::from_secs(args.request_timeout),
            ..Default::default()
        };
        Some(
            kube_live::collect(&live.targets, live.kubeconfig.as_ref(), &options, &mut live_records)
                .context("collecting from live clusters")?,
        )
    };
    let key = key_path(store_path, args.key.as_deref());
    let signer = Signer::load_or_create(&key).context("loading the signing key")?;
    let mut store =
        Store::open(store_path).with_context(|| format!("opening evidence store {}", store_path.display()))?;
    store.set_lock_timeout(Duration::from_secs(args.lock_timeout));

    let mut known: BTreeSet<String> = clusters.iter().cloned().collect();
    known.extend(live.targets.iter().map(|t| t.cluster.clone()));
    if !repos.is_empty() {
        known.extend(stored_clusters(&store)?);
    }
    let mut sources = Vec::new();
    for dir in &args.from {
        let clusters = list_cluster_dirs(dir)?;
        sources.push(json!({"type": "kube-dump", "path": dir.display().to_string(), "clusters": clusters}));
    }
    if !live.targets.is_empty() {
        let clusters: Vec<_> = live.targets.iter().map(target_info).collect();
        sources.push(json!({"type": "kube-live", "clusters": clusters}));
    }
    for (cluster, paths) in &audit_logs {
        let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        sources.push(json!({"type": "audit-log", "cluster": cluster, "paths": paths}));
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
    let mut summary: Option<kube_dump::Summary> = None;
    for dir in &args.from {
        bars.phase(&format!("reading dumps from {}", dir.display()));
        let options = kube_dump::Options {
            max_file_size: args.max_file_size,
        };
        let collected = kube_dump::collect(dir, &options, &mut bars.sink(&mut scan))
            .with_context(|| format!("collecting from {}", dir.display()))?;
        bars.clusters_done();
        match &mut summary {
            Some(s) => {
                s.clusters.extend(collected.clusters);
                s.stray_gaps += collected.stray_gaps;
            }
            None => summary = Some(collected),
        }
    }
    for target in &live.targets {
        scan.declare_cluster(&target.cluster)?;
    }
    for record in live_records {
        scan.observe(record)?;
    }
    let (mut audit_events, mut audit_gaps) = (0u64, 0u64);
    for (cluster, paths) in &audit_logs {
        let (events, gaps) = crate::collect::audit_log::collect_files(cluster, paths, &mut scan)?;
        audit_events += events;
        audit_gaps += gaps;
    }
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
    let (live_kept, live_gaps) = live_summary.as_ref().map(|s| (s.kept(), s.gaps())).unwrap_or_default();
    let gaps = summary.as_ref().map_or(0, kube_dump::Summary::gaps)
        + live_gaps
        + audit_gaps
        + git.iter().map(|g| g.gaps).sum::<u64>();
    let cluster_sources = summary.is_some() || live_summary.is_some();
    let kept = summary.as_ref().map_or(0, kube_dump::Summary::kept) + live_kept;
    let status = if cluster_sources && kept == 0 {
        ExitStatus::Error
    } else if gaps > 0 {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    };
    Ok(Collected {
        finished,
        dumps: summary,
        live: live_summary,
        audit_events,
        git,
        gaps,
        status,
    })
}

fn print(c: &Collected, at: Timestamp, format: Format) -> anyhow::Result<()> {
    let (finished, summary, live_summary, audit_events, git, gaps) =
        (&c.finished, &c.dumps, &c.live, c.audit_events, &c.git, c.gaps);
    match format {
        Format::Json | Format::Yaml => {
            let v = json!({"scan": finished, "collected": summary, "live": live_summary, "audit_events": audit_events, "git": git});
            if format == Format::Json {
                output::print_json(&v)?
            } else {
                output::print_yaml(&v)?
            }
        }
        Format::Table | Format::Csv => {
            let mut rows: Vec<Vec<String>> = summary
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
            for c in live_summary.iter().flat_map(|s| &s.clusters) {
                rows.push(vec![
                    c.cluster.clone(),
                    "(live)".into(),
                    c.objects.to_string(),
                    c.skipped.to_string(),
                    "-".into(),
                    c.gaps.to_string(),
                ]);
            }
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
            if format == Format::Csv {
                if !rows.is_empty() {
                    output::print(&output::csv(&headers, &rows)?)?;
                }
                if !git.is_empty() {
                    output::print(&output::csv(&git_headers, &git_rows)?)?;
                }
            } else {
                let mut text = String::new();
                if !rows.is_empty() {
                    text.push_str(&output::table(&headers, &rows));
                }
                if !git.is_empty() {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&output::table(&git_headers, &git_rows));
                    for g in git {
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
    Ok(())
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

/// The live clusters asked for, and the kubeconfig they come from.
struct LivePlan {
    targets: Vec<kube_live::Target>,
    kubeconfig: Option<kube::config::Kubeconfig>,
}

impl LivePlan {
    fn from_args(args: &CollectArgs) -> anyhow::Result<LivePlan> {
        let mut targets = Vec::new();
        let mut kubeconfig = None;
        if !args.contexts.is_empty() || args.all_contexts {
            let paths = kubeconfig_paths(args.kubeconfig.as_deref());
            let kc = kube_live::read_kubeconfig(&paths).with_context(|| {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("reading kubeconfig ({})", shown.join(", "))
            })?;
            let contexts: Vec<(String, String)> = if args.all_contexts {
                kube_live::context_names(&kc)
                    .into_iter()
                    .map(|c| (c.clone(), c))
                    .collect()
            } else {
                args.contexts
                    .iter()
                    .map(|c| match c.split_once('=') {
                        Some((name, alias)) => (name.to_string(), alias.to_string()),
                        None => (c.clone(), c.clone()),
                    })
                    .collect()
            };
            if contexts.is_empty() {
                anyhow::bail!("the kubeconfig defines no contexts");
            }
            for (context, cluster) in contexts {
                targets.push(kube_live::Target {
                    cluster,
                    access: kube_live::Access::Context(context),
                });
            }
            kubeconfig = Some(kc);
        }
        if let Some(name) = &args.in_cluster {
            targets.push(kube_live::Target {
                cluster: name.clone(),
                access: kube_live::Access::InCluster,
            });
        }
        for t in &targets {
            check_cluster_name(&t.cluster)?;
        }
        Ok(LivePlan { targets, kubeconfig })
    }
}

/// `--kubeconfig`, else the existing files of `KUBECONFIG` (kubectl's merge order), else
/// `~/.kube/config`.
fn kubeconfig_paths(arg: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = arg {
        return vec![path.to_path_buf()];
    }
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty() && p.exists())
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    vec![home.join(".kube").join("config")]
}

fn check_cluster_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@'));
    if !ok {
        anyhow::bail!(
            "cluster name {name:?} cannot be used in subjects: use letters, digits, '-', '_', '.', ':' or '@' (rename with --context NAME=ALIAS)"
        );
    }
    Ok(())
}

fn target_info(t: &kube_live::Target) -> serde_json::Value {
    match &t.access {
        kube_live::Access::Context(c) => json!({"cluster": t.cluster, "context": c}),
        _ => json!({"cluster": t.cluster, "in_cluster": true}),
    }
}

/// `--audit-log CLUSTER=FILE` values, checked before the store is touched.
fn audit_log_sources(values: &[String]) -> anyhow::Result<std::collections::BTreeMap<String, Vec<PathBuf>>> {
    let mut out: std::collections::BTreeMap<String, Vec<PathBuf>> = std::collections::BTreeMap::new();
    for v in values {
        let Some((cluster, file)) = v.split_once('=') else {
            anyhow::bail!(
                "--audit-log {v}: expected CLUSTER=FILE, e.g. --audit-log mgmt=/var/log/kube-apiserver/audit.log"
            );
        };
        check_cluster_name(cluster)?;
        let path = PathBuf::from(file);
        if !path.is_file() {
            anyhow::bail!("--audit-log {v}: {} is not a readable file", path.display());
        }
        out.entry(cluster.to_string()).or_default().push(path);
    }
    Ok(out)
}
