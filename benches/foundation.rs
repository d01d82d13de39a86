//! Foundation benchmarks (run: `cargo bench --bench foundation`; `MESHPROOF_BENCH_SCALE=0.1` for a
//! quick run; `MESHPROOF_BENCH_ONLY=append,verify` runs only the parts named). Measured side by
//! side in one run:
//!
//! 1. append: records/s through the real scan writer with 1 KiB bodies;
//! 2. verify: body-byte throughput of `meshproof verify` against raw SHA-256 over the same bytes,
//!    and verify's peak memory as the store grows;
//! 3. offline collect of kubectl JSON dumps (100 clusters × 2,000 objects) against Python's
//!    `json.load` of the same files;
//! 4. audit-log lines parsed and filtered per second (streamed, as `collect --audit-log`);
//! 5. this machine against the reference figures (`machine`: SQLite rows, sha2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::Instant;

use meshproof::collect::kube_dump;
use meshproof::model::{Observation, Timestamp, kinds, sha256, to_canonical_vec};
use meshproof::store::{Signer, Store, verify};
use serde_json::{Value, json};

/// The allocator the binary uses (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn scale() -> f64 {
    std::env::var("MESHPROOF_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn at() -> Timestamp {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

fn body(i: usize) -> Value {
    // About 1 KiB of canonical JSON.
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("object-{i:08}"), "namespace": format!("ns-{}", i % 97), "uid": format!("{i:032x}")},
        "data": {"payload": "x".repeat(880)}
    })
}

/// CPU time (user + system, every thread) this process has used so far, in seconds: the machine
/// may be shared, so rates are also given per CPU-second.
fn cpu_secs() -> f64 {
    // Fields 14 and 15 of /proc/self/stat (after the parenthesised command name): utime, stime in
    // clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<f64> = rest.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    // rest starts at field 3 (state, not numeric, filtered out): utime is field 14 -> index 10.
    fields.get(10).copied().unwrap_or(0.0) / 100.0 + fields.get(11).copied().unwrap_or(0.0) / 100.0
}

/// Appends `n` records in one scan: (seconds until the scan is committed, seconds until the store
/// is closed, body bytes, CPU seconds until committed).
fn build_store(path: &Path, n: usize) -> (f64, f64, u64, f64) {
    let mut store = Store::open(path).unwrap();
    let signer = Signer::from_seed([9; 32]);
    let bodies: Vec<Value> = (0..n).map(body).collect();
    let start = Instant::now();
    let cpu = cpu_secs();
    let mut scan = store.begin_scan(at(), json!({})).unwrap();
    for (i, b) in bodies.into_iter().enumerate() {
        scan.add(Observation {
            source: "k8s/bench".into(),
            kind: kinds::K8S_OBJECT,
            subject: format!("bench/ns/ConfigMap/object-{i:08}"),
            body: b,
        })
        .unwrap();
    }
    scan.finish(&signer).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    // Closing folds the write-ahead log back into the file, as `meshproof collect` does on exit.
    drop(store);
    let closed = start.elapsed().as_secs_f64();
    let bytes: u64 = (0..n).map(|i| to_canonical_vec(&body(i)).len() as u64).sum();
    (secs, closed, bytes, cpu)
}

fn peak_rss_reset() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn bench_append(dir: &Path) {
    let n = (200_000.0 * scale()) as usize;
    let (secs, closed, bytes, cpu) = build_store(&dir.join("append.db"), n);
    println!(
        "append: {n} records with 1 KiB bodies ({:.0} MB) committed in {secs:.2} s = {:.0} records/s (CPU {cpu:.2} s = {:.0} records per CPU-second); store closed (write-ahead log folded back) after {closed:.2} s = {:.0} records/s",
        bytes as f64 / 1e6,
        n as f64 / secs,
        n as f64 / cpu,
        n as f64 / closed
    );
}

