//! The standard-library Python verifier (`contrib/verify_store.py`) against real stores, intact and
//! tampered, and agreement with `meshproof verify` on the same copies.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use rusqlite::{Connection, params};
use serde_json::Value;

const SCAN1: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: mesh-reader
rules:
- apiGroups: ["networking.istio.io"]
  resources: ["*"]
  verbs: ["get", "list"]
---
apiVersion: v1
kind: Secret
metadata:
  name: cacerts
  namespace: istio-system
data:
  ca-key.pem: c2VjcmV0
"#;

fn python() -> Option<&'static str> {
    let ok = StdCommand::new("python3")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some("python3")
    } else {
        eprintln!("SKIPPED: python3 is not available; the Python verifier tests did not run");
        None
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/verify_store.py")
}

fn collect(store: &Path, dump: &Path, at: &str) {
    Command::cargo_bin("meshproof")
        .unwrap_or_else(|e| unreachable!("{e}"))
        .args(["--store"])
        .arg(store)
        .args(["collect", "--from"])
        .arg(dump)
        .args(["--as-of", at])
        .assert()
        .success();
}

/// A store with two scans: scan 2 changes the ClusterRole and drops Namespace team-b.
/// Returns the temp dir, the store path and scan 1's `meta` rows (head and frontier).
fn two_scan_store() -> (tempfile::TempDir, PathBuf, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let dump = dir.path().join("dump");
    fs::create_dir_all(dump.join("c1")).unwrap_or_else(|e| unreachable!("{e}"));
    fs::write(dump.join("c1/objects.yaml"), SCAN1).unwrap_or_else(|e| unreachable!("{e}"));
    let store = dir.path().join("ev.db");
    collect(&store, &dump, "2026-12-01T00:00:00Z");
    let meta1 = read_meta(&store);
    let scan2 = SCAN1
        .replace("verbs: [\"get\", \"list\"]", "verbs: [\"get\", \"list\", \"watch\"]")
        .replace("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n", "");
    assert_ne!(scan2, SCAN1);
    assert!(!scan2.contains("team-b"));
    fs::write(dump.join("c1/objects.yaml"), scan2).unwrap_or_else(|e| unreachable!("{e}"));
    collect(&store, &dump, "2026-12-02T00:00:00Z");
    (dir, store, meta1)
}

fn read_meta(store: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(store).unwrap_or_else(|e| unreachable!("{e}"));
    let mut stmt = conn
        .prepare("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash', 'merkle_frontier')")
        .unwrap_or_else(|e| unreachable!("{e}"));
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap_or_else(|e| unreachable!("{e}"));
    let out: Vec<(String, String)> = rows.map(|r| r.unwrap_or_else(|e| unreachable!("{e}"))).collect();
    assert_eq!(out.len(), 3);
    out
}

/// Copies the store and its `.checkpoint` (when `with_checkpoint`) into a fresh directory.
fn copy_store(store: &Path, name: &str, with_checkpoint: bool) -> PathBuf {
    let dir = store.parent().unwrap_or_else(|| unreachable!()).join(name);
    fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("{e}"));
    let dst = dir.join("ev.db");
    assert!(
        !Path::new(&format!("{}-wal", store.display())).exists(),
        "store left a WAL file"
    );
    fs::copy(store, &dst).unwrap_or_else(|e| unreachable!("{e}"));
    if with_checkpoint {
        fs::copy(
            format!("{}.checkpoint", store.display()),
            format!("{}.checkpoint", dst.display()),
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
    }
    dst
}

struct Outcome {
    code: i32,
    seq: Option<u64>,
    what: String,
    records: u64,
    json: Value,
}

fn run_python(py: &str, store: &Path, extra: &[&str]) -> Outcome {
    let out = StdCommand::new(py)
        .arg(script())
        .arg(store)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap_or_else(|e| unreachable!("{e}"));
    let code = out.status.code().unwrap_or(-1);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "python output is not JSON ({e}); exit {code}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    outcome(code, json)
}

fn run_meshproof(store: &Path) -> Outcome {
    let out = Command::cargo_bin("meshproof")
        .unwrap_or_else(|e| unreachable!("{e}"))
        .arg("--store")
        .arg(store)
        .args(["verify", "-o", "json"])
        .output()
        .unwrap_or_else(|e| unreachable!("{e}"));
    let code = out.status.code().unwrap_or(-1);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "meshproof output is not JSON ({e}); exit {code}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    outcome(code, json)
}

