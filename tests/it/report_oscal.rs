//! OSCAL export: valid against the official NIST assessment-results schema, deterministic, and
//! mapping controls, checks and evidence the way `src/report/oscal.rs` documents.

use serde_json::Value;

use crate::report_sample::sample_report;
use meshproof::report::oscal;

const SCHEMA: &str = include_str!("../fixtures/oscal/oscal_assessment-results_schema.json");

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    // Draft-07 as the schema declares; formats (date-time, uri, uri-reference, email) are checked
    // too, and the patterns (including \p{L} / \p{N} in TokenDatatype) compile with the crate's
    // default regex engine, so nothing in the schema is skipped.
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the official schema compiles")
}

fn errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sample_report_validates_against_the_official_schema() {
    let bytes = oscal::render(&sample_report()).expect("renders");
    let doc: Value = serde_json::from_slice(&bytes).expect("output is JSON");
    let errs = errors(&doc);
    assert!(errs.is_empty(), "schema errors:\n{}", errs.join("\n"));
}

#[test]
fn the_schema_rejects_a_broken_document() {
    // Guards against a validator that accepts everything.
    let bytes = oscal::render(&sample_report()).expect("renders");
    let mut doc: Value = serde_json::from_slice(&bytes).expect("json");
    doc["assessment-results"]["uuid"] = Value::from("not-a-uuid");
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = Value::from("partial");
    let errs = errors(&doc);
    assert!(errs.len() >= 2, "{errs:?}");
}

#[test]
fn output_is_byte_identical_across_renders() {
    let a = oscal::render(&sample_report()).expect("renders");
    let b = oscal::render(&sample_report()).expect("renders");
    assert_eq!(a, b);
}

#[test]
fn controls_checks_and_evidence_are_mapped() {
    let report = sample_report();
    let doc: Value = serde_json::from_slice(&oscal::render(&report).expect("renders")).expect("json");
    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["last-modified"], "2026-12-01T00:00:00Z");
    assert_eq!(ar["metadata"]["oscal-version"], oscal::OSCAL_VERSION);

    // import-ap points at a back-matter resource.
    let href = ar["import-ap"]["href"].as_str().expect("href");
    let resources = ar["back-matter"]["resources"].as_array().expect("resources");
    assert!(
        resources
            .iter()
            .any(|r| format!("#{}", r["uuid"].as_str().unwrap()) == href)
    );
    // The checkpoint root is bound with a SHA-256 hash.
    let cp = resources
        .iter()
        .find(|r| r["title"] == "Evidence chain checkpoint")
        .expect("checkpoint resource");
    assert_eq!(cp["rlinks"][0]["href"], "evidence://checkpoint/412");
    assert_eq!(
        cp["rlinks"][0]["hashes"][0]["value"],
        report.integrity.checkpoint.as_ref().unwrap().root
    );

    let result = &ar["results"][0];
    let findings = result["findings"].as_array().expect("findings");
    // Satisfied + not-satisfied controls get findings; the not-evaluated one does not.
    assert_eq!(findings.len(), 4);
    let states: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["target"]["target-id"].as_str().unwrap(),
                f["target"]["status"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&("soc2_CC6.1", "not-satisfied")));
    assert!(states.contains(&("soc2_CC8.1", "satisfied")));
    assert!(states.contains(&("pci-dss_8.3.1", "not-satisfied")));
    assert!(states.contains(&("dora_DORA-Art.-9-4-c", "satisfied")));
    assert!(findings.iter().all(|f| f["target"]["type"] == "objective-id"));

    let observations = result["observations"].as_array().expect("observations");
    let ne = observations
        .iter()
        .find(|o| {
            o["props"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "evaluation-status" && p["value"] == "not-evaluated")
                && o["types"][0] == "control-objective"
        })
        .expect("not-evaluated control observation");
    assert_eq!(ne["relevant-evidence"][0]["href"], "evidence://399");

    // The CERT-001 check observation cites records 104 and 105 with their hashes.
    let cert = observations
        .iter()
        .find(|o| o["title"] == "Check CERT-001")
        .expect("CERT-001 observation");
    assert_eq!(cert["methods"][0], "TEST");
    assert_eq!(cert["types"][0], "discovery");
    let ev = cert["relevant-evidence"].as_array().unwrap();
    assert_eq!(ev[0]["href"], "evidence://104");
    let hash = crate::report_sample::rec(104).hash.to_hex();
    assert!(ev[0]["description"].as_str().unwrap().contains(&hash));

    // Every related observation and subject resolves.
    let obs_ids: Vec<&str> = observations.iter().map(|o| o["uuid"].as_str().unwrap()).collect();
    for f in findings {
        for r in f["related-observations"].as_array().into_iter().flatten() {
            assert!(obs_ids.contains(&r["observation-uuid"].as_str().unwrap()));
        }
    }
    let comp_ids: Vec<&str> = result["local-definitions"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uuid"].as_str().unwrap())
        .collect();
    for o in observations {
        for s in o["subjects"].as_array().into_iter().flatten() {
            assert!(comp_ids.contains(&s["subject-uuid"].as_str().unwrap()));
        }
    }
    // Reviewed controls list every control, one selection per framework.
    assert_eq!(
        result["reviewed-controls"]["control-selections"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn an_empty_report_still_validates() {
    let mut report = sample_report();
    report.frameworks.clear();
    report.controls.clear();
    report.findings.clear();
    report.gaps.clear();
    report.certificates.clear();
    report.credentials.clear();
    report.integrity.checkpoint = None;
    report.cover.organisation = None;
    let doc: Value = serde_json::from_slice(&oscal::render(&report).expect("renders")).expect("json");
    let errs = errors(&doc);
    assert!(errs.is_empty(), "schema errors:\n{}", errs.join("\n"));
}

#[test]
fn a_bad_time_is_an_error_not_a_panic() {
    let mut report = sample_report();
    report.cover.as_of = "yesterday".into();
    let err = oscal::render(&report).expect_err("rejects");
    assert!(err.to_string().contains("cover.as_of"), "{err}");
}
