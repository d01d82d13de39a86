//! `meshproof report`: the sample mesh (dumps + GitOps history, fixed signing key, fixed as-of)
//! as JSON, CSV and Markdown; determinism, schema, completeness, control status rules, gaps,
//! custom and broken catalogues, and the PDF/HTML/OSCAL wiring.

use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use crate::harness::{AS_OF, Env};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sample mesh with its git history, collected from the repository root with relative paths
/// (the scan records its source paths, so absolute ones would make hashes machine-dependent) and
/// signed with the fixed test key.
fn sample_store() -> Env {
    let env = Env::new();
    let key = env.path("test.key");
    std::fs::copy(root().join("tests/fixtures/keys/test.key"), &key).expect("copy key");
    let out = env
        .cmd()
        .current_dir(root())
        .args(["collect", "--as-of", AS_OF, "--from", "sample-evidence/mesh"])
        .args(["--git", "sample-evidence/gitops.git", "--key"])
        .arg(&key)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    env
}

/// Runs `report` writing to `out` (relative to the env); returns (exit code, file bytes, stderr).
fn report(env: &Env, args: &[&str], out: &str) -> (i32, Vec<u8>, String) {
    let path = env.path(out);
    let _ = std::fs::remove_file(&path);
    let run = env
        .cmd()
        .current_dir(env.dir.path())
        .args(["report", "--as-of", AS_OF, "-o"])
        .arg(&path)
        .args(args)
        .output()
        .expect("run");
    assert!(run.stdout.is_empty(), "report wrote to stdout");
    let bytes = std::fs::read(&path).unwrap_or_default();
    (
        run.status.code().unwrap_or(-1),
        bytes,
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

fn ok(env: &Env, args: &[&str], out: &str) -> Vec<u8> {
    let (code, bytes, stderr) = report(env, args, out);
    assert_eq!(code, 0, "{stderr}");
    assert!(!bytes.is_empty());
    bytes
}

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("docs/report-schema.json")).expect("schema"))
        .expect("schema json")
}

fn assert_valid(doc: &Value) {
    let schema = schema();
    let validator = jsonschema::draft202012::new(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match docs/report-schema.json:\n{}",
        errors.join("\n")
    );
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().expect("headers").iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("row").iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

/// The findings a control cites (positions in the report's `findings`).
fn findings_of<'a>(doc: &'a Value, control: &Value) -> Vec<&'a Value> {
    control["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|i| &doc["findings"][i.as_u64().expect("index") as usize])
        .collect()
}

fn status_count(doc: &Value, status: &str) -> u64 {
    doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .filter(|c| c["status"] == status)
        .count() as u64
}

