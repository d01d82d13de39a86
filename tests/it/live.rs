//! Live collection against test API servers (`tests/support/apiserver.rs`): one server per
//! cluster of the sample mesh, with failures injected, RBAC enforced, and kubectl as a witness
//! that the server (and so the collector's view) matches what a real API server returns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use meshproof::collect::{kube_dump, kube_live, redact};
use meshproof::model::{Observation, kinds};
use serde_json::Value;

use crate::apiserver::{self, ApiServer, Fault, Rbac, ServerConfig, TEST_TOKEN};
use crate::harness::{AS_OF, Env};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh")
}

fn rbac() -> Rbac {
    Rbac::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/rbac.yaml"))
}

const CLUSTERS: &[&str] = &["ap-south-1", "eu-central-1", "eu-west-1", "mgmt", "us-east-1"];

/// One server per sample cluster, and a kubeconfig naming each by its cluster.
fn sample_servers(config: impl Fn(&str) -> ServerConfig) -> (Vec<(String, ApiServer)>, String) {
    let servers: Vec<(String, ApiServer)> = CLUSTERS
        .iter()
        .map(|c| (c.to_string(), ApiServer::from_dir(&sample().join(c), config(c))))
        .collect();
    let contexts: Vec<(&str, String)> = servers.iter().map(|(c, s)| (c.as_str(), s.url())).collect();
    let kc = apiserver::kubeconfig(&contexts);
    (servers, kc)
}

fn targets(names: &[&str]) -> Vec<kube_live::Target> {
    names
        .iter()
        .map(|n| kube_live::Target {
            cluster: n.to_string(),
            access: kube_live::Access::Context(n.to_string()),
        })
        .collect()
}

fn fast_options() -> kube_live::Options {
    kube_live::Options {
        page_size: 500,
        concurrency: 8,
        request_timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(10),
    }
}

fn live_collect(kc_yaml: &str, names: &[&str], options: &kube_live::Options) -> (kube_live::Summary, Vec<Observation>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kc_yaml).unwrap();
    let kc = kube_live::read_kubeconfig(&[path]).unwrap();
    let mut out = Vec::new();
    let summary = kube_live::collect(&targets(names), Some(&kc), options, &mut out).unwrap();
    (summary, out)
}

fn objects(records: &[Observation]) -> BTreeMap<String, Value> {
    records
        .iter()
        .filter(|o| o.kind == kinds::K8S_OBJECT)
        .map(|o| (o.subject.clone(), o.body.clone()))
        .collect()
}

fn gaps(records: &[Observation]) -> Vec<&Observation> {
    records.iter().filter(|o| o.kind == kinds::COLLECTION_GAP).collect()
}

#[test]
fn live_and_offline_collection_of_the_sample_mesh_yield_identical_bodies() {
    let (servers, kc) = sample_servers(|_| ServerConfig::default());
    let (summary, live) = live_collect(&kc, CLUSTERS, &fast_options());
    assert_eq!(summary.gaps(), 0, "{:#?}", gaps(&live));

    let mut offline = Vec::new();
    kube_dump::collect(&sample(), &kube_dump::Options::default(), &mut offline).unwrap();
    let (live_objects, offline_objects) = (objects(&live), objects(&offline));
    assert!(live_objects.len() > 300, "{} objects", live_objects.len());
    let only_live: Vec<_> = live_objects
        .keys()
        .filter(|k| !offline_objects.contains_key(*k))
        .collect();
    let only_offline: Vec<_> = offline_objects
        .keys()
        .filter(|k| !live_objects.contains_key(*k))
        .collect();
    assert!(
        only_live.is_empty() && only_offline.is_empty(),
        "live only: {only_live:?}\noffline only: {only_offline:?}"
    );
    for (subject, body) in &offline_objects {
        assert_eq!(&live_objects[subject], body, "{subject}");
    }
    // Records reach the sink in cluster order, objects in subject order.
    let order: Vec<&str> = live.iter().map(|o| o.source.as_str()).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    // Small pages give the same evidence, through continue tokens.
    let paged = kube_live::Options {
        page_size: 3,
        ..fast_options()
    };
    let (_, live_paged) = live_collect(&kc, CLUSTERS, &paged);
    assert_eq!(objects(&live_paged), live_objects);
    let requests = servers[0].1.requests();
    assert!(
        requests.iter().any(|r| r.query.contains("limit=3&continue=")),
        "no continued list"
    );
    assert!(requests.iter().all(|r| r.status < 400), "failed requests");
}