fn bench_verify(dir: &Path) {
    println!("verify vs raw SHA-256 over the same body bytes, and verify's peak memory:");
    for factor in [1usize, 2, 4] {
        let n = (100_000.0 * scale()) as usize * factor;
        let path = dir.join(format!("verify-{factor}.db"));
        build_store(&path, n);
        let bodies: Vec<Vec<u8>> = (0..n).map(|i| to_canonical_vec(&body(i))).collect();
        let total: u64 = bodies.iter().map(|b| b.len() as u64).sum();
        let start = Instant::now();
        let cpu = cpu_secs();
        let mut acc = 0u8;
        for b in &bodies {
            acc ^= sha256(b).0[0];
        }
        let raw = start.elapsed().as_secs_f64();
        let raw_cpu = cpu_secs() - cpu;
        drop(bodies);
        let rss_before = status_kb("VmRSS:");
        peak_rss_reset();
        let start = Instant::now();
        let cpu = cpu_secs();
        let report = verify::verify(&path, &verify::Options::default()).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let verify_cpu = cpu_secs() - cpu;
        let peak = status_kb("VmHWM:");
        assert!(report.intact, "{:?}", report.problem);
        println!(
            "  {n:>7} records: raw SHA-256 {:.2} GB/s; verify {:.2} GB/s of body bytes ({:.0}% of raw), {:.0} records/s; peak RSS during verify +{} MB; CPU s: raw {raw_cpu:.2}, verify {verify_cpu:.2} (acc {acc})",
            total as f64 / raw / 1e9,
            total as f64 / secs / 1e9,
            100.0 * raw / secs,
            n as f64 / secs,
            peak.saturating_sub(rss_before) / 1024
        );
    }
}

fn kubectl_object(cluster: usize, i: usize) -> Value {
    let meta = |kind: &str| {
        json!({
            "name": format!("{kind}-{i}"), "namespace": format!("team-{}", i % 40),
            "uid": format!("{cluster:08x}-{i:04x}-4a5b-8c6d-7e8f9a0b1c2d"), "resourceVersion": format!("{}", 100_000 + i),
            "creationTimestamp": "2026-06-02T09:14:03Z",
            "labels": {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": format!("svc-{}", i % 50)},
            "annotations": {"meta.helm.sh/release-name": "platform", "meta.helm.sh/release-namespace": "platform"},
            "managedFields": [{"manager": "helm", "operation": "Update", "apiVersion": "v1", "time": "2026-06-02T09:14:03Z",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]
        })
    };
    match i % 5 {
        0 => {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta("role"),
                     "rules": [{"apiGroups": [""], "resources": ["configmaps", "services"], "verbs": ["get", "list", "watch"]}]})
        }
        1 => {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta("rb"),
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("role-{}", i - 1)},
                     "subjects": [{"kind": "ServiceAccount", "name": format!("sa-{i}"), "namespace": format!("team-{}", i % 40)}]})
        }
        2 => json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("sa")}),
        3 => {
            json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta("authz"),
                     "spec": {"selector": {"matchLabels": {"app": format!("svc-{}", i % 50)}}, "action": "ALLOW",
                              "rules": [{"from": [{"source": {"principals": [format!("acme.internal/ns/team-{}/sa/client", i % 40)]}}],
                                         "to": [{"operation": {"methods": ["GET", "POST"], "paths": ["/api/*"]}}]}]}})
        }
        _ => json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta("pod"),
                     "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.2.3"}], "serviceAccountName": "default"},
                     "status": {"phase": "Running", "podIP": "10.0.0.1"}}),
    }
}