fn outcome(code: i32, json: Value) -> Outcome {
    let seq = json.pointer("/problem/seq").and_then(Value::as_u64);
    let what = json
        .pointer("/problem/what")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let records = json.get("records").and_then(Value::as_u64).unwrap_or(u64::MAX);
    Outcome {
        code,
        seq,
        what,
        records,
        json,
    }
}

/// Both verifiers report tampering at `seq`, with `phrase` in the message.
fn assert_tampered(py: &str, store: &Path, seq: u64, phrase: &str) {
    let p = run_python(py, store, &[]);
    assert_eq!(p.code, 1, "python exit for {}: {}", store.display(), p.json);
    assert_eq!(p.seq, Some(seq), "python names the wrong record: {}", p.json);
    assert!(p.what.contains(phrase), "python message {:?} lacks {phrase:?}", p.what);
    let m = run_meshproof(store);
    assert_eq!(m.code, 1, "meshproof exit: {}", m.json);
    assert_eq!(m.seq, Some(seq), "meshproof names another record: {}", m.json);
    assert_eq!(p.what, m.what, "the two verifiers describe the problem differently");
}

fn seq_of(store: &Path, sql: &str) -> u64 {
    let conn = Connection::open(store).unwrap_or_else(|e| unreachable!("{e}"));
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn python_verifier_accepts_an_intact_store_and_agrees_with_meshproof() {
    let Some(py) = python() else { return };
    let (_dir, store, _) = two_scan_store();
    let p = run_python(py, &store, &["--rebuild-state", "2"]);
    assert_eq!(p.code, 0, "{}", p.json);
    assert_eq!(p.json["intact"], Value::Bool(true));
    assert_eq!(p.json["signatures_verified"], Value::Bool(false));
    let m = run_meshproof(&store);
    assert_eq!(m.code, 0, "{}", m.json);
    assert_eq!(p.records, m.records);
    assert!(p.records > 10, "expected two scans of records, got {}", p.records);
    for key in [
        "head",
        "checkpoint_size",
        "checkpoint_root",
        "key",
        "key_fingerprint",
        "bodies",
    ] {
        assert_eq!(p.json[key], m.json[key], "{key} differs");
    }
    // Scan 2: istio-system, team-a, the ClusterRole and the Secret (team-b was removed).
    assert_eq!(
        p.json.pointer("/state/subjects").and_then(Value::as_u64),
        Some(4),
        "{}",
        p.json
    );
    assert_eq!(p.json.pointer("/state/matches"), Some(&Value::Bool(true)));
    let p1 = run_python(py, &store, &["--rebuild-state", "1"]);
    assert_eq!(
        p1.json.pointer("/state/subjects").and_then(Value::as_u64),
        Some(5),
        "{}",
        p1.json
    );
    // Human output states that signatures were not checked.
    let text = StdCommand::new(py)
        .arg(script())
        .arg(&store)
        .output()
        .unwrap_or_else(|e| unreachable!("{e}"));
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.starts_with("INTACT"), "{text}");
    assert!(text.contains("NOT verified"), "{text}");
}

