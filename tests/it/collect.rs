//! `meshproof collect`: what is kept, re-collection cost, bad input, exit codes.

use std::path::Path;

use serde_json::Value;

use crate::harness::{AS_OF, Env};

fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

fn list(env: &Env, args: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .args(["evidence", "list", "-o", "json"])
        .args(args)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json array")
}

#[test]
fn keeps_mesh_objects_counts_the_rest_and_verifies() {
    let env = Env::new();
    let mesh = env.mini_mesh();
    let out = env.collect(&mesh, AS_OF, 0);
    assert!(out.contains("alpha") && out.contains("beta"), "{out}");
    let objects = list(&env, &["--kind", "k8s.object"]);
    let subjects: Vec<&str> = objects.iter().filter_map(|r| r["subject"].as_str()).collect();
    assert!(subjects.contains(&"alpha/_cluster/Namespace/payments"), "{subjects:?}");
    assert!(subjects.contains(&"beta/istio-system/ConfigMap/istio"), "{subjects:?}");
    assert!(
        subjects.contains(&"beta/istio-system/PeerAuthentication/default"),
        "{subjects:?}"
    );
    assert!(!subjects.iter().any(|s| s.contains("Deployment")), "{subjects:?}");
    assert_eq!(objects.len(), 2 * 6);
    for r in &objects {
        assert_eq!(r["collected_at"], AS_OF);
        assert_eq!(r["kind"], "k8s.object");
        assert!(r["hash"].as_str().is_some_and(|h| h.len() == 64));
        assert!(r["body"]["metadata"]["name"].is_string());
    }
    let notes = list(&env, &["--kind", "collection.note", "--cluster", "alpha"]);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["body"]["skipped"]["apps/v1 Deployment"], 1);
    assert_eq!(env.verify(&[]).0, 0);
}

#[test]
fn recollecting_identical_input_grows_the_store_by_little() {
    let env = Env::new();
    // A mesh of realistic size: 3 clusters × 400 objects.
    for c in 0..3 {
        let items: Vec<Value> = (0..400)
            .map(|i| {
                serde_json::json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": format!("role-{i}"), "namespace": format!("team-{}", i % 20),
                                 "uid": format!("{c:04}-{i:08}-aaaa-bbbb-cccccccccccc"), "resourceVersion": format!("{}", 1000 + i),
                                 "labels": {"app.kubernetes.io/managed-by": "Helm", "team": format!("team-{}", i % 20)}},
                    "rules": [{"apiGroups": [""], "resources": ["configmaps", "services", "endpoints"], "verbs": ["get", "list", "watch"]},
                              {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}]
                })
            })
            .collect();
        env.write(
            &format!("mesh/c{c}/roles.json"),
            serde_json::to_vec(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})).expect("json"),
        );
    }
    let size = |env: &Env| -> u64 {
        let conn = env.sql();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        drop(conn);
        std::fs::metadata(env.store()).expect("meta").len()
    };
    env.collect(&env.path("mesh"), AS_OF, 0);
    let first = size(&env);
    env.collect(&env.path("mesh"), "2026-12-02T00:00:00Z", 0);
    let second = size(&env);
    let growth = (second - first) as f64 / first as f64;
    assert!(
        growth <= 0.02,
        "re-collect grew the store by {:.1}% ({first} → {second} bytes)",
        growth * 100.0
    );
    let scans: Vec<Value> =
        serde_json::from_slice(&env.cmd().args(["scans", "-o", "json"]).output().expect("run").stdout).expect("json");
    assert_eq!(scans.len(), 2);
    // The second scan's view still holds every object.
    assert_eq!(list(&env, &["--kind", "k8s.object"]).len(), 1200);
    assert_eq!(env.verify(&[]).0, 0);
}

