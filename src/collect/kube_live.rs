//! Live collection from Kubernetes API servers (kube-rs), one cluster per kubeconfig context or
//! the pod's own service account.
//!
//! For each cluster: discovery first (`/api`, `/apis`, then the resource list of every group
//! version the [`selection::KEPT`] table names), then paginated lists (`limit` + `continue`) of
//! exactly the kinds and namespaces the offline path ([`super::kube_dump`]) keeps. List items get
//! `apiVersion` and `kind` from their list, as `kubectl get -o json` prints them, and go through
//! the same selection, redaction and subjects, so the same mesh collected live or from a dump
//! yields the same `k8s.object` bodies.
//!
//! Clusters are collected concurrently (bounded) on a tokio runtime owned by [`collect`]; each
//! request has a timeout and is retried with backoff on 429, 5xx, timeouts and connection errors.
//! Whatever cannot be read (an unreachable cluster, a 401/403 on a resource, an expired credential)
//! becomes a `collection.gap` naming the cluster and resource, and the other clusters go on. An API
//! group or resource the cluster does not serve (no Gloo, no Istio CRDs) is listed in the
//! cluster's `collection.note`, not a gap. Records are buffered per cluster and handed to the sink
//! on the calling thread, clusters in name order, so the chain does not depend on scheduling.
//!
//! It does not watch, does not read anything the [`selection::KEPT`] table does not name (see
//! `deploy/rbac.yaml`), never reads environment variables (the caller passes kubeconfig paths)
//! and never logs credentials or object content.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Value, json};
use tracing::Instrument as _;

use super::{document, selection};
use crate::model::{Observation, RecordSink, SinkError, kinds};

/// How to reach one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// A context of the kubeconfig passed to [`collect`].
    Context(String),
    /// The service account of the pod this runs in (in-cluster configuration).
    InCluster,
}

/// One cluster to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Cluster name used in subjects and sources (the context name unless aliased).
    pub cluster: String,
    /// How to reach it.
    pub access: Access,
}

/// Collection options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Objects per list page (`limit`).
    pub page_size: u32,
    /// Clusters collected at the same time.
    pub concurrency: usize,
    /// Timeout of one request (connect, response and body).
    pub request_timeout: Duration,
    /// Attempts per request on 429, 5xx, timeouts and connection errors (at least 1).
    pub attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            page_size: 500,
            concurrency: 8,
            request_timeout: Duration::from_secs(30),
            attempts: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

/// Errors that stop the whole collection (everything about one cluster is a gap instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A kubeconfig file cannot be read or parsed.
    #[error("cannot read kubeconfig {path}")]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// Kubeconfig files that cannot be merged.
    #[error("cannot merge kubeconfig {path} into the files before it")]
    Merge {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// No kubeconfig file was given.
    #[error("no kubeconfig file given")]
    NoKubeconfig,
    /// A context that the kubeconfig does not define.
    #[error("context {context} is not in the kubeconfig (known: {known})")]
    UnknownContext {
        /// The context asked for.
        context: String,
        /// The contexts defined, comma-separated.
        known: String,
    },
    /// Two targets with the same cluster name.
    #[error("cluster {0} is named twice (use --context NAME=ALIAS to rename one)")]
    DuplicateCluster(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// What was collected from one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClusterSummary {
    /// Cluster name.
    pub cluster: String,
    /// Objects kept.
    pub objects: u64,
    /// Objects listed but not kept (not evidence).
    pub skipped: u64,
    /// Groups or resources the cluster does not serve.
    pub absent: u64,
    /// Gaps recorded.
    pub gaps: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Retries among them.
    pub retries: u64,
}

/// What was collected from every cluster, in cluster-name order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Per cluster, by name.
    pub clusters: Vec<ClusterSummary>,
}

impl Summary {
    /// Total gaps.
    pub fn gaps(&self) -> u64 {
        self.clusters.iter().map(|c| c.gaps).sum()
    }

    /// Total objects kept.
    pub fn kept(&self) -> u64 {
        self.clusters.iter().map(|c| c.objects).sum()
    }
}