fn bench_collect(dir: &Path) {
    let clusters = (100.0 * scale()).max(2.0) as usize;
    let per_cluster = 2000;
    let mesh = dir.join("mesh");
    let mut files = Vec::new();
    let mut total_bytes = 0u64;
    for c in 0..clusters {
        let cdir = mesh.join(format!("cluster-{c:03}"));
        std::fs::create_dir_all(&cdir).unwrap();
        for chunk in 0..4 {
            let items: Vec<Value> = (chunk * per_cluster / 4..(chunk + 1) * per_cluster / 4)
                .map(|i| kubectl_object(c, i))
                .collect();
            let text = serde_json::to_vec_pretty(
                &json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}),
            )
            .unwrap();
            total_bytes += text.len() as u64;
            let path = cdir.join(format!("objects-{chunk}.json"));
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
    }
    let list = dir.join("files.txt");
    std::fs::write(
        &list,
        files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import json,sys,time\nfiles=open(sys.argv[1]).read().split('\\n')\nt=time.perf_counter()\nn=0\nfor f in files:\n    with open(f) as h:\n        n+=len(json.load(h)['items'])\nprint(time.perf_counter()-t, n)",
        )
        .arg(&list)
        .output();
    let py_secs = py
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().next().and_then(|t| t.parse::<f64>().ok()));

    // The collector's own part (read, parse, select, redact, canonicalize, hash on the worker
    // threads) into a sink that only keeps the hashes, then the same into the store.
    let cpu0 = cpu_secs();
    let start = Instant::now();
    let mut hashes = HashingSink::default();
    let summary = kube_dump::collect(&mesh, &kube_dump::Options::default(), &mut hashes).unwrap();
    let sink_secs = start.elapsed().as_secs_f64();
    let sink_cpu = cpu_secs() - cpu0;
    let objects: u64 = summary.clusters.iter().map(|c| c.objects + c.skipped).sum();

    let store_path = dir.join("collect.db");
    let mut store = Store::open(&store_path).unwrap();
    let signer = Signer::from_seed([3; 32]);
    let cpu0 = cpu_secs();
    let start = Instant::now();
    let mut scan = store.begin_scan(at(), json!({})).unwrap();
    kube_dump::collect(&mesh, &kube_dump::Options::default(), &mut scan).unwrap();
    let finished = scan.finish(&signer).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    let mb = total_bytes as f64 / 1e6;
    println!(
        "offline collect: {clusters} clusters × {per_cluster} objects, {mb:.0} MB of kubectl JSON: meshproof {secs:.2} s ({:.0} MB/s, CPU {cpu:.2} s, {objects} objects, {} records appended)",
        mb / secs,
        finished.appended
    );
    println!(
        "  read+parse+redact+canonicalize+hash alone (sink keeps hashes only): {sink_secs:.2} s ({:.0} MB/s, CPU {sink_cpu:.2} s = {:.0} MB per CPU-second, {} records)",
        mb / sink_secs,
        mb / sink_cpu.max(1e-9),
        hashes.records
    );
    match py_secs {
        Some(p) => println!(
            "  Python json.load of the same files (one thread): {p:.2} s ({:.0} MB/s); meshproof is {:.2}× Python's speed end to end, {:.2}× without the store",
            mb / p,
            p / secs,
            p / sink_secs
        ),
        None => println!("  python3 not available: no comparison"),
    }
}

/// A sink that canonicalizes and hashes (what the store needs) and keeps only the hashes.
#[derive(Default)]
struct HashingSink {
    records: u64,
    acc: u8,
}

impl meshproof::model::RecordSink for HashingSink {
    fn observe(&mut self, observation: Observation) -> Result<(), meshproof::model::SinkError> {
        self.observe_prepared(meshproof::model::Prepared::new(observation))
    }

    fn observe_prepared(&mut self, prepared: meshproof::model::Prepared) -> Result<(), meshproof::model::SinkError> {
        self.records += 1;
        self.acc ^= prepared.hash.0[0];
        Ok(())
    }
}

