//! A test API server that speaks enough real Kubernetes for kube-rs and kubectl: plain HTTP on
//! 127.0.0.1 (random port), serving objects read from a dump folder (`sample-evidence/mesh/<cluster>/`)
//! or generated ones.
//!
//! Serves `/version`, legacy discovery (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`: only
//! the groups present in the objects, plus core), list endpoints per namespace and cluster-wide with
//! `labelSelector`/`fieldSelector`, `limit`/`continue` pagination (`metadata.continue`,
//! `resourceVersion`, 410 on a bad token) and a 404 `Status` for everything else. Failures can be
//! injected per resource (status, latency, number of times), every request is logged, and RBAC
//! rules read from `deploy/rbac.yaml` can be enforced (a request outside them gets 403 and is
//! marked in the log).
//!
//! Included with `#[path]` by `tests/it` and `benches/live.rs`; it runs its own tokio runtime on
//! a thread, so callers stay synchronous.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use base64::Engine as _;
use meshproof::collect::audit_log::is_audit_event;
use meshproof::collect::document::{Documents, into_list_items, read_documents};
use meshproof::collect::selection;
use serde_json::{Value, json};

/// The bearer token written into generated kubeconfigs (tests assert it never appears in logs).
pub const TEST_TOKEN: &str = "meshproof-test-token-must-not-be-logged";

/// A failure injected for one resource.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Resource plural, e.g. `secrets`.
    pub plural: String,
    /// Only in this namespace (any when `None`).
    pub namespace: Option<String>,
    /// Status to answer with (`None`: answer normally, after `delay`).
    pub status: Option<u16>,
    /// Extra delay before answering.
    pub delay: Duration,
    /// How many times (every time when `None`).
    pub times: Option<usize>,
}

impl Fault {
    /// Always answers `status` for `plural`.
    pub fn status(plural: &str, status: u16) -> Fault {
        Fault {
            plural: plural.into(),
            namespace: None,
            status: Some(status),
            delay: Duration::ZERO,
            times: None,
        }
    }

    /// Answers `status` the first `times` requests for `plural`, then normally.
    pub fn transient(plural: &str, status: u16, times: usize) -> Fault {
        Fault {
            times: Some(times),
            ..Fault::status(plural, status)
        }
    }

    /// Delays every answer for `plural`.
    pub fn slow(plural: &str, delay: Duration) -> Fault {
        Fault {
            plural: plural.into(),
            namespace: None,
            status: None,
            delay,
            times: None,
        }
    }
}

/// Server behaviour.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Added to every request (a real API server is remote).
    pub latency: Duration,
    /// Injected failures.
    pub faults: Vec<Fault>,
    /// RBAC rules to enforce (deploy/rbac.yaml).
    pub rbac: Option<Rbac>,
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// `Accept` header.
    pub accept: Option<String>,
    /// Whether an `Authorization` header was sent (its value is never kept).
    pub authorized: bool,
    /// Status answered.
    pub status: u16,
    /// The request was outside the enforced RBAC rules.
    pub rbac_denied: bool,
    /// (group, resource, namespace) of a resource request.
    pub resource: Option<(String, String, Option<String>)>,
}

/// RBAC rules: cluster-wide (ClusterRole) and per namespace (Role).
#[derive(Debug, Clone, Default)]
pub struct Rbac {
    cluster: Vec<Rule>,
    namespaced: BTreeMap<String, Vec<Rule>>,
}

#[derive(Debug, Clone)]
struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

impl Rule {
    fn allows(&self, group: &str, resource: &str, verb: &str) -> bool {
        let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        any(&self.groups, group) && any(&self.resources, resource) && any(&self.verbs, verb)
    }
}