#[test]
fn gaps_name_cluster_and_resource_and_other_clusters_complete() {
    let env = Env::new();
    let (servers, kc) = sample_servers(|c| match c {
        "eu-west-1" => ServerConfig {
            faults: vec![
                Fault {
                    namespace: Some("istio-system".into()),
                    ..Fault::status("secrets", 403)
                },
                Fault::status("authorizationpolicies", 500),
                // Transient: retried, then served.
                Fault::transient("peerauthentications", 503, 2),
                Fault::transient("namespaces", 429, 1),
            ],
            ..Default::default()
        },
        "us-east-1" => ServerConfig {
            faults: vec![Fault::status("namespaces", 401)],
            ..Default::default()
        },
        _ => ServerConfig::default(),
    });
    let kc_path = env.write("kubeconfig", &kc);
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "-vv", "--kubeconfig"])
        .arg(&kc_path)
        .args(["--all-contexts", "--request-timeout", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        !stderr.contains(TEST_TOKEN) && !stdout.contains(TEST_TOKEN),
        "token logged"
    );
    for c in CLUSTERS {
        assert!(stdout.contains(c), "{c} missing from summary:\n{stdout}");
    }

    let listed = env
        .cmd()
        .args(["evidence", "list", "--kind", "collection.gap", "-o", "json"])
        .output()
        .unwrap();
    let gaps: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let gaps = gaps.as_array().cloned().unwrap_or_default();
    let subjects: Vec<&str> = gaps.iter().filter_map(|g| g["subject"].as_str()).collect();
    assert_eq!(
        subjects,
        [
            "eu-west-1/gap/istio-system/v1/secrets",
            "eu-west-1/gap/security.istio.io/v1/authorizationpolicies",
            "us-east-1/gap/v1/namespaces",
        ],
        "{gaps:#?}"
    );
    // The 401 stops that cluster; the 403 and 500 only their resource.
    let evidence = env
        .cmd()
        .args([
            "evidence",
            "list",
            "--kind",
            "k8s.object",
            "--cluster",
            "eu-west-1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&evidence.stdout);
    assert!(
        text.contains("eu-west-1/istio-system/PeerAuthentication/"),
        "retried resource missing"
    );
    assert!(
        text.contains("eu-west-1/_cluster/Namespace/"),
        "retried namespaces missing"
    );
    assert!(!text.contains("eu-west-1/istio-system/Secret/"));
    let requests = servers[2].1.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path.ends_with("/authorizationpolicies"))
            .count(),
        4,
        "500 retried up to the attempt limit"
    );
}