#[test]
fn sample_reports_are_byte_identical_valid_and_complete() {
    let env = sample_store();
    let mut timings = Vec::new();
    for (format, file) in [("json", "a.json"), ("csv", "a.csv"), ("md", "a.md")] {
        let started = Instant::now();
        let first = ok(&env, &["--framework", "all", "--format", format], file);
        timings.push((format, started.elapsed()));
        let second = ok(&env, &["--framework", "all", "--format", format], &format!("b-{file}"));
        assert!(first == second, "{format} report differs between two runs");
    }
    for (format, took) in &timings {
        eprintln!("report --format {format} on the sample: {took:?}");
    }

    let json = std::fs::read(env.path("a.json")).expect("json");
    let doc: Value = serde_json::from_slice(&json).expect("json report");
    assert_valid(&doc);
    let round_trip: meshproof::report::model::Report = serde_json::from_slice(&json).expect("deserializes");
    assert_eq!(serde_json::to_value(&round_trip).expect("value"), doc);

    // Summary counts equal table rows.
    let controls = doc["controls"].as_array().expect("controls");
    assert_eq!(controls.len(), 12 + 21 + 16, "every control of the three catalogues");
    for (field, status) in [
        ("satisfied", "satisfied"),
        ("not_satisfied", "not-satisfied"),
        ("not_evaluated", "not-evaluated"),
    ] {
        assert_eq!(
            doc["summary"][field].as_u64(),
            Some(status_count(&doc, status)),
            "{field}"
        );
    }
    let by_severity: u64 = doc["summary"]["findings_by_severity"]
        .as_array()
        .expect("severities")
        .iter()
        .map(|c| c["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(by_severity, doc["findings"].as_array().expect("findings").len() as u64);
    assert!(doc["integrity"]["verified"].as_bool().unwrap_or(false));

    // Who added: alice, bob and Priya (through Argo CD, from her commit).
    let markdown = String::from_utf8(std::fs::read(env.path("a.md")).expect("md")).expect("utf-8");
    for who in ["alice", "bob", "Priya Raman"] {
        assert!(
            json.windows(who.len()).any(|w| w == who.as_bytes()),
            "{who} missing from JSON"
        );
        assert!(markdown.contains(who), "{who} missing from Markdown");
    }
    // Controls cite findings by position: ascending, in range, of a mapped check (or the CHG-003
    // finding of a gap that leaves the control not evaluated); each finding is listed once.
    let all_findings = doc["findings"].as_array().expect("findings");
    for c in controls {
        let positions: Vec<u64> = c["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|i| i.as_u64().expect("position"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{c}");
        assert!(positions.iter().all(|&i| (i as usize) < all_findings.len()), "{c}");
        for f in findings_of(&doc, c) {
            let mapped = c["checks"].as_array().expect("checks").contains(&f["check"]);
            assert!(mapped || f["check"] == "CHG-003", "{} cites {}", c["id"], f["check"]);
        }
    }
    // Every finding id appears in every format.
    let csv_text = String::from_utf8(std::fs::read(env.path("a.csv")).expect("csv")).expect("utf-8");
    for f in doc["findings"].as_array().expect("findings") {
        let check = f["check"].as_str().expect("check");
        assert!(markdown.contains(check), "{check} missing from Markdown");
        assert!(csv_text.contains(check), "{check} missing from CSV");
    }
    for section in [
        "## 1. Cover",
        "## 2. Evidence integrity",
        "## 3. Executive summary",
        "## 4. Who added each cluster",
        "## 5. Mesh inventory",
        "## 6. CA certificates",
        "## 7. Remote-secret credentials",
        "## 8. Controls",
        "## 9. Collection gaps",
        "## 10. Trust-change timeline",
        "## 11. Methodology and how to verify",
    ] {
        assert!(markdown.contains(section), "{section} missing");
    }
    // Markdown control table: one row per control.
    let control_rows = markdown
        .lines()
        .filter(|l| ["| soc2 |", "| pci-dss |", "| dora |"].iter().any(|p| l.starts_with(p)))
        .count();
    assert_eq!(control_rows, controls.len());

    // CSV: exactly the columns, every control present, every control × finding row.
    let (headers, rows) = csv_rows(csv_text.as_bytes());
    assert_eq!(
        headers,
        [
            "framework",
            "control_id",
            "control_title",
            "status",
            "check",
            "severity",
            "cluster",
            "subject",
            "message",
            "remediation",
            "evidence_seq",
            "evidence_hash",
            "collected_at",
            "as_of",
            "scan_id"
        ]
    );
    let expected_rows: usize = controls
        .iter()
        .map(|c| c["findings"].as_array().map_or(0, Vec::len).max(1))
        .sum();
    assert_eq!(rows.len(), expected_rows);
    let mut seen: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    seen.dedup();
    assert_eq!(seen.len(), controls.len());
    for row in &rows {
        assert_eq!(row.len(), 15);
        assert_eq!(row[13], AS_OF);
        if !row[4].is_empty() {
            assert!(!row[9].is_empty(), "finding row without remediation: {row:?}");
            assert_eq!(row[10].split(' ').count(), row[11].split(' ').count());
        }
    }
    for status in ["satisfied", "not-satisfied"] {
        let csv_controls: std::collections::BTreeSet<(&str, &str)> = rows
            .iter()
            .filter(|r| r[3] == status)
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        assert_eq!(csv_controls.len() as u64, status_count(&doc, status), "{status}");
    }
}

#[test]
fn planted_findings_make_their_controls_not_satisfied_with_evidence() {
    let env = sample_store();
    env.write("meshproof.toml", "[organisation]\nname = \"Acme Corp\"\n");
    let doc: Value =
        serde_json::from_slice(&ok(&env, &["--framework", "soc2", "--format", "json"], "r.json")).expect("json");
    let cc61 = doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == "CC6.1")
        .expect("CC6.1");
    assert_eq!(cc61["status"], "not-satisfied");
    assert_eq!(doc["cover"]["organisation"], "Acme Corp");
    assert!(doc["title"].as_str().unwrap_or_default().ends_with("Acme Corp"));
    // The us-east-1 intermediate expires 2026-12-20: CERT-001, mapped to CC6.1.
    let cert = findings_of(&doc, cc61)
        .into_iter()
        .find(|f| f["check"] == "CERT-001" && f["cluster"] == "us-east-1")
        .expect("CERT-001 on us-east-1");
    let refs = cert["evidence"].as_array().expect("evidence");
    assert!(!refs.is_empty());
    assert!(cc61["rationale"].as_str().unwrap_or_default().contains("CERT-001"));

    let (_, rows) = csv_rows(&ok(&env, &["--framework", "soc2", "--format", "csv"], "r.csv"));
    let row = rows
        .iter()
        .find(|r| r[1] == "CC6.1" && r[4] == "CERT-001" && r[6] == "us-east-1")
        .expect("CSV row");
    assert_eq!(row[3], "not-satisfied");
    let seqs: Vec<String> = refs.iter().map(|r| r["seq"].to_string()).collect();
    assert_eq!(row[10], seqs.join(" "));
    assert!(row[11].len() >= 64);
    // The CA inventory shows the same certificate with 19 days left.
    let certs = doc["certificates"].as_array().expect("certificates");
    assert!(
        certs
            .iter()
            .any(|c| c["cluster"] == "us-east-1" && c["role"] == "intermediate" && c["days_left"] == 19)
    );
    // Peering to the decommissioned us-west-2 is orphaned; its credential is inventoried.
    let peering = doc["inventory"]["peering"].as_array().expect("peering");
    assert!(
        peering
            .iter()
            .any(|p| p["target"] == "us-west-2" && p["orphaned"] == true)
    );
    assert!(
        doc["credentials"]
            .as_array()
            .expect("credentials")
            .iter()
            .any(|c| c["target"] == "us-west-2")
    );
}

#[test]
fn a_collection_gap_is_shown_and_leaves_controls_not_evaluated() {
    let env = Env::new();
    let mesh = env.mini_mesh();
    env.write("mesh/alpha/broken.yaml", "kind: [unclosed\n  : : :\n");
    env.collect(&mesh, AS_OF, 3);
    let (code, bytes, stderr) = report(&env, &["--framework", "soc2", "--format", "json"], "gap.json");
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_slice(&bytes).expect("json");
    assert_valid(&doc);
    let gaps = doc["gaps"].as_array().expect("gaps");
    let gap = gaps.iter().find(|g| g["cluster"] == "alpha").expect("gap on alpha");
    let unevaluated: Vec<&str> = gap["unevaluated_controls"]
        .as_array()
        .expect("controls")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!unevaluated.is_empty(), "{gap}");
    for label in &unevaluated {
        let id = label.strip_prefix("soc2 ").expect("framework prefix");
        let control = doc["controls"]
            .as_array()
            .expect("controls")
            .iter()
            .find(|c| c["id"] == id)
            .expect("control");
        assert_eq!(control["status"], "not-evaluated", "{control}");
        assert!(findings_of(&doc, control).iter().any(|f| f["check"] == "CHG-003"));
    }
    // CC2.1 maps CHG-003 itself: the gap is an open finding there.
    let cc21 = doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == "CC2.1")
        .expect("CC2.1");
    assert_eq!(cc21["status"], "not-satisfied");
    assert!(doc["summary"]["not_evaluated"].as_u64().unwrap_or(0) > 0);
    let (_, md, _) = report(&env, &["--framework", "soc2", "--format", "md"], "gap.md");
    let md = String::from_utf8(md).expect("utf-8");
    assert!(md.contains("broken.yaml"), "gap missing from Markdown");
}

