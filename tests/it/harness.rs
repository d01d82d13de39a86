//! Test harness: a temporary workspace with a store path and a command builder for the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// The fixed evaluation time every test passes.
pub const AS_OF: &str = "2026-12-01T00:00:00Z";

/// A temporary workspace.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn store(&self) -> PathBuf {
        self.path("meshproof.db")
    }

    /// `meshproof --store <tmp>/meshproof.db` with a clean environment.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("meshproof").expect("binary");
        for var in [
            "MESHPROOF_STORE",
            "MESHPROOF_KEY",
            "MESHPROOF_AS_OF",
            "MESHPROOF_LOG",
            "MESHPROOF_LOG_FORMAT",
        ] {
            cmd.env_remove(var);
        }
        cmd.arg("--store").arg(self.store());
        cmd
    }

    /// The same as a std command (for spawning and killing).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("meshproof"));
        cmd.arg("--store").arg(self.store());
        cmd
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write");
        path
    }

    /// A small two-cluster dump under `mesh/`; returns its path.
    pub fn mini_mesh(&self) -> PathBuf {
        for cluster in ["alpha", "beta"] {
            let mut items = Vec::new();
            for ns in ["istio-system", "payments", "default"] {
                items.push(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
            }
            items.push(serde_json::json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "platform-oncall", "creationTimestamp": "2026-06-10T10:00:00Z"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": format!("oncall-{cluster}")}]
            }));
            items.push(serde_json::json!({
                "apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                "metadata": {"name": "default", "namespace": "istio-system"},
                "spec": {"mtls": {"mode": "STRICT"}}
            }));
            items.push(serde_json::json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "istiod", "namespace": "istio-system"}
            }));
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            self.write(
                &format!("mesh/{cluster}/objects.json"),
                serde_json::to_vec_pretty(&list).expect("json"),
            );
            self.write(
                &format!("mesh/{cluster}/istio-system/mesh-config.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    trustDomain: acme.internal\n",
            );
        }
        self.path("mesh")
    }

    /// Runs `collect --from DIR --as-of T` and asserts the exit code.
    pub fn collect(&self, from: &Path, as_of: &str, code: i32) -> String {
        let out = self
            .cmd()
            .args(["collect", "--as-of", as_of, "--from"])
            .arg(from)
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(code),
            "collect exit code\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `verify`, returns (exit code, stdout).
    pub fn verify(&self, extra: &[&str]) -> (i32, String) {
        let out = self.cmd().arg("verify").args(extra).output().expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.store()).expect("open store")
    }
}
