//! `meshproof collect --git`: GitOps history from the sample repository and from repositories
//! built here with fixed dates; shallow, empty and non-repositories; incremental re-collection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Signature, Time};
use serde_json::Value;

use crate::harness::{AS_OF, Env};

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence").join(rel)
}

fn list(env: &Env, args: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .args(["evidence", "list", "-o", "json"])
        .args(args)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json array")
}

/// Runs `collect` with `args`, asserts the exit code, returns (stdout, stderr).
fn collect(env: &Env, as_of: &str, args: &[&std::ffi::OsStr], code: i32) -> (String, String) {
    let out = env
        .cmd()
        .args(["collect", "--as-of", as_of])
        .args(args)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

fn git_commit_rows(env: &Env) -> i64 {
    env.sql()
        .query_row("SELECT count(*) FROM records WHERE kind = 'git.commit'", [], |r| {
            r.get(0)
        })
        .expect("count")
}

fn commit_by_summary<'a>(records: &'a [Value], summary: &str) -> &'a Value {
    records
        .iter()
        .map(|r| &r["body"])
        .find(|b| b["summary"] == summary)
        .unwrap_or_else(|| panic!("no commit {summary:?}"))
}

#[test]
fn sample_repository_is_described_correctly() {
    let env = Env::new();
    let (out, _) = collect(
        &env,
        AS_OF,
        &[
            "--from".as_ref(),
            sample("mesh").as_os_str(),
            "--git".as_ref(),
            sample("gitops.git").as_os_str(),
        ],
        0,
    );
    assert!(out.contains("gitops") && out.contains("EVIDENCE COMMITS"), "{out}");
    let commits = list(&env, &["--kind", "git.commit"]);
    let priya = commit_by_summary(&commits, "Register ap-south-1 with the management plane");
    assert_eq!(priya["author"]["name"], "Priya Raman");
    assert_eq!(priya["author"]["email"], "priya@example.com");
    assert_eq!(priya["author"]["time"], "2026-08-31T15:28:00+05:30");
    assert_eq!(priya["author"]["time_utc"], "2026-08-31T09:58:00Z");
    assert_eq!(priya["committer"]["name"], "GitHub");
    assert_eq!(priya["signature"]["present"], true);
    assert_eq!(priya["signature"]["type"], "ssh");
    assert_eq!(priya["merge"], false);
    let file = &priya["files"][0];
    assert_eq!(file["path"], "clusters/ap-south-1/kubernetescluster.yaml");
    assert_eq!(file["change"], "added");
    assert_eq!(file["cluster"], "ap-south-1");
    assert_eq!(file["objects_after"][0]["kind"], "KubernetesCluster");

    let dave = commit_by_summary(&commits, "us-east-1 hotfix: open billing policy");
    assert_eq!(dave["signature"]["present"], false);
    assert_eq!(dave["signature"]["type"], Value::Null);
    assert_eq!(dave["author"]["time"], "2026-10-20T02:58:00-05:00");
    assert_eq!(dave["files"][0]["cluster"], "us-east-1");
    assert_eq!(
        dave["files"][0]["path"],
        "overlays/us-east-1/payments/billing-allow-payments.yaml"
    );

    let merge = commit_by_summary(&commits, "Merge pull request #42 from acme/priya/register-ap-south-1");
    assert_eq!(merge["merge"], true);
    assert_eq!(merge["committer"]["time_utc"], "2026-08-31T10:02:00Z");

    let rename = commit_by_summary(&commits, "Move platform-oncall binding under rbac/bindings");
    assert_eq!(rename["files"][0]["change"], "renamed");
    assert_eq!(rename["files"][0]["old_path"], "rbac/platform-oncall.yaml");
    let delete = commit_by_summary(&commits, "Remove legacy allow-all policy");
    assert_eq!(delete["files"][0]["change"], "deleted");

    assert!(
        !commits.iter().any(|r| r["body"]["summary"] == "README: add contacts"),
        "README-only commit is not evidence"
    );
    assert!(
        !commits
            .iter()
            .any(|r| r["body"]["commit"] == "d5314f5dc171edc0a4c3779084af0e2059e528b2")
    );
    assert_eq!(commits.len(), 8);
    for r in &commits {
        assert_eq!(r["source"], "git/gitops");
        assert_eq!(
            r["subject"],
            format!("git/gitops/commit/{}", r["body"]["commit"].as_str().unwrap())
        );
    }
    let notes = list(&env, &["--kind", "collection.note", "--subject", "git/gitops/note"]);
    assert_eq!(notes.len(), 1);
    let note = &notes[0]["body"];
    assert_eq!(note["commits_walked"], 9);
    assert_eq!(note["evidence_commits"], 8);
    assert_eq!(note["skipped_commits"], 1);
    assert_eq!(note["shallow"], false);
    assert_eq!(note["since"], Value::Null);
    assert_eq!(env.verify(&[]).0, 0);
}