#[test]
fn changed_and_removed_objects_show_in_the_next_scan_view() {
    let env = Env::new();
    let mesh = env.mini_mesh();
    env.collect(&mesh, AS_OF, 0);
    std::fs::remove_file(mesh.join("beta/istio-system/mesh-config.yaml")).expect("rm");
    let objects = mesh.join("alpha/objects.json");
    let text = std::fs::read_to_string(&objects)
        .expect("read")
        .replace("oncall-alpha", "oncall-alpha-2");
    std::fs::write(&objects, text).expect("write");
    env.collect(&mesh, "2026-12-02T00:00:00Z", 0);
    let latest = list(&env, &["--kind", "k8s.object"]);
    assert_eq!(latest.len(), 11);
    assert!(
        !latest
            .iter()
            .any(|r| r["subject"] == "beta/istio-system/ConfigMap/istio")
    );
    let binding = latest
        .iter()
        .find(|r| r["subject"] == "alpha/_cluster/ClusterRoleBinding/platform-oncall")
        .expect("binding");
    assert_eq!(binding["scan"], 2);
    assert_eq!(binding["body"]["subjects"][0]["name"], "oncall-alpha-2");
    let unchanged = latest
        .iter()
        .find(|r| r["subject"] == "beta/_cluster/Namespace/payments")
        .expect("ns");
    assert_eq!(unchanged["scan"], 1, "unchanged objects are not appended again");
    let first = list(&env, &["--kind", "k8s.object", "--scan", "1"]);
    assert_eq!(first.len(), 12);
}

