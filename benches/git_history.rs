//! GitOps history benchmark: builds a repository of ~20,000 commits with `git fast-import`
//! (manifests under several cluster overlays, some README-only commits, renames and deletions),
//! then times `git_history::collect` against `git log --name-status` on the same repository.
//!
//! Run: `CARGO_BUILD_JOBS=1 cargo bench --bench git_history` (set `GIT_BENCH_COMMITS` to change
//! the size).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meshproof::collect::git_history::{self, GitOptions};
use meshproof::model::{Observation, RecordSink, SinkError};

const CLUSTERS: &[&str] = &["eu-central-1", "eu-west-1", "us-east-1", "ap-south-1", "us-west-2"];
const NAMESPACES: &[&str] = &["payments", "checkout", "istio-system", "gloo-mesh"];
const FILES_PER_NS: usize = 25;
const T0: i64 = 1_780_000_000;

/// Counts what it is given.
#[derive(Default)]
struct Counter {
    records: u64,
}

impl RecordSink for Counter {
    fn observe(&mut self, observation: Observation) -> Result<(), SinkError> {
        std::hint::black_box(&observation);
        self.records += 1;
        Ok(())
    }
}

fn manifest(cluster: &str, ns: &str, i: usize, rev: usize) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: policy-{i}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/instance: mesh-policies\n    cluster: {cluster}\nspec:\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals:\n        - cluster.local/ns/{ns}/sa/client-{rev}\n    to:\n    - operation:\n        methods: [\"GET\", \"POST\"]\n        paths: [\"/api/v{rev}/*\"]\n"
    )
}

/// The cluster overlay and namespace commit `n` works in.
fn place(n: usize) -> (&'static str, &'static str) {
    (
        CLUSTERS[n % CLUSTERS.len()],
        NAMESPACES[(n / CLUSTERS.len()) % NAMESPACES.len()],
    )
}

fn data(out: &mut String, content: &str) {
    let _ = writeln!(out, "data {}", content.len());
    out.push_str(content);
    out.push('\n');
}

/// A fast-import stream: one initial commit with every file, then `commits - 1` small commits.
fn stream(commits: usize) -> String {
    let mut out = String::new();
    let mut t = T0;
    let header = |out: &mut String, t: i64, msg: &str, n: usize| {
        let (name, email, tz) = match n % 3 {
            0 => ("Alice Example", "alice@example.com", "+0200"),
            1 => ("Bob Builder", "bob@example.com", "+0100"),
            _ => ("Priya Raman", "priya@example.com", "+0530"),
        };
        out.push_str("commit refs/heads/main\n");
        let _ = writeln!(out, "author {name} <{email}> {t} {tz}");
        let _ = writeln!(out, "committer {name} <{email}> {t} {tz}");
        data(out, msg);
    };
    header(&mut out, t, "Initial", 0);
    out.push_str("M 100644 inline README.md\n");
    data(&mut out, "# platform\n");
    for c in CLUSTERS {
        for ns in NAMESPACES {
            for i in 0..FILES_PER_NS {
                let _ = writeln!(out, "M 100644 inline overlays/{c}/{ns}/policy-{i}.yaml");
                data(&mut out, &manifest(c, ns, i, 0));
            }
            let _ = writeln!(out, "M 100644 inline overlays/{c}/{ns}/notes.txt");
            data(&mut out, "notes\n");
        }
    }
    for n in 1..commits {
        t += 60;
        let (c, ns) = place(n);
        let i = (n * 7) % FILES_PER_NS;
        match n % 10 {
            // README / notes only: not evidence.
            0 => {
                header(&mut out, t, &format!("docs {n}"), n);
                let _ = writeln!(out, "M 100644 inline overlays/{c}/{ns}/notes.txt");
                data(&mut out, &format!("notes {n}\n"));
            }
            // A new policy file, renamed in the next commit and deleted three commits later.
            3 => {
                header(&mut out, t, &format!("add extra policy {n}"), n);
                let _ = writeln!(out, "M 100644 inline overlays/{c}/{ns}/extra-{n}.yaml");
                data(&mut out, &manifest(c, ns, 1000 + n, n));
            }
            4 => {
                let n0 = n - 1;
                let (c, ns) = place(n0);
                header(&mut out, t, &format!("move extra policy {n0}"), n);
                let _ = writeln!(
                    out,
                    "R overlays/{c}/{ns}/extra-{n0}.yaml overlays/{c}/{ns}/moved/extra-{n0}.yaml"
                );
            }
            7 => {
                let n0 = n - 4;
                let (c, ns) = place(n0);
                header(&mut out, t, &format!("remove extra policy {n0}"), n);
                let _ = writeln!(out, "D overlays/{c}/{ns}/moved/extra-{n0}.yaml");
            }
            _ => {
                header(&mut out, t, &format!("update policy {i} on {c} ({n})"), n);
                let _ = writeln!(out, "M 100644 inline overlays/{c}/{ns}/policy-{i}.yaml");
                data(&mut out, &manifest(c, ns, i, n));
            }
        }
    }
    out
}