/// Reads and merges kubeconfig files the way kubectl merges `KUBECONFIG`: the first file to
/// define a context, cluster or user wins.
pub fn read_kubeconfig(paths: &[PathBuf]) -> Result<Kubeconfig, Error> {
    let mut merged: Option<Kubeconfig> = None;
    for path in paths {
        let next = Kubeconfig::read_from(path).map_err(|source| Error::Kubeconfig {
            path: path.clone(),
            source,
        })?;
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).map_err(|source| Error::Merge {
                path: path.clone(),
                source,
            })?,
        });
    }
    merged.ok_or(Error::NoKubeconfig)
}

/// The context names a kubeconfig defines, sorted.
pub fn context_names(kubeconfig: &Kubeconfig) -> Vec<String> {
    let names: BTreeSet<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    names.into_iter().collect()
}

/// Collects every target into `sink`: clusters concurrently, records in cluster-name order.
pub fn collect(
    targets: &[Target],
    kubeconfig: Option<&Kubeconfig>,
    options: &Options,
    sink: &mut dyn RecordSink,
) -> Result<Summary, Error> {
    check_targets(targets, kubeconfig)?;
    // kube-client's TLS setup needs a process-wide provider; the binary installs it in `main`.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let mut runs = runtime.block_on(collect_all(targets, kubeconfig, options));
    drop(runtime);
    runs.sort_by(|a, b| a.cluster.cmp(&b.cluster));
    let mut summary = Summary::default();
    for run in runs {
        summary.clusters.push(run.emit(sink)?);
    }
    Ok(summary)
}

fn check_targets(targets: &[Target], kubeconfig: Option<&Kubeconfig>) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    for target in targets {
        if !seen.insert(target.cluster.as_str()) {
            return Err(Error::DuplicateCluster(target.cluster.clone()));
        }
        if let Access::Context(context) = &target.access {
            let Some(kc) = kubeconfig else {
                return Err(Error::NoKubeconfig);
            };
            if !kc.contexts.iter().any(|c| &c.name == context) {
                return Err(Error::UnknownContext {
                    context: context.clone(),
                    known: context_names(kc).join(", "),
                });
            }
        }
    }
    Ok(())
}

async fn collect_all(targets: &[Target], kubeconfig: Option<&Kubeconfig>, options: &Options) -> Vec<ClusterRun> {
    let permits = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let options = Arc::new(options.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for target in targets {
        let target = target.clone();
        let kubeconfig = kubeconfig.cloned();
        let options = Arc::clone(&options);
        let permits = Arc::clone(&permits);
        let span = tracing::info_span!("collect", collector = "kube-live", cluster = %target.cluster);
        tasks.spawn(
            async move {
                let _permit = permits.acquire_owned().await.ok();
                collect_cluster(target, kubeconfig, options).await
            }
            .instrument(span),
        );
    }
    let mut runs = Vec::with_capacity(targets.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(run) => runs.push(run),
            // A task only fails by panicking, which is a bug; its cluster is then missing from
            // the summary and the error is logged.
            Err(e) => tracing::error!(error = %e, "cluster collection task failed"),
        }
    }
    runs
}

/// Why a request failed for good.
#[derive(Debug)]
enum Failure {
    /// The server answered with an error status.
    Status { code: u16, message: String },
    /// No usable answer: connection refused or reset, TLS.
    Transport(String),
    /// No answer within the request timeout.
    Timeout(u128),
    /// The client could not produce a credential (expired, exec plugin failed).
    Credential(String),
    /// The answer was not the JSON expected.
    Body(String),
}

