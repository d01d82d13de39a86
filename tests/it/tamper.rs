//! Tampering with a store in every way `verify` must catch: it names the first bad record.

use rusqlite::params;

use crate::harness::{AS_OF, Env};

/// A store with two complete scans (the second changes one object and removes another).
fn two_scans() -> Env {
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
    assert_eq!(env.verify(&[]).0, 0, "fresh store must verify");
    env
}

fn record_count(env: &Env) -> i64 {
    env.sql()
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .expect("count")
}

fn assert_tampered_at(env: &Env, seq: i64) {
    let (code, out) = env.verify(&[]);
    assert_eq!(code, 1, "verify must report tampering:\n{out}");
    assert!(
        out.starts_with(&format!("TAMPERED at record {seq}:")),
        "expected record {seq}:\n{out}"
    );
}

#[test]
fn fresh_store_verifies_and_reports_json() {
    let env = two_scans();
    let (code, out) = env.verify(&["-o", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["intact"], true);
    assert_eq!(v["records"].as_i64(), Some(record_count(&env)));
    assert_eq!(v["checkpoints"], 2);
}

#[test]
fn modified_body_is_detected_at_its_first_record() {
    let env = two_scans();
    let conn = env.sql();
    let (seq, hash): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT seq, body_hash FROM records WHERE kind='k8s.object' ORDER BY seq LIMIT 1 OFFSET 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    let data: Vec<u8> = conn
        .query_row("SELECT data FROM bodies WHERE hash=?1", [&hash], |r| r.get(0))
        .expect("body");
    let tampered = String::from_utf8(data)
        .expect("utf8")
        .replacen("oncall", "0ncall", 1)
        .replacen("\"name\"", "\"Name\"", 1);
    conn.execute(
        "UPDATE bodies SET data=?1 WHERE hash=?2",
        params![tampered.as_bytes(), &hash],
    )
    .expect("update");
    assert_tampered_at(&env, seq);
}

#[test]
fn deleted_body_is_named_at_its_first_record() {
    let env = two_scans();
    let conn = env.sql();
    // The body first referenced last among the objects: verify names that first reference.
    let (seq, hash): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT min(seq), body_hash FROM records WHERE kind='k8s.object'
             GROUP BY body_hash ORDER BY min(seq) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    conn.execute("DELETE FROM bodies WHERE hash = ?1", [&hash])
        .expect("delete");
    assert_tampered_at(&env, seq);
    let (_, out) = env.verify(&[]);
    assert!(out.contains("is missing"), "{out}");
}

#[test]
fn every_header_column_is_protected() {
    let columns: &[(&str, &str)] = &[
        ("scan", "99"),
        ("collected_at", "'2020-01-01T00:00:00Z'"),
        ("source", "'k8s/evil'"),
        ("kind", "'k8s.objekt'"),
        ("subject", "'alpha/default/Namespace/evil'"),
        ("body_hash", "randomblob(32)"),
        ("prev_hash", "randomblob(32)"),
        ("hash", "randomblob(32)"),
        // Not hashed, but derived from kind and subject: a changed value would hide the record
        // from lookups by object kind (who-added).
        ("object_kind", "'Evil'"),
        ("object_kind", "NULL"),
    ];
    for (column, value) in columns {
        let env = two_scans();
        let seq = record_count(&env) / 2;
        env.sql()
            .execute(&format!("UPDATE records SET {column} = {value} WHERE seq = ?1"), [seq])
            .expect("update");
        let (code, out) = env.verify(&[]);
        assert_eq!(code, 1, "{column}: {out}");
        assert!(
            out.starts_with(&format!("TAMPERED at record {seq}:")),
            "{column}: {out}"
        );
    }
}

#[test]
fn deleted_record_is_named() {
    let env = two_scans();
    env.sql()
        .execute("DELETE FROM records WHERE seq = 5", [])
        .expect("delete");
    let (code, out) = env.verify(&[]);
    assert_eq!(code, 1);
    assert!(out.starts_with("TAMPERED at record 5: record 5 is missing"), "{out}");
}

#[test]
fn inserted_record_breaks_the_chain() {
    let env = two_scans();
    let conn = env.sql();
    let n = record_count(&env);
    // Make room at seq 7 and insert a copy of record 6 there (with a correctly computed hash of its own).
    for seq in (7..n).rev() {
        conn.execute("UPDATE records SET seq = seq + 1 WHERE seq = ?1", [seq])
            .expect("shift");
    }
    conn.execute(
        "INSERT INTO records SELECT 7, scan, collected_at, source, kind, subject, body_hash, hash, hash, object_kind FROM records WHERE seq = 6",
        [],
    )
    .expect("insert");
    assert_tampered_at(&env, 7);
}

#[test]
fn reordered_records_are_detected() {
    let env = two_scans();
    let conn = env.sql();
    conn.execute("UPDATE records SET seq = -1 WHERE seq = 4", [])
        .expect("a");
    conn.execute("UPDATE records SET seq = 4 WHERE seq = 5", []).expect("b");
    conn.execute("UPDATE records SET seq = 5 WHERE seq = -1", [])
        .expect("c");
    assert_tampered_at(&env, 4);
}

#[test]
fn truncation_after_a_checkpoint_is_detected_even_with_meta_fixed() {
    let env = two_scans();
    let conn = env.sql();
    let first_checkpoint: i64 = conn
        .query_row("SELECT min(seq) FROM records WHERE kind = 'checkpoint'", [], |r| {
            r.get(0)
        })
        .expect("cp");
    conn.execute("DELETE FROM records WHERE seq > ?1", [first_checkpoint])
        .expect("truncate");
    // A careful attacker also rewrites the recorded head and frontier.
    let (hash,): (Vec<u8>,) = conn
        .query_row("SELECT hash FROM records WHERE seq = ?1", [first_checkpoint], |r| {
            Ok((r.get(0)?,))
        })
        .expect("h");
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'head_seq'",
        [first_checkpoint.to_string()],
    )
    .expect("m1");
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'head_hash'", [hex(&hash)])
        .expect("m2");
    conn.execute("DELETE FROM meta WHERE key = 'merkle_frontier'", [])
        .expect("m3");
    let (code, out) = env.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("store truncated"), "{out}");
    assert!(
        out.starts_with(&format!("TAMPERED at record {}:", first_checkpoint + 1)),
        "{out}"
    );
}

