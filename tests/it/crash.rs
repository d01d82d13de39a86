//! Crash safety and writer exclusion: an interrupted collect leaves a store that verifies with the
//! scan marked incomplete, and a second writer waits for the lock and then fails clearly.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{AS_OF, Env};

/// A dump whose last file is a FIFO: `collect` blocks reading it until someone writes.
fn blocking_mesh(env: &Env) -> std::path::PathBuf {
    let mesh = env.mini_mesh();
    let fifo = mesh.join("beta/zz-blocking.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    mesh
}

fn wait_for_scan_started(env: &Env) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(conn) = rusqlite::Connection::open(env.store()) {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM records WHERE kind = 'scan.started' AND scan = 2",
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            if n > 0 {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("collect never started its scan");
}

#[test]
fn kill_9_mid_collect_leaves_a_verifiable_store_with_an_incomplete_scan() {
    let env = Env::new();
    let mesh = env.mini_mesh();
    env.collect(&mesh, AS_OF, 0);
    let mesh = {
        let fifo = mesh.join("beta/zz-blocking.yaml");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo")
                .success()
        );
        mesh
    };
    let mut child = env
        .std_cmd()
        .args(["collect", "--as-of", "2026-12-02T00:00:00Z", "--from"])
        .arg(&mesh)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for_scan_started(&env);
    std::thread::sleep(Duration::from_millis(200));
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let (code, out) = env.verify(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("incomplete:  scan(s) 2"), "{out}");
    let scans = env.cmd().args(["scans"]).output().expect("run");
    let text = String::from_utf8_lossy(&scans.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("2 ") && l.contains("incomplete")),
        "{text}"
    );

    // The next collect works and builds on the last complete scan.
    std::fs::remove_file(mesh.join("beta/zz-blocking.yaml")).expect("rm fifo");
    let out = env.collect(&mesh, "2026-12-03T00:00:00Z", 0);
    assert!(out.contains("unchanged since scan 1"), "{out}");
    assert_eq!(env.verify(&[]).0, 0);
}