impl Failure {
    fn reason(&self) -> String {
        match self {
            Failure::Status { code: 401, message } => {
                format!("unauthorized (401): credential rejected or expired: {message}")
            }
            Failure::Status { code: 403, message } => format!("forbidden (403): {message}"),
            Failure::Status { code, message } => format!("HTTP {code}: {message}"),
            Failure::Transport(m) => format!("unreachable: {m}"),
            Failure::Timeout(ms) => format!("timed out: no answer within {ms} ms"),
            Failure::Credential(m) => format!("no usable credential: {m}"),
            Failure::Body(m) => format!("unexpected response: {m}"),
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Failure::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    fn is_cluster_wide(&self) -> bool {
        matches!(
            self,
            Failure::Transport(_) | Failure::Credential(_) | Failure::Status { code: 401, .. }
        )
    }
}

/// One cluster's connection and request counters.
struct Conn {
    client: kube::Client,
    options: Arc<Options>,
    requests: u64,
    retries: u64,
}

enum Attempt {
    Done(Value),
    Retry(Failure),
    Fail(Failure),
}

impl Conn {
    async fn get_json(&mut self, path: &str) -> Result<Value, Failure> {
        let attempts = self.options.attempts.max(1);
        let mut delay = self.options.backoff;
        let mut attempt = 1;
        loop {
            self.requests += 1;
            tracing::debug!(path, attempt, "GET");
            match self.attempt(path).await {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(f) => return Err(f),
                Attempt::Retry(f) if attempt >= attempts => return Err(f),
                Attempt::Retry(f) => {
                    tracing::debug!(path, attempt, reason = %f.reason(), "retrying");
                    self.retries += 1;
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
            }
        }
    }

    async fn attempt(&self, path: &str) -> Attempt {
        let request = match http::Request::get(path).body(kube::client::Body::empty()) {
            Ok(r) => r,
            Err(e) => return Attempt::Fail(Failure::Body(format!("invalid request path: {e}"))),
        };
        let timeout = self.options.request_timeout;
        let exchange = async {
            let response = self.client.send(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect_bytes().await?;
            Ok::<_, kube::Error>((status, bytes))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Attempt::Retry(Failure::Timeout(timeout.as_millis())),
            Ok(Err(kube::Error::Auth(e))) => Attempt::Fail(Failure::Credential(e.to_string())),
            Ok(Err(e)) if is_timeout(&e) => Attempt::Retry(Failure::Timeout(timeout.as_millis())),
            Ok(Err(e)) => Attempt::Retry(Failure::Transport(error_chain(&e))),
            Ok(Ok((status, bytes))) => {
                let code = status.as_u16();
                if status.is_success() {
                    return match serde_json::from_slice(&bytes) {
                        Ok(v) => Attempt::Done(v),
                        Err(e) => Attempt::Fail(Failure::Body(format!("invalid JSON: {e}"))),
                    };
                }
                let failure = Failure::Status {
                    code,
                    message: status_message(&bytes, status),
                };
                if code == 429 || status.is_server_error() {
                    Attempt::Retry(failure)
                } else {
                    Attempt::Fail(failure)
                }
            }
        }
    }
}

/// The `message` of a `Status` body (shortened), else the reason phrase.
fn status_message(bytes: &[u8], status: http::StatusCode) -> String {
    let message = serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    message.chars().take(300).collect()
}

/// Whether a client error is a connect or read timeout (a slow server, not a missing one).
fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("timed out") || text.contains("deadline has elapsed") {
            return true;
        }
        current = err.source();
    }
    false
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// One resource to list, after discovery.
#[derive(Debug, Clone)]
struct Planned {
    group: String,
    version: String,
    plural: String,
    namespaced: bool,
    namespaces: Option<&'static [&'static str]>,
}

impl Planned {
    fn label(&self) -> String {
        gv_path_label(&self.group, &self.version, &self.plural)
    }

    fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }
}

fn gv_path_label(group: &str, version: &str, plural: &str) -> String {
    if group.is_empty() {
        format!("{version}/{plural}")
    } else {
        format!("{group}/{version}/{plural}")
    }
}

/// One resource as discovery lists it.
#[derive(Debug, Clone)]
struct Served {
    namespaced: bool,
    listable: bool,
}

struct Kept {
    body: Value,
    resource_version: Option<u64>,
}

/// Everything collected from one cluster, emitted once all clusters are done.
struct ClusterRun {
    cluster: String,
    access: Access,
    objects: BTreeMap<String, Kept>,
    skipped: BTreeMap<String, u64>,
    duplicates: u64,
    listed: BTreeMap<String, Value>,
    absent: BTreeMap<String, String>,
    gaps: Vec<(String, Value)>,
    requests: u64,
    retries: u64,
}

async fn collect_cluster(target: Target, kubeconfig: Option<Kubeconfig>, options: Arc<Options>) -> ClusterRun {
    let mut run = ClusterRun {
        cluster: target.cluster.clone(),
        access: target.access.clone(),
        objects: BTreeMap::new(),
        skipped: BTreeMap::new(),
        duplicates: 0,
        listed: BTreeMap::new(),
        absent: BTreeMap::new(),
        gaps: Vec::new(),
        requests: 0,
        retries: 0,
    };
    let client = match connect(&target.access, kubeconfig, &options).await {
        Ok(c) => c,
        Err(reason) => {
            run.gap("_connection", None, reason, None);
            return run;
        }
    };
    let mut conn = Conn {
        client,
        options: Arc::clone(&options),
        requests: 0,
        retries: 0,
    };
    run.collect(&mut conn).await;
    run.requests = conn.requests;
    run.retries = conn.retries;
    tracing::info!(
        objects = run.objects.len(),
        gaps = run.gaps.len(),
        requests = run.requests,
        "cluster collected"
    );
    run
}

async fn connect(access: &Access, kubeconfig: Option<Kubeconfig>, options: &Options) -> Result<kube::Client, String> {
    let mut config = match access {
        Access::Context(context) => {
            let kc = kubeconfig.ok_or_else(|| "no kubeconfig given".to_string())?;
            let opts = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            kube::Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| format!("cannot use context {context}: {}", error_chain(&e)))?
        }
        Access::InCluster => {
            kube::Config::incluster().map_err(|e| format!("no in-cluster configuration: {}", error_chain(&e)))?
        }
    };
    // Retries are ours (bounded and counted), and so is the overall request timeout.
    config.default_retry = false;
    config.connect_timeout = Some(options.request_timeout);
    config.read_timeout = None;
    kube::Client::try_from(config).map_err(|e| format!("cannot build a client: {}", error_chain(&e)))
}