impl Rbac {
    /// Reads the ClusterRoles and Roles of a manifest (bindings are assumed to bind them all).
    pub fn from_file(path: &Path) -> Rbac {
        let docs = match read_documents(path, 1 << 20).expect("rbac manifest") {
            Documents::Values(v) => v,
            Documents::Lines { values, .. } => values.into_iter().map(|(_, v)| v).collect(),
        };
        let mut rbac = Rbac::default();
        for doc in docs {
            let kind = doc["kind"].as_str().unwrap_or_default();
            let rules: Vec<Rule> = doc["rules"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| Rule {
                            groups: strings(&r["apiGroups"]),
                            resources: strings(&r["resources"]),
                            verbs: strings(&r["verbs"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            match kind {
                "ClusterRole" => rbac.cluster.extend(rules),
                "Role" => {
                    let ns = doc["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
                    rbac.namespaced.entry(ns).or_default().extend(rules);
                }
                _ => {}
            }
        }
        rbac
    }

    /// Whether `verb` on `group/resource` (in `namespace`, or cluster-wide) is granted.
    pub fn allows(&self, group: &str, resource: &str, namespace: Option<&str>, verb: &str) -> bool {
        if self.cluster.iter().any(|r| r.allows(group, resource, verb)) {
            return true;
        }
        namespace
            .and_then(|ns| self.namespaced.get(ns))
            .is_some_and(|rules| rules.iter().any(|r| r.allows(group, resource, verb)))
    }

    /// Every (group, resource, namespace) granted, `None` namespace for cluster-wide grants.
    pub fn grants(&self) -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        for r in &self.cluster {
            for g in &r.groups {
                for res in &r.resources {
                    out.push((g.clone(), res.clone(), None));
                }
            }
        }
        for (ns, rules) in &self.namespaced {
            for r in rules {
                for g in &r.groups {
                    for res in &r.resources {
                        out.push((g.clone(), res.clone(), Some(ns.clone())));
                    }
                }
            }
        }
        out.sort();
        out
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The served objects of one resource.
#[derive(Debug, Clone)]
struct Resource {
    kind: String,
    namespaced: bool,
    /// By (namespace, name).
    objects: BTreeMap<(String, String), Value>,
    /// The same, rendered as list items (pre-serialized: a real API server's CPU is not ours).
    rendered: BTreeMap<(String, String), String>,
}

/// Objects by group, version and plural.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    resources: BTreeMap<(String, String, String), Resource>,
}

/// The plural resource name of a kind (the kept table first, then English rules).
pub fn plural_of(group: &str, kind: &str) -> String {
    if let Some(k) = selection::KEPT.iter().find(|k| k.group == group && k.kind == kind) {
        return k.plural.to_string();
    }
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s') {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

fn is_builtin_group(group: &str) -> bool {
    group.is_empty() || group.ends_with(".k8s.io") || !group.contains('.')
}

impl Catalog {
    /// Builds the catalog from objects (with `apiVersion`, `kind`, `metadata.name`). Of two
    /// objects with the same identity the later one wins.
    pub fn from_objects(objects: impl IntoIterator<Item = Value>) -> Catalog {
        let mut catalog = Catalog::default();
        for obj in objects {
            catalog.insert(obj);
        }
        catalog
    }

    fn insert(&mut self, obj: Value) {
        let (Some(api_version), Some(kind), Some(name)) = (
            obj["apiVersion"].as_str(),
            obj["kind"].as_str(),
            obj["metadata"]["name"].as_str(),
        ) else {
            return;
        };
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        let namespace = obj["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        let plural = plural_of(&group, kind);
        let mut item = obj.clone();
        if is_builtin_group(&group)
            && let Some(m) = item.as_object_mut()
        {
            // The API server leaves these out of the items of built-in lists.
            m.remove("apiVersion");
            m.remove("kind");
        }
        let rendered = serde_json::to_string(&item).unwrap();
        let res = self
            .resources
            .entry((group, version, plural))
            .or_insert_with(|| Resource {
                kind: kind.to_string(),
                namespaced: false,
                objects: BTreeMap::new(),
                rendered: BTreeMap::new(),
            });
        if !namespace.is_empty() {
            res.namespaced = true;
        }
        res.rendered.insert((namespace.clone(), name.to_string()), rendered);
        res.objects.insert((namespace, name.to_string()), obj);
    }

    /// Every object served, in (group, version, plural, namespace, name) order.
    pub fn objects(&self) -> Vec<Value> {
        self.resources
            .values()
            .flat_map(|r| r.objects.values().cloned())
            .collect()
    }

    /// The objects of one resource, optionally in one namespace.
    pub fn served(&self, group: &str, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        self.resources
            .iter()
            .filter(|((g, _, p), _)| g == group && p == plural)
            .flat_map(|(_, r)| r.objects.iter())
            .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns))
            .map(|(_, o)| o.clone())
            .collect()
    }

    fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, v, _) in self.resources.keys() {
            if !g.is_empty() {
                let versions = out.entry(g.clone()).or_default();
                if !versions.contains(v) {
                    versions.push(v.clone());
                }
            }
        }
        out
    }
}

/// Reads every object below a dump folder (`sample-evidence/mesh/<cluster>/`), skipping audit
/// logs, with the same document reader and list handling as the offline collector.
pub fn objects_from_dir(dir: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let docs = match read_documents(&file, 256 << 20) {
            Ok(Documents::Values(v)) => v,
            Ok(Documents::Lines { values, .. }) => values.into_iter().map(|(_, v)| v).collect(),
            Err(_) => continue,
        };
        for doc in docs {
            if is_audit_event(&doc) {
                continue;
            }
            match into_list_items(doc) {
                Ok(items) => out.extend(items.into_iter().filter(|i| !is_audit_event(i))),
                Err(doc) => out.push(doc),
            }
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".md") || name.ends_with(".txt") {
            continue;
        }
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

struct State {
    catalog: Catalog,
    config: ServerConfig,
    faults: Mutex<Vec<(Fault, usize)>>,
    log: Mutex<Vec<LoggedRequest>>,
    port: u16,
}

/// A running server; stopped when dropped.
pub struct ApiServer {
    /// The port on 127.0.0.1.
    pub port: u16,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiServer {
    /// Serves the objects of a dump folder.
    pub fn from_dir(dir: &Path, config: ServerConfig) -> ApiServer {
        ApiServer::start(Catalog::from_objects(objects_from_dir(dir)), config)
    }

    /// Serves a catalog.
    pub fn start(catalog: Catalog, config: ServerConfig) -> ApiServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let faults = config.faults.iter().cloned().map(|f| (f, 0)).collect();
        let state = Arc::new(State {
            catalog,
            config,
            faults: Mutex::new(faults),
            log: Mutex::new(Vec::new()),
            port,
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
                    let state = Arc::clone(&shared);
                    async move { handle(state, method, uri, headers).await }
                });
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        ApiServer {
            port,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.lock().unwrap().clone()
    }

    /// The catalog served.
    pub fn catalog(&self) -> &Catalog {
        &self.state.catalog
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A kubeconfig with one context (and cluster and user) per `(context, server URL)`.
pub fn kubeconfig(contexts: &[(&str, String)]) -> String {
    let mut clusters = String::new();
    let mut ctxs = String::new();
    let mut users = String::new();
    for (name, url) in contexts {
        clusters.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
        ctxs.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-user\n"
        ));
        users.push_str(&format!("- name: {name}-user\n  user:\n    token: {TEST_TOKEN}\n"));
    }
    let current = contexts.first().map(|(n, _)| *n).unwrap_or("none");
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}contexts:\n{ctxs}users:\n{users}"
    )
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

fn status_body(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
}

fn query_params(query: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k), decode(v));
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed resource path.
struct ResourcePath {
    group: String,
    version: String,
    namespace: Option<String>,
    plural: String,
    name: Option<String>,
}

fn parse_resource_path(segments: &[&str]) -> Option<ResourcePath> {
    let (group, version, rest) = match segments {
        ["api", v, rest @ ..] => (String::new(), v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (g.to_string(), v.to_string(), rest),
        _ => return None,
    };
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(ns.to_string()), plural.to_string(), None),
        ["namespaces", ns, plural, name] => (Some(ns.to_string()), plural.to_string(), Some(name.to_string())),
        [plural] => (None, plural.to_string(), None),
        [plural, name] => (None, plural.to_string(), Some(name.to_string())),
        _ => return None,
    };
    Some(ResourcePath {
        group,
        version,
        namespace,
        plural,
        name,
    })
}

async fn handle(state: Arc<State>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let resource = parse_resource_path(&segments);
    let mut entry = LoggedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        accept: headers.get("accept").and_then(|v| v.to_str().ok()).map(str::to_string),
        authorized: headers.contains_key("authorization"),
        status: 200,
        rbac_denied: false,
        resource: resource
            .as_ref()
            .map(|r| (r.group.clone(), r.plural.clone(), r.namespace.clone())),
    };
    let response = respond(&state, &method, &segments, resource, &query, &mut entry).await;
    entry.status = response.status().as_u16();
    state.log.lock().unwrap().push(entry);
    response
}

async fn respond(
    state: &State,
    method: &Method,
    segments: &[&str],
    resource: Option<ResourcePath>,
    query: &str,
    entry: &mut LoggedRequest,
) -> Response {
    if method != Method::GET {
        return json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &status_body(405, "MethodNotAllowed", "this test server is read-only"),
        );
    }
    let catalog = &state.catalog;
    match segments {
        ["version"] => {
            return json_response(
                StatusCode::OK,
                &json!({"major": "1", "minor": "32", "gitVersion": "v1.32.4", "platform": "linux/amd64"}),
            );
        }
        ["api"] => {
            return json_response(
                StatusCode::OK,
                &json!({"kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{}", state.port)}]}),
            );
        }
        ["apis"] => {
            let groups: Vec<Value> = catalog
                .groups()
                .into_iter()
                .map(|(g, versions)| {
                    let vs: Vec<Value> = versions
                        .iter()
                        .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                        .collect();
                    let preferred = vs.first().cloned().unwrap_or(Value::Null);
                    json!({"name": g, "versions": vs, "preferredVersion": preferred})
                })
                .collect();
            return json_response(
                StatusCode::OK,
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            );
        }
        ["api", "v1"] => return json_response(StatusCode::OK, &resource_list(catalog, "", "v1")),
        ["apis", g, v] if catalog.groups().get(*g).is_some_and(|vs| vs.iter().any(|x| x == v)) => {
            return json_response(StatusCode::OK, &resource_list(catalog, g, v));
        }
        _ => {}
    }
    let Some(rp) = resource else {
        return not_found(&segments.join("/"));
    };
    let verb = if rp.name.is_some() { "get" } else { "list" };
    if let Some(rbac) = &state.config.rbac
        && !rbac.allows(&rp.group, &rp.plural, rp.namespace.as_deref(), verb)
    {
        entry.rbac_denied = true;
        let msg = format!(
            "{} \"{}\" is forbidden: User \"system:serviceaccount:meshproof:meshproof\" cannot {verb} resource \"{}\" in API group \"{}\"{}",
            rp.plural,
            rp.name.clone().unwrap_or_default(),
            rp.plural,
            rp.group,
            rp.namespace
                .as_deref()
                .map(|n| format!(" in the namespace \"{n}\""))
                .unwrap_or_else(|| " at the cluster scope".into())
        );
        return json_response(StatusCode::FORBIDDEN, &status_body(403, "Forbidden", &msg));
    }
    if let Some(resp) = inject_fault(state, &rp).await {
        return resp;
    }
    let key = (rp.group.clone(), rp.version.clone(), rp.plural.clone());
    let served = catalog.resources.get(&key);
    let core_kept = rp.group.is_empty()
        && rp.version == "v1"
        && selection::KEPT
            .iter()
            .any(|k| k.group.is_empty() && k.plural == rp.plural);
    let (kind, objects): (String, Vec<(&Value, &str)>) = match served {
        Some(r) => (
            r.kind.clone(),
            r.objects
                .iter()
                .zip(r.rendered.values())
                .filter(|(((ns, _), _), _)| rp.namespace.as_ref().is_none_or(|n| n == ns))
                .map(|((_, o), text)| (o, text.as_str()))
                .collect(),
        ),
        None if core_kept => {
            let kind = selection::KEPT
                .iter()
                .find(|k| k.group.is_empty() && k.plural == rp.plural)
                .map(|k| k.kind.to_string())
                .unwrap_or_default();
            (kind, Vec::new())
        }
        None => return not_found(&segments.join("/")),
    };
    if let Some(name) = &rp.name {
        return match objects
            .iter()
            .find(|(o, _)| o["metadata"]["name"].as_str() == Some(name))
        {
            Some((o, _)) => json_response(StatusCode::OK, o),
            None => json_response(
                StatusCode::NOT_FOUND,
                &status_body(404, "NotFound", &format!("{} \"{name}\" not found", rp.plural)),
            ),
        };
    }
    let params = query_params(query);
    let objects: Vec<(&Value, &str)> = objects
        .into_iter()
        .filter(|(o, _)| matches_labels(o, params.get("labelSelector").map(String::as_str).unwrap_or("")))
        .filter(|(o, _)| matches_fields(o, params.get("fieldSelector").map(String::as_str).unwrap_or("")))
        .collect();
    let start = match params.get("continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(token) => match decode_token(token) {
            Some(n) => n,
            None => {
                return json_response(
                    StatusCode::GONE,
                    &status_body(410, "Expired", "The provided continue parameter is too old or invalid"),
                );
            }
        },
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(objects.len());
    let items: Vec<&str> = objects
        .get(start.min(objects.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|(_, text)| *text)
        .collect();
    let mut metadata = json!({"resourceVersion": "424242"});
    if end < objects.len() {
        metadata["continue"] = json!(encode_token(end));
        metadata["remainingItemCount"] = json!(objects.len() - end);
    }
    let api_version = if rp.group.is_empty() {
        rp.version.clone()
    } else {
        format!("{}/{}", rp.group, rp.version)
    };
    let body = format!(
        "{{\"apiVersion\":{},\"kind\":{},\"metadata\":{},\"items\":[{}]}}",
        json!(api_version),
        json!(format!("{kind}List")),
        metadata,
        items.join(",")
    );
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

async fn inject_fault(state: &State, rp: &ResourcePath) -> Option<Response> {
    let hit = {
        let mut faults = state.faults.lock().unwrap();
        let mut hit = None;
        for (fault, used) in faults.iter_mut() {
            let applies = fault.plural == rp.plural
                && fault
                    .namespace
                    .as_ref()
                    .is_none_or(|n| Some(n) == rp.namespace.as_ref())
                && fault.times.is_none_or(|t| *used < t);
            if applies {
                *used += 1;
                hit = Some(fault.clone());
                break;
            }
        }
        hit
    };
    let fault = hit?;
    if !fault.delay.is_zero() {
        tokio::time::sleep(fault.delay).await;
    }
    let code = fault.status?;
    let reason = match code {
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "TooManyRequests",
        _ => "InternalError",
    };
    Some(json_response(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &status_body(code, reason, &format!("injected {code} for {}", rp.plural)),
    ))
}

fn resource_list(catalog: &Catalog, group: &str, version: &str) -> Value {
    let mut resources: BTreeMap<String, Value> = BTreeMap::new();
    if group.is_empty() {
        for k in selection::KEPT.iter().filter(|k| k.group.is_empty()) {
            resources.insert(
                k.plural.to_string(),
                json!({"name": k.plural, "singularName": k.kind.to_ascii_lowercase(), "namespaced": k.namespaced, "kind": k.kind, "verbs": ["get", "list"]}),
            );
        }
    }
    for ((g, v, plural), r) in &catalog.resources {
        if g == group && v == version {
            let namespaced = selection::KEPT
                .iter()
                .find(|k| k.group == g && k.plural == plural)
                .map(|k| k.namespaced)
                .unwrap_or(r.namespaced);
            resources.insert(
                plural.clone(),
                json!({"name": plural, "singularName": r.kind.to_ascii_lowercase(), "namespaced": namespaced, "kind": r.kind, "verbs": ["get", "list"]}),
            );
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
           "resources": resources.into_values().collect::<Vec<_>>()})
}

fn not_found(path: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &status_body(
            404,
            "NotFound",
            &format!("the server could not find the requested resource (/{path})"),
        ),
    )
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!(
        "{{\"v\":\"meta.k8s.io/v1\",\"rv\":424242,\"start\":{offset}}}?"
    ))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let start = text.split("\"start\":").nth(1)?;
    start.trim_end_matches("}?").parse().ok()
}

fn matches_labels(obj: &Value, selector: &str) -> bool {
    let labels = &obj["metadata"]["labels"];
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                labels[k.trim()].as_str() != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels[k.trim()].as_str() == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                labels.get(k.trim()).is_none()
            } else {
                labels.get(term).is_some()
            }
        })
}

fn matches_fields(obj: &Value, selector: &str) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            let (negate, (k, v)) = match term.split_once("!=") {
                Some(kv) => (true, kv),
                None => (
                    false,
                    term.split_once("==")
                        .or_else(|| term.split_once('='))
                        .unwrap_or((term, "")),
                ),
            };
            let actual = match k.trim() {
                "metadata.name" => obj["metadata"]["name"].as_str(),
                "metadata.namespace" => obj["metadata"]["namespace"].as_str(),
                _ => None,
            };
            (actual == Some(v.trim())) != negate
        })
}