#[test]
fn bad_input_becomes_gaps_and_the_rest_is_kept() {
    let env = Env::new();
    let dir = fixture("bad-input");
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(&dir)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "partial collection exits 3\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let gaps = list(&env, &["--kind", "collection.gap"]);
    let reason = |file: &str| -> String {
        gaps.iter()
            .filter(|g| g["body"]["file"].as_str().is_some_and(|f| f.ends_with(file)))
            .map(|g| g["body"]["reason"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(
        reason("truncated.yaml").starts_with("invalid YAML at line"),
        "{}",
        reason("truncated.yaml")
    );
    assert!(
        reason("truncated.json").contains("truncated"),
        "{}",
        reason("truncated.json")
    );
    assert!(
        reason("anchor-bomb.yaml").starts_with("invalid YAML"),
        "{}",
        reason("anchor-bomb.yaml")
    );
    assert!(reason("binary.bin").contains("binary"), "{}", reason("binary.bin"));
    assert!(
        reason("invalid-utf8.yaml").contains("not UTF-8"),
        "{}",
        reason("invalid-utf8.yaml")
    );
    assert!(reason("deep.json").contains("invalid JSON"), "{}", reason("deep.json"));
    assert!(
        reason("no-kind.yaml").contains("document 1"),
        "{}",
        reason("no-kind.yaml")
    );
    assert!(
        reason("no-kind.yaml").contains("document 3"),
        "{}",
        reason("no-kind.yaml")
    );
    assert!(
        reason("dup-2.yaml").contains("kept the one from nested/dup-2.yaml"),
        "{}",
        reason("dup-2.yaml")
    );
    assert!(
        reason("audit.log").contains("2 malformed line"),
        "{}",
        reason("audit.log")
    );
    assert!(
        reason("stray.yaml").contains("outside any cluster folder"),
        "{}",
        reason("stray.yaml")
    );
    assert!(reason("empty.yaml").is_empty());

    let objects = list(&env, &["--kind", "k8s.object"]);
    let payments = objects
        .iter()
        .find(|r| r["subject"] == "cluster-a/_cluster/Namespace/payments")
        .expect("kept");
    assert_eq!(payments["body"]["metadata"]["labels"]["team"], "new");
    assert!(
        objects
            .iter()
            .any(|r| r["subject"] == "cluster-a/istio-system/PeerAuthentication/default")
    );
    let audit = list(&env, &["--kind", "audit.event"]);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["subject"], "cluster-b/audit/a-1");
    assert_eq!(env.verify(&[]).0, 0);
}

#[test]
fn oversized_file_is_refused_without_reading_it() {
    let env = Env::new();
    env.write(
        "mesh/c1/ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n",
    );
    let big = std::fs::File::create(env.path("mesh/c1/huge.json")).expect("create");
    big.set_len(1 << 30).expect("sparse 1 GiB file");
    drop(big);
    env.collect(&env.path("mesh"), AS_OF, 3);
    let gaps = list(&env, &["--kind", "collection.gap"]);
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0]["body"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("over the 268435456-byte limit"))
    );
    // A lower limit applies to small files too.
    env.write(
        "mesh/c1/ns2.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n",
    );
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--max-file-size", "10", "--from"])
        .arg(env.path("mesh"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "nothing collected at all exits 2");
}

#[test]
fn empty_or_flat_directories_are_clear_errors() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("empty")).expect("mkdir");
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(env.path("empty"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cluster folders"));
    env.write(
        "flat/ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    );
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(env.path("flat"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(env.path("missing"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read dump directory"));
    assert!(!env.store().exists(), "a failed collect must not create a store");
}

#[test]
fn evidence_show_by_seq_and_hash_and_scans_listing() {
    let env = Env::new();
    env.collect(&env.mini_mesh(), AS_OF, 0);
    let out = env.cmd().args(["evidence", "show", "3"]).output().expect("run");
    assert!(out.status.success());
    let rec: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rec["seq"], 3);
    let hash = rec["hash"].as_str().expect("hash").to_string();
    let out = env.cmd().args(["evidence", "show", &hash]).output().expect("run");
    let again: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(again, rec);
    let out = env.cmd().args(["evidence", "show", "99999"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = env.cmd().arg("scans").output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("SCAN  COLLECTED AT"), "{text}");
    assert!(text.contains("complete"), "{text}");
}

#[test]
fn audit_logs_given_on_the_command_line_stream_and_merge_like_dump_folders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh/mgmt/audit");
    let rotated = root.join("kube-apiserver-audit-2026-08-31.log.gz");
    let current = root.join("kube-apiserver-audit.log");
    let env = Env::new();
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--audit-log"])
        .arg(format!("mgmt={}", rotated.display()))
        .arg("--audit-log")
        .arg(format!("mgmt={}", current.display()))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let streamed = list(&env, &["--kind", "audit.event"]);
    // The same log read from the dump folder gives the same events, byte for byte.
    let dump = Env::new();
    dump.collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh"),
        AS_OF,
        0,
    );
    let from_dump = list(&dump, &["--kind", "audit.event"]);
    let bodies = |v: &[Value]| -> Vec<(String, Value)> {
        v.iter()
            .map(|r| (r["subject"].as_str().unwrap_or_default().to_string(), r["body"].clone()))
            .collect()
    };
    assert!(!streamed.is_empty());
    assert_eq!(bodies(&streamed), bodies(&from_dump));
    let carol = streamed
        .iter()
        .find(|r| r["body"]["user"]["username"] == "carol.contractor@example.com")
        .expect("refused");
    assert_eq!(carol["body"]["responseStatus"]["code"], 403);
    // A bad argument is refused before the store is touched.
    let bad = Env::new();
    let out = bad
        .cmd()
        .args(["collect", "--audit-log", "no-equals-sign"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(!bad.store().exists());
}

/// Records are appended in the order the collector delivers them (docs/evidence-format.md §10):
/// the same dump gives the same sequence in any store, cluster by cluster in name order, each
/// cluster's records sorted by (source, kind, subject).
#[test]
fn the_same_dump_is_appended_in_the_same_documented_order() {
    let mesh = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh");
    let records = |env: &Env| -> Vec<(i64, String, String, String, Vec<u8>)> {
        env.collect(&mesh, AS_OF, 0);
        let conn = env.sql();
        let mut stmt = conn
            .prepare(
                "SELECT seq, source, kind, subject, body_hash FROM records
                 WHERE kind NOT IN ('scan.started', 'scan.manifest', 'scan.finished', 'checkpoint') ORDER BY seq",
            )
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let first = records(&Env::new());
    assert!(first.len() > 100, "{} records", first.len());
    assert_eq!(first, records(&Env::new()));

    let cluster = |source: &str| source.split_once('/').map_or(source, |(_, c)| c).to_string();
    let order: Vec<(String, &str, &str, &str)> = first
        .iter()
        .map(|(_, source, kind, subject, _)| (cluster(source), source.as_str(), kind.as_str(), subject.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        order, sorted,
        "records must come cluster by cluster, each sorted by (source, kind, subject)"
    );
}