impl ClusterRun {
    fn gap(&mut self, resource: &str, namespace: Option<&str>, reason: String, status: Option<u16>) {
        tracing::warn!(cluster = %self.cluster, resource, namespace, %reason, "collection gap");
        let base = match namespace {
            Some(ns) => format!("{ns}/{resource}"),
            None => resource.to_string(),
        };
        let n = self
            .gaps
            .iter()
            .filter(|(k, _)| k == &base || k.starts_with(&format!("{base}#")))
            .count();
        let key = if n == 0 { base } else { format!("{base}#{n}") };
        self.gaps.push((
            key,
            json!({"cluster": self.cluster, "resource": resource, "namespace": namespace, "reason": reason, "status": status}),
        ));
    }

    async fn collect(&mut self, conn: &mut Conn) {
        let plan = match self.discover(conn).await {
            Some(p) => p,
            None => return,
        };
        for planned in plan {
            let namespaces: Vec<Option<&str>> = match (planned.namespaced, planned.namespaces) {
                (true, Some(list)) => list.iter().map(|ns| Some(*ns)).collect(),
                _ => vec![None],
            };
            let mut counts = BTreeMap::new();
            for ns in namespaces {
                match self.list(conn, &planned, ns).await {
                    Ok(n) => {
                        counts.insert(ns.unwrap_or("*").to_string(), n);
                    }
                    Err(f) => {
                        let stop = f.is_cluster_wide();
                        self.gap(&planned.label(), ns, f.reason(), f.status());
                        if stop {
                            return;
                        }
                    }
                }
            }
            if !counts.is_empty() {
                self.listed.insert(planned.label(), json!(counts));
            }
        }
    }