#[test]
fn without_dumps_no_cluster_is_named() {
    let env = Env::new();
    collect(&env, AS_OF, &["--git".as_ref(), sample("gitops.git").as_os_str()], 0);
    let commits = list(&env, &["--kind", "git.commit"]);
    let priya = commit_by_summary(&commits, "Register ap-south-1 with the management plane");
    assert_eq!(priya["files"][0]["cluster"], Value::Null);
}

/// A bare repository built commit by commit with fixed dates.
struct Built {
    repo: Repository,
    path: PathBuf,
    files: BTreeMap<String, String>,
}

impl Built {
    fn new(path: PathBuf) -> Built {
        let repo = Repository::init_bare(&path).expect("init");
        Built {
            repo,
            path,
            files: BTreeMap::new(),
        }
    }

    fn tree(&self, prefix: &str) -> Oid {
        let mut builder = self.repo.treebuilder(None).unwrap();
        let mut dirs = std::collections::BTreeSet::new();
        for (path, content) in &self.files {
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    dirs.insert(dir.to_string());
                }
                None => {
                    let blob = self.repo.blob(content.as_bytes()).unwrap();
                    builder.insert(rest, blob, 0o100644).unwrap();
                }
            }
        }
        for dir in dirs {
            let sub = self.tree(&format!("{prefix}{dir}/"));
            builder.insert(&dir, sub, 0o040000).unwrap();
        }
        builder.write().unwrap()
    }

    fn commit(
        &mut self,
        changes: &[(&str, Option<&str>)],
        message: &str,
        who: (&str, &str),
        secs: i64,
        offset: i32,
    ) -> Oid {
        for (path, content) in changes {
            match content {
                Some(c) => self.files.insert(path.to_string(), c.to_string()),
                None => self.files.remove(*path),
            };
        }
        let tree = self.repo.find_tree(self.tree("")).unwrap();
        let sig = Signature::new(who.0, who.1, &Time::new(secs, offset)).unwrap();
        let parent = self
            .repo
            .find_reference("refs/heads/main")
            .ok()
            .and_then(|r| r.target())
            .map(|id| self.repo.find_commit(id).unwrap());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let id = self
            .repo
            .commit(Some("refs/heads/main"), &sig, &sig, message, &tree, &parents)
            .unwrap();
        self.repo.set_head("refs/heads/main").unwrap();
        id
    }
}

const PA: &str = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: STRICT\n";
const PLANTED: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDGITPLANTEDKEYxyz";

fn secret_yaml() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cacerts\n  namespace: istio-system\nstringData:\n  ca-key.pem: |\n    -----BEGIN PRIVATE KEY-----\n    {PLANTED}\n    -----END PRIVATE KEY-----\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: 'trustDomain: acme.internal'\n"
    )
}

const T0: i64 = 1_780_000_000; // 2026-05-28T20:26:40Z

fn build(env: &Env) -> Built {
    let mut b = Built::new(env.path("platform.git"));
    let alice = ("Alice Example", "alice@example.com");
    let bob = ("Bob Builder", "bob@example.com");
    b.commit(
        &[
            ("README.md", Some("# platform\n")),
            ("clusters/alpha/pa.yaml", Some(PA)),
        ],
        "Initial",
        alice,
        T0,
        120,
    );
    b.commit(
        &[("README.md", Some("# platform\ncontacts\n"))],
        "README only",
        bob,
        T0 + 3600,
        -300,
    );
    b.commit(
        &[("clusters/alpha/istio-system/secrets.yaml", Some(&secret_yaml()))],
        "Add CA secret (oops)",
        bob,
        T0 + 7200,
        60,
    );
    b.commit(
        &[("clusters/alpha/pa.yaml", None), ("clusters/beta/pa.yaml", Some(PA))],
        "Move policy to beta",
        alice,
        T0 + 10800,
        330,
    );
    b
}

