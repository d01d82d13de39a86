//! `who-added` and `timeline` on the demo mesh: the README's expected answers, evidence citations
//! that resolve, deterministic output, and GitOps attribution through `git.commit` records appended
//! with the real store API.

use std::path::{Path, PathBuf};

use meshproof::collect::kube_dump;
use meshproof::model::{Observation, kinds};
use meshproof::store::{Signer, Store};
use serde_json::{Value, json};

use crate::harness::{AS_OF, Env};

const ARGOCD: &str = "system:serviceaccount:argocd:argocd-application-controller";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh")
}

fn collected() -> Env {
    let env = Env::new();
    env.collect(&sample(), AS_OF, 0);
    env
}

fn run(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().args(["--as-of", AS_OF]).args(args).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn run_json(env: &Env, args: &[&str]) -> Vec<Value> {
    let text = run(env, args);
    serde_json::from_str::<Value>(&text)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

fn row<'a>(rows: &'a [Value], cluster: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["cluster"] == cluster)
        .unwrap_or_else(|| panic!("no row for {cluster}: {rows:#?}"))
}

fn git_commit(body: Value) -> Observation {
    let sha = body["commit"].as_str().unwrap().to_string();
    Observation {
        source: "git/gitops".into(),
        kind: kinds::GIT_COMMIT,
        subject: format!("git/gitops/commit/{sha}"),
        body,
    }
}

fn person(name: &str, email: &str, time: &str, time_utc: &str) -> Value {
    json!({"name": name, "email": email, "time": time, "time_utc": time_utc})
}

/// The sample repository's registration commit, its merge, and Dave's hotfix, as `git.commit`
/// bodies.
fn sample_commits() -> Vec<Observation> {
    let kc_after = json!([{
        "apiVersion": "admin.gloo.solo.io/v2", "kind": "KubernetesCluster",
        "namespace": "gloo-mesh", "name": "ap-south-1", "manifest": "clusters/ap-south-1/kubernetescluster.yaml"
    }]);
    let kc_file = json!({
        "path": "clusters/ap-south-1/kubernetescluster.yaml", "old_path": null, "change": "added",
        "cluster": "mgmt", "objects_before": [], "objects_after": kc_after
    });
    vec![
        git_commit(json!({
            "repo": "gitops",
            "commit": "a05467c53948510df3277f7db0381bf5b27e7356",
            "parents": ["d5314f5dc171edc0a4c3779084af0e2059e528b2"],
            "author": person("Priya Raman", "priya@example.com", "2026-08-31T15:28:00+05:30", "2026-08-31T09:58:00Z"),
            "committer": person("GitHub", "noreply@github.com", "2026-08-31T15:28:00+05:30", "2026-08-31T09:58:00Z"),
            "summary": "Register ap-south-1 with the management plane",
            "signature": {"present": true, "type": "ssh"},
            "merge": false,
            "files": [kc_file.clone()],
        })),
        git_commit(json!({
            "repo": "gitops",
            "commit": "07161cd6e44247a9ebb29e305c7684e1ab0e6e43",
            "parents": ["d5314f5dc171edc0a4c3779084af0e2059e528b2", "a05467c53948510df3277f7db0381bf5b27e7356"],
            "author": person("Priya Raman", "priya@example.com", "2026-08-31T15:32:00+05:30", "2026-08-31T10:02:00Z"),
            "committer": person("GitHub", "noreply@github.com", "2026-08-31T10:02:00+00:00", "2026-08-31T10:02:00Z"),
            "summary": "Merge pull request #42 from acme/priya/register-ap-south-1",
            "signature": {"present": false, "type": null},
            "merge": true,
            "files": [kc_file],
        })),
        git_commit(json!({
            "repo": "gitops",
            "commit": "f77d602a4127189c7a0be2fa53f2eef61e1ece08",
            "parents": ["8b48a62e351537face1e9ff49e05dfc1bc64e797"],
            "author": person("Dave Ops", "dave@example.com", "2026-10-20T02:58:00-05:00", "2026-10-20T07:58:00Z"),
            "committer": person("Dave Ops", "dave@example.com", "2026-10-20T02:58:00-05:00", "2026-10-20T07:58:00Z"),
            "summary": "us-east-1 hotfix: open billing policy",
            "signature": {"present": false, "type": null},
            "merge": false,
            "files": [{
                "path": "overlays/us-east-1/payments/billing-allow-payments.yaml", "old_path": null,
                "change": "added", "cluster": "us-east-1", "objects_before": [],
                "objects_after": [{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                    "namespace": "payments", "name": "billing-allow-payments",
                    "manifest": "overlays/us-east-1/payments/billing-allow-payments.yaml"}]
            }],
        })),
    ]
}

