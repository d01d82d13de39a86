//! `findings` on the demo mesh: exactly the planted REG/RBAC/POL/CHG findings of
//! `sample-evidence/README.md`, none on clean clusters and objects, and evidence that resolves.
//!
//! Scan 1 is `collect --from sample-evidence/mesh` (no git). Scan 2 adds the sample repository's
//! history as `git.commit` records appended through the real store API, with the body shape of
//! the git collector (`files[].cluster` from the path segment naming a cluster, `objects_after`
//! with the redacted `manifest`), so CHG-001/CHG-002 and GitOps attribution run on it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use meshproof::collect::kube_dump;
use meshproof::model::{Observation, kinds};
use meshproof::store::{Signer, Store};
use serde_json::{Value, json};

use crate::harness::{AS_OF, Env};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh")
}

fn person(name: &str, email: &str, time_utc: &str) -> Value {
    json!({"name": name, "email": email, "time": time_utc, "time_utc": time_utc})
}

fn obj(api: &str, kind: &str, ns: Option<&str>, name: &str, manifest: Value) -> Value {
    json!({"apiVersion": api, "kind": kind, "namespace": ns, "name": name, "manifest": manifest})
}

fn file(path: &str, change: &str, cluster: Option<&str>, before: Value, after: Value) -> Value {
    let strip = |v: &Value| -> Value {
        Value::Array(
            v.as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    let mut o = o.clone();
                    if let Some(m) = o.as_object_mut() {
                        m.remove("manifest");
                    }
                    o
                })
                .collect(),
        )
    };
    json!({"path": path, "old_path": null, "change": change, "cluster": cluster,
           "objects_before": strip(&before), "objects_after": after})
}

#[allow(clippy::too_many_arguments)]
fn commit(
    sha: &str,
    parents: &[&str],
    author: Value,
    committer: Value,
    summary: &str,
    signed: bool,
    files: Vec<Value>,
) -> Observation {
    Observation {
        source: "git/gitops".into(),
        kind: kinds::GIT_COMMIT,
        subject: format!("git/gitops/commit/{sha}"),
        body: json!({
            "repo": "gitops", "commit": sha, "parents": parents, "author": author, "committer": committer,
            "summary": summary, "signature": {"present": signed, "type": if signed { json!("ssh") } else { Value::Null }},
            "merge": parents.len() > 1, "files": files,
        }),
    }
}

const SEC: &str = "security.istio.io/v1";
const RBAC: &str = "rbac.authorization.k8s.io/v1";

fn billing_base() -> Value {
    obj(
        SEC,
        "AuthorizationPolicy",
        Some("payments"),
        "billing-allow-payments",
        json!({
        "apiVersion": SEC, "kind": "AuthorizationPolicy",
        "metadata": {"name": "billing-allow-payments", "namespace": "payments"},
        "spec": {"selector": {"matchLabels": {"app": "billing"}}, "action": "ALLOW",
                 "rules": [{"from": [{"source": {"principals": ["acme.internal/ns/checkout/sa/checkout"]}}],
                            "to": [{"operation": {"ports": ["8080"]}}]}]}}),
    )
}