#[test]
fn python_verifier_detects_a_modified_body() {
    let Some(py) = python() else { return };
    let (_dir, store, _) = two_scan_store();
    let copy = copy_store(&store, "body", true);
    let seq = seq_of(
        &copy,
        "SELECT min(seq) FROM records WHERE subject = 'c1/istio-system/Secret/cacerts'",
    );
    {
        let conn = Connection::open(&copy).unwrap_or_else(|e| unreachable!("{e}"));
        let (id, mut data): (i64, Vec<u8>) = conn
            .query_row(
                "SELECT b.id, b.data FROM bodies b JOIN records r ON r.body_hash = b.hash WHERE r.seq = ?1",
                [seq],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or_else(|e| unreachable!("{e}"));
        // Flip one digit of the body (a size, a timestamp): still valid JSON, different bytes.
        let at = data
            .iter()
            .position(|b| b.is_ascii_digit())
            .unwrap_or_else(|| unreachable!("a digit in the body"));
        data[at] = if data[at] == b'9' { b'8' } else { data[at] + 1 };
        conn.execute("UPDATE bodies SET data = ?1 WHERE id = ?2", params![data, id])
            .unwrap_or_else(|e| unreachable!("{e}"));
    }
    assert_tampered(py, &copy, seq, "was modified");
}

#[test]
fn python_verifier_detects_a_changed_subject() {
    let Some(py) = python() else { return };
    let (_dir, store, _) = two_scan_store();
    let (copy, seq) = change_first_team_a_record(
        &store,
        "subject",
        "UPDATE records SET subject = 'c1/_cluster/Namespace/team-z' WHERE seq = ?1",
    );
    assert_tampered(py, &copy, seq, "record header was modified");
}

/// A copy of `store` (in directory `name`) with `update` (taking the seq as `?1`) run on the first
/// record of the Namespace team-a, and that record's seq.
fn change_first_team_a_record(store: &Path, name: &str, update: &str) -> (PathBuf, u64) {
    let copy = copy_store(store, name, true);
    let seq = seq_of(
        &copy,
        "SELECT min(seq) FROM records WHERE subject = 'c1/_cluster/Namespace/team-a'",
    );
    Connection::open(&copy)
        .and_then(|c| c.execute(update, [seq]))
        .unwrap_or_else(|e| unreachable!("{e}"));
    (copy, seq)
}

/// The derived object_kind column is checked by both verifiers, and a format-1 store (before the
/// column) still verifies in Python.
#[test]
fn python_verifier_checks_the_object_kind_column_and_reads_format_1() {
    let Some(py) = python() else { return };
    let (_dir, store, _) = two_scan_store();
    let (copy, seq) = change_first_team_a_record(
        &store,
        "object-kind",
        "UPDATE records SET object_kind = 'Secret' WHERE seq = ?1",
    );
    assert_tampered(py, &copy, seq, "the object_kind column does not match");

    let old = copy_store(&store, "format-1", true);
    Connection::open(&old)
        .and_then(|c| {
            c.execute_batch(
                "DROP INDEX records_object_kind; ALTER TABLE records DROP COLUMN object_kind;
                 UPDATE meta SET value = 'meshproof-evidence/1' WHERE key = 'format';",
            )
        })
        .unwrap_or_else(|e| unreachable!("{e}"));
    let p = run_python(py, &old, &[]);
    assert_eq!(p.code, 0, "{}", p.json);
    assert!(p.records > 0, "{}", p.json);
}

#[test]
fn python_verifier_detects_a_deleted_middle_record() {
    let Some(py) = python() else { return };
    let (_dir, store, _) = two_scan_store();
    let copy = copy_store(&store, "middle", true);
    Connection::open(&copy)
        .and_then(|c| c.execute("DELETE FROM records WHERE seq = 3", []))
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_tampered(py, &copy, 3, "record 3 is missing (the next record is 4)");
}

#[test]
fn python_verifier_detects_truncation_of_the_last_scan() {
    let Some(py) = python() else { return };
    let (_dir, store, meta1) = two_scan_store();
    let first2 = seq_of(&store, "SELECT min(seq) FROM records WHERE scan = 2");

    // Naive truncation: the recorded head in `meta` still names the lost records.
    let naive = copy_store(&store, "naive", true);
    Connection::open(&naive)
        .and_then(|c| c.execute("DELETE FROM records WHERE scan = 2", []))
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_tampered(py, &naive, first2 - 1, "records were removed or added");

    // Careful truncation: `meta` rolled back to scan 1's head and frontier; only the kept
    // checkpoint note reveals it.
    let careful = copy_store(&store, "careful", true);
    {
        let conn = Connection::open(&careful).unwrap_or_else(|e| unreachable!("{e}"));
        conn.execute("DELETE FROM records WHERE scan = 2", [])
            .unwrap_or_else(|e| unreachable!("{e}"));
        for (k, v) in &meta1 {
            conn.execute("UPDATE meta SET value = ?1 WHERE key = ?2", params![v, k])
                .unwrap_or_else(|e| unreachable!("{e}"));
        }
    }
    assert_tampered(py, &careful, first2, "store truncated");

    // The same copy without the kept checkpoint passes both verifiers: the documented limit.
    let unkept = copy_store(&careful, "unkept", false);
    let p = run_python(py, &unkept, &[]);
    let m = run_meshproof(&unkept);
    assert_eq!((p.code, m.code), (0, 0), "python {} / meshproof {}", p.json, m.json);
    assert_eq!(p.records, first2);
    // And the kept note can be given explicitly.
    let note = format!("{}.checkpoint", store.display());
    let p = run_python(py, &unkept, &["--checkpoint", &note]);
    assert_eq!((p.code, p.seq), (1, Some(first2)), "{}", p.json);
}

#[test]
fn python_verifier_cannot_run_on_a_non_store() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let junk = dir.path().join("junk.db");
    fs::write(&junk, b"not a database at all, just text").unwrap_or_else(|e| unreachable!("{e}"));
    let out = StdCommand::new(py)
        .arg(script())
        .arg(&junk)
        .output()
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let missing = dir.path().join("missing.db");
    let out = StdCommand::new(py)
        .arg(script())
        .arg(&missing)
        .output()
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}
