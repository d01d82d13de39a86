//! `findings` on the demo mesh, certificate and token checks: exactly the planted CERT/TOKEN
//! defects of `sample-evidence/README.md` (check, cluster, subject), nothing on the clean
//! clusters and objects, evidence citations that resolve, and byte-identical reruns.
//!
//! Decision on README note 3: the expired token (ap-south-1 → eu-west-1) is reported as
//! TOKEN-003 only; the analyzer does not add TOKEN-001 for tokens that have already expired.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::harness::{AS_OF, Env};

fn findings_json(env: &Env) -> String {
    let out = env
        .cmd()
        .args(["--as-of", AS_OF, "findings", "-o", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn record_subject(env: &Env, seq: u64) -> String {
    let out = env
        .cmd()
        .args(["evidence", "show", &seq.to_string()])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text.find('{').expect("json record");
    let v: Value = serde_json::from_str(&text[start..]).expect("record json");
    v["subject"].as_str().expect("subject").to_string()
}

#[test]
fn sample_mesh_reports_exactly_the_planted_certificate_and_token_defects() {
    let env = Env::new();
    env.collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh"),
        AS_OF,
        0,
    );
    let started = std::time::Instant::now();
    let text = findings_json(&env);
    eprintln!("findings on the sample took {:?}", started.elapsed());
    let all: Vec<Value> = serde_json::from_str(&text).expect("json array");
    let ours: Vec<&Value> = all
        .iter()
        .filter(|f| {
            let c = f["check"].as_str().unwrap_or_default();
            c.starts_with("CERT-") || c.starts_with("TOKEN-")
        })
        .collect();
    let got: BTreeSet<(String, String, String)> = ours
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["cluster"].as_str().unwrap_or("-").to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got.len(), ours.len(), "one finding per (check, cluster, subject)");
    let expected: BTreeSet<(String, String, String)> = [
        // README rows 1, 2.
        ("CERT-001", "us-east-1", "us-east-1/istio-system/Secret/cacerts"),
        ("CERT-002", "ap-south-1", "ap-south-1/istio-system/Secret/cacerts"),
        // Rows 3-10.
        (
            "TOKEN-001",
            "eu-west-1",
            "eu-west-1/istio-system/Secret/istio-remote-secret-us-east-1",
        ),
        (
            "TOKEN-002",
            "us-east-1",
            "us-east-1/istio-system/Secret/istio-remote-secret-eu-central-1",
        ),
        (
            "TOKEN-001",
            "us-east-1",
            "us-east-1/istio-system/Secret/istio-remote-secret-eu-central-1",
        ),
        (
            "TOKEN-003",
            "ap-south-1",
            "ap-south-1/istio-system/Secret/istio-remote-secret-eu-west-1",
        ),
        (
            "TOKEN-004",
            "eu-west-1",
            "eu-west-1/istio-system/Secret/istio-remote-secret-ap-south-1",
        ),
        (
            "TOKEN-005",
            "eu-central-1",
            "eu-central-1/istio-system/Secret/istio-remote-secret-eu-west-1",
        ),
        (
            "TOKEN-005",
            "us-east-1",
            "us-east-1/istio-system/Secret/istio-remote-secret-eu-west-1",
        ),
        (
            "TOKEN-005",
            "ap-south-1",
            "ap-south-1/istio-system/Secret/istio-remote-secret-eu-west-1",
        ),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, expected, "{ours:#?}");

    let by = |check: &str, cluster: &str| {
        ours.iter()
            .find(|f| f["check"] == check && f["cluster"] == cluster)
            .unwrap_or_else(|| panic!("{check} on {cluster}"))
    };
    let expiring = by("CERT-001", "us-east-1");
    assert_eq!(expiring["severity"], "high");
    let message = expiring["message"].as_str().unwrap();
    assert!(
        message.contains("L=us-east-1")
            && message.contains("expires 2026-12-20T00:00:00Z, in 19 days (window 90 days)"),
        "{message}"
    );
    assert!(
        by("CERT-002", "ap-south-1")["message"]
            .as_str()
            .unwrap()
            .contains("RSA 1024-bit")
    );
    assert!(
        by("TOKEN-001", "eu-west-1")["message"]
            .as_str()
            .unwrap()
            .contains("181 days")
    );
    let legacy = by("TOKEN-001", "us-east-1")["message"].as_str().unwrap();
    assert!(
        legacy.contains("istio-reader-service-account-istio-remote-secret-token") && legacy.contains("182 days"),
        "{legacy}"
    );
    assert_eq!(by("TOKEN-003", "ap-south-1")["severity"], "high");

    // Every citation resolves; TOKEN-005 cites the cluster-admin binding on eu-west-1.
    let cited = |f: &Value| -> Vec<String> {
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| record_subject(&env, e["seq"].as_u64().unwrap()))
            .collect()
    };
    for f in &ours {
        let subjects = cited(f);
        assert!(!subjects.is_empty(), "{f}");
        let own = f["subject"].as_str().unwrap().split('#').next().unwrap();
        assert!(subjects.iter().any(|s| s == own), "{f} cites {subjects:?}");
    }
    let over = cited(by("TOKEN-005", "eu-central-1"));
    assert!(
        over.contains(&"eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin".to_string()),
        "{over:?}"
    );

    // Deterministic: the same store and as-of give the same bytes.
    assert_eq!(findings_json(&env), text);
}