fn build(dir: &Path, commits: usize) {
    let status = Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(dir)
        .status()
        .expect("git init");
    assert!(status.success());
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stream(commits).as_bytes())
        .expect("write stream");
    assert!(child.wait().expect("fast-import").success());
    let status = Command::new("git")
        .args(["symbolic-ref", "HEAD", "refs/heads/main"])
        .current_dir(dir)
        .status()
        .expect("git symbolic-ref");
    assert!(status.success());
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed());
        last = Some(v);
    }
    (best, last.expect("one run"))
}

fn main() {
    let commits: usize = std::env::var("GIT_BENCH_COMMITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let tmp = tempfile::tempdir().expect("temp dir");
    // GIT_BENCH_REPO: build there and keep it (to repack or inspect), or reuse it when present.
    let repo = std::env::var_os("GIT_BENCH_REPO")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("bench.git"));
    let start = Instant::now();
    if !repo.exists() {
        build(&repo, commits);
    }
    println!(
        "built {commits} commits ({} files) in {:.2?}",
        CLUSTERS.len() * NAMESPACES.len() * (FILES_PER_NS + 1) + 1,
        start.elapsed()
    );

    let (git_time, ()) = best(3, || {
        let status = Command::new("git")
            .args([
                "log",
                "--name-status",
                "--format=%H %P %an <%ae> %aI %cn <%ce> %cI %s",
                "main",
            ])
            .current_dir(&repo)
            .stdout(Stdio::null())
            .status()
            .expect("git log");
        assert!(status.success());
    });
    let options = GitOptions {
        known_clusters: CLUSTERS.iter().map(|c| c.to_string()).collect(),
        ..GitOptions::default()
    };
    let (ours, (summary, records)) = best(3, || {
        let mut sink = Counter::default();
        let summary = git_history::collect(&repo, &options, None, &mut sink).expect("collect");
        (summary, sink.records)
    });
    // The same walk with a path pattern no file matches: history walk and tree diffs only.
    let walk_only = GitOptions {
        path_globs: vec!["no-such-dir/*".into()],
        ..options.clone()
    };
    let (walk, _) = best(3, || {
        git_history::collect(&repo, &walk_only, None, &mut Counter::default()).expect("collect")
    });
    println!(
        "  of which walk + tree diff (no blob read): {:.3} s",
        walk.as_secs_f64()
    );
    // YAML parsing alone: one distinct manifest per evidence commit.
    let texts: Vec<String> = (0..summary.evidence_commits as usize)
        .map(|n| manifest("us-east-1", "payments", n % FILES_PER_NS, n))
        .collect();
    let (parse, _) = best(1, || {
        for t in &texts {
            std::hint::black_box(meshproof::collect::document::parse_documents(t.as_bytes()).ok());
        }
    });
    println!(
        "  of which YAML parsing (document::parse_documents): {:.3} s",
        parse.as_secs_f64()
    );
    let rate = |d: Duration| summary.commits_walked as f64 / d.as_secs_f64();
    println!(
        "git log --name-status:   {:>8.3} s  {:>9.0} commits/s",
        git_time.as_secs_f64(),
        rate(git_time)
    );
    println!(
        "git_history::collect:    {:>8.3} s  {:>9.0} commits/s  ({} walked, {} evidence, {} skipped, {records} records)",
        ours.as_secs_f64(),
        rate(ours),
        summary.commits_walked,
        summary.evidence_commits,
        summary.skipped_commits,
    );
    println!(
        "ratio collect / git log: {:.2}x (target <= 1.5x, >= 2000 commits/s)",
        ours.as_secs_f64() / git_time.as_secs_f64()
    );
}