#[test]
fn checkpoint_by_another_key_fails_when_a_key_is_pinned() {
    let env = two_scans();
    let other = Env::new();
    let key = other.path("other.key");
    let out = other
        .cmd()
        .args(["key", "generate", "--key"])
        .arg(&key)
        .output()
        .expect("run");
    assert!(out.status.success());
    std::fs::write(other.path("other.pub"), &out.stdout).expect("write");
    let pinned = other.path("other.pub");
    let (code, text) = env.verify(&["--pubkey", pinned.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{text}");

    let own = env.cmd().args(["key", "public"]).output().expect("run");
    std::fs::write(env.path("own.pub"), &own.stdout).expect("write");
    let (code, text) = env.verify(&["--pubkey", env.path("own.pub").to_str().expect("utf8")]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("(pinned)"), "{text}");
}

#[test]
fn not_a_store_or_missing_store_exits_2() {
    let env = Env::new();
    let (code, _) = env.verify(&[]);
    assert_eq!(code, 2);
    env.write("meshproof.db", "this is not sqlite at all, just text ........................................................................................");
    let out = env.cmd().arg("verify").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a meshproof evidence store"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

mod random_modifications {
    use proptest::prelude::*;

    use super::*;
    use meshproof::store::verify;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
        /// Any single stored value a report could show, changed, is detected.
        #[test]
        fn any_single_change_is_detected(target in 0usize..9, pick in 0u32..10_000, flip in 1u8..255) {
            let env = Env::new();
            let mesh = env.mini_mesh();
            env.collect(&mesh, AS_OF, 0);
            let conn = env.sql();
            let n: i64 = conn.query_row("SELECT count(*) FROM records", [], |r| r.get(0)).expect("n");
            let seq = i64::from(pick) % n;
            let columns = ["scan", "collected_at", "source", "kind", "subject", "body_hash", "prev_hash", "hash", "object_kind"];
            if target < columns.len() {
                let column = columns[target];
                let value: rusqlite::types::Value = conn
                    .query_row(&format!("SELECT {column} FROM records WHERE seq = ?1"), [seq], |r| r.get(0))
                    .expect("value");
                let changed = match value {
                    rusqlite::types::Value::Integer(i) => rusqlite::types::Value::Integer(i + i64::from(flip)),
                    rusqlite::types::Value::Text(t) => {
                        let mut b = t.into_bytes();
                        let i = pick as usize % b.len();
                        b[i] = if b[i] == b'x' { b'y' } else { b'x' };
                        rusqlite::types::Value::Text(String::from_utf8_lossy(&b).into_owned())
                    }
                    rusqlite::types::Value::Blob(mut b) => {
                        let i = pick as usize % b.len();
                        b[i] ^= flip;
                        rusqlite::types::Value::Blob(b)
                    }
                    rusqlite::types::Value::Null => rusqlite::types::Value::Text("Secret".into()),
                    other => other,
                };
                conn.execute(&format!("UPDATE records SET {column} = ?1 WHERE seq = ?2"), params![changed, seq]).expect("update");
            } else {
                let (id, mut data): (i64, Vec<u8>) = conn
                    .query_row("SELECT id, data FROM bodies ORDER BY id LIMIT 1 OFFSET ?1",
                        [i64::from(pick) % conn.query_row("SELECT count(*) FROM bodies", [], |r| r.get::<_, i64>(0)).expect("c")],
                        |r| Ok((r.get(0)?, r.get(1)?)))
                    .expect("body");
                let i = pick as usize % data.len();
                data[i] ^= flip;
                conn.execute("UPDATE bodies SET data = ?1 WHERE id = ?2", params![data, id]).expect("update");
            }
            drop(conn);
            let report = verify::verify(&env.store(), &verify::Options::default()).expect("verify runs");
            prop_assert!(!report.intact, "change not detected: target {} seq {}", target, seq);
        }
    }
}
