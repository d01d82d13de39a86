//! Waivers: `collect --waivers` records the validated file as a `waiver.file` record, `findings`
//! applies it (current, expired, unused), `--fail-on` ignores current waivers only, and
//! `findings --waivers` overrides with a warning. Uses `sample-evidence/waivers.toml`.

use std::path::Path;

use serde_json::Value;

use crate::harness::{AS_OF, Env};

fn sample(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence").join(rel)
}

fn collect_with_waivers(env: &Env) {
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(sample("mesh"))
        .arg("--waivers")
        .arg(sample("waivers.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

fn find<'a>(all: &'a [Value], check: &str, subject: &str) -> &'a Value {
    all.iter()
        .find(|f| f["check"] == check && f["subject"] == subject)
        .unwrap_or_else(|| panic!("no {check} {subject}"))
}

#[test]
fn recorded_waivers_mark_findings_and_report_unused_ones() {
    let env = Env::new();
    collect_with_waivers(&env);

    let rec = env
        .cmd()
        .args(["evidence", "list", "--kind", "waiver.file", "-o", "json"])
        .output()
        .unwrap();
    let recs: Value = serde_json::from_slice(&rec.stdout).unwrap();
    let body = &recs[0]["body"];
    let bytes = std::fs::read(sample("waivers.toml")).unwrap();
    assert_eq!(body["sha256"], meshproof::model::sha256(&bytes).to_hex());
    assert_eq!(body["waivers"].as_array().map(Vec::len), Some(3));

    let out = env
        .cmd()
        .args(["--as-of", AS_OF, "findings", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.len(), 22, "waived findings never vanish");
    let cert = find(&all, "CERT-002", "ap-south-1/istio-system/Secret/cacerts");
    assert_eq!(cert["waiver"]["expired"], false);
    assert_eq!(cert["waiver"]["owner"], "platform-security@acme.example");
    assert_eq!(cert["waiver"]["until"], "2027-03-31");
    let rbac = find(
        &all,
        "RBAC-001",
        "eu-central-1/_cluster/ClusterRoleBinding/contractor-debug",
    );
    assert_eq!(rbac["waiver"]["expired"], true);
    assert_eq!(all.iter().filter(|f| f.get("waiver").is_some()).count(), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("waiver 3 (TOKEN-001"), "{stderr}");
    assert!(stderr.contains("matches no finding"), "{stderr}");

    let table = env.cmd().args(["--as-of", AS_OF, "findings"]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("waived (platform-security@acme.example, RSA-1024 intermediate replaced in the Q1 2027 CA rotation, until 2027-03-31)"), "{text}");
    assert!(
        text.contains("open: waiver expired 2026-11-15 (alice@acme.example"),
        "{text}"
    );
    assert!(
        text.contains("1 finding(s) waived, 1 open again (waiver expired), 1 waiver(s) unused"),
        "{text}"
    );
}

#[test]
fn fail_on_ignores_current_waivers_only() {
    let env = Env::new();
    collect_with_waivers(&env);
    // The only waived finding is CERT-002 (high); the expired RBAC-001 (high) still fails.
    let high = env
        .cmd()
        .args(["--as-of", AS_OF, "findings", "--check", "CERT-002", "--fail-on", "high"])
        .output()
        .unwrap();
    assert_eq!(high.status.code(), Some(0), "the waived CERT-002 must not fail the run");
    let rbac = env
        .cmd()
        .args(["--as-of", AS_OF, "findings", "--check", "RBAC-001", "--fail-on", "high"])
        .output()
        .unwrap();
    assert_eq!(rbac.status.code(), Some(1), "an expired waiver does not protect");
    // After the waiver's expiry, CERT-002 fails again.
    let later = env
        .cmd()
        .args([
            "--as-of",
            "2027-04-01T00:00:00Z",
            "findings",
            "--check",
            "CERT-002",
            "--fail-on",
            "high",
        ])
        .output()
        .unwrap();
    assert_eq!(later.status.code(), Some(1));
}

#[test]
fn findings_waivers_flag_overrides_with_a_warning() {
    let env = Env::new();
    env.collect(&sample("mesh"), AS_OF, 0);
    let file = env.write(
        "w.toml",
        "[[waiver]]\ncheck = \"POL-002\"\nsubject = \"us-east-1/payments/*\"\nowner = \"o\"\nreason = \"r\"\nticket = \"T-1\"\nexpires = 2027-01-01\n",
    );
    let out = env
        .cmd()
        .args(["--as-of", AS_OF, "findings", "-o", "json", "--waivers"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not the recorded evidence"), "{stderr}");
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let pol = find(
        &all,
        "POL-002",
        "us-east-1/payments/AuthorizationPolicy/billing-allow-payments",
    );
    assert_eq!(pol["waiver"]["owner"], "o");
}

#[test]
fn invalid_waiver_file_lists_every_problem_and_collects_nothing() {
    let env = Env::new();
    let file = env.write(
        "bad.toml",
        "[[waiver]]\ncheck = \"NOPE-9\"\nsubject = \"x\"\nexpires = \"soon\"\n[[waiver]]\ncheck = \"CERT-001\"\n",
    );
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(sample("mesh"))
        .arg("--waivers")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "unknown check `NOPE-9`",
        "waiver 1: `expires` must be a date",
        "waiver 1: `owner` is missing",
        "waiver 2: `subject` is missing",
    ] {
        assert!(stderr.contains(needle), "{needle} missing:\n{stderr}");
    }
    assert!(!env.store().exists(), "no scan is started for an invalid waiver file");
}

#[test]
fn unknown_scan_lists_the_available_ones() {
    let env = Env::new();
    env.collect(&sample("mesh"), AS_OF, 0);
    let out = env
        .cmd()
        .args(["--as-of", AS_OF, "findings", "--scan", "99"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("there is no scan 99; complete scans: 1"), "{stderr}");
}