#[test]
fn built_repository_secret_is_redacted_and_recollect_is_incremental() {
    let env = Env::new();
    let mesh = env.mini_mesh();
    let mut b = build(&env);
    let repo_path = b.path.clone();
    let args = [
        "--from".as_ref(),
        mesh.as_os_str(),
        "--git".as_ref(),
        repo_path.as_os_str(),
    ];
    collect(&env, AS_OF, &args, 0);
    let commits = list(&env, &["--kind", "git.commit"]);
    assert_eq!(commits.len(), 3, "README-only commit skipped");
    let secret = commit_by_summary(&commits, "Add CA secret (oops)");
    assert_eq!(secret["author"]["time"], "2026-05-28T23:26:40+01:00");
    let file = &secret["files"][0];
    assert_eq!(file["cluster"], "alpha");
    assert_eq!(file["secrets"], serde_json::json!(["istio-system/cacerts"]));
    let kinds: Vec<&str> = file["objects_after"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["ConfigMap", "Secret"]);
    let moved = commit_by_summary(&commits, "Move policy to beta");
    assert_eq!(moved["files"][0]["change"], "renamed");
    assert_eq!(moved["files"][0]["cluster"], "beta");
    assert_eq!(moved["author"]["time"], "2026-05-29T04:56:40+05:30");
    let bytes = std::fs::read(env.store()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(PLANTED), "private key text reached the store");

    // Same repository again: nothing walked, no git.commit appended.
    let before = git_commit_rows(&env);
    collect(&env, "2026-12-02T00:00:00Z", &args, 0);
    assert_eq!(git_commit_rows(&env), before);
    let note = &list(&env, &["--kind", "collection.note", "--subject", "git/platform/note"])[0]["body"];
    assert_eq!(note["commits_walked"], 0);
    assert_eq!(note["since"], note["head"]);

    // One new commit: only it is walked.
    let new = b.commit(
        &[("clusters/beta/pa.yaml", Some(&PA.replace("STRICT", "PERMISSIVE")))],
        "Permissive on beta",
        ("Dave Ops", "dave@example.com"),
        T0 + 86400,
        -300,
    );
    collect(&env, "2026-12-03T00:00:00Z", &args, 0);
    assert_eq!(git_commit_rows(&env), before + 1);
    let note = &list(&env, &["--kind", "collection.note", "--subject", "git/platform/note"])[0]["body"];
    assert_eq!(note["commits_walked"], 1);
    assert_eq!(note["evidence_commits"], 1);
    assert_eq!(note["head"], new.to_string());
    let commits = list(&env, &["--kind", "git.commit"]);
    assert_eq!(commits.len(), 4, "history records stay in the view");
    let modified = commit_by_summary(&commits, "Permissive on beta");
    assert_eq!(modified["files"][0]["change"], "modified");
    assert_eq!(env.verify(&[]).0, 0);
}

#[test]
fn shallow_clone_records_a_gap_and_exits_3() {
    let env = Env::new();
    let shallow = env.path("shallow");
    let url = format!("file://{}", sample("gitops.git").display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "2", &url])
        .arg(&shallow)
        .status()
        .expect("git clone");
    assert!(status.success());
    let (out, _) = collect(&env, AS_OF, &["--git".as_ref(), shallow.as_os_str()], 3);
    assert!(out.contains("gaps recorded"), "{out}");
    let gaps = list(&env, &["--kind", "collection.gap"]);
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["subject"], "git/shallow/gap/shallow");
    let reason = gaps[0]["body"]["reason"].as_str().unwrap();
    let boundary = std::fs::read_to_string(shallow.join(".git/shallow")).unwrap();
    let boundary = boundary.trim();
    assert_eq!(boundary.len(), 40);
    assert!(reason.contains(&format!("history stops at {boundary}")), "{reason}");
    let commits = list(&env, &["--kind", "git.commit"]);
    assert_eq!(commits.len(), 1, "only the commit above the boundary");
    let note = &list(&env, &["--kind", "collection.note"])[0]["body"];
    assert_eq!(note["shallow"], true);
}

#[test]
fn bad_repositories_and_missing_sources() {
    let env = Env::new();
    let plain = env.path("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let (_, err) = collect(&env, AS_OF, &["--git".as_ref(), plain.as_os_str()], 2);
    assert!(err.contains("is not a git repository"), "{err}");
    assert!(
        !env.store().exists()
            || env
                .sql()
                .query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))
                .unwrap()
                == 0
    );

    let (_, err) = collect(
        &env,
        AS_OF,
        &[
            "--git".as_ref(),
            sample("gitops.git").as_os_str(),
            "--git-ref".as_ref(),
            "refs/heads/nope".as_ref(),
        ],
        2,
    );
    assert!(err.contains("does not name a commit"), "{err}");

    let (_, err) = collect(&env, AS_OF, &[], 2);
    assert!(err.contains("--from") && err.contains("--git"), "{err}");

    let empty = env.path("empty");
    Repository::init(&empty).unwrap();
    collect(&env, AS_OF, &["--git".as_ref(), empty.as_os_str()], 3);
    let gaps = list(&env, &["--kind", "collection.gap"]);
    assert_eq!(gaps[0]["subject"], "git/empty/gap/empty");
}

#[test]
fn git_ref_and_path_filter() {
    let env = Env::new();
    collect(
        &env,
        AS_OF,
        &[
            "--git".as_ref(),
            sample("gitops.git").as_os_str(),
            "--git-ref".as_ref(),
            "48874c665fbd9f8af194c1a989b0b2640a561d55".as_ref(),
            "--git-path".as_ref(),
            "rbac/*".as_ref(),
            "-o".as_ref(),
            "json".as_ref(),
        ],
        0,
    );
    let commits = list(&env, &["--kind", "git.commit"]);
    let summaries: Vec<&str> = commits.iter().filter_map(|r| r["body"]["summary"].as_str()).collect();
    assert_eq!(
        summaries.len(),
        2,
        "only the rbac commits up to commit 4: {summaries:?}"
    );
}
