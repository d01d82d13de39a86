//! `diff` between two scans of modified copies of the demo mesh: scan 1 is the demo mesh at
//! as-of; scan 2 (twenty days later) has ap-south-1 decommissioned, a registration label changed,
//! the permissive billing policy fixed, a cluster-admin grant removed and us-east-1's intermediate
//! re-issued, so one remote-secret token expired in between.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{AS_OF, Env};

const LATER: &str = "2026-12-21T00:00:00Z";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The demo mesh, modified for the second scan.
fn modified_mesh(env: &Env) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh");
    let mesh = env.path("mesh2");
    copy_dir(&sample, &mesh);
    // ap-south-1 is decommissioned: its registration is gone and its dump holds only namespaces (a
    // cluster folder that is absent would carry its objects forward from the previous scan).
    for entry in std::fs::read_dir(mesh.join("ap-south-1")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "namespaces.yaml") {
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    let kc = mesh.join("mgmt/gloo-mesh/kubernetesclusters.json");
    let mut list: Value = serde_json::from_slice(&std::fs::read(&kc).unwrap()).unwrap();
    let items = list["items"].as_array_mut().unwrap();
    items.retain(|i| i["metadata"]["name"] != "ap-south-1");
    for i in items.iter_mut() {
        if i["metadata"]["name"] == "eu-central-1" {
            i["metadata"]["labels"]["env"] = "production".into();
        }
    }
    std::fs::write(&kc, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    // The permissive billing policy on us-east-1 is fixed.
    let pol = mesh.join("us-east-1/policies/authorizationpolicies.yaml");
    let text = std::fs::read_to_string(&pol).unwrap();
    assert!(text.contains("          - \"*\"\n"));
    std::fs::write(
        &pol,
        text.replacen(
            "          - \"*\"\n",
            "          - \"acme.internal/ns/checkout/sa/checkout\"\n",
            1,
        ),
    )
    .unwrap();
    // The istio-reader-admin cluster-admin grant on eu-west-1 is removed.
    std::fs::remove_file(mesh.join("eu-west-1/rbac/custom/clusterrolebinding-istio-reader-admin.yaml")).unwrap();
    // us-east-1 gets a new intermediate (here: eu-west-1's cacerts, same root bundle).
    std::fs::remove_file(mesh.join("us-east-1/istio-system/cacerts/secret-istio-system-cacerts.yaml")).unwrap();
    std::fs::copy(
        sample.join("eu-west-1/istio-system/cacerts/secret-istio-system-cacerts.json"),
        mesh.join("us-east-1/istio-system/cacerts/secret-istio-system-cacerts.json"),
    )
    .unwrap();
    mesh
}

fn two_scans() -> Env {
    let env = Env::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh");
    env.collect(&sample, AS_OF, 0);
    let mesh = modified_mesh(&env);
    env.collect(&mesh, LATER, 0);
    env
}

fn diff_json(env: &Env, extra: &[&str]) -> Value {
    let out = env.cmd().args(["diff", "-o", "json"]).args(extra).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn has(list: &Value, pred: impl Fn(&Value) -> bool) -> bool {
    list.as_array().unwrap().iter().any(pred)
}

#[test]
fn reports_every_kind_of_trust_change_between_the_last_two_scans() {
    let env = two_scans();
    let d = diff_json(&env, &[]);
    assert_eq!(d["from_scan"], 1);
    assert_eq!(d["to_scan"], 2);

    assert!(has(&d["clusters"], |c| c["cluster"] == "ap-south-1"
        && c["change"] == "removed"));
    assert_eq!(d["clusters"].as_array().unwrap().len(), 1);

    assert!(has(&d["registrations"], |r| r["subject"]
        == "mgmt/gloo-mesh/KubernetesCluster/ap-south-1"
        && r["change"] == "removed"));
    assert!(has(&d["registrations"], |r| {
        r["subject"] == "mgmt/gloo-mesh/KubernetesCluster/eu-central-1"
            && r["change"] == "changed"
            && r["fields"][0]["path"] == "/metadata/labels/env"
            && r["fields"][0]["old"] == "prod"
            && r["fields"][0]["new"] == "production"
    }));

    assert!(has(&d["policies"], |p| {
        p["subject"] == "us-east-1/payments/AuthorizationPolicy/billing-allow-payments"
            && p["change"] == "changed"
            && p["fields"][0]["path"] == "/spec/rules/0/from/0/source/principals/0"
            && p["fields"][0]["old"] == "*"
            && p["fields"][0]["new"] == "acme.internal/ns/checkout/sa/checkout"
    }));

    assert!(has(&d["rbac"], |g| g["binding"]
        == "eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin"
        && g["change"] == "removed"
        && g["role"] == "ClusterRole/cluster-admin"));

    let certs = d["certificates"].as_array().unwrap();
    assert!(
        certs
            .iter()
            .any(|c| c["cluster"] == "us-east-1" && c["role"] == "intermediate" && c["change"] == "rotated")
    );
    assert!(
        !certs
            .iter()
            .any(|c| c["cluster"] == "us-east-1" && c["role"] == "roots"),
        "same root bundle"
    );

    assert!(has(&d["tokens"], |t| t["subject"]
        == "eu-central-1/istio-system/Secret/istio-remote-secret-eu-west-1"
        && t["change"] == "newly-expired"));

    let closed = &d["findings"]["closed"];
    assert!(has(closed, |f| f["check"] == "POL-002" && f["cluster"] == "us-east-1"));
    assert!(has(closed, |f| f["check"] == "CERT-002" && f["cluster"] == "ap-south-1"));
    assert!(has(closed, |f| f["check"] == "RBAC-001" && f["cluster"] == "eu-west-1"));
    assert!(has(&d["findings"]["opened"], |f| f["check"] == "TOKEN-003"
        && f["cluster"] == "eu-central-1"));
    assert!(has(&d["findings"]["still_open"], |f| f["check"] == "RBAC-001"
        && f["cluster"] == "eu-central-1"));
}

#[test]
fn output_is_deterministic_and_explicit_scans_work() {
    let env = two_scans();
    let a = env.cmd().args(["diff", "-o", "json"]).output().unwrap().stdout;
    let b = env
        .cmd()
        .args(["diff", "--from", "1", "--to", "2", "-o", "json"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(a, b);
    let same = env.cmd().args(["diff", "--from", "2", "--to", "2"]).output().unwrap();
    assert_eq!(same.status.code(), Some(2));
}

#[test]
fn table_lists_changes_and_reverse_diff_swaps_them() {
    let env = two_scans();
    let out = env.cmd().args(["diff"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("scan 1 (2026-12-01T00:00:00Z) → scan 2 (2026-12-21T00:00:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("/spec/rules/0/from/0/source/principals/0: \"*\" → \"acme.internal/ns/checkout/sa/checkout\""),
        "{text}"
    );
    let rev = diff_json(&env, &["--from", "2", "--to", "1"]);
    assert!(has(&rev["clusters"], |c| c["cluster"] == "ap-south-1"
        && c["change"] == "added"));
}

#[test]
fn one_scan_is_not_enough_and_says_what_to_do() {
    let env = Env::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh");
    env.collect(&sample, AS_OF, 0);
    let out = env.cmd().arg("diff").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing to compare it with"), "{stderr}");
}
