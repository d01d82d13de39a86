//! `meshproof export --bundle` and `meshproof verify --bundle`: what an auditor receives, and
//! every way it can be altered.

use std::path::Path;

use crate::harness::{AS_OF, Env};

fn exported(env: &Env, bundle: &str) -> std::path::PathBuf {
    env.collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh"),
        AS_OF,
        0,
    );
    let out = env
        .cmd()
        .args(["export", "--as-of", AS_OF, "--framework", "soc2", "--bundle"])
        .arg(env.path(bundle))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let key = env.cmd().args(["key", "public"]).output().expect("run");
    std::fs::write(env.path("pinned.pub"), key.stdout).expect("write");
    env.path(bundle)
}

fn verify(env: &Env, bundle: &Path, pubkey: Option<&Path>) -> (i32, serde_json::Value) {
    let mut cmd = env.cmd();
    cmd.args(["verify", "-o", "json", "--bundle"]).arg(bundle);
    if let Some(k) = pubkey {
        cmd.arg("--pubkey").arg(k);
    }
    let out = cmd.output().expect("run");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn an_exported_archive_verifies_with_the_pinned_key_and_is_deterministic() {
    let env = Env::new();
    let bundle = exported(&env, "audit.tar.gz");
    let (code, report) = verify(&env, &bundle, Some(&env.path("pinned.pub")));
    assert_eq!(code, 0, "{report}");
    assert!(report["proofs"].as_u64().is_some_and(|n| n > 10), "{report}");
    assert_eq!(report["key_pinned"], true);
    // The same store and as-of give the same archive, byte for byte.
    let again = env
        .cmd()
        .args(["export", "--as-of", AS_OF, "--framework", "soc2", "--bundle"])
        .arg(env.path("again.tar.gz"))
        .output()
        .expect("run");
    assert!(again.status.success());
    assert_eq!(
        std::fs::read(&bundle).expect("a"),
        std::fs::read(env.path("again.tar.gz")).expect("b")
    );
    // An existing path is never overwritten.
    let clash = env
        .cmd()
        .args(["export", "--as-of", AS_OF, "--bundle"])
        .arg(&bundle)
        .output()
        .expect("run");
    assert_eq!(clash.status.code(), Some(2));
}

#[test]
fn every_alteration_of_a_bundle_directory_is_named() {
    let env = Env::new();
    let dir = exported(&env, "bundle");
    let pinned = env.path("pinned.pub");
    assert_eq!(verify(&env, &dir, Some(&pinned)).0, 0);

    // A report edited after export.
    let md = dir.join("reports/soc2.md");
    let original = std::fs::read(&md).expect("md");
    std::fs::write(&md, [original.as_slice(), b"\nall controls satisfied\n"].concat()).expect("write");
    let (code, report) = verify(&env, &dir, Some(&pinned));
    assert_eq!(code, 1);
    assert!(
        report["problems"][0]
            .as_str()
            .is_some_and(|p| p.contains("reports/soc2.md was modified")),
        "{report}"
    );
    std::fs::write(&md, &original).expect("restore");

    // A forged inclusion proof (with MANIFEST rewritten to match).
    let proofs_path = dir.join("proofs.json");
    let text = std::fs::read_to_string(&proofs_path).expect("proofs");
    let mut proofs: serde_json::Value = serde_json::from_str(&text).expect("json");
    proofs["records"][0]["audit_path"][0] = serde_json::json!("00".repeat(32));
    std::fs::write(&proofs_path, serde_json::to_vec_pretty(&proofs).expect("json")).expect("write");
    let (code, report) = verify(&env, &dir, Some(&pinned));
    assert_eq!(code, 1);
    let problems = report["problems"].to_string();
    assert!(problems.contains("proofs.json was modified"), "{problems}");
    assert!(problems.contains("does not lead to the checkpoint root"), "{problems}");
    std::fs::write(&proofs_path, &text).expect("restore");

    // Signed by someone else: the pinned key catches it.
    let other = Env::new();
    let key = other
        .cmd()
        .args(["key", "generate", "--key"])
        .arg(other.path("k"))
        .output()
        .expect("run");
    std::fs::write(other.path("other.pub"), key.stdout).expect("write");
    let (code, report) = verify(&env, &dir, Some(&other.path("other.pub")));
    assert_eq!(code, 1, "{report}");
    assert!(report["problems"].to_string().contains("is not the pinned key"));

    // A body of the bundled store changed.
    let conn = rusqlite::Connection::open(dir.join("store/meshproof.db")).expect("open");
    conn.execute(
        "UPDATE bodies SET data = CAST(replace(CAST(data AS TEXT), 'istio', 'ystio') AS BLOB) WHERE id = (SELECT min(id) FROM bodies WHERE instr(CAST(data AS TEXT), 'istio') > 0)",
        [],
    )
    .expect("tamper");
    drop(conn);
    let (code, report) = verify(&env, &dir, Some(&pinned));
    assert_eq!(code, 1);
    assert!(
        report["problems"].to_string().contains("bundled store at record"),
        "{report}"
    );
}
