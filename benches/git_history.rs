//! GitOps history benchmark: builds a repository of ~20,000 commits with `git fast-import`
//! (manifests under several cluster overlays, some README-only commits, renames and deletions),
//! then times `git_history::collect` against `git log --name-status` on the same repository:
//! both alternated, medians of `GIT_BENCH_RUNS` (default 5) runs, wall and CPU time (CPU from
//! `/proc/self/stat`, robust to load from other processes). Also printed: the walk + tree-diff
//! share, YAML parsing alone, the same collection appended to a real store scan, and a SHA-256
//! of every observation (equal digests = byte-identical evidence across code changes).
//!
//! Run: `CARGO_BUILD_JOBS=1 cargo bench --bench git_history` (set `GIT_BENCH_COMMITS` to change
//! the size; `GIT_BENCH_PROFILE=N` only runs the collection N times, for `perf record`).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meshproof::collect::git_history::{self, GitOptions};
use meshproof::model::{Observation, RecordSink, SinkError, Timestamp, sha256, to_canonical_vec};
use meshproof::store::{Signer, Store};

/// The allocator the binary uses (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// CPU time (user + system) of this process and of its waited-for children, from
/// `/proc/self/stat` (clock ticks of 10 ms; Linux only, zero elsewhere).
fn cpu_times() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    let tick = |n: u64| Duration::from_millis(n * 10);
    // utime, stime, cutime, cstime are fields 14..=17, i.e. indexes 11..=14 here.
    let get = |i: usize| f.get(i).copied().unwrap_or(0);
    (tick(get(11) + get(12)), tick(get(13) + get(14)))
}

/// Wall-clock and CPU time of one run (CPU of this process, or of the child it waited for).
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
}

fn measure<T>(child: bool, f: impl FnOnce() -> T) -> (Sample, T) {
    let (own0, kids0) = cpu_times();
    let start = Instant::now();
    let v = f();
    let wall = start.elapsed();
    let (own1, kids1) = cpu_times();
    let cpu = if child { kids1 - kids0 } else { own1 - own0 };
    (Sample { wall, cpu }, v)
}

fn median(samples: &[Sample]) -> Sample {
    let mid = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    Sample {
        wall: mid(samples.iter().map(|s| s.wall).collect()),
        cpu: mid(samples.iter().map(|s| s.cpu).collect()),
    }
}

fn git_log(repo: &Path) {
    // `--name-status` makes git diff every commit's tree against its parent's (with rename
    // detection, git's default), the same tree work `collect` does.
    let status = Command::new("git")
        .args([
            "log",
            "--name-status",
            "--format=%H %P %an <%ae> %aI %cn <%ce> %cI %s",
            "main",
        ])
        .current_dir(repo)
        .stdout(Stdio::null())
        .status()
        .expect("git log");
    assert!(status.success());
}

/// SHA-256 over every observation (kind, subject, canonical body), in order: equal digests mean
/// byte-identical evidence.
#[derive(Default)]
struct Evidence {
    records: u64,
    bytes: Vec<u8>,
}

impl RecordSink for Evidence {
    fn observe(&mut self, o: Observation) -> Result<(), SinkError> {
        self.records += 1;
        self.bytes.extend_from_slice(o.kind.as_bytes());
        self.bytes.push(0);
        self.bytes.extend_from_slice(o.subject.as_bytes());
        self.bytes.push(0);
        self.bytes.extend_from_slice(&to_canonical_vec(&o.body));
        self.bytes.push(b'\n');
        Ok(())
    }
}