/// Appends scan 2: the same mesh plus the sample repository's commits, through the store API.
fn append_git_scan(env: &Env) {
    let mut store = Store::open(&env.store()).unwrap();
    let signer = Signer::load(&Store::default_key_path(&env.store())).unwrap();
    let mut scan = store
        .begin_scan(AS_OF.parse().unwrap(), json!({"test": "git"}))
        .unwrap();
    kube_dump::collect(&sample(), &kube_dump::Options::default(), &mut scan).unwrap();
    for obs in sample_commits() {
        scan.add(obs).unwrap();
    }
    let summary = scan.finish(&signer).unwrap();
    assert_eq!(summary.scan, 2);
}

#[test]
fn who_added_answers_the_readme_for_the_demo_mesh() {
    let env = collected();
    let rows = run_json(&env, &["who-added", "-o", "json"]);
    let clusters: Vec<&str> = rows.iter().map(|r| r["cluster"].as_str().unwrap()).collect();
    assert_eq!(
        clusters,
        ["ap-south-1", "eu-central-1", "eu-west-1", "us-east-1"],
        "not mgmt, not the decommissioned us-west-2"
    );

    let eu_central = row(&rows, "eu-central-1");
    assert_eq!(eu_central["added_at"], "2026-06-02T09:14:03Z");
    assert_eq!(eu_central["added_by"], "alice@example.com");
    assert_eq!(eu_central["applied_by"], "alice@example.com");
    assert_eq!(eu_central["trust_domain"], "acme.internal");
    assert_eq!(eu_central["trust_domain_source"], "mesh-config");
    assert_eq!(eu_central["method"], "management-plane-registration");

    let eu_west = row(&rows, "eu-west-1");
    assert_eq!(eu_west["added_at"], "2026-06-02T09:31:40Z");
    assert_eq!(eu_west["added_by"], "alice@example.com");

    let us_east = row(&rows, "us-east-1");
    assert_eq!(us_east["added_at"], "2026-06-03T14:02:11Z");
    assert_eq!(us_east["added_by"], "bob@example.com", "not carol: refused");
    assert_eq!(us_east["trust_domain"], "acme.internal");
    assert_eq!(us_east["trust_domain_source"], "peer-gateway");

    let ap_south = row(&rows, "ap-south-1");
    assert_eq!(ap_south["added_at"], "2026-08-31T10:05:00Z");
    assert_eq!(ap_south["applied_by"], ARGOCD);
    assert_eq!(ap_south["added_by"], Value::Null, "no git evidence collected yet");
    assert_eq!(ap_south["trust_domain_source"], "mesh-config");

    // A cluster argument narrows the answer.
    let only = run_json(&env, &["who-added", "us-east-1", "-o", "json"]);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0], *us_east);
}

