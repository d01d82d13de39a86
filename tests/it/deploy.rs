//! `deploy/`: the Kustomize base renders, every manifest passes `kubectl create --dry-run=client`
//! (against a loopback discovery stub, so no cluster is needed), the RBAC grants exactly the kinds
//! the collectors keep (`selection::KEPT`) with read-only verbs, and the CronJob is locked down.
//! Skipped, with a message, when kubectl is not installed.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use meshproof::collect::selection::KEPT;

fn kubectl() -> Option<PathBuf> {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("kubectl"))
}

/// Discovery documents for the API groups the manifests use.
fn discovery(path: &str) -> Option<Value> {
    let res = |name: &str, kind: &str, namespaced: bool| {
        json!({"name": name, "singularName": "", "namespaced": namespaced, "kind": kind,
               "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
    };
    let group = |name: &str| {
        json!({"name": name, "versions": [{"groupVersion": format!("{name}/v1"), "version": "v1"}],
               "preferredVersion": {"groupVersion": format!("{name}/v1"), "version": "v1"}})
    };
    Some(match path {
        "/api" => json!({"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        "/apis" => json!({"kind": "APIGroupList", "apiVersion": "v1",
                          "groups": [group("rbac.authorization.k8s.io"), group("batch")]}),
        "/api/v1" => json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            res("namespaces", "Namespace", false), res("serviceaccounts", "ServiceAccount", true),
            res("secrets", "Secret", true), res("configmaps", "ConfigMap", true),
            res("persistentvolumeclaims", "PersistentVolumeClaim", true)]}),
        "/apis/rbac.authorization.k8s.io/v1" => json!({"kind": "APIResourceList",
            "groupVersion": "rbac.authorization.k8s.io/v1", "resources": [
            res("clusterroles", "ClusterRole", false), res("clusterrolebindings", "ClusterRoleBinding", false),
            res("roles", "Role", true), res("rolebindings", "RoleBinding", true)]}),
        "/apis/batch/v1" => json!({"kind": "APIResourceList", "groupVersion": "batch/v1", "resources": [
            res("cronjobs", "CronJob", true), res("jobs", "Job", true)]}),
        _ => return None,
    })
}

/// A loopback HTTP server answering discovery requests, until the test process ends.
fn discovery_stub() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(500) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let request = String::from_utf8_lossy(&buf);
            let target = request.split_whitespace().nth(1).unwrap_or("/");
            let path = target.split('?').next().unwrap_or("/");
            let (status, body) = match discovery(path) {
                Some(v) => ("200 OK", v.to_string()),
                None => ("404 Not Found", "{}".to_string()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// `kubectl kustomize deploy/` piped into `kubectl create --dry-run=client -o json`.
fn rendered(kubectl: &Path) -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    let port = discovery_stub();
    let kubeconfig = tmp.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\ncontexts:\n- name: stub\n  context: {{cluster: stub, user: stub}}\ncurrent-context: stub\nusers:\n- name: stub\n  user: {{token: stub}}\n"
        ),
    )
    .unwrap();
    let kustomized = Command::new(kubectl)
        .arg("kustomize")
        .arg(deploy_dir())
        .output()
        .unwrap();
    assert!(
        kustomized.status.success(),
        "kubectl kustomize: {}",
        String::from_utf8_lossy(&kustomized.stderr)
    );
    let all = tmp.path().join("all.yaml");
    std::fs::write(&all, &kustomized.stdout).unwrap();

    let mut items = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    files.insert(0, all);
    for (i, file) in files.iter().enumerate() {
        let out = Command::new(kubectl)
            .env("KUBECONFIG", &kubeconfig)
            .args([
                "create",
                "--dry-run=client",
                "--validate=false",
                "-o",
                "json",
                "--cache-dir",
            ])
            .arg(tmp.path().join("cache"))
            .arg("-f")
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl create --dry-run=client -f {}:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        if i == 0 {
            // One JSON document per object (or a List, depending on the kubectl version).
            for v in serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>() {
                let v = v.unwrap();
                match v["kind"].as_str() {
                    Some("List") => items.extend(v["items"].as_array().unwrap().iter().cloned()),
                    _ => items.push(v),
                }
            }
        }
    }
    items
}

fn rules_of<'a>(items: &'a [Value], kind: &str) -> Vec<(&'a Value, Option<&'a str>)> {
    items
        .iter()
        .filter(|i| i["kind"] == kind)
        .flat_map(|i| {
            let ns = i["metadata"]["namespace"].as_str();
            i["rules"].as_array().into_iter().flatten().map(move |r| (r, ns))
        })
        .collect()
}

