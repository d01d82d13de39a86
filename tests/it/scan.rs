//! `meshproof scan --config FILE`: the whole job on the demo mesh (reports, summary.json, who-added),
//! exit codes 0/1/2/3, configuration errors listed at once, flag > env > file precedence, the
//! changes since the previous scan on stdout and in the reports, and no secret in any output.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{AS_OF, Env};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample_config() -> PathBuf {
    root().join("sample-evidence/meshproof.toml")
}

/// `meshproof scan --config CONFIG ARGS…` run in the workspace, with no MESHPROOF_* from the caller.
fn scan(env: &Env, config: &Path, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = env.cmd();
    for (name, _) in std::env::vars() {
        if name.starts_with("MESHPROOF_") {
            cmd.env_remove(name);
        }
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd
        .current_dir(env.dir.path())
        .arg("scan")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn summary(env: &Env, out_dir: &str) -> Value {
    let text = std::fs::read_to_string(env.path(out_dir).join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary.json is JSON")
}

/// Every file under `dir` must be free of private keys, JWTs and the sample's planted tokens.
fn assert_no_secrets(dir: &Path, extra: &str) {
    let mut texts = vec![("stdout/stderr".to_string(), extra.to_string())];
    for entry in std::fs::read_dir(dir).expect("out dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        texts.push((path.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
    }
    for (name, text) in texts {
        assert!(!text.contains("PRIVATE KEY"), "a PEM private key in {name}");
        assert!(!text.contains("rly-PLANTED-"), "the planted relay token in {name}");
        assert!(!text.contains("LS0tLS1CRUdJTi"), "base64 PEM material in {name}");
        let jwt_like = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .filter(|w| w.starts_with("eyJ") && w.split('.').count() == 3 && w.split('.').all(|p| p.len() > 10))
            .count();
        assert_eq!(jwt_like, 0, "a JWT in {name}");
    }
}

#[test]
fn scan_of_the_sample_writes_every_report_and_the_summary() {
    let env = Env::new();
    let (code, stdout, stderr) = scan(&env, &sample_config(), &[], &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let out = env.path("meshproof-out");
    for ext in ["pdf", "html", "json", "csv", "oscal.json", "md"] {
        let file = out.join(format!("meshproof-all.{ext}"));
        assert!(file.is_file(), "{} missing", file.display());
    }
    assert!(
        !out.join("meshproof.db.key").exists(),
        "the key stays out of the output directory"
    );

    let s = summary(&env, "meshproof-out");
    assert_eq!(s["scan"], 1);
    assert_eq!(s["previous_scan"], Value::Null);
    assert_eq!(s["changes"], Value::Null);
    assert_eq!(s["as_of"], AS_OF);
    assert_eq!(s["organisation"], "Acme Corp");
    assert_eq!(s["verify"]["intact"], true);
    assert_eq!(s["exit"]["code"], 0);
    assert_eq!(s["exit"]["reasons"], serde_json::json!([]));
    assert_eq!(s["files"].as_array().map(Vec::len), Some(6));
    assert_eq!(s["store"]["head"].as_str().map(str::len), Some(64));
    // The who-added answer planted in the sample (sample-evidence/README.md).
    let rows = s["who_added"].as_array().expect("who_added");
    let by: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["cluster"].as_str().unwrap(), r["added_by"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        by,
        vec![
            ("ap-south-1", "Priya Raman <priya@example.com>"),
            ("eu-central-1", "alice@example.com"),
            ("eu-west-1", "alice@example.com"),
            ("us-east-1", "bob@example.com"),
        ]
    );
    let us_east = rows.iter().find(|r| r["cluster"] == "us-east-1").unwrap();
    assert_eq!(us_east["added_at"], "2026-06-03T14:02:11Z");
    assert_eq!(us_east["trust_domain"], "acme.internal");
    // Findings: the waiver of ap-south-1's CERT-002 applies; the expired RBAC-001 waiver does not.
    let f = &s["findings"];
    assert_eq!(f["waived"], 1);
    assert_eq!(f["waiver_expired"], 1);
    assert_eq!(
        f["total"].as_u64().unwrap(),
        f["open"].as_u64().unwrap() + f["waived"].as_u64().unwrap()
    );
    assert!(f["by_severity"]["high"]["open"].as_u64().unwrap() > 0);
    // The JSON report agrees with the summary.
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("meshproof-all.json")).unwrap()).expect("json report");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        f["total"].as_u64().map(|n| n as usize)
    );
    assert!(report.get("changes").is_none(), "no previous scan, no changes section");
    // Stdout: the who-added table, the findings summary, the diff line.
    assert!(stdout.contains("Who added each cluster"), "{stdout}");
    assert!(stdout.contains("Priya Raman"), "{stdout}");
    assert!(stdout.contains("finding(s):"), "{stdout}");
    assert!(stdout.contains("first complete scan"), "{stdout}");
    // The store is where the configuration says: ./meshproof.db (here: --store of the harness).
    assert!(env.store().is_file());
    assert_no_secrets(&out, &format!("{stdout}{stderr}"));
}

#[test]
fn fail_on_high_exits_1_and_says_why() {
    let env = Env::new();
    let (code, stdout, stderr) = scan(&env, &sample_config(), &["--fail-on", "high", "--format", "json"], &[]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let s = summary(&env, "meshproof-out");
    assert_eq!(s["exit"]["code"], 1);
    assert_eq!(s["exit"]["reasons"], serde_json::json!(["findings-at-or-above-high"]));
    assert_eq!(s["fail_policy"]["on"], "high");
    // --fail-on critical: the sample has no open critical finding.
    let (code, _, stderr) = scan(
        &env,
        &sample_config(),
        &["--fail-on", "critical", "--format", "json"],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn gaps_exit_3_only_with_fail_on_gaps() {
    let env = Env::new();
    let fixture = root().join("tests/fixtures/bad-input");
    let config = env.write(
        "gaps.toml",
        format!(
            "as_of = \"{AS_OF}\"\n[sources]\nfrom = [{:?}]\n[reports]\nformats = [\"json\"]\nout_dir = \"out\"\n",
            fixture.display().to_string()
        ),
    );
    let (code, stdout, stderr) = scan(&env, &config, &[], &[]);
    assert_eq!(code, 0, "gaps alone do not fail\n{stdout}\n{stderr}");
    let s = summary(&env, "out");
    assert!(s["gaps"]["count"].as_u64().unwrap() > 0, "{s}");
    let (code, _, stderr) = scan(&env, &config, &["--fail-on-gaps"], &[]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        summary(&env, "out")["exit"]["reasons"],
        serde_json::json!(["collection-gaps"])
    );
    // The same from the environment.
    let (code, _, stderr) = scan(&env, &config, &[], &[("MESHPROOF_FAIL_ON_GAPS", "true")]);
    assert_eq!(code, 3, "{stderr}");
}

#[test]
fn invalid_configuration_lists_every_problem_and_exits_2() {
    let env = Env::new();
    let config = env.write(
        "bad.toml",
        "as_of = \"yesterday\"\n[sources]\nfrom = [\"no-such-dir\"]\nwaivers = \"no-such-waivers.toml\"\nconcurrency = \"many\"\ncolour = \"blue\"\n[reports]\nformats = [\"pdf\", \"docx\"]\nframeworks = [\"iso27001\"]\n[fail]\non = \"severe\"\n[extras]\nx = 1\n",
    );
    let (code, stdout, stderr) = scan(&env, &config, &["--fail-on-gaps"], &[("MESHPROOF_FAIL_ON_GAPS", "x")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    for needle in [
        "as_of",
        "no-such-dir",
        "no-such-waivers.toml",
        "sources.concurrency",
        "sources.colour: unknown key",
        "docx",
        "iso27001",
        "fail.on (in the file)",
        "[extras]",
    ] {
        assert!(stderr.contains(needle), "{needle} missing from:\n{stderr}");
    }
    assert!(!env.store().exists(), "an invalid configuration touches no store");
    assert!(!env.path("meshproof-out").exists());
}

#[test]
fn flags_beat_environment_beat_file() {
    let env = Env::new();
    let config = env.write(
        "m.toml",
        format!(
            "as_of = \"{AS_OF}\"\n[sources]\nfrom = [{:?}]\n[reports]\nformats = [\"json\"]\nout_dir = \"file-out\"\n[fail]\non = \"info\"\n",
            root().join("sample-evidence/mesh").display().to_string()
        ),
    );
    // File: fail.on = info → 1, written to file-out.
    let (code, _, stderr) = scan(&env, &config, &[], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(env.path("file-out/summary.json").is_file());
    // Environment beats the file.
    let vars = [("MESHPROOF_FAIL_ON", "none"), ("MESHPROOF_REPORTS_OUT_DIR", "env-out")];
    let (code, _, stderr) = scan(&env, &config, &[], &vars);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary(&env, "env-out")["fail_policy"]["on"], "none");
    // Flags beat the environment.
    let (code, _, stderr) = scan(&env, &config, &["--fail-on", "high", "--out-dir", "flag-out"], &vars);
    assert_eq!(code, 1, "{stderr}");
    let s = summary(&env, "flag-out");
    assert_eq!(s["fail_policy"]["on"], "high");
    assert_eq!(s["scan"], 3);
    // --set is a flag too; the environment is read for every key (here an analysis threshold).
    let (code, _, stderr) = scan(
        &env,
        &config,
        &["--set", "fail.on=none", "--out-dir", "set-out"],
        &[
            ("MESHPROOF_FAIL_ON", "info"),
            ("MESHPROOF_ANALYSIS_TOKEN_MAX_AGE_DAYS", "zero"),
        ],
    );
    assert_eq!(code, 2, "a bad environment value is reported\n{stderr}");
    assert!(stderr.contains("MESHPROOF_ANALYSIS_TOKEN_MAX_AGE_DAYS"), "{stderr}");
    let (code, _, stderr) = scan(
        &env,
        &config,
        &["--set", "fail.on=none", "--out-dir", "set-out"],
        &[("MESHPROOF_FAIL_ON", "info")],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn second_scan_prints_and_reports_the_changes_since_the_first() {
    let env = Env::new();
    env.mini_mesh();
    let config = env.write(
        "m.toml",
        format!(
            "as_of = \"{AS_OF}\"\n[sources]\nfrom = [\"mesh\"]\n[reports]\nformats = [\"md\", \"json\", \"html\"]\n"
        ),
    );
    let (code, stdout, stderr) = scan(&env, &config, &[], &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let md = std::fs::read_to_string(env.path("meshproof-out/meshproof-all.md")).unwrap();
    assert!(!md.contains("Changes since the previous scan"), "no previous scan");
    // The operator loosens mTLS on alpha.
    let objects = env.path("mesh/alpha/objects.json");
    let text = std::fs::read_to_string(&objects)
        .unwrap()
        .replace("STRICT", "PERMISSIVE");
    std::fs::write(&objects, text).unwrap();
    let (code, stdout, stderr) = scan(&env, &config, &["--as-of", "2026-12-02T00:00:00Z"], &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("Changes since scan 1"), "{stdout}");
    assert!(
        stdout.contains("alpha/istio-system/PeerAuthentication/default"),
        "{stdout}"
    );
    assert!(stdout.contains("PERMISSIVE"), "{stdout}");
    let s = summary(&env, "meshproof-out");
    assert_eq!(s["previous_scan"], 1);
    assert_eq!(s["changes"]["from_scan"], 1);
    assert_eq!(s["changes"]["to_scan"], 2);
    assert_eq!(s["changes"]["by_area"]["policy"], 1);
    let md = std::fs::read_to_string(env.path("meshproof-out/meshproof-all.md")).unwrap();
    assert!(
        md.contains("## Appendix B. Changes since the previous scan (scan 1)"),
        "{md}"
    );
    assert!(md.contains("PERMISSIVE"));
    let html = std::fs::read_to_string(env.path("meshproof-out/meshproof-all.html")).unwrap();
    assert!(html.contains("id=\"changes\""));
    let report: Value =
        serde_json::from_slice(&std::fs::read(env.path("meshproof-out/meshproof-all.json")).unwrap()).unwrap();
    assert_eq!(report["changes"]["from_scan"], 1);
    assert_eq!(report["changes"]["rows"][0]["area"], "policy");
    // `meshproof diff` shows the same rows.
    let diff = env.cmd().args(["diff", "-o", "csv"]).output().unwrap();
    let diff = String::from_utf8_lossy(&diff.stdout);
    assert!(diff.contains("PeerAuthentication/default"), "{diff}");
    // So does `meshproof report`, unless told to leave the appendix out.
    let report = |extra: &[&str]| {
        let out = env
            .cmd()
            .args(["report", "--as-of", "2026-12-02T00:00:00Z", "--format", "md", "-o", "-"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(report(&[]).contains("## Appendix B. Changes since the previous scan (scan 1)"));
    assert!(!report(&["--no-changes"]).contains("Changes since the previous scan"));
}

#[test]
fn the_pdf_report_carries_the_changes_appendix() {
    let env = Env::new();
    env.mini_mesh();
    let config = env.write(
        "m.toml",
        format!("as_of = \"{AS_OF}\"\n[sources]\nfrom = [\"mesh\"]\n[reports]\nformats = [\"pdf\"]\n"),
    );
    let (code, _, stderr) = scan(&env, &config, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    let first = std::fs::read(env.path("meshproof-out/meshproof-all.pdf")).unwrap();
    let (code, _, stderr) = scan(&env, &config, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    let second = std::fs::read(env.path("meshproof-out/meshproof-all.pdf")).unwrap();
    assert!(second.len() > first.len(), "the second report has an appendix B");
    // With poppler-utils installed, read the text layer.
    let Ok(out) = std::process::Command::new("pdftotext")
        .arg(env.path("meshproof-out/meshproof-all.pdf"))
        .arg("-")
        .output()
    else {
        println!("SKIPPED: pdftotext is not installed; the PDF text was not checked");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Changes since the previous scan"), "{text}");
    let _ = first;
}

#[test]
fn the_signing_key_is_refused_inside_the_output_directory() {
    let env = Env::new();
    env.mini_mesh();
    let config = env.write(
        "m.toml",
        "[sources]\nfrom = [\"mesh\"]\n[store]\nkey = \"meshproof-out/k.key\"\n",
    );
    let (code, _, stderr) = scan(&env, &config, &["--as-of", AS_OF], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("inside the output directory"), "{stderr}");
    assert!(!env.path("meshproof-out/k.key").exists());
}

#[test]
fn configuration_docs_list_every_key_with_its_variable() {
    let docs = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    for key in meshproof::cli::settings::KEYS {
        assert!(
            docs.contains(&format!("`{}`", key.dotted())),
            "{} undocumented",
            key.dotted()
        );
        assert!(docs.contains(&format!("`{}`", key.env())), "{} undocumented", key.env());
        if let Some(flag) = key.flag {
            assert!(docs.contains(&format!("`{flag}`")), "{flag} undocumented");
        }
    }
}