#[test]
fn random_kills_during_large_collects_never_break_the_store() {
    let env = Env::new();
    for c in 0..6 {
        let items: Vec<serde_json::Value> = (0..1500)
            .map(|i| serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": format!("sa-{i}"), "namespace": format!("ns-{}", i % 50), "uid": format!("{c}-{i}")}}))
            .collect();
        env.write(
            &format!("mesh/c{c}/sa.json"),
            serde_json::to_vec(&serde_json::json!({"kind": "List", "apiVersion": "v1", "items": items})).expect("json"),
        );
    }
    // A first, complete scan: every later kill lands on an existing store.
    env.collect(&env.path("mesh"), "2026-11-30T00:00:00Z", 0);
    let mut incomplete_seen = false;
    for (i, delay) in [30u64, 60, 120, 250, 400, 700].iter().enumerate() {
        let mut child = env
            .std_cmd()
            .args([
                "collect",
                "--as-of",
                &format!("2026-12-{:02}T00:00:00Z", i + 1),
                "--from",
            ])
            .arg(env.path("mesh"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(*delay));
        let _ = child.kill();
        let _ = child.wait();
        if !env.store().exists() {
            // Killed before the store was created (a slow start under load): nothing to check.
            continue;
        }
        let (code, out) = env.verify(&["-o", "json"]);
        assert_eq!(code, 0, "after kill at {delay} ms: {out}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        incomplete_seen |= v["incomplete_scans"].as_array().is_some_and(|a| !a.is_empty());
    }
    assert!(
        incomplete_seen,
        "no kill landed mid-scan; the test did not exercise a crash"
    );
}

#[test]
fn a_second_writer_waits_for_the_lock_then_fails_clearly() {
    let env = Env::new();
    let mesh = blocking_mesh(&env);
    let mut first = env
        .std_cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(&mesh)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while !env.store().exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let other = env.path("other");
    std::fs::create_dir_all(other.join("c1")).expect("mkdir");
    std::fs::write(
        other.join("c1/ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    )
    .expect("write");
    let second = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--lock-timeout", "1", "--from"])
        .arg(&other)
        .output()
        .expect("run");
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("being written by another meshproof process"),
        "{stderr}"
    );

    // Unblock the first writer: it completes, and the chain is one line.
    std::fs::write(mesh.join("beta/zz-blocking.yaml"), "").expect("unblock fifo");
    let status = first.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    let (code, out) = env.verify(&[]);
    assert_eq!(code, 0, "{out}");
    let scans = env.cmd().args(["scans", "-o", "json"]).output().expect("run");
    let scans: Vec<serde_json::Value> = serde_json::from_slice(&scans.stdout).expect("json");
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0]["complete"], true);
}

/// ConfigMap `i` of cluster `c1` at `version`; its body has `i % 301` bytes of padding, so that
/// bodies differ in length.
fn config_map(i: usize, version: &str) -> meshproof::model::Observation {
    meshproof::model::Observation {
        source: "k8s/c1".into(),
        kind: meshproof::model::kinds::K8S_OBJECT,
        subject: format!("c1/ns/ConfigMap/cm-{i:05}"),
        body: serde_json::json!({"kind": "ConfigMap", "metadata": {"name": format!("cm-{i:05}")}, "data": {"v": version, "pad": "p".repeat(i % 301)}}),
    }
}

fn at(date: &str) -> meshproof::model::Timestamp {
    date.parse().expect("time")
}

/// A new store in a temporary directory (kept alive by the returned guard), its path and a signer.
fn new_store() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    meshproof::store::Store,
    meshproof::store::Signer,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.db");
    let store = meshproof::store::Store::open(&path).expect("open");
    (dir, path, store, meshproof::store::Signer::from_seed([7; 32]))
}

/// A scan dropped after the writer committed some of its batches: the committed records stay, the
/// scan is incomplete, the store verifies, and the next scan builds on the last complete scan as
/// if the interrupted one had never happened.
#[test]
fn records_committed_by_an_interrupted_scan_are_not_part_of_any_state() {
    use meshproof::store::verify;

    let (_dir, path, mut store, signer) = new_store();
    let mut scan = store
        .begin_scan(at("2026-12-01T00:00:00Z"), serde_json::json!({}))
        .expect("begin");
    for i in 0..3 {
        scan.add(config_map(i, "1")).expect("add");
    }
    scan.finish(&signer).expect("finish");

    // More records than one writer batch, every one of them changed: batches reach the file.
    let mut scan = store
        .begin_scan(at("2026-12-02T00:00:00Z"), serde_json::json!({}))
        .expect("begin");
    for i in 0..25_000 {
        scan.add(config_map(i, "2")).expect("add");
    }
    drop(scan);
    let committed: u64 = rusqlite::Connection::open(&path)
        .expect("sqlite")
        .query_row("SELECT count(*) FROM records WHERE scan = 2", [], |r| r.get(0))
        .expect("count");
    assert!(
        committed > 20_000,
        "{committed} records of the interrupted scan committed"
    );
    let report = verify::verify(&path, &verify::Options::default()).expect("verify");
    assert!(report.intact, "{:?}", report.problem);
    assert_eq!(report.incomplete_scans, vec![2]);

    let mut scan = store
        .begin_scan(at("2026-12-03T00:00:00Z"), serde_json::json!({}))
        .expect("begin");
    for i in 0..3 {
        scan.add(config_map(i, "1")).expect("add");
    }
    let summary = scan.finish(&signer).expect("finish");
    assert_eq!((summary.base, summary.unchanged), (Some(1), 3));
    let state = store.snapshot_state(summary.scan).expect("state");
    assert_eq!(state.len(), 3);
    assert!(state.values().all(|e| e.seq < 10), "{state:?}");
    let report = verify::verify(&path, &verify::Options::default()).expect("verify");
    assert!(report.intact, "{:?}", report.problem);
    // `scans` takes each scan's records as a sequence range (objects are not in the (scan, kind)
    // index): the same counts as counting rows, the interrupted scan included.
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let scans = store.scans().expect("scans");
    assert_eq!(
        scans.iter().map(|s| (s.scan, s.complete)).collect::<Vec<_>>(),
        [(1, true), (2, false), (3, true)]
    );
    for info in scans {
        let n: u64 = conn
            .query_row("SELECT count(*) FROM records WHERE scan = ?1", [info.scan], |r| {
                r.get(0)
            })
            .expect("count");
        assert_eq!(info.records, n, "scan {}", info.scan);
    }
}

#[test]
fn a_scan_of_many_writer_batches_stores_every_body_as_it_was_added() {
    use meshproof::model::{Observation, Prepared, to_canonical_vec};
    use meshproof::store::verify;

    let (_dir, path, mut store, signer) = new_store();
    let mut scan = store
        .begin_scan(at("2026-12-01T00:00:00Z"), serde_json::json!({}))
        .expect("begin");
    for i in (0..50_000).step_by(7) {
        scan.add(config_map(i, "1")).expect("add");
    }
    scan.finish(&signer).expect("finish");

    // Several writer batches, so that written buffers come back and are filled again; objects
    // unchanged since the first scan and duplicates are dropped between those that are kept, by
    // both ways in (`add` canonicalizes into the writer's buffer, `add_prepared` copies).
    let mut scan = store
        .begin_scan(at("2026-12-02T00:00:00Z"), serde_json::json!({}))
        .expect("begin");
    let mut expected = std::collections::BTreeMap::new();
    let mut order = Vec::new();
    for i in 0..50_000 {
        let version = if i % 7 == 0 && i % 2 == 0 { "1" } else { "2" };
        let obs = config_map(i, version);
        if version == "2" {
            expected.insert(obs.subject.clone(), to_canonical_vec(&obs.body));
            order.push(obs.subject.clone());
        }
        if i % 3 == 0 {
            scan.add_prepared(Prepared::new(obs)).expect("add");
        } else {
            scan.add(obs).expect("add");
        }
        if i % 1000 == 0 {
            scan.add(config_map(i, "duplicate")).expect("add");
        }
        if i % 100 == 0 {
            // The same body under many subjects, often within one insert statement.
            let shared = Observation {
                subject: format!("c1/ns/ConfigMap/shared-{i:05}"),
                body: serde_json::json!({"kind": "ConfigMap", "data": {"shared": true}}),
                ..config_map(i, "2")
            };
            expected.insert(shared.subject.clone(), to_canonical_vec(&shared.body));
            order.push(shared.subject.clone());
            scan.add(shared).expect("add");
        }
    }
    let summary = scan.finish(&signer).expect("finish");
    assert_eq!(summary.unchanged, 3572);
    assert_eq!(summary.appended, expected.len() as u64 + 4);

    let report = verify::verify(&path, &verify::Options::default()).expect("verify");
    assert!(report.intact, "{:?}", report.problem);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let mut stmt = conn
        .prepare(
            "SELECT r.subject, b.data FROM records r JOIN bodies b ON b.hash = r.body_hash
             WHERE r.scan = 2 AND r.kind = 'k8s.object' ORDER BY r.seq",
        )
        .expect("prepare");
    let stored: Vec<(String, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(stored.len(), expected.len());
    let shared = meshproof::model::sha256(&to_canonical_vec(
        &serde_json::json!({"kind": "ConfigMap", "data": {"shared": true}}),
    ));
    let copies: u64 = conn
        .query_row("SELECT count(*) FROM bodies WHERE hash = ?1", [&shared.0[..]], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(copies, 1, "a body shared by 500 records is stored once");
    // In the order they were added, each with its own body.
    assert_eq!(
        stored.iter().map(|(s, _)| s).collect::<Vec<_>>(),
        order.iter().collect::<Vec<_>>()
    );
    for (subject, body) in stored {
        assert_eq!(expected.get(&subject), Some(&body), "{subject}");
    }
}
