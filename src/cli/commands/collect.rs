//! `meshproof collect`: one scan from dump directories and/or live clusters into the store.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;

use super::{ExitStatus, key_path};
use crate::cli::args::CollectArgs;
use crate::cli::output::{self, Format};
use crate::collect::{kube_dump, kube_live};
use crate::model::{Observation, Timestamp};
use crate::store::{Signer, Store};

pub(super) fn run(store_path: &Path, at: Timestamp, args: CollectArgs) -> anyhow::Result<ExitStatus> {
    // Check the sources before touching the store: a wrong path should not leave a scan behind.
    let clusters = match &args.from {
        Some(dir) => list_cluster_dirs(dir)?,
        None => Vec::new(),
    };
    let live = LivePlan::from_args(&args)?;
    if let Some(clash) = live.targets.iter().find(|t| clusters.contains(&t.cluster)) {
        anyhow::bail!(
            "cluster {} is both a folder of --from and a live cluster; rename the live one with --context NAME=ALIAS",
            clash.cluster
        );
    }
    let key = key_path(store_path, args.key.as_deref());
    let signer = Signer::load_or_create(&key).context("loading the signing key")?;
    // Live clusters are read before the store is locked; their records are already sorted.
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
    let mut store =
        Store::open(store_path).with_context(|| format!("opening evidence store {}", store_path.display()))?;
    store.set_lock_timeout(Duration::from_secs(args.lock_timeout));
    let mut sources = Vec::new();
    if let Some(dir) = &args.from {
        sources.push(json!({"type": "kube-dump", "path": dir.display().to_string(), "clusters": clusters}));
    }
    if !live.targets.is_empty() {
        let clusters: Vec<_> = live.targets.iter().map(target_info).collect();
        sources.push(json!({"type": "kube-live", "clusters": clusters}));
    }
    let info = json!({"sources": sources, "max_file_size": args.max_file_size});
    let mut scan = store.begin_scan(at, info)?;
    let options = kube_dump::Options {
        max_file_size: args.max_file_size,
    };
    let summary = match &args.from {
        Some(dir) => kube_dump::collect(dir, &options, &mut scan)
            .with_context(|| format!("collecting from {}", dir.display()))?,
        None => kube_dump::Summary::default(),
    };
    for record in live_records {
        crate::model::RecordSink::observe(&mut scan, record)?;
    }
    let finished = scan.finish(&signer)?;
    tracing::info!(scan = finished.scan, appended = finished.appended, "scan finished");
    let (live_kept, live_gaps) = live_summary.as_ref().map(|s| (s.kept(), s.gaps())).unwrap_or_default();
    let gaps = summary.gaps() + live_gaps;

    match args.output {
        Format::Json | Format::Yaml => {
            let mut v = json!({"scan": finished});
            if args.from.is_some() {
                v["collected"] = json!(summary);
            }
            if let Some(live) = &live_summary {
                v["live"] = json!(live);
            }
            if args.output == Format::Json {
                output::print_json(&v)?
            } else {
                output::print_yaml(&v)?
            }
        }
        Format::Table | Format::Csv => {
            let mut rows: Vec<Vec<String>> = summary
                .clusters
                .iter()
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
            if args.output == Format::Csv {
                output::print(&output::csv(&headers, &rows)?)?;
            } else {
                let mut text = output::table(&headers, &rows);
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
    Ok(if summary.kept() + live_kept == 0 {
        ExitStatus::Error
    } else if gaps > 0 {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
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