#[test]
fn a_gap_body_names_cluster_resource_namespace_and_status() {
    let (_servers, kc) = sample_servers(|c| match c {
        "mgmt" => ServerConfig {
            faults: vec![
                Fault::slow("kubernetesclusters", Duration::from_secs(3)),
                Fault {
                    namespace: Some("gloo-mesh".into()),
                    ..Fault::status("secrets", 403)
                },
            ],
            ..Default::default()
        },
        _ => ServerConfig::default(),
    });
    let options = kube_live::Options {
        request_timeout: Duration::from_millis(300),
        attempts: 2,
        ..fast_options()
    };
    let (summary, records) = live_collect(&kc, &["mgmt", "eu-west-1"], &options);
    let gaps = gaps(&records);
    assert_eq!(gaps.len(), 2, "{gaps:#?}");
    let forbidden = &gaps[0].body;
    assert_eq!(gaps[0].subject, "mgmt/gap/gloo-mesh/v1/secrets");
    assert_eq!(forbidden["cluster"], "mgmt");
    assert_eq!(forbidden["resource"], "v1/secrets");
    assert_eq!(forbidden["namespace"], "gloo-mesh");
    assert_eq!(forbidden["status"], 403);
    assert!(forbidden["reason"].as_str().unwrap().starts_with("forbidden (403)"));
    assert_eq!(gaps[1].subject, "mgmt/gap/admin.gloo.solo.io/v2/kubernetesclusters");
    assert!(
        gaps[1].body["reason"].as_str().unwrap().starts_with("timed out"),
        "{:#?}",
        gaps[1]
    );
    // The rest of mgmt was still read, and eu-west-1 is complete.
    let objects = objects(&records);
    assert!(
        objects.keys().any(|k| k.starts_with("mgmt/gloo-mesh/Workspace/")),
        "{:#?}\n{:#?}",
        records
            .iter()
            .filter(|o| o.kind == kinds::COLLECTION_NOTE)
            .collect::<Vec<_>>(),
        _servers[3]
            .1
            .requests()
            .iter()
            .map(|r| format!("{} {} {}", r.status, r.path, r.query))
            .collect::<Vec<_>>()
    );
    let by_cluster: BTreeMap<_, _> = summary.clusters.iter().map(|c| (c.cluster.as_str(), c.gaps)).collect();
    assert_eq!(by_cluster, BTreeMap::from([("eu-west-1", 0), ("mgmt", 2)]));
}

#[test]
fn an_unreachable_cluster_is_a_gap_and_the_others_go_on() {
    let server = ApiServer::from_dir(&sample().join("eu-west-1"), ServerConfig::default());
    let closed = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    let kc = apiserver::kubeconfig(&[
        ("eu-west-1", server.url()),
        ("gone", format!("http://127.0.0.1:{closed}")),
    ]);
    let (summary, records) = live_collect(&kc, &["gone", "eu-west-1"], &fast_options());
    let gaps = gaps(&records);
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert_eq!(gaps[0].subject, "gone/gap/_discovery");
    assert_eq!(gaps[0].body["cluster"], "gone");
    assert!(
        gaps[0].body["reason"].as_str().unwrap().contains("unreachable"),
        "{:#?}",
        gaps[0]
    );
    assert_eq!(summary.clusters.len(), 2);
    assert!(summary.clusters[0].objects > 50);
    assert_eq!(summary.clusters[1].cluster, "gone");
}

#[test]
fn the_collector_requests_nothing_outside_deploy_rbac_yaml_and_it_grants_nothing_unused() {
    let (servers, kc) = sample_servers(|_| ServerConfig {
        rbac: Some(rbac()),
        ..Default::default()
    });
    let (summary, records) = live_collect(&kc, CLUSTERS, &fast_options());
    assert_eq!(summary.gaps(), 0, "{:#?}", gaps(&records));
    for (cluster, server) in &servers {
        for r in server.requests() {
            assert!(!r.rbac_denied, "{cluster}: {} outside deploy/rbac.yaml", r.path);
            assert_eq!(r.method, "GET");
            assert!(!r.query.contains("watch"), "{cluster}: watch requested");
        }
    }
    // Every grant matches one row of the kept table (and the other way round).
    let mut expected = Vec::new();
    for k in meshproof::collect::selection::KEPT {
        let resource = if k.kind == "*" { "*" } else { k.plural };
        match k.namespaces {
            Some(list) => {
                for ns in list {
                    expected.push((k.group.to_string(), resource.to_string(), Some(ns.to_string())));
                }
            }
            None => expected.push((k.group.to_string(), resource.to_string(), None)),
        }
    }
    expected.sort();
    expected.dedup();
    assert_eq!(rbac().grants(), expected);
}