fn main() {
    let commits: usize = std::env::var("GIT_BENCH_COMMITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let runs: usize = std::env::var("GIT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
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
    let options = GitOptions {
        known_clusters: CLUSTERS.iter().map(|c| c.to_string()).collect(),
        ..GitOptions::default()
    };
    // The same walk with a path pattern no file matches: history walk and tree diffs only.
    let walk_only = GitOptions {
        path_globs: vec!["no-such-dir/*".into()],
        ..options.clone()
    };

    // GIT_BENCH_PROFILE=N: only run the collection N times (for `perf record`), print nothing else.
    if let Some(n) = std::env::var("GIT_BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        // GIT_BENCH_PROFILE_WALK=1: the walk and tree diffs only.
        let options = if std::env::var_os("GIT_BENCH_PROFILE_WALK").is_some() {
            &walk_only
        } else {
            &options
        };
        for _ in 0..n {
            git_history::collect(&repo, options, None, &mut Counter::default()).expect("collect");
        }
        return;
    }

    // Warm the page cache for both, then alternate git log and collect so that load from other
    // processes hits both alike; report medians of `runs` repetitions.
    git_log(&repo);
    let mut digest = Evidence::default();
    let summary = git_history::collect(&repo, &options, None, &mut digest).expect("collect");
    let evidence = sha256(&digest.bytes);
    let (mut git, mut ours, mut walk) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        git.push(measure(true, || git_log(&repo)).0);
        let (s, n) = measure(false, || {
            let mut sink = Counter::default();
            git_history::collect(&repo, &options, None, &mut sink).expect("collect");
            sink.records
        });
        assert_eq!(n, digest.records);
        ours.push(s);
        walk.push(
            measure(false, || {
                git_history::collect(&repo, &walk_only, None, &mut Counter::default()).expect("collect")
            })
            .0,
        );
    }
    let best = |v: &[Sample]| v.iter().map(|s| s.wall).min().unwrap_or_default().as_secs_f64();
    let (git_best, ours_best, walk_best) = (best(&git), best(&ours), best(&walk));
    let (git, ours, walk) = (median(&git), median(&ours), median(&walk));

    // The same collection appended to a real evidence store (one scan, signed checkpoint).
    let store_dir = tempfile::tempdir().expect("temp dir");
    let mut store_runs = Vec::new();
    for i in 0..runs.min(3) {
        let mut store = Store::open(&store_dir.path().join(format!("bench-{i}.db"))).expect("store");
        let signer = Signer::from_seed([7; 32]);
        let at: Timestamp = "2026-12-01T00:00:00Z".parse().expect("time");
        store_runs.push(
            measure(false, || {
                let mut scan = store.begin_scan(at, serde_json::json!({})).expect("scan");
                git_history::collect(&repo, &options, None, &mut scan).expect("collect");
                scan.finish(&signer).expect("finish")
            })
            .0,
        );
    }
    let stored = median(&store_runs);

    // YAML parsing alone: one distinct manifest per evidence commit.
    let texts: Vec<String> = (0..summary.evidence_commits as usize)
        .map(|n| manifest("us-east-1", "payments", n % FILES_PER_NS, n))
        .collect();
    let (parse, ()) = measure(false, || {
        for t in &texts {
            std::hint::black_box(meshproof::collect::document::parse_documents(t.as_bytes()).ok());
        }
    });

    let rate = |d: Duration| summary.commits_walked as f64 / d.as_secs_f64();
    let line = |what: &str, s: Sample| {
        println!(
            "{what:<34} wall {:>7.3} s ({:>7.0} commits/s)   cpu {:>7.3} s",
            s.wall.as_secs_f64(),
            rate(s.wall),
            s.cpu.as_secs_f64()
        );
    };
    println!(
        "{} walked, {} evidence, {} skipped, {} records; evidence sha256 {}",
        summary.commits_walked,
        summary.evidence_commits,
        summary.skipped_commits,
        digest.records,
        evidence.to_hex()
    );
    println!("medians of {runs} interleaved runs:");
    line("git log --name-status", git);
    line("git_history::collect (no store)", ours);
    line("  walk + tree diff only", walk);
    line("  YAML parse alone (1 run)", parse);
    line("collect into a store scan", stored);
    println!(
        "ratio collect / git log: wall {:.2}x, cpu {:.2}x (target <= 1.5x, >= 2000 commits/s)",
        ours.wall.as_secs_f64() / git.wall.as_secs_f64(),
        ours.cpu.as_secs_f64() / git.cpu.as_secs_f64()
    );
    println!(
        "best of {runs}: git log {git_best:.3} s, collect {ours_best:.3} s ({:.2}x), walk + tree diff {walk_best:.3} s ({:.2}x)",
        ours_best / git_best,
        walk_best / git_best
    );
    println!(
        "store share: collect into store {:.3} s wall vs collect alone {:.3} s (store append + finish {:.3} s)",
        stored.wall.as_secs_f64(),
        ours.wall.as_secs_f64(),
        stored.wall.as_secs_f64() - ours.wall.as_secs_f64()
    );
}