/// (namespace or "", group, resource) for every granted resource, asserting read-only verbs.
fn grants(items: &[Value], kind: &str) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for (rule, ns) in rules_of(items, kind) {
        let verbs: BTreeSet<&str> = rule["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            verbs.iter().all(|v| ["get", "list", "watch"].contains(v)),
            "{kind} grants non-read verbs {verbs:?}"
        );
        assert!(rule.get("resourceNames").is_none() || kind == "Role");
        for g in rule["apiGroups"].as_array().unwrap() {
            for r in rule["resources"].as_array().unwrap() {
                out.insert((
                    ns.unwrap_or("").to_string(),
                    g.as_str().unwrap().to_string(),
                    r.as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn manifests_pass_client_dry_run_and_rbac_covers_exactly_the_kept_kinds() {
    let Some(kubectl) = kubectl() else {
        println!("SKIPPED: kubectl is not installed; deploy/ manifests were not validated");
        return;
    };
    let items = rendered(&kubectl);
    let kinds: BTreeSet<&str> = items.iter().filter_map(|i| i["kind"].as_str()).collect();
    for k in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "PersistentVolumeClaim",
        "CronJob",
        "ConfigMap",
    ] {
        assert!(kinds.contains(k), "deploy/ lacks a {k}: {kinds:?}");
    }

    let resource = |k: &meshproof::collect::selection::KeptKind| {
        if k.kind == "*" {
            "*".to_string()
        } else {
            k.plural.to_string()
        }
    };
    let want_cluster: BTreeSet<(String, String, String)> = KEPT
        .iter()
        .filter(|k| k.namespaces.is_none())
        .map(|k| (String::new(), k.group.to_string(), resource(k)))
        .collect();
    let want_ns: BTreeSet<(String, String, String)> = KEPT
        .iter()
        .flat_map(|k| {
            k.namespaces
                .into_iter()
                .flatten()
                .map(move |ns| (ns.to_string(), k.group.to_string(), resource(k)))
        })
        .collect();
    assert_eq!(
        grants(&items, "ClusterRole"),
        want_cluster,
        "ClusterRole must grant exactly the cluster-wide kept kinds"
    );
    assert_eq!(
        grants(&items, "Role"),
        want_ns,
        "Roles must grant exactly the namespace-limited kept kinds"
    );
    // Every role is bound to the collector's service account.
    for binding in items
        .iter()
        .filter(|i| i["kind"] == "ClusterRoleBinding" || i["kind"] == "RoleBinding")
    {
        assert_eq!(binding["subjects"][0]["name"], "meshproof");
        assert_eq!(binding["subjects"][0]["namespace"], "meshproof");
    }
}

#[test]
fn cronjob_runs_locked_down_with_the_store_on_the_pvc() {
    let Some(kubectl) = kubectl() else {
        println!("SKIPPED: kubectl is not installed; deploy/ manifests were not validated");
        return;
    };
    let items = rendered(&kubectl);
    let cron = items.iter().find(|i| i["kind"] == "CronJob").unwrap();
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(pod["serviceAccountName"], "meshproof");
    let c = &pod["containers"][0];
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
    let volumes = pod["volumes"].as_array().unwrap();
    let volume = |name: &str| {
        volumes
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("volume {name}"))
    };
    assert_eq!(volume("store")["persistentVolumeClaim"]["claimName"], "meshproof-store");
    assert!(volume("tmp")["emptyDir"].is_object());
    assert_eq!(volume("signing-key")["secret"]["secretName"], "meshproof-signing-key");
    assert_eq!(
        volume("remote-kubeconfigs")["secret"]["secretName"],
        "meshproof-kubeconfigs"
    );
    let env: Vec<(&str, &str)> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["value"].as_str().unwrap_or("")))
        .collect();
    assert!(env.contains(&("MESHPROOF_STORE", "/data/meshproof.db")));
    assert!(env.contains(&("MESHPROOF_KEY", "/etc/meshproof/key/meshproof.key")));
    let mounts = c["volumeMounts"].as_array().unwrap();
    assert!(mounts.iter().any(|m| m["name"] == "store" && m["mountPath"] == "/data"));
    assert!(mounts.iter().any(|m| m["name"] == "tmp" && m["mountPath"] == "/tmp"));
    assert!(
        mounts
            .iter()
            .filter(|m| m["name"] != "store" && m["name"] != "tmp")
            .all(|m| m["readOnly"] == true)
    );
    // The image never carries the key.
    let dockerfile = std::fs::read_to_string(deploy_dir().join("Dockerfile")).unwrap();
    assert!(
        !dockerfile.to_lowercase().contains(".key"),
        "the Dockerfile must not copy a key"
    );
    assert!(dockerfile.contains("USER 65532"), "the image runs as a non-root user");
}

#[test]
fn deploy_waivers_file_is_valid() {
    let text = std::fs::read_to_string(deploy_dir().join("waivers.toml")).unwrap();
    let parsed = meshproof::analyze::waivers::parse(&text, |id| meshproof::analyze::check(id).map(|c| c.id));
    assert!(parsed.is_ok(), "{parsed:?}");
}

#[test]
fn cronjob_runs_scan_with_the_config_map() {
    let Some(kubectl) = kubectl() else {
        println!("SKIPPED: kubectl is not installed; deploy/ manifests were not validated");
        return;
    };
    let items = rendered(&kubectl);
    let cron = items.iter().find(|i| i["kind"] == "CronJob").unwrap();
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["args"][0], "scan");
    assert_eq!(c["args"][1], "--config=/etc/meshproof/config/meshproof.toml");
    let config_volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "config")
        .expect("config volume");
    assert_eq!(config_volume["configMap"]["name"], "meshproof-config");
    assert!(
        c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "config" && m["mountPath"] == "/etc/meshproof/config")
    );
    let map = items
        .iter()
        .find(|i| i["kind"] == "ConfigMap" && i["metadata"]["name"] == "meshproof-config")
        .expect("meshproof-config ConfigMap");
    assert!(map["data"]["waivers.toml"].is_string());
    // The configuration in the ConfigMap is valid (its paths only exist in the pod).
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("meshproof.toml");
    std::fs::write(&path, map["data"]["meshproof.toml"].as_str().unwrap()).unwrap();
    let config = meshproof::cli::settings::load(Some(&path), &[]).unwrap();
    assert_eq!(config.store.path.as_deref(), Some(Path::new("/data/meshproof.db")));
    assert_eq!(config.reports.out_dir, Path::new("/data/reports"));
    assert!(config.sources.all_contexts);
}