#[test]
fn the_sample_servers_answer_kubectl_like_an_api_server() {
    let kubectl = std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output();
    if kubectl.is_err() {
        println!("SKIPPED: kubectl is not installed; kubectl fidelity not checked");
        return;
    }
    let mgmt = ApiServer::from_dir(&sample().join("mgmt"), ServerConfig::default());
    let west = ApiServer::from_dir(&sample().join("eu-west-1"), ServerConfig::default());
    let env = Env::new();
    let kc_yaml = apiserver::kubeconfig(&[("mgmt", mgmt.url()), ("eu-west-1", west.url())]);
    let kc = env.write("kubeconfig", &kc_yaml);
    let cache = env.path("kube-cache");
    let get = |context: &str, args: &[&str]| -> Value {
        let out = std::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&kc)
            .args(["--context", context, "--cache-dir"])
            .arg(&cache)
            .arg("get")
            .args(args)
            .args(["-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl get {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (_, live) = live_collect(&kc_yaml, &["mgmt", "eu-west-1"], &fast_options());
    let live = objects(&live);
    for (server, context, args, group, plural, ns) in [
        (
            &west,
            "eu-west-1",
            &["secrets", "-n", "istio-system"][..],
            "",
            "secrets",
            "istio-system",
        ),
        (
            &mgmt,
            "mgmt",
            &["kubernetesclusters.admin.gloo.solo.io", "-n", "gloo-mesh"][..],
            "admin.gloo.solo.io",
            "kubernetesclusters",
            "gloo-mesh",
        ),
    ] {
        // The collector keeps metadata.managedFields (who changed which field, and when), so it
        // compares with `--show-managed-fields`; without it kubectl only drops that field.
        let with_fields: Vec<&str> = args.iter().copied().chain(["--show-managed-fields"]).collect();
        let printed = get(context, &with_fields);
        let items = printed["items"].as_array().cloned().unwrap_or_default();
        let served = server.catalog().served(group, plural, Some(ns));
        assert!(!served.is_empty(), "{plural}: nothing served");
        assert!(items == served, "kubectl get {args:?} differs from the objects served");
        let plain = get(context, args);
        let mut stripped = served.clone();
        for o in &mut stripped {
            if let Some(m) = o["metadata"].as_object_mut() {
                m.remove("managedFields");
            }
        }
        assert!(
            plain["items"] == Value::from(stripped),
            "kubectl get {args:?} without managed fields"
        );
        // The collector stored exactly what kubectl printed (after redaction).
        for mut item in items {
            redact::redact_object(&mut item);
            let kind = item["kind"].as_str().unwrap().to_string();
            let name = item["metadata"]["name"].as_str().unwrap().to_string();
            let subject = format!("{context}/{ns}/{kind}/{name}");
            assert!(
                live.get(&subject) == Some(&item),
                "{subject} differs from kubectl's output"
            );
        }
        // kubectl went through discovery on its own, without a token over plain HTTP.
        let requests = server.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.path == "/api" && r.accept.as_deref().is_some_and(|a| a.contains("apidiscovery")))
        );
        assert!(requests.iter().any(|r| r.path == "/apis"));
    }
}

#[test]
fn live_contexts_mix_with_dumps_and_aliases_rename_clusters() {
    let env = Env::new();
    let mesh = env.mini_mesh();
    let server = ApiServer::from_dir(&sample().join("eu-west-1"), ServerConfig::default());
    let kc = env.write("kubeconfig", apiserver::kubeconfig(&[("prod-eu", server.url())]));
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(&mesh)
        .arg("--kubeconfig")
        .arg(&kc)
        .args(["--context", "prod-eu=eu-west-1", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["collected"]["clusters"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["live"]["clusters"][0]["cluster"], "eu-west-1");
    assert!(v["live"]["clusters"][0]["objects"].as_u64() > Some(100));
    let listed = env
        .cmd()
        .args([
            "evidence",
            "list",
            "--kind",
            "k8s.object",
            "--cluster",
            "eu-west-1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("eu-west-1/istio-system/Secret/cacerts"));

    // A live cluster may not take a dump folder's name; an unknown context is refused up front.
    for (context, needle) in [("prod-eu=alpha", "both a folder"), ("nope", "not in the kubeconfig")] {
        let out = env
            .cmd()
            .args(["collect", "--as-of", AS_OF, "--from"])
            .arg(&mesh)
            .arg("--kubeconfig")
            .arg(&kc)
            .args(["--context", context])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{stderr}");
    }
}