    /// Discovery: which kept kinds the cluster serves, at which version. `None` when nothing can
    /// be listed (a gap is recorded).
    async fn discover(&mut self, conn: &mut Conn) -> Option<Vec<Planned>> {
        let core = match conn.get_json("/api").await {
            Ok(v) => v,
            Err(f) => {
                self.gap("_discovery", None, format!("GET /api: {}", f.reason()), f.status());
                return None;
            }
        };
        let core_versions = string_list(core.get("versions"));
        let groups = match conn.get_json("/apis").await {
            Ok(v) => v,
            Err(f) => {
                self.gap("_discovery", None, format!("GET /apis: {}", f.reason()), f.status());
                return None;
            }
        };
        let mut served_groups: BTreeMap<String, (Vec<String>, Option<String>)> = BTreeMap::new();
        if let Some(Value::Array(list)) = groups.get("groups") {
            for g in list {
                let Some(name) = g.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let versions = g
                    .get("versions")
                    .and_then(Value::as_array)
                    .map(|vs| {
                        vs.iter()
                            .filter_map(|v| v.get("version").and_then(Value::as_str).map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let preferred = g
                    .pointer("/preferredVersion/version")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                served_groups.insert(name.to_string(), (versions, preferred));
            }
        }
        let mut resource_lists: BTreeMap<(String, String), Option<BTreeMap<String, Served>>> = BTreeMap::new();
        let mut plan = Vec::new();
        for kept in selection::KEPT {
            let version = if kept.group.is_empty() {
                if !core_versions.iter().any(|v| v == kept.version) {
                    self.absent.insert(
                        format!("{}/{}", kept.version, kept.plural),
                        "core version not served".into(),
                    );
                    continue;
                }
                kept.version.to_string()
            } else {
                let Some((versions, preferred)) = served_groups.get(kept.group) else {
                    self.absent
                        .entry(kept.group.to_string())
                        .or_insert_with(|| "API group not served".into());
                    continue;
                };
                if versions.iter().any(|v| v == kept.version) {
                    kept.version.to_string()
                } else if let Some(p) = preferred.clone().or_else(|| versions.first().cloned()) {
                    p
                } else {
                    self.absent
                        .entry(kept.group.to_string())
                        .or_insert_with(|| "API group serves no version".into());
                    continue;
                }
            };
            let key = (kept.group.to_string(), version.clone());
            if !resource_lists.contains_key(&key) {
                let fetched = self.resources(conn, kept.group, &version).await;
                if let Err(f) = &fetched
                    && f.is_cluster_wide()
                {
                    return None;
                }
                resource_lists.insert(key.clone(), fetched.ok());
            }
            let Some(Some(resources)) = resource_lists.get(&key) else {
                continue;
            };
            if kept.kind == "*" {
                for (plural, served) in resources {
                    if served.listable && !plural.contains('/') {
                        plan.push(Planned {
                            group: kept.group.to_string(),
                            version: version.clone(),
                            plural: plural.clone(),
                            namespaced: served.namespaced,
                            namespaces: kept.namespaces,
                        });
                    }
                }
                continue;
            }
            match resources.get(kept.plural) {
                Some(served) if served.listable => plan.push(Planned {
                    group: kept.group.to_string(),
                    version: version.clone(),
                    plural: kept.plural.to_string(),
                    namespaced: served.namespaced,
                    namespaces: kept.namespaces,
                }),
                Some(_) => {
                    self.absent.insert(
                        gv_path_label(kept.group, &version, kept.plural),
                        "resource does not support list".into(),
                    );
                }
                None => {
                    self.absent.insert(
                        gv_path_label(kept.group, &version, kept.plural),
                        "resource not served".into(),
                    );
                }
            }
        }
        Some(plan)
    }

    /// The resources of one group version; a failure is recorded as a gap.
    async fn resources(
        &mut self,
        conn: &mut Conn,
        group: &str,
        version: &str,
    ) -> Result<BTreeMap<String, Served>, Failure> {
        let path = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let label = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        let list = match conn.get_json(&path).await {
            Ok(v) => v,
            Err(f) => {
                self.gap(&label, None, format!("discovery: {}", f.reason()), f.status());
                return Err(f);
            }
        };
        let mut out = BTreeMap::new();
        if let Some(Value::Array(resources)) = list.get("resources") {
            for r in resources {
                let Some(name) = r.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let verbs = string_list(r.get("verbs"));
                out.insert(
                    name.to_string(),
                    Served {
                        namespaced: r.get("namespaced").and_then(Value::as_bool).unwrap_or(true),
                        listable: verbs.iter().any(|v| v == "list"),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Lists one resource (in one namespace, or cluster-wide) page by page; returns the number
    /// of objects listed. Objects read before a failure are kept.
    async fn list(&mut self, conn: &mut Conn, planned: &Planned, namespace: Option<&str>) -> Result<u64, Failure> {
        let base = planned.path(namespace);
        let mut token: Option<String> = None;
        let mut restarted = false;
        let mut listed = 0u64;
        let mut pages = Vec::new();
        loop {
            let mut path = format!("{base}?limit={}", conn.options.page_size.max(1));
            if let Some(t) = &token {
                path.push_str("&continue=");
                path.push_str(&percent_encode(t));
            }
            let page = match conn.get_json(&path).await {
                Ok(p) => p,
                // The continue token expired (410 Gone): start the list again, once.
                Err(Failure::Status { code: 410, .. }) if token.is_some() && !restarted => {
                    restarted = true;
                    token = None;
                    listed = 0;
                    pages.clear();
                    continue;
                }
                Err(f) => {
                    self.add_pages(pages);
                    return Err(f);
                }
            };
            let next = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            let Ok(items) = document::into_list_items(page) else {
                self.add_pages(pages);
                return Err(Failure::Body(format!("{base} did not return a list")));
            };
            listed += items.len() as u64;
            pages.push(items);
            match next {
                Some(t) if token.as_deref() == Some(t.as_str()) => {
                    self.add_pages(pages);
                    return Err(Failure::Body(format!("{base} returned the same continue token twice")));
                }
                Some(t) => token = Some(t),
                None => break,
            }
        }
        self.add_pages(pages);
        Ok(listed)
    }

    fn add_pages(&mut self, pages: Vec<Vec<Value>>) {
        for item in pages.into_iter().flatten() {
            self.add_object(item);
        }
    }

    fn add_object(&mut self, obj: Value) {
        let admitted = selection::admit(&self.cluster, obj).kept(&mut self.skipped);
        let (subject, body, resource_version) = match admitted {
            Ok(Some(kept)) => kept,
            Ok(None) => return,
            Err(()) => {
                *self.skipped.entry("(malformed)".into()).or_default() += 1;
                return;
            }
        };
        let entry = Kept { body, resource_version };
        // The same object served twice (core and events.k8s.io Events): keep the newer one.
        match self.objects.get(&subject) {
            Some(old) if old.resource_version >= entry.resource_version => self.duplicates += 1,
            Some(_) => {
                self.duplicates += 1;
                self.objects.insert(subject, entry);
            }
            None => {
                self.objects.insert(subject, entry);
            }
        }
    }

    fn emit(self, sink: &mut dyn RecordSink) -> Result<ClusterSummary, SinkError> {
        let cluster = self.cluster;
        let source = format!("k8s/{cluster}");
        let objects = self.objects.len() as u64;
        for (subject, kept) in self.objects {
            sink.observe(Observation {
                source: source.clone(),
                kind: kinds::K8S_OBJECT,
                subject,
                body: kept.body,
            })?;
        }
        let gaps = self.gaps.len() as u64;
        for (key, body) in self.gaps {
            sink.observe(Observation {
                source: source.clone(),
                kind: kinds::COLLECTION_GAP,
                subject: format!("{cluster}/gap/{key}"),
                body,
            })?;
        }
        let access = match &self.access {
            Access::Context(c) => json!({"context": c}),
            Access::InCluster => json!({"in_cluster": true}),
        };
        let skipped: u64 = self.skipped.values().sum();
        let absent = self.absent.len() as u64;
        sink.observe(Observation {
            source,
            kind: kinds::COLLECTION_NOTE,
            subject: format!("{cluster}/note/live"),
            body: json!({
                "cluster": cluster,
                "access": access,
                "objects": objects,
                "listed": self.listed,
                "not_served": self.absent,
                "duplicates": self.duplicates,
                "skipped": self.skipped,
            }),
        })?;
        Ok(ClusterSummary {
            cluster,
            objects,
            skipped,
            absent,
            gaps,
            requests: self.requests,
            retries: self.retries,
        })
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Percent-encodes a query value (continue tokens are opaque and often base64).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(percent_encode("eyJ2Ijo+/=="), "eyJ2Ijo%2B%2F%3D%3D");
    }

    #[test]
    fn paths_and_labels() {
        let p = Planned {
            group: String::new(),
            version: "v1".into(),
            plural: "secrets".into(),
            namespaced: true,
            namespaces: None,
        };
        assert_eq!(p.path(Some("istio-system")), "/api/v1/namespaces/istio-system/secrets");
        assert_eq!(p.label(), "v1/secrets");
        let p = Planned {
            group: "admin.gloo.solo.io".into(),
            ..p
        };
        assert_eq!(p.path(None), "/apis/admin.gloo.solo.io/v1/secrets");
    }

    #[test]
    fn duplicate_and_unknown_targets_are_refused() {
        let t = |c: &str| Target {
            cluster: c.into(),
            access: Access::InCluster,
        };
        assert!(matches!(
            check_targets(&[t("a"), t("a")], None),
            Err(Error::DuplicateCluster(_))
        ));
        let ctx = Target {
            cluster: "x".into(),
            access: Access::Context("x".into()),
        };
        assert!(matches!(check_targets(&[ctx], None), Err(Error::NoKubeconfig)));
    }
}
