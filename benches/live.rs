//! Live collection benchmark (run: `cargo bench --bench live`): 50 clusters × 2,000 objects, each
//! cluster served by its own local test API server (`tests/support/apiserver.rs`) that adds 20 ms
//! to every request, as a remote API server would. The same collection runs with concurrency 8 and
//! with concurrency 1; the evidence must be identical and the first should be at least 5× faster.
//!
//! `MESHPROOF_BENCH_CLUSTERS`, `MESHPROOF_BENCH_OBJECTS` and `MESHPROOF_BENCH_LATENCY_MS` change
//! the shape for a quick run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/apiserver.rs"]
mod apiserver;

use std::time::{Duration, Instant};

use apiserver::{ApiServer, Catalog, ServerConfig};
use meshproof::collect::kube_live;
use meshproof::model::{Observation, kinds};
use serde_json::{Value, json};

/// The allocator the binary uses (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// About `n` kept objects: Namespaces, ServiceAccounts, RoleBindings, AuthorizationPolicies and
/// istio-system Secrets, plus a few objects that are listed and skipped (other ConfigMaps).
fn cluster_objects(cluster: usize, n: usize) -> Vec<Value> {
    let namespaces = 20;
    let mut out = Vec::with_capacity(n + namespaces);
    for ns in 0..namespaces {
        out.push(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": format!("team-{ns:02}"), "uid": format!("{cluster}-ns-{ns}"), "resourceVersion": "10"}}));
    }
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "istio", "namespace": "istio-system", "resourceVersion": "11"},
        "data": {"mesh": "trustDomain: cluster.local\n"}}));
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system", "resourceVersion": "12"}}));
    let mut i = out.len();
    while i < n {
        let ns = format!("team-{:02}", i % namespaces);
        let obj = match i % 10 {
            0..=3 => json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": format!("rb-{i:05}"), "namespace": ns, "resourceVersion": i.to_string(),
                             "creationTimestamp": "2026-06-01T00:00:00Z"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": format!("group-{cluster}-{i}")}]}),
            4..=7 => json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": format!("sa-{i:05}"), "namespace": ns, "resourceVersion": i.to_string(),
                             "uid": format!("{cluster:04}-{i:08}")}}),
            8 => json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                "metadata": {"name": format!("ap-{i:05}"), "namespace": ns, "resourceVersion": i.to_string()},
                "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": [format!("cluster.local/ns/{ns}/sa/sa-{i}")]}}]}]}}),
            _ => json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": format!("secret-{i:05}"), "namespace": "istio-system", "resourceVersion": i.to_string()},
                "data": {"token": "c2VjcmV0"}}),
        };
        out.push(obj);
        i += 1;
    }
    out
}

fn run(
    targets: &[kube_live::Target],
    kc: &kube::config::Kubeconfig,
    concurrency: usize,
) -> (Duration, Vec<Observation>, u64) {
    let options = kube_live::Options {
        concurrency,
        ..Default::default()
    };
    let mut out = Vec::new();
    let start = Instant::now();
    let summary = kube_live::collect(targets, Some(kc), &options, &mut out).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(summary.gaps(), 0);
    let requests = summary.clusters.iter().map(|c| c.requests).sum();
    (elapsed, out, requests)
}

fn main() {
    let clusters = env("MESHPROOF_BENCH_CLUSTERS", 50) as usize;
    let objects = env("MESHPROOF_BENCH_OBJECTS", 2000) as usize;
    let latency = Duration::from_millis(env("MESHPROOF_BENCH_LATENCY_MS", 20));
    let servers: Vec<(String, ApiServer)> = (0..clusters)
        .map(|c| {
            let catalog = Catalog::from_objects(cluster_objects(c, objects));
            let config = ServerConfig {
                latency,
                ..Default::default()
            };
            (format!("cluster-{c:02}"), ApiServer::start(catalog, config))
        })
        .collect();
    let contexts: Vec<(&str, String)> = servers.iter().map(|(n, s)| (n.as_str(), s.url())).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, apiserver::kubeconfig(&contexts)).unwrap();
    let kc = kube_live::read_kubeconfig(&[path]).unwrap();
    let targets: Vec<kube_live::Target> = servers
        .iter()
        .map(|(n, _)| kube_live::Target {
            cluster: n.clone(),
            access: kube_live::Access::Context(n.clone()),
        })
        .collect();

    let (parallel, records, requests) = run(&targets, &kc, 8);
    let (serial, serial_records, _) = run(&targets, &kc, 1);
    assert_eq!(records, serial_records, "evidence depends on concurrency");
    let kept = records.iter().filter(|o| o.kind == kinds::K8S_OBJECT).count();
    let speedup = serial.as_secs_f64() / parallel.as_secs_f64();
    println!(
        "live collect: {clusters} clusters x {objects} objects ({kept} kept), {requests} requests, {} ms latency per request",
        latency.as_millis()
    );
    println!(
        "  concurrency 8: {:>7.2} s  ({:.0} objects/s)",
        parallel.as_secs_f64(),
        kept as f64 / parallel.as_secs_f64()
    );
    println!(
        "  concurrency 1: {:>7.2} s  ({:.0} objects/s)",
        serial.as_secs_f64(),
        kept as f64 / serial.as_secs_f64()
    );
    println!("  speedup: {speedup:.1}x (target >= 5x)");
}