const CUSTOM: &str = r#"[framework]
id = "acme-baseline"
name = "Acme mesh baseline"
version = "2026.1"
publisher = "Acme Corp security"

[[controls]]
id = "ACME-1"
title = "CA certificates are valid for 90 more days"
evidence = "CA inventory"
checks = ["CERT-001"]

[[controls]]
id = "ACME-2"
title = "The evidence store is intact"
evidence = "verify at report time"
checks = []
integrity = true
"#;

#[test]
fn custom_catalogues_load_from_templates_and_broken_ones_list_every_error() {
    let env = sample_store();
    env.write("templates/acme.toml", CUSTOM);
    env.write("templates/notes.toml", "title = \"not a catalogue\"\n");
    let templates = env.path("templates");
    let templates = templates.to_str().expect("utf-8 path");
    let doc: Value = serde_json::from_slice(&ok(
        &env,
        &[
            "--framework",
            "acme-baseline",
            "--templates",
            templates,
            "--format",
            "json",
        ],
        "acme.json",
    ))
    .expect("json");
    assert_eq!(doc["frameworks"][0]["id"], "acme-baseline");
    let statuses: Vec<(&str, &str)> = doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .map(|c| (c["id"].as_str().unwrap_or(""), c["status"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(statuses, [("ACME-1", "not-satisfied"), ("ACME-2", "satisfied")]);

    env.write(
        "broken/bad.toml",
        "[framework]\nid = \"bad\"\nname = \"Bad\"\n\n[[controls]]\nid = \"B1\"\ntitle = \"t\"\nchecks = [\"CERT-999\"]\n\n[[controls]]\nid = \"B1\"\ntitle = \"t\"\nevidence = \"e\"\nchecks = [\"TOKEN-001\"]\ncolour = \"red\"\n",
    );
    let broken = env.path("broken");
    let (code, bytes, stderr) = report(
        &env,
        &[
            "--framework",
            "bad",
            "--templates",
            broken.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
        "bad.json",
    );
    assert_eq!(code, 2);
    assert!(bytes.is_empty(), "nothing is written for a broken catalogue");
    for needle in [
        "missing `version`",
        "missing `publisher`",
        "missing `evidence`",
        "unknown check \"CERT-999\"",
        "duplicate control id \"B1\"",
        "unknown key `colour`",
    ] {
        assert!(stderr.contains(needle), "{needle} missing from:\n{stderr}");
    }

    let (code, _, stderr) = report(&env, &["--framework", "iso27001", "--format", "json"], "x.json");
    assert_eq!(code, 2);
    assert!(stderr.contains("soc2, pci-dss, dora, all"), "{stderr}");
}

#[test]
fn stdout_output_and_renderers_of_other_formats_are_wired() {
    let env = sample_store();
    let out = env
        .cmd()
        .args([
            "report",
            "--as-of",
            AS_OF,
            "--framework",
            "dora",
            "--format",
            "csv",
            "-o",
            "-",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"framework,control_id,"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("wrote"));

    // Several formats render one analysis into a directory, each file the same bytes as its
    // single-format run; `-` cannot take several.
    let dir = env.path("reports");
    let out = env
        .cmd()
        .args(["report", "--as-of", AS_OF, "--framework", "soc2", "-o"])
        .arg(&dir)
        .args(["--format", "pdf,html", "--format", "oscal,json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "meshproof-soc2.html",
            "meshproof-soc2.json",
            "meshproof-soc2.oscal.json",
            "meshproof-soc2.pdf"
        ]
    );
    for (format, name) in [("pdf", "meshproof-soc2.pdf"), ("oscal", "meshproof-soc2.oscal.json")] {
        let single = ok(
            &env,
            &["--framework", "soc2", "--format", format],
            &format!("single.{format}"),
        );
        assert!(single == std::fs::read(dir.join(name)).expect("read"), "{format}");
    }
    let out = env
        .cmd()
        .args(["report", "--as-of", AS_OF, "--format", "csv,md", "-o", "-"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("several formats need a directory"));
}

#[test]
fn a_tampered_store_is_reported_and_integrity_controls_fail() {
    let env = sample_store();
    // An audit event's subject: the scan still loads (its state digest covers only objects).
    let seq: u64 = env
        .sql()
        .query_row("SELECT min(seq) FROM records WHERE kind = 'audit.event'", [], |r| {
            r.get(0)
        })
        .expect("an audit event");
    env.sql()
        .execute("UPDATE records SET subject = subject || 'x' WHERE seq = ?1", [seq])
        .expect("tamper");
    let (code, bytes, stderr) = report(&env, &["--framework", "soc2", "--format", "json"], "t.json");
    assert_eq!(code, 1, "{stderr}");
    let doc: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(doc["integrity"]["verified"], false);
    assert!(
        doc["integrity"]["problem"]
            .as_str()
            .unwrap_or_default()
            .contains(&seq.to_string())
    );
    let cc41 = doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == "CC4.1")
        .expect("CC4.1");
    assert_eq!(cc41["status"], "not-satisfied");
}

#[test]
fn snapshots_of_the_sample_reports() {
    let env = sample_store();
    let csv = ok(&env, &["--framework", "all", "--format", "csv"], "all.csv");
    insta::assert_snapshot!("sample_all_csv", String::from_utf8(csv).expect("utf-8"));
    let md = ok(&env, &["--framework", "soc2", "--format", "md"], "soc2.md");
    insta::assert_snapshot!("sample_soc2_md", String::from_utf8(md).expect("utf-8"));
    let json = ok(&env, &["--framework", "pci-dss", "--format", "json"], "pci.json");
    insta::assert_snapshot!("sample_pci_json", String::from_utf8(json).expect("utf-8"));
}

#[test]
fn waivers_recorded_with_the_scan_show_in_reports_and_expired_ones_reopen() {
    let env = Env::new();
    let out = env
        .cmd()
        .current_dir(root())
        .args(["collect", "--as-of", AS_OF, "--from", "sample-evidence/mesh"])
        .args(["--waivers", "sample-evidence/waivers.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value =
        serde_json::from_slice(&ok(&env, &["--framework", "soc2", "--format", "json"], "r.json")).expect("json");
    let findings = doc["findings"].as_array().expect("findings");
    let weak = findings
        .iter()
        .find(|f| f["check"] == "CERT-002" && f["cluster"] == "ap-south-1")
        .expect("CERT-002 stays in the report");
    assert_eq!(weak["waiver"]["owner"], "platform-security@acme.example");
    assert_eq!(weak["waiver"]["expired"], false);
    let lapsed = findings
        .iter()
        .find(|f| f["check"] == "RBAC-001" && f["cluster"] == "eu-central-1")
        .expect("RBAC-001");
    assert_eq!(
        lapsed["waiver"]["expired"], true,
        "an expired waiver reopens the finding"
    );
    // CC6.1 maps CERT-002 but stays not satisfied by other open findings; the waived one is listed.
    let cc61 = doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == "CC6.1")
        .expect("CC6.1");
    assert!(
        cc61["rationale"].as_str().is_some_and(|r| r.contains("waived")),
        "{}",
        cc61["rationale"]
    );
}

/// Several documents from one analysis (what `export` and `scan` do) are the documents one build
/// per framework set gives.
#[test]
fn documents_built_together_equal_documents_built_one_by_one() {
    use meshproof::report::{build, frameworks};
    let env = sample_store();
    let store = meshproof::store::Store::open_existing(&env.store()).expect("store");
    let catalogues = frameworks::load(None).expect("catalogues");
    let soc2 = frameworks::select(&catalogues, "soc2").expect("soc2");
    let all = frameworks::select(&catalogues, "all").expect("all");
    let settings = meshproof::analyze::Settings::default();
    let options = meshproof::store::verify::Options::default();
    let request = build::Request::new(AS_OF.parse().expect("as-of"), &settings, Some("Acme Corp"), &options);
    let together = build::build_documents(&store, &request, &[&soc2, &all]).expect("together");
    let one_by_one = [
        build::build_with(&store, &request, &soc2).expect("soc2"),
        build::build_with(&store, &request, &all).expect("all"),
    ];
    assert_eq!(together, one_by_one);
    assert_ne!(together[0].controls.len(), together[1].controls.len());
    assert!(build::build_documents(&store, &request, &[&soc2, &[]]).is_err());
}