#[test]
fn who_added_evidence_resolves_and_output_is_deterministic() {
    let env = collected();
    let first = run(&env, &["who-added", "-o", "json"]);
    let second = run(&env, &["who-added", "-o", "json"]);
    assert_eq!(first, second, "JSON must be byte-identical across runs");

    let rows: Vec<Value> = serde_json::from_str(&first).unwrap();
    let mut cited = 0;
    for r in &rows {
        let evidence = r["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "{} cites nothing", r["cluster"]);
        for e in evidence {
            let seq = e["seq"].as_u64().unwrap().to_string();
            let shown: Value = serde_json::from_str(&run(&env, &["evidence", "show", &seq])).unwrap();
            assert_eq!(shown["hash"], e["hash"], "record #{seq}");
            cited += 1;
        }
    }
    // us-east-1 cites its registration, bob's create and both peer gateways carrying its trust domain.
    let us_east = row(&rows, "us-east-1");
    let subjects: Vec<String> = us_east["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let seq = e["seq"].as_u64().unwrap().to_string();
            let shown: Value = serde_json::from_str(&run(&env, &["evidence", "show", &seq])).unwrap();
            shown["subject"].as_str().unwrap().to_string()
        })
        .collect();
    for want in [
        "mgmt/gloo-mesh/KubernetesCluster/us-east-1",
        "eu-central-1/istio-eastwest/Gateway/istio-remote-peer-us-east-1",
        "eu-west-1/istio-eastwest/Gateway/istio-remote-peer-us-east-1",
    ] {
        assert!(subjects.iter().any(|s| s == want), "{want} not in {subjects:?}");
    }
    assert!(subjects.iter().any(|s| s.starts_with("mgmt/audit/")));
    assert!(cited >= 8);

    let csv = run(&env, &["who-added", "-o", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("CLUSTER,ADDED AT,ADDED BY,APPLIED BY,COMMITTER,TRUST DOMAIN,TRUST DOMAIN SOURCE,METHOD,EVIDENCE")
    );
    assert_eq!(lines.count(), 4);
    assert_eq!(csv, run(&env, &["who-added", "-o", "csv"]));
    let table = run(&env, &["who-added"]);
    assert!(table.starts_with("CLUSTER"));
}

#[test]
fn gitops_registration_is_attributed_to_the_commit_author() {
    let env = collected();
    append_git_scan(&env);
    let rows = run_json(&env, &["who-added", "-o", "json"]);
    assert_eq!(rows.len(), 4);
    let ap_south = row(&rows, "ap-south-1");
    assert_eq!(ap_south["added_by"], "Priya Raman <priya@example.com>");
    assert_eq!(ap_south["applied_by"], ARGOCD);
    assert_eq!(ap_south["committer"], "GitHub <noreply@github.com>");
    assert_eq!(ap_south["added_at"], "2026-08-31T10:05:00Z");
    // The earliest introducing commit is cited: Priya's, not the merge.
    let cited: Vec<u64> = ap_south["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    let subjects: Vec<String> = cited
        .iter()
        .map(|seq| {
            let shown: Value = serde_json::from_str(&run(&env, &["evidence", "show", &seq.to_string()])).unwrap();
            shown["subject"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        subjects.contains(&"git/gitops/commit/a05467c53948510df3277f7db0381bf5b27e7356".to_string()),
        "{subjects:?}"
    );
    assert!(!subjects.iter().any(|s| s.contains("07161cd6e44")), "{subjects:?}");
    // Human registrations are untouched by git evidence.
    assert_eq!(row(&rows, "us-east-1")["added_by"], "bob@example.com");
    assert_eq!(row(&rows, "us-east-1")["committer"], Value::Null);

    // Scan 1 still answers as before.
    let old = run_json(&env, &["who-added", "--scan", "1", "-o", "json"]);
    assert_eq!(row(&old, "ap-south-1")["added_by"], Value::Null);

    // --gitops-identity replaces the default list: Argo CD is then an ordinary user.
    let custom = run_json(
        &env,
        &[
            "who-added",
            "--gitops-identity",
            "system:serviceaccount:flux-system:kustomize-controller",
            "-o",
            "json",
        ],
    );
    assert_eq!(row(&custom, "ap-south-1")["added_by"], ARGOCD);
    assert_eq!(row(&custom, "ap-south-1")["committer"], Value::Null);
}

#[test]
fn timeline_answers_who_changed_an_object_on_a_cluster() {
    let env = collected();
    append_git_scan(&env);
    let events = run_json(
        &env,
        &[
            "timeline",
            "--cluster",
            "us-east-1",
            "--subject",
            "us-east-1/payments/AuthorizationPolicy/billing-allow-payments",
            "-o",
            "json",
        ],
    );
    let commit = events
        .iter()
        .find(|e| e["source"] == "git")
        .unwrap_or_else(|| panic!("no git event: {events:#?}"));
    assert_eq!(commit["action"], "manifest-committed");
    assert_eq!(commit["actor"], "Dave Ops <dave@example.com>");
    assert_eq!(commit["cluster"], "us-east-1");
    assert_eq!(commit["time"], "2026-10-20T07:58:00Z");
    assert!(
        commit["detail"]
            .as_str()
            .unwrap()
            .contains("overlays/us-east-1/payments/billing-allow-payments.yaml")
    );
    // The object's own creation is there too, before the commit.
    assert_eq!(events.first().unwrap()["source"], "object");
    assert!(
        events
            .iter()
            .all(|e| e["subject"] == "us-east-1/payments/AuthorizationPolicy/billing-allow-payments")
    );
}

#[test]
fn timeline_shows_refused_attempts_and_deregistrations() {
    let env = collected();
    let all = run_json(&env, &["timeline", "-o", "json"]);
    let times: Vec<&str> = all.iter().map(|e| e["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_by_key(|t| t.parse::<meshproof::model::Timestamp>().unwrap());
    assert_eq!(times, sorted, "time order");
    assert_eq!(
        run(&env, &["timeline", "-o", "json"]),
        run(&env, &["timeline", "-o", "json"])
    );

    let carol = all
        .iter()
        .find(|e| e["actor"] == "carol.contractor@example.com")
        .expect("carol's attempt");
    assert_eq!(carol["action"], "registration-refused");
    assert_eq!(carol["outcome"], "refused");
    assert_eq!(carol["cluster"], "us-east-1");
    assert_eq!(carol["source"], "audit");
    assert!(carol["time"].as_str().unwrap().starts_with("2026-06-03T13:55:00"));

    let dereg = all
        .iter()
        .find(|e| e["action"] == "cluster-deregistered")
        .expect("deregistration");
    assert_eq!(dereg["cluster"], "us-west-2");
    assert_eq!(dereg["actor"], "alice@example.com");
    assert_eq!(dereg["outcome"], "success");
    assert!(dereg["time"].as_str().unwrap().starts_with("2026-09-15T16:40:00"));

    // --cluster keeps only that cluster's events (its own objects and its registration on mgmt).
    let us_west = run_json(&env, &["timeline", "--cluster", "us-west-2", "-o", "json"]);
    let actions: Vec<&str> = us_west.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["cluster-registered", "cluster-changed", "cluster-deregistered"]
    );
    let us_east = run_json(&env, &["timeline", "--cluster", "us-east-1", "-o", "json"]);
    assert!(us_east.iter().all(|e| e["cluster"] == "us-east-1"));
    assert!(us_east.iter().any(|e| e["action"] == "registration-refused"));
    assert!(
        us_east
            .iter()
            .any(|e| e["action"] == "cluster-registered" && e["actor"] == "bob@example.com")
    );

    // --since/--until bound the window, inclusively.
    let window = run_json(
        &env,
        &[
            "timeline",
            "--since",
            "2026-09-15T00:00:00Z",
            "--until",
            "2026-09-15T23:59:59Z",
            "-o",
            "json",
        ],
    );
    assert!(!window.is_empty());
    assert!(
        window
            .iter()
            .all(|e| e["time"].as_str().unwrap().starts_with("2026-09-15"))
    );
    assert!(window.iter().any(|e| e["action"] == "cluster-deregistered"));
    let before = run_json(
        &env,
        &[
            "timeline",
            "--until",
            "2026-06-03T13:55:00Z",
            "--cluster",
            "us-east-1",
            "-o",
            "json",
        ],
    );
    assert!(before.iter().all(|e| e["action"] != "registration-refused"));

    let csv = run(&env, &["timeline", "--cluster", "us-west-2", "-o", "csv"]);
    assert!(csv.starts_with("TIME,CLUSTER,ACTION,SUBJECT,ACTOR,SOURCE,OUTCOME,DETAIL,EVIDENCE\n"));
}

/// `who-added` loads only the records it reads (`Store::evidence_subset`): through scans that
/// remove every object and add them back, that part of the view is exactly the full view's.
#[test]
fn the_who_added_subset_of_a_scan_is_the_full_views_records_of_those_kinds() {
    let env = collected();
    let mini = env.mini_mesh();
    env.collect(&mini, "2026-12-02T00:00:00Z", 0);
    env.collect(&sample(), "2026-12-03T00:00:00Z", 0);
    let store = Store::open_existing(&env.store()).expect("store");
    let subset = meshproof::query::who_added::EVIDENCE;
    for scan in 1..=3 {
        let full = store.evidence_set(scan).expect("full view");
        let part = store.evidence_subset(scan, &subset).expect("subset");
        let wanted: Vec<_> = full
            .records()
            .iter()
            .filter(|r| match r.object_key() {
                Some(key) => subset.object_kinds.contains(&key.kind),
                None => r.kind != kinds::K8S_OBJECT && subset.record_kinds.contains(&r.kind.as_str()),
            })
            .collect();
        let got: Vec<_> = part.records().iter().collect();
        assert!(wanted.len() > 5, "scan {scan}: the sample has such records");
        assert_eq!(got, wanted, "scan {scan}");
        assert_eq!(part.collected_at(), full.collected_at());
    }
    assert!(
        store.evidence_subset(4, &subset).is_err(),
        "a scan that does not exist is an error"
    );
}