fn oncall() -> Value {
    obj(
        RBAC,
        "ClusterRoleBinding",
        None,
        "platform-oncall",
        json!({
        "apiVersion": RBAC, "kind": "ClusterRoleBinding",
        "metadata": {"name": "platform-oncall", "labels": {"app.kubernetes.io/instance": "mesh-policies"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform-oncall"}]}),
    )
}

fn kubernetes_cluster() -> Value {
    obj(
        "admin.gloo.solo.io/v2",
        "KubernetesCluster",
        Some("gloo-mesh"),
        "ap-south-1",
        json!({
        "apiVersion": "admin.gloo.solo.io/v2", "kind": "KubernetesCluster",
        "metadata": {"name": "ap-south-1", "namespace": "gloo-mesh",
                     "labels": {"region": "ap-south", "env": "prod", "org": "acme",
                                "app.kubernetes.io/instance": "mesh-registration"}},
        "spec": {"clusterDomain": "cluster.local"}}),
    )
}

const C1: &str = "db3390f9895048eb539fffabcd9a2b167b73a8c0";
const C2: &str = "1dcd062d8eecba88dbc6894e5545af99a7d2a0cc";
const C3: &str = "b936d7390377ce256597f293ee71292ee6ae2aa8";
const C4: &str = "48874c665fbd9f8af194c1a989b0b2640a561d55";
const C5: &str = "d5314f5dc171edc0a4c3779084af0e2059e528b2";
const C6: &str = "a05467c53948510df3277f7db0381bf5b27e7356";
const M: &str = "07161cd6e44247a9ebb29e305c7684e1ab0e6e43";
const C7: &str = "8b48a62e351537face1e9ff49e05dfc1bc64e797";
const C8: &str = "f77d602a4127189c7a0be2fa53f2eef61e1ece08";

/// The sample repository's history (README "GitOps repository"), as the git collector records it.
fn sample_commits() -> Vec<Observation> {
    let alice = |t: &str| person("Alice Example", "alice@example.com", t);
    let bob = |t: &str| person("Bob Builder", "bob@example.com", t);
    let priya = |t: &str| person("Priya Raman", "priya@example.com", t);
    let github = |t: &str| person("GitHub", "noreply@github.com", t);
    let checkout = obj(
        SEC,
        "AuthorizationPolicy",
        Some("checkout"),
        "checkout-allow-frontend",
        json!({
        "apiVersion": SEC, "kind": "AuthorizationPolicy",
        "metadata": {"name": "checkout-allow-frontend", "namespace": "checkout"},
        "spec": {"selector": {"matchLabels": {"app": "checkout"}}, "action": "ALLOW",
                 "rules": [{"from": [{"source": {"principals": ["acme.internal/ns/frontend/sa/frontend"]}}]}]}}),
    );
    let strict = obj(
        SEC,
        "PeerAuthentication",
        Some("istio-system"),
        "default",
        json!({
        "apiVersion": SEC, "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}}),
    );
    let allow_all = obj(
        SEC,
        "AuthorizationPolicy",
        Some("legacy"),
        "allow-all",
        json!({
        "apiVersion": SEC, "kind": "AuthorizationPolicy",
        "metadata": {"name": "allow-all", "namespace": "legacy"}, "spec": {"rules": [{}]}}),
    );
    let permissive = obj(
        SEC,
        "PeerAuthentication",
        Some("payments"),
        "default",
        json!({
        "apiVersion": SEC, "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "payments"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}}),
    );
    let hotfix = obj(
        SEC,
        "AuthorizationPolicy",
        Some("payments"),
        "billing-allow-payments",
        json!({
        "apiVersion": SEC, "kind": "AuthorizationPolicy",
        "metadata": {"name": "billing-allow-payments", "namespace": "payments"},
        "spec": {"rules": [{"from": [{"source": {"principals": ["*"]}}], "to": [{"operation": {"ports": ["8080"]}}]}]}}),
    );
    let kc_file = file(
        "clusters/ap-south-1/kubernetescluster.yaml",
        "added",
        Some("ap-south-1"),
        json!([]),
        json!([kubernetes_cluster()]),
    );
    let mut rename = file(
        "rbac/bindings/platform-oncall.yaml",
        "renamed",
        None,
        json!([oncall()]),
        json!([oncall()]),
    );
    rename["old_path"] = json!("rbac/platform-oncall.yaml");
    vec![
        commit(
            C1,
            &[],
            alice("2026-05-20T08:00:00Z"),
            alice("2026-05-20T08:00:00Z"),
            "Initial mesh policies",
            false,
            vec![
                file(
                    "policies/base/checkout/checkout-allow-frontend.yaml",
                    "added",
                    None,
                    json!([]),
                    json!([checkout]),
                ),
                file(
                    "policies/base/istio-system/peer-authentication-default.yaml",
                    "added",
                    None,
                    json!([]),
                    json!([strict]),
                ),
                file(
                    "policies/base/legacy/allow-all.yaml",
                    "added",
                    None,
                    json!([]),
                    json!([allow_all.clone()]),
                ),
                file(
                    "policies/base/payments/billing-allow-payments.yaml",
                    "added",
                    None,
                    json!([]),
                    json!([billing_base()]),
                ),
            ],
        ),
        commit(
            C2,
            &[C1],
            bob("2026-06-10T09:55:00Z"),
            bob("2026-06-10T09:55:00Z"),
            "Add platform-oncall binding",
            false,
            vec![file(
                "rbac/platform-oncall.yaml",
                "added",
                None,
                json!([]),
                json!([oncall()]),
            )],
        ),
        commit(
            C3,
            &[C2],
            bob("2026-07-01T13:20:00Z"),
            bob("2026-07-01T13:20:00Z"),
            "Move platform-oncall binding under rbac/bindings",
            false,
            vec![rename],
        ),
        commit(
            C4,
            &[C3],
            alice("2026-07-15T09:00:00Z"),
            alice("2026-07-15T09:00:00Z"),
            "Remove legacy allow-all policy",
            false,
            vec![file(
                "policies/base/legacy/allow-all.yaml",
                "deleted",
                None,
                json!([allow_all]),
                json!([]),
            )],
        ),
        commit(
            C6,
            &[C5],
            priya("2026-08-31T09:58:00Z"),
            github("2026-08-31T09:58:00Z"),
            "Register ap-south-1 with the management plane",
            true,
            vec![kc_file.clone()],
        ),
        commit(
            M,
            &[C5, C6],
            priya("2026-08-31T10:02:00Z"),
            github("2026-08-31T10:02:00Z"),
            "Merge pull request #42 from acme/priya/register-ap-south-1",
            false,
            vec![kc_file],
        ),
        commit(
            C7,
            &[M],
            priya("2026-09-02T07:00:00Z"),
            priya("2026-09-02T07:00:00Z"),
            "ap-south-1: allow plaintext to payments during migration",
            false,
            vec![file(
                "overlays/ap-south-1/payments/peer-authentication-permissive.yaml",
                "added",
                Some("ap-south-1"),
                json!([]),
                json!([permissive]),
            )],
        ),
        commit(
            C8,
            &[C7],
            person("Dave Ops", "dave@example.com", "2026-10-20T07:58:00Z"),
            person("Dave Ops", "dave@example.com", "2026-10-20T07:58:00Z"),
            "us-east-1 hotfix: open billing policy",
            false,
            vec![file(
                "overlays/us-east-1/payments/billing-allow-payments.yaml",
                "added",
                Some("us-east-1"),
                json!([]),
                json!([hotfix]),
            )],
        ),
    ]
}

/// Appends a scan holding the mesh dump plus `commits`, through the store API.
fn append_scan(env: &Env, commits: Vec<Observation>) {
    let mut store = Store::open(&env.store()).unwrap();
    let signer = Signer::load_or_create(&Store::default_key_path(&env.store())).unwrap();
    let mut scan = store
        .begin_scan(AS_OF.parse().unwrap(), json!({"test": "git"}))
        .unwrap();
    kube_dump::collect(&sample(), &kube_dump::Options::default(), &mut scan).unwrap();
    for obs in commits {
        scan.add(obs).unwrap();
    }
    scan.finish(&signer).unwrap();
}

fn findings(env: &Env, extra: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .args(["--as-of", AS_OF])
        .args(extra)
        .args(["findings", "-o", "json"])
        .output()
        .expect("run");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "findings exit code {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

/// (check, cluster, subject) of the findings of the families this suite covers.
fn mine(all: &[Value]) -> BTreeSet<(String, String, String)> {
    all.iter()
        .filter(|f| {
            let c = f["check"].as_str().unwrap_or_default();
            ["REG-", "RBAC-", "POL-", "CHG-"].iter().any(|p| c.starts_with(p))
        })
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["cluster"].as_str().unwrap_or("-").to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn set(rows: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// Planted rows 11–21 of the README table (no git needed).
const PLANTED: &[(&str, &str, &str)] = &[
    ("REG-003", "ap-south-1", "ap-south-1/peering/us-east-1"),
    (
        "REG-004",
        "eu-central-1",
        "eu-central-1/istio-system/Secret/istio-remote-secret-us-west-2",
    ),
    (
        "RBAC-001",
        "eu-central-1",
        "eu-central-1/_cluster/ClusterRoleBinding/contractor-debug",
    ),
    (
        "RBAC-001",
        "eu-west-1",
        "eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin",
    ),
    (
        "RBAC-002",
        "us-east-1",
        "us-east-1/istio-system/RoleBinding/observability-secrets-reader",
    ),
    (
        "RBAC-003",
        "ap-south-1",
        "ap-south-1/_cluster/ClusterRoleBinding/platform-oncall",
    ),
    (
        "POL-001",
        "us-east-1",
        "us-east-1/payments/AuthorizationPolicy/billing-allow-payments",
    ),
    (
        "POL-002",
        "us-east-1",
        "us-east-1/payments/AuthorizationPolicy/billing-allow-payments",
    ),
    (
        "POL-003",
        "ap-south-1",
        "ap-south-1/payments/AuthorizationPolicy/ledger-access",
    ),
    ("POL-005", "ap-south-1", "mgmt/payments/AccessPolicy/ledger-access"),
    (
        "POL-004",
        "ap-south-1",
        "ap-south-1/payments/PeerAuthentication/default",
    ),
];

#[test]
fn demo_mesh_with_git_yields_exactly_the_planted_findings() {
    let env = Env::new();
    env.collect(&sample(), AS_OF, 0);
    append_scan(&env, sample_commits());
    let all = findings(&env, &[]);
    let mut expected = set(PLANTED);
    expected.extend(set(&[
        // Row 22 and the README's CHG-001 note: every unsigned non-merge commit changing manifests.
        ("CHG-001", "us-east-1", &format!("git/gitops/commit/{C8}")),
        ("CHG-001", "ap-south-1", &format!("git/gitops/commit/{C7}")),
        ("CHG-001", "-", &format!("git/gitops/commit/{C1}")),
        ("CHG-001", "-", &format!("git/gitops/commit/{C2}")),
        ("CHG-001", "-", &format!("git/gitops/commit/{C3}")),
        ("CHG-001", "-", &format!("git/gitops/commit/{C4}")),
        // Note 5: custom bindings with neither a git manifest nor an audit-attributed creator.
        (
            "CHG-002",
            "eu-central-1",
            "eu-central-1/_cluster/ClusterRoleBinding/contractor-debug",
        ),
        (
            "CHG-002",
            "eu-west-1",
            "eu-west-1/_cluster/ClusterRoleBinding/istio-reader-admin",
        ),
        (
            "CHG-002",
            "us-east-1",
            "us-east-1/istio-system/RoleBinding/observability-secrets-reader",
        ),
    ]));
    let got = mine(&all);
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );

    // Messages are specific and every finding cites evidence.
    for f in &all {
        assert!(!f["evidence"].as_array().unwrap().is_empty(), "{f}");
    }
    let by = |check: &str, subject: &str| -> String {
        all.iter()
            .find(|f| f["check"] == check && f["subject"].as_str().unwrap_or_default().ends_with(subject))
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {check} {subject}"))
    };
    assert!(by("RBAC-001", "contractor-debug").contains("User carol.contractor@example.com"));
    let drift = by("POL-001", "billing-allow-payments");
    assert!(
        drift.contains("us-east-1 has") && drift.contains("ap-south-1, eu-central-1, eu-west-1 have"),
        "{drift}"
    );
    assert!(by("RBAC-003", "platform-oncall").contains("3 of 4"));
    let unsigned = all
        .iter()
        .find(|f| f["subject"] == format!("git/gitops/commit/{C8}"))
        .unwrap();
    assert_eq!(unsigned["severity"], "info", "CHG-001 defaults to info");
    assert!(unsigned["message"].as_str().unwrap().contains("Dave Ops"));

    // Severity comes from the settings.
    let raised = findings(&env, &["--set", "analysis.unsigned_change_severity=high"]);
    let raised = raised
        .iter()
        .find(|f| f["subject"] == format!("git/gitops/commit/{C8}"))
        .unwrap();
    assert_eq!(raised["severity"], "high");

    // Deterministic.
    assert_eq!(findings(&env, &[]), all);
}

#[test]
fn demo_mesh_without_git_is_unattributed_for_the_gitops_registration_only() {
    let env = Env::new();
    env.collect(&sample(), AS_OF, 0);
    let got = mine(&findings(&env, &[]));
    let mut expected = set(PLANTED);
    // Without git, ap-south-1 (created by the Argo CD SA) has nobody to attribute it to; CHG
    // checks that need git do not run.
    expected.insert((
        "REG-002".into(),
        "ap-south-1".into(),
        "ap-south-1/mesh-membership".into(),
    ));
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
}

#[test]
fn a_live_object_edited_after_its_git_manifest_is_out_of_band() {
    let env = Env::new();
    env.collect(&sample(), AS_OF, 0);
    // Without Dave's overlay commit, us-east-1's billing policy no longer matches git.
    let commits: Vec<Observation> = sample_commits()
        .into_iter()
        .filter(|o| o.subject != format!("git/gitops/commit/{C8}"))
        .collect();
    append_scan(&env, commits);
    let all = findings(&env, &[]);
    let oob: Vec<&Value> = all
        .iter()
        .filter(|f| f["check"] == "CHG-002" && f["subject"].as_str().unwrap().contains("AuthorizationPolicy"))
        .collect();
    assert_eq!(oob.len(), 1, "{oob:#?}");
    assert_eq!(oob[0]["cluster"], "us-east-1");
    let message = oob[0]["message"].as_str().unwrap();
    assert!(message.contains("spec.rules") && message.contains("\"*\""), "{message}");
}