fn audit_line(i: usize) -> String {
    let (verb, resource, ns) = match i % 50 {
        0 => ("create", "kubernetesclusters", "gloo-mesh"),
        1 => ("patch", "accesspolicies", "payments"),
        2 => ("create", "clusterrolebindings", ""),
        3 => ("update", "secrets", "istio-system"),
        4..=30 => ("get", "pods", "payments"),
        31..=45 => ("list", "configmaps", "kube-system"),
        _ => ("watch", "endpoints", "default"),
    };
    let stage = if i.is_multiple_of(2) {
        "RequestReceived"
    } else {
        "ResponseComplete"
    };
    json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": format!("{:08x}-1111-4222-8333-{:012x}", i / 2, i / 2), "stage": stage,
        "requestURI": format!("/api/v1/namespaces/{ns}/{resource}/object-{}", i % 1000), "verb": verb,
        "user": {"username": format!("system:serviceaccount:kube-system:controller-{}", i % 40),
                 "groups": ["system:serviceaccounts", "system:authenticated"]},
        "sourceIPs": ["10.0.0.12"], "userAgent": "kube-controller-manager/v1.32.4 (linux/amd64) kubernetes/abc1234",
        "objectRef": {"resource": resource, "namespace": ns, "name": format!("object-{}", i % 1000), "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2026-11-01T10:00:00.000001Z", "stageTimestamp": "2026-11-01T10:00:00.000100Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed"}
    })
    .to_string()
}

fn bench_audit(dir: &Path) {
    let n = (500_000.0 * scale()).max(1000.0) as usize;
    let path = dir.join("audit.log");
    let mut text = String::with_capacity(n * 800);
    for i in 0..n {
        text.push_str(&audit_line(i));
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    let mut sink: Vec<Observation> = Vec::new();
    let cpu0 = cpu_secs();
    let start = Instant::now();
    let (events, _gaps) = meshproof::collect::audit_log::collect_files("bench", &[path], &mut sink).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    println!(
        "audit log: {n} lines ({:.0} MB) parsed and filtered in {secs:.2} s = {:.0} lines/s (CPU {cpu:.2} s = {:.0} lines per CPU-second; {events} trust events kept, {} records)",
        text.len() as f64 / 1e6,
        n as f64 / secs,
        n as f64 / cpu.max(1e-9),
        sink.len()
    );
}

/// This machine against the reference figures (SQLite about 1.1 M small chained rows/s in
/// one transaction, sha2 about 1.8 GB/s): the other parts' figures depend on both.
fn bench_machine(dir: &Path) {
    let n = (1_000_000.0 * scale()) as usize;
    let conn = rusqlite::Connection::open(dir.join("machine.db")).unwrap();
    conn.execute_batch("CREATE TABLE chain (seq INTEGER PRIMARY KEY, prev BLOB NOT NULL, hash BLOB NOT NULL)")
        .unwrap();
    let start = Instant::now();
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut stmt = conn
            .prepare("INSERT INTO chain(seq, prev, hash) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut prev = [0u8; 32];
        let mut input = [0u8; 40];
        for seq in 0..n as u64 {
            input[..32].copy_from_slice(&prev);
            input[32..].copy_from_slice(&seq.to_le_bytes());
            let hash = sha256(&input).0;
            stmt.execute(rusqlite::params![seq, &prev[..], &hash[..]]).unwrap();
            prev = hash;
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    let rows = n as f64 / start.elapsed().as_secs_f64();
    let body = vec![b'x'; 1024];
    let start = Instant::now();
    let mut acc = 0u8;
    for _ in 0..(262_144.0 * scale()) as usize {
        acc ^= sha256(&body).0[0];
    }
    let gbs = 262_144.0 * scale() * 1024.0 / start.elapsed().as_secs_f64() / 1e9;
    println!(
        "machine: SQLite {rows:.0} small chained rows/s in one transaction (reference 1.1 M); sha2 {gbs:.2} GB/s over 1 KiB bodies (reference 1.8) (acc {acc})"
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // `MESHPROOF_BENCH_ONLY=append,collect` runs some of the parts (machine, append, verify, collect,
    // audit).
    let only = std::env::var("MESHPROOF_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    println!("meshproof foundation benchmarks (scale {})", scale());
    if run("machine") {
        bench_machine(dir.path());
    }
    if run("append") {
        bench_append(dir.path());
    }
    if run("verify") {
        bench_verify(dir.path());
    }
    if run("collect") {
        bench_collect(dir.path());
    }
    if run("audit") {
        bench_audit(dir.path());
    }
}
