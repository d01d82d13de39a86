//! GitOps history: which commits of a local clone added, changed, renamed or deleted a manifest of
//! a kept kind, who wrote and signed them, and when.
//!
//! [`collect`] walks a local repository (working or bare; nothing is fetched) from a reference
//! (default `HEAD`), oldest commit first (topological, ties by commit time), and emits one
//! `git.commit` observation per commit that touches a YAML/JSON manifest declaring an object kept
//! by [`super::selection`] (or any `v1` `Secret`: a plain Secret in git is itself worth a finding).
//! Every declared object is passed through [`super::redact::redact_object`] and the whole body
//! through [`super::redact::scrub`] before it leaves this module. Other commits are counted.
//! One per-scan `collection.note` (subject `git/<name>/note`) carries the head reached, so the next
//! collection can pass it back as `since` and walk only newer commits. A commit that is no longer
//! an ancestor of the head (force push) makes the walk start over; the note says so.
//!
//! Choices, stated once:
//! - **Merges** are diffed against their first parent (`git log -m --first-parent` semantics) and
//!   marked `"merge": true`; a merge whose tree equals its first parent's tree changes nothing on
//!   the mainline and is counted as skipped. Side-branch commits are walked too, so a change made on
//!   a branch appears twice: at its own commit (who wrote it) and at the merge (when it landed).
//! - **Renames**: exact renames (same blob) are paired by blob id; other deleted/added pairs go
//!   through libgit2's similarity detection (git's default 50 % threshold).
//! - **Shallow clones**: commits at the shallow boundary have unknown parents, so their changes are
//!   unknown; they are counted as skipped and named in a `collection.gap` (`git/<name>/gap/shallow`).
//! - **Speed**: two threads: [`walk`] orders the commits (reading each once, in libgit2's revwalk
//!   order), compares trees entry id by entry id, entering only changed subtrees, and hands over
//!   each commit that changes a manifest path with its raw commit object and its changed blobs;
//!   [`manifests`] reads the commit's facts from the raw object (as libgit2 does; libgit2 itself
//!   for commits of unusual shape) and parses each changed blob once (a small cache keeps what a
//!   blob declares for the next commit, which sees it as its "before"). libgit2's own tree cache
//!   limit can only be raised through an `unsafe` call, which this crate forbids; the walk reads
//!   trees raw and keeps its own bounded cache of them instead.
//! - **Object hashes are not re-checked on read**, as `git log` does not re-check them (libgit2
//!   does by default, a fifth of the walk's time): the evidence records what the repository holds
//!   under each id; `git fsck` is the tool that checks a repository's objects against their ids.
//!
//! What this module does not do: fetch, verify signatures (that needs an allowed-signers file or a
//! keyring; only presence and type are recorded), or render kustomize overlays.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, RepositoryOpenFlags};
use serde_json::{Value, json};

use crate::model::{Observation, RecordSink, SinkError, kinds};

mod manifests;
mod walk;

/// What to collect from one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitOptions {
    /// Repository name used in sources and subjects (`git/<name>`); empty means the directory
    /// name without `.git` (see [`repo_name`]).
    pub name: String,
    /// The reference to walk from; empty means `HEAD`.
    pub reference: String,
    /// Only paths matching one of these git pathspecs (`--git-path`); empty means every path.
    pub path_globs: Vec<String>,
    /// Cluster names: a directory segment of a changed path equal to one of them names the file's
    /// cluster (`overlays/us-east-1/…` → `us-east-1`).
    pub known_clusters: Vec<String>,
    /// Manifest blobs larger than this are not parsed (a gap); 0 means the default, 16 MiB.
    pub max_blob_size: u64,
}

const DEFAULT_MAX_BLOB: u64 = 16 << 20;
const TREE_CACHE_LIMIT: usize = 8192;
const BLOB_CACHE_LIMIT: usize = 4096;
const SUMMARY_LIMIT: usize = 1000;
/// Walked commits waiting for the manifest side (bounds memory when parsing is the slower side).
const WALK_QUEUE: usize = 256;

/// Errors that stop the collection of one repository (everything else is a gap).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The path is not a git repository.
    #[error("{path} is not a git repository (expected a local clone, working or bare)")]
    NotARepository {
        /// The path given.
        path: PathBuf,
        /// The cause.
        #[source]
        source: git2::Error,
    },
    /// The reference does not name a commit.
    #[error("git repository {repo}: reference {reference:?} does not name a commit")]
    UnknownReference {
        /// Repository name.
        repo: String,
        /// The reference.
        reference: String,
        /// The cause.
        #[source]
        source: git2::Error,
    },
    /// A `--git-path` pattern is invalid.
    #[error("git repository {repo}: invalid path pattern {pattern:?}")]
    BadPathPattern {
        /// Repository name.
        repo: String,
        /// The pattern.
        pattern: String,
        /// The cause.
        #[source]
        source: git2::Error,
    },
    /// libgit2 failed on the repository as a whole.
    #[error("git repository {repo}: {what}")]
    Git {
        /// Repository name.
        repo: String,
        /// What we were doing.
        what: &'static str,
        /// The cause.
        #[source]
        source: git2::Error,
    },
    /// The sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// What was collected from one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GitSummary {
    /// Repository name.
    pub repo: String,
    /// The reference walked.
    pub reference: String,
    /// The commit the reference pointed at (`None` for an empty repository).
    pub head: Option<String>,
    /// The previous head passed in, if any.
    pub since: Option<String>,
    /// Why `since` was not used and the full history was walked (force push, unknown commit).
    pub full_walk_reason: Option<String>,
    /// Commits walked.
    pub commits_walked: u64,
    /// Commits recorded as evidence.
    pub evidence_commits: u64,
    /// Commits walked but not evidence (no kept manifest touched, empty merges, shallow boundary).
    pub skipped_commits: u64,
    /// Whether the clone is shallow.
    pub shallow: bool,
    /// Gaps recorded.
    pub gaps: u64,
}

/// The default repository name: the directory name without a `.git` suffix (`gitops.git` →
/// `gitops`; a working tree's `.git` directory → the working tree's name).
pub fn repo_name(path: &Path) -> String {
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == ".git" {
        name = path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    let name = name.strip_suffix(".git").unwrap_or(&name).to_string();
    if name.is_empty() { "repo".to_string() } else { name }
}

fn name_of(path: &Path, options: &GitOptions) -> String {
    if options.name.is_empty() {
        repo_name(path)
    } else {
        options.name.clone()
    }
}

fn reference_of(options: &GitOptions) -> &str {
    if options.reference.is_empty() {
        "HEAD"
    } else {
        &options.reference
    }
}

/// Opens `path` as a repository without searching parent directories.
fn open(path: &Path) -> Result<Repository, Error> {
    Repository::open_ext(
        path,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(|source| Error::NotARepository {
        path: path.to_path_buf(),
        source,
    })
}

/// The commit `reference` names; `Ok(None)` for an empty repository (no commits, unborn `HEAD`).
fn resolve(repo: &Repository, name: &str, reference: &str) -> Result<Option<Oid>, Error> {
    let empty = repo.is_empty().map_err(|source| Error::Git {
        repo: name.to_string(),
        what: "cannot read HEAD",
        source,
    })?;
    if empty {
        return Ok(None);
    }
    let object = repo
        .revparse_single(reference)
        .and_then(|o| o.peel_to_commit())
        .map_err(|source| Error::UnknownReference {
            repo: name.to_string(),
            reference: reference.to_string(),
            source,
        })?;
    Ok(Some(object.id()))
}

fn pathspec(name: &str, globs: &[String]) -> Result<Option<git2::Pathspec>, Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    for pattern in globs {
        git2::Pathspec::new([pattern.as_str()]).map_err(|source| Error::BadPathPattern {
            repo: name.to_string(),
            pattern: pattern.clone(),
            source,
        })?;
    }
    git2::Pathspec::new(globs.iter().map(String::as_str))
        .map(Some)
        .map_err(|source| Error::BadPathPattern {
            repo: name.to_string(),
            pattern: globs.join(" "),
            source,
        })
}

/// Checks that `repo_path` can be collected with `options` (a repository, a valid reference and
/// valid path patterns) without collecting anything; returns the head commit (`None` when the
/// repository is empty). The CLI calls it before it opens a scan.
pub fn probe(repo_path: &Path, options: &GitOptions) -> Result<Option<String>, Error> {
    let name = name_of(repo_path, options);
    let repo = open(repo_path)?;
    pathspec(&name, &options.path_globs)?;
    Ok(resolve(&repo, &name, reference_of(options))?.map(|o| o.to_string()))
}

/// Collects the history of `repo_path` reachable from the reference, skipping what `since` (the
/// head reached by the previous collection, when still an ancestor) already covered.
///
/// Two threads share the work: the history side ([`walk`], a second thread with its own handle
/// on the repository) walks commits and compares trees; this thread reads and parses the changed
/// manifests, builds the evidence in commit order and writes it to `sink`.
pub fn collect(
    repo_path: &Path,
    options: &GitOptions,
    since: Option<&str>,
    sink: &mut dyn RecordSink,
) -> Result<GitSummary, Error> {
    let name = name_of(repo_path, options);
    let reference = reference_of(options).to_string();
    let _span = tracing::info_span!("collect", collector = "git-history", repo = %name).entered();
    // Objects are read as `git log` reads them, without re-hashing each one (see the module
    // documentation); libgit2 would otherwise spend a fifth of the walk in SHA-1. Each commit and
    // tree is read once (trees are kept by the walk itself), so libgit2's object cache would only
    // fill memory (6 % slower with it).
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
    let repo = open(repo_path)?;
    pathspec(&name, &options.path_globs)?;
    let mut summary = GitSummary {
        repo: name.clone(),
        reference: reference.clone(),
        since: since.map(str::to_string),
        shallow: repo.is_shallow(),
        ..GitSummary::default()
    };
    let mut gaps: BTreeMap<String, Value> = BTreeMap::new();
    let source = format!("git/{name}");

    let head = resolve(&repo, &name, &reference)?;
    let mut boundary = Vec::new();
    if let Some(head) = head {
        summary.head = Some(head.to_string());
        let hidden = since_to_hide(&repo, &name, head, since, &mut summary);
        let shallow_roots = if summary.shallow {
            shallow_roots(&repo)
        } else {
            BTreeSet::new()
        };
        let max_blob = if options.max_blob_size == 0 {
            DEFAULT_MAX_BLOB
        } else {
            options.max_blob_size
        };
        let clusters = options.known_clusters.iter().cloned().collect();
        let mut reader = manifests::Reader::new(&repo, &name, clusters, max_blob, &mut gaps);
        let walk = std::thread::scope(|scope| -> Result<walk::Walk, Error> {
            let (sender, receiver) = std::sync::mpsc::sync_channel(WALK_QUEUE);
            let history = scope.spawn(|| {
                // Moved in, so that the channel closes when the walk ends.
                let sender = sender;
                let repo = open(repo_path)?;
                let spec = pathspec(&name, &options.path_globs)?;
                walk::History::new(&repo, &name, spec.as_ref(), &shallow_roots, max_blob)?.walk(head, hidden, &sender)
            });
            let mut written = Ok(());
            for walked in receiver {
                let subject = format!("git/{name}/commit/{}", walked.id);
                match reader.body(walked) {
                    Some(body) => {
                        summary.evidence_commits += 1;
                        written = sink.observe(Observation {
                            source: source.clone(),
                            kind: kinds::GIT_COMMIT,
                            subject,
                            body,
                        });
                        if written.is_err() {
                            // Dropping the receiver stops the history side at its next commit.
                            break;
                        }
                    }
                    None => summary.skipped_commits += 1,
                }
            }
            let walk = history.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            written?;
            walk
        })?;
        summary.commits_walked = walk.walked;
        summary.skipped_commits += walk.skipped;
        boundary = walk.boundary;
        gaps.extend(walk.gaps);
    } else {
        let reason = "repository has no commits (HEAD is unborn); nothing to collect".to_string();
        tracing::warn!(repo = %name, %reason, "collection gap");
        gaps.insert(
            format!("git/{name}/gap/empty"),
            json!({"repo": name, "commit": null, "file": null, "reason": reason}),
        );
    }
    if summary.shallow {
        let reason = if boundary.is_empty() {
            "shallow clone: history is cut (the boundary was not reached by this walk)".to_string()
        } else {
            format!(
                "shallow clone: history stops at {}; changes made by these commits and their ancestors are unknown",
                boundary.join(", ")
            )
        };
        tracing::warn!(repo = %name, %reason, "collection gap");
        gaps.insert(
            format!("git/{name}/gap/shallow"),
            json!({"repo": name, "commit": null, "file": null, "reason": reason, "boundary": boundary}),
        );
    }
    summary.gaps = gaps.len() as u64;
    for (subject, body) in gaps {
        sink.observe(Observation {
            source: source.clone(),
            kind: kinds::COLLECTION_GAP,
            subject,
            body,
        })?;
    }
    sink.observe(Observation {
        source,
        kind: kinds::COLLECTION_NOTE,
        subject: format!("git/{name}/note"),
        body: json!({
            "repo": name,
            "reference": reference,
            "head": summary.head,
            "commits_walked": summary.commits_walked,
            "evidence_commits": summary.evidence_commits,
            "skipped_commits": summary.skipped_commits,
            "shallow": summary.shallow,
            "since": summary.since,
            "full_walk_reason": summary.full_walk_reason,
            "path_globs": options.path_globs,
        }),
    })?;
    tracing::info!(
        walked = summary.commits_walked,
        evidence = summary.evidence_commits,
        "git history collected"
    );
    Ok(summary)
}

/// Commits listed in `<gitdir>/shallow`: their parents are not in the clone.
fn shallow_roots(repo: &Repository) -> BTreeSet<Oid> {
    std::fs::read_to_string(repo.path().join("shallow"))
        .map(|text| text.lines().filter_map(|l| Oid::from_str(l.trim()).ok()).collect())
        .unwrap_or_default()
}

/// The commit to hide from the walk, or `None` (recording why in `summary`).
fn since_to_hide(
    repo: &Repository,
    name: &str,
    head: Oid,
    since: Option<&str>,
    summary: &mut GitSummary,
) -> Option<Oid> {
    let since = since?;
    let reason = match Oid::from_str(since) {
        Err(_) => {
            format!("previous head {since:?} is not a commit id; walked the full history")
        }
        Ok(old) if old == head => return Some(old),
        Ok(old) if repo.find_commit(old).is_err() => format!(
            "previous head {since} is no longer in the repository (history rewritten?); walked the full history"
        ),
        Ok(old) => match repo.graph_descendant_of(head, old) {
            Ok(true) => return Some(old),
            Ok(false) => {
                format!("previous head {since} is not an ancestor of {head} (force push?); walked the full history")
            }
            Err(e) => format!(
                "cannot tell whether previous head {since} is an ancestor of {head} ({}); walked the full history",
                e.message()
            ),
        },
    };
    tracing::warn!(repo = %name, %reason, "full history walk");
    summary.full_walk_reason = Some(reason);
    None
}

/// Records a gap about `commit` (and `file`) in `gaps`, keyed by its subject.
fn record_gap(gaps: &mut BTreeMap<String, Value>, name: &str, commit: Oid, file: Option<&str>, reason: String) {
    tracing::warn!(repo = %name, %commit, file, %reason, "collection gap");
    let subject = match file {
        Some(f) => format!("git/{name}/gap/{commit}/{f}"),
        None => format!("git/{name}/gap/{commit}"),
    };
    gaps.insert(
        subject,
        json!({"repo": name, "commit": commit.to_string(), "file": file, "reason": reason}),
    );
}

/// A bounded map keyed by object id that keeps what was used recently: two generations, the
/// older dropped when the newer fills up; a hit in the older one moves the entry to the newer.
/// (Clearing everything at the limit made every long-lived blob a miss once per fill.)
struct Cache<V> {
    new: OidMap<V>,
    old: OidMap<V>,
    limit: usize,
}

/// A map keyed by object id. Ids are SHA-1 digests, already uniformly spread, so the hash is the
/// id's own bytes folded into 64 bits rather than SipHash over them. Crafting ids that collide in
/// 64 bits costs a SHA-1 search of about 2^32 per pair, and a collision only costs a probe.
type OidMap<V> = HashMap<Oid, V, std::hash::BuildHasherDefault<OidHasher>>;

/// See [`OidMap`].
#[derive(Default)]
struct OidHasher(u64);

impl std::hash::Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // An id hashes as its 20 bytes (after their length, through `write_usize`, ignored).
        let mut word = [0u8; 8];
        for chunk in bytes.chunks(8) {
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(19) ^ u64::from_le_bytes(word);
        }
    }

    fn write_usize(&mut self, _len: usize) {}
}

impl<V: Clone> Cache<V> {
    fn new(limit: usize) -> Self {
        Cache {
            new: OidMap::default(),
            old: OidMap::default(),
            limit,
        }
    }

    fn get(&mut self, id: &Oid) -> Option<V> {
        if let Some(v) = self.new.get(id) {
            return Some(v.clone());
        }
        let v = self.old.remove(id)?;
        self.insert(*id, v.clone());
        Some(v)
    }

    fn insert(&mut self, id: Oid, v: V) {
        if self.new.len() >= self.limit {
            self.old = std::mem::take(&mut self.new);
        }
        self.new.insert(id, v);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use git2::{ObjectType, Repository, Signature, Time};
    use serde_json::Value;

    use super::*;

    /// A repository built commit by commit from a map of file contents.
    struct Repo {
        dir: tempfile::TempDir,
        repo: Repository,
        files: BTreeMap<String, Vec<u8>>,
    }

    const PA: &str = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: STRICT\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDPLANTEDKEY\n-----END PRIVATE KEY-----\n";

    impl Repo {
        fn new() -> Repo {
            let dir = tempfile::tempdir().unwrap();
            let repo = Repository::init_bare(dir.path().join("gitops.git")).unwrap();
            Repo {
                dir,
                repo,
                files: BTreeMap::new(),
            }
        }

        fn path(&self) -> PathBuf {
            self.dir.path().join("gitops.git")
        }

        fn tree(&self, prefix: &str) -> Oid {
            let mut builder = self.repo.treebuilder(None).unwrap();
            let mut dirs = BTreeSet::new();
            for (path, content) in &self.files {
                let Some(rest) = path.strip_prefix(prefix) else {
                    continue;
                };
                match rest.split_once('/') {
                    Some((dir, _)) => {
                        dirs.insert(dir.to_string());
                    }
                    None => {
                        let blob = self.repo.blob(content).unwrap();
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

        /// Applies `changes` (None deletes) and commits on `main` with these parents.
        fn commit_with(
            &mut self,
            changes: &[(&str, Option<&str>)],
            message: &str,
            who: (&str, &str, i64, i32),
            parents: &[Oid],
            sign: Option<&str>,
        ) -> Oid {
            for (path, content) in changes {
                match content {
                    Some(c) => self.files.insert(path.to_string(), c.as_bytes().to_vec()),
                    None => self.files.remove(*path),
                };
            }
            let tree = self.repo.find_tree(self.tree("")).unwrap();
            let sig = Signature::new(who.0, who.1, &Time::new(who.2, who.3)).unwrap();
            let parents: Vec<git2::Commit<'_>> = parents.iter().map(|p| self.repo.find_commit(*p).unwrap()).collect();
            let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let buf = self
                .repo
                .commit_create_buffer(&sig, &sig, message, &tree, &parent_refs)
                .unwrap();
            let content = std::str::from_utf8(&buf).unwrap().to_string();
            let id = match sign {
                Some(signature) => self.repo.commit_signed(&content, signature, None).unwrap(),
                None => self
                    .repo
                    .odb()
                    .unwrap()
                    .write(ObjectType::Commit, content.as_bytes())
                    .unwrap(),
            };
            self.repo.reference("refs/heads/main", id, true, "test").unwrap();
            self.repo.set_head("refs/heads/main").unwrap();
            id
        }

        fn commit(&mut self, changes: &[(&str, Option<&str>)], message: &str, t: i64) -> Oid {
            let parents: Vec<Oid> = self.repo.head().ok().and_then(|h| h.target()).into_iter().collect();
            self.commit_with(
                changes,
                message,
                ("Alice Example", "alice@example.com", t, 120),
                &parents,
                None,
            )
        }
    }

    fn options(clusters: &[&str]) -> GitOptions {
        GitOptions {
            known_clusters: clusters.iter().map(|c| c.to_string()).collect(),
            ..GitOptions::default()
        }
    }

    fn run(repo: &Repo, options: &GitOptions, since: Option<&str>) -> (GitSummary, Vec<Observation>) {
        let mut sink = Vec::new();
        let summary = collect(&repo.path(), options, since, &mut sink).unwrap();
        (summary, sink)
    }

    fn commits(sink: &[Observation]) -> Vec<&Value> {
        sink.iter()
            .filter(|o| o.kind == kinds::GIT_COMMIT)
            .map(|o| &o.body)
            .collect()
    }

    const T0: i64 = 1_780_000_000;

    #[test]
    fn records_adds_renames_deletes_and_skips_other_commits() {
        let mut r = Repo::new();
        let c1 = r.commit(
            &[
                ("README.md", Some("# gitops\n")),
                ("overlays/us-east-1/pa.yaml", Some(PA)),
                (
                    "apps/deploy.yaml",
                    Some("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"),
                ),
            ],
            "Initial\n\nbody text",
            T0,
        );
        let c2 = r.commit(&[("README.md", Some("# gitops\ncontacts\n"))], "README only", T0 + 60);
        let c3 = r.commit(
            &[
                ("overlays/us-east-1/pa.yaml", None),
                ("overlays/us-east-1/mesh/pa.yaml", Some(PA)),
            ],
            "Move",
            T0 + 120,
        );
        let c4 = r.commit(&[("overlays/us-east-1/mesh/pa.yaml", None)], "Delete", T0 + 180);
        let c5 = r.commit(
            &[(
                "apps/deploy.yaml",
                Some("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web2\n"),
            )],
            "Deployment only",
            T0 + 240,
        );
        let (summary, sink) = run(&r, &options(&["us-east-1"]), None);
        assert_eq!(summary.commits_walked, 5);
        assert_eq!(summary.evidence_commits, 3);
        assert_eq!(summary.skipped_commits, 2);
        assert_eq!(summary.head, Some(c5.to_string()));
        let bodies = commits(&sink);
        let ids: Vec<&str> = bodies.iter().filter_map(|b| b["commit"].as_str()).collect();
        assert_eq!(ids, vec![c1.to_string(), c3.to_string(), c4.to_string()]);
        assert!(!ids.contains(&c2.to_string().as_str()));
        let first = bodies[0];
        assert_eq!(first["summary"], "Initial");
        assert_eq!(first["author"]["time"], "2026-05-28T22:26:40+02:00");
        assert_eq!(first["author"]["time_utc"], "2026-05-28T20:26:40Z");
        assert_eq!(first["files"].as_array().map(Vec::len), Some(1));
        assert_eq!(first["files"][0]["change"], "added");
        assert_eq!(first["files"][0]["cluster"], "us-east-1");
        assert_eq!(first["files"][0]["objects_after"][0]["kind"], "PeerAuthentication");
        assert_eq!(
            first["files"][0]["objects_after"][0]["manifest"]["spec"]["mtls"]["mode"],
            "STRICT"
        );
        let moved = &bodies[1]["files"][0];
        assert_eq!(moved["change"], "renamed");
        assert_eq!(moved["path"], "overlays/us-east-1/mesh/pa.yaml");
        assert_eq!(moved["old_path"], "overlays/us-east-1/pa.yaml");
        let deleted = &bodies[2]["files"][0];
        assert_eq!(deleted["change"], "deleted");
        assert_eq!(deleted["objects_before"][0]["name"], "default");
        assert_eq!(deleted["objects_after"], serde_json::json!([]));
        let note = sink.iter().find(|o| o.kind == kinds::COLLECTION_NOTE).unwrap();
        assert_eq!(note.subject, "git/gitops/note");
        assert_eq!(note.body["head"], c5.to_string());
        assert_eq!(note.body["skipped_commits"], 2);
    }

    #[test]
    fn merges_are_diffed_against_the_first_parent_and_signatures_typed() {
        let mut r = Repo::new();
        let base = r.commit(&[("README.md", Some("x\n"))], "base", T0);
        let side = r.commit_with(
            &[("clusters/ap-south-1/pa.yaml", Some(PA))],
            "Register",
            ("Priya Raman", "priya@example.com", T0 + 100, 330),
            &[base],
            Some("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAA\n-----END SSH SIGNATURE-----"),
        );
        // Reset the file map to the base before committing on main.
        r.files.remove("clusters/ap-south-1/pa.yaml");
        let main = r.commit_with(
            &[("docs.md", Some("docs\n"))],
            "docs",
            ("Bob", "bob@example.com", T0 + 150, -300),
            &[base],
            Some("-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----"),
        );
        r.files
            .insert("clusters/ap-south-1/pa.yaml".into(), PA.as_bytes().to_vec());
        let merge = r.commit_with(
            &[],
            "Merge pull request #1",
            ("GitHub", "noreply@github.com", T0 + 200, 0),
            &[main, side],
            None,
        );
        // A merge that changes nothing relative to its first parent.
        let empty_merge = r.commit_with(
            &[],
            "Merge again",
            ("GitHub", "noreply@github.com", T0 + 300, 0),
            &[merge, side],
            None,
        );
        let (summary, sink) = run(&r, &options(&["ap-south-1"]), None);
        assert_eq!(summary.commits_walked, 5);
        assert_eq!(summary.head, Some(empty_merge.to_string()));
        let bodies = commits(&sink);
        let by_id = |id: Oid| bodies.iter().find(|b| b["commit"] == id.to_string()).copied();
        let signed = by_id(side).unwrap();
        assert_eq!(signed["signature"], serde_json::json!({"present": true, "type": "ssh"}));
        assert_eq!(signed["author"]["time"], "2026-05-29T01:58:20+05:30");
        assert_eq!(signed["author"]["time_utc"], "2026-05-28T20:28:20Z");
        assert_eq!(signed["merge"], false);
        let m = by_id(merge).unwrap();
        assert_eq!(m["merge"], true);
        assert_eq!(m["parents"], serde_json::json!([main.to_string(), side.to_string()]));
        assert_eq!(m["files"][0]["change"], "added");
        assert_eq!(m["files"][0]["cluster"], "ap-south-1");
        assert_eq!(m["committer"]["time"], "2026-05-28T20:30:00+00:00");
        assert_eq!(m["signature"]["present"], false);
        assert!(by_id(main).is_none(), "docs-only commit is not evidence");
        assert!(by_id(empty_merge).is_none(), "empty merge is skipped");
        assert_eq!(summary.evidence_commits, 2);
    }

    #[test]
    fn secrets_are_listed_and_redacted_lists_and_patches_count() {
        let mut r = Repo::new();
        let multi = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cacerts\n  namespace: istio-system\nstringData:\n  ca-key.pem: |\n{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: default\n",
            KEY.lines().map(|l| format!("    {l}\n")).collect::<String>()
        );
        let list = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"reader"}}]}"#;
        // A typed list: its items name neither kind nor apiVersion (as the API server prints them).
        let typed = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBindingList","items":[{"metadata":{"name":"readers","namespace":"istio-system"}}]}"#;
        let patch = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: billing\nspec:\n  rules:\n  - from:\n    - source:\n        principals: [\"*\"]\n";
        r.commit(
            &[
                ("base/bindings.json", Some(typed)),
                ("base/secrets.yaml", Some(&multi)),
                ("base/roles.json", Some(list)),
                ("overlays/patch.yaml", Some(patch)),
            ],
            "add",
            T0,
        );
        let (_, sink) = run(&r, &options(&[]), None);
        let bodies = commits(&sink);
        assert_eq!(bodies.len(), 1);
        let text = serde_json::to_string(&sink.iter().map(|o| &o.body).collect::<Vec<_>>()).unwrap();
        assert!(!text.contains("PLANTEDKEY"), "private key leaked: {text}");
        let files = bodies[0]["files"].as_array().unwrap();
        let paths: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "base/bindings.json",
                "base/roles.json",
                "base/secrets.yaml",
                "overlays/patch.yaml"
            ]
        );
        let binding = &files[0]["objects_after"][0];
        assert_eq!(binding["kind"], "RoleBinding");
        assert_eq!(binding["apiVersion"], "rbac.authorization.k8s.io/v1");
        assert_eq!(binding["manifest"]["kind"], "RoleBinding");
        assert_eq!(files[1]["objects_after"][0]["kind"], "ClusterRole");
        assert_eq!(files[2]["secrets"], serde_json::json!(["istio-system/cacerts"]));
        assert_eq!(files[2]["objects_after"].as_array().map(Vec::len), Some(1));
        assert_eq!(files[3]["objects_after"][0]["name"], "billing");
        assert_eq!(files[3]["objects_after"][0]["namespace"], Value::Null);
    }

    #[test]
    fn incremental_walk_and_force_push() {
        let mut r = Repo::new();
        let c1 = r.commit(&[("a/pa.yaml", Some(PA))], "one", T0);
        let (s1, _) = run(&r, &options(&[]), None);
        assert_eq!(s1.commits_walked, 1);
        let head1 = s1.head.clone().unwrap();
        let (again, sink) = run(&r, &options(&[]), Some(&head1));
        assert_eq!(again.commits_walked, 0);
        assert!(commits(&sink).is_empty());
        let c2 = r.commit(&[("b/pa.yaml", Some(PA))], "two", T0 + 10);
        let (s2, sink) = run(&r, &options(&[]), Some(&head1));
        assert_eq!(s2.commits_walked, 1);
        assert_eq!(commits(&sink)[0]["commit"], c2.to_string());
        assert_eq!(s2.full_walk_reason, None);
        // Force push: rewrite main to a history without c2.
        r.files.remove("b/pa.yaml");
        let other = r.commit_with(
            &[("c/pa.yaml", Some(PA))],
            "rewritten",
            ("Alice", "alice@example.com", T0 + 20, 0),
            &[c1],
            None,
        );
        let (s3, sink) = run(&r, &options(&[]), Some(&c2.to_string()));
        assert_eq!(s3.commits_walked, 2);
        assert!(
            s3.full_walk_reason
                .as_deref()
                .is_some_and(|r| r.contains("not an ancestor"))
        );
        assert_eq!(commits(&sink).len(), 2);
        assert_eq!(s3.head, Some(other.to_string()));
        let (s4, _) = run(&r, &options(&[]), Some("not-a-sha"));
        assert_eq!(s4.commits_walked, 2);
        assert!(s4.full_walk_reason.is_some());
    }

    #[test]
    fn bad_blobs_are_gaps_and_the_commit_is_still_recorded() {
        let mut r = Repo::new();
        let id = r.commit(
            &[
                ("broken.yaml", Some("kind: Secret\n  data: [\n")),
                ("bin.json", Some("\u{0}\u{1}binary")),
            ],
            "bad",
            T0,
        );
        let (summary, sink) = run(&r, &options(&[]), None);
        assert_eq!(summary.evidence_commits, 1);
        assert_eq!(summary.gaps, 2);
        let gaps: Vec<&str> = sink
            .iter()
            .filter(|o| o.kind == kinds::COLLECTION_GAP)
            .map(|o| o.subject.as_str())
            .collect();
        assert_eq!(
            gaps,
            vec![
                format!("git/gitops/gap/{id}/bin.json"),
                format!("git/gitops/gap/{id}/broken.yaml")
            ]
        );
        let body = commits(&sink)[0];
        assert!(
            body["files"][0]["parse_error"]
                .as_str()
                .is_some_and(|e| e.contains("binary"))
        );
    }

    #[test]
    fn path_globs_limit_the_walk() {
        let mut r = Repo::new();
        r.commit(&[("overlays/us-east-1/pa.yaml", Some(PA))], "one", T0);
        r.commit(&[("base/pa.yaml", Some(PA))], "two", T0 + 10);
        let mut o = options(&[]);
        o.path_globs = vec!["overlays/*".into()];
        let (summary, _) = run(&r, &o, None);
        assert_eq!((summary.commits_walked, summary.evidence_commits), (2, 1));
        o.path_globs = vec!["base/*.yaml".into(), "overlays/us-east-1/*".into()];
        let (summary, _) = run(&r, &o, None);
        assert_eq!((summary.commits_walked, summary.evidence_commits), (2, 2));
    }

    #[test]
    fn bad_repositories_are_errors_or_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Vec::new();
        let err = collect(dir.path(), &GitOptions::default(), None, &mut sink).unwrap_err();
        assert!(matches!(err, Error::NotARepository { .. }), "{err}");
        assert!(err.to_string().contains("is not a git repository"));
        // A plain directory inside a working tree is not that repository.
        let work = Repository::init(dir.path().join("work")).unwrap();
        std::fs::create_dir_all(dir.path().join("work/sub")).unwrap();
        drop(work);
        let err = collect(&dir.path().join("work/sub"), &GitOptions::default(), None, &mut sink);
        assert!(matches!(err, Err(Error::NotARepository { .. })));
        let empty = Repository::init(dir.path().join("empty")).unwrap();
        drop(empty);
        let summary = collect(&dir.path().join("empty"), &GitOptions::default(), None, &mut sink).unwrap();
        assert_eq!(summary.head, None);
        assert_eq!(summary.gaps, 1);
        assert!(sink.iter().any(|o| o.subject == "git/empty/gap/empty"));
        let mut r = Repo::new();
        r.commit(&[("a.yaml", Some(PA))], "one", T0);
        let o = GitOptions {
            reference: "refs/heads/nope".into(),
            ..GitOptions::default()
        };
        let err = collect(&r.path(), &o, None, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::UnknownReference { .. }), "{err}");
        assert!(probe(&r.path(), &o).is_err());
        assert!(probe(&r.path(), &GitOptions::default()).unwrap().is_some());
    }

    #[test]
    fn names_and_clusters() {
        assert_eq!(repo_name(Path::new("/x/gitops.git")), "gitops");
        assert_eq!(repo_name(Path::new("/x/platform/.git")), "platform");
        assert_eq!(repo_name(Path::new("/x/platform")), "platform");
    }

    /// Accepts `left` observations, then fails.
    struct FailingSink {
        left: usize,
    }

    impl RecordSink for FailingSink {
        fn observe(&mut self, _: Observation) -> Result<(), SinkError> {
            if self.left == 0 {
                return Err(SinkError {
                    message: "disk full".into(),
                    source: None,
                });
            }
            self.left -= 1;
            Ok(())
        }
    }

    #[test]
    fn a_failing_sink_stops_both_threads_and_is_the_error() {
        let mut r = Repo::new();
        for i in 0..300 {
            let manifest = PA.replace("mode: STRICT", &format!("mode: STRICT\n  n: {i}"));
            r.commit(&[("overlays/a/pa.yaml", Some(&manifest))], &format!("c{i}"), T0 + i);
        }
        // More commits than the queue between the threads holds: the walk must notice.
        let result = collect(&r.path(), &options(&["a"]), None, &mut FailingSink { left: 3 });
        match result {
            Err(Error::Sink(e)) => assert_eq!(e.message, "disk full"),
            other => panic!("expected the sink's error, got {other:?}"),
        }
    }

    #[test]
    fn a_malformed_tree_is_a_gap_and_the_walk_goes_on() {
        let mut r = Repo::new();
        let c1 = r.commit(&[("overlays/a/pa.yaml", Some(PA))], "good", T0);
        let odb = r.repo.odb().unwrap();
        let bad_tree = odb.write(ObjectType::Tree, b"100644 no-terminator").unwrap();
        let raw = format!(
            "tree {bad_tree}\nparent {c1}\nauthor A <a@example.com> {T0} +0000\ncommitter A <a@example.com> {T0} +0000\n\nbroken tree\n"
        );
        let c2 = odb.write(ObjectType::Commit, raw.as_bytes()).unwrap();
        drop(odb);
        r.repo.reference("refs/heads/main", c2, true, "test").unwrap();
        let pa2 = PA.replace("STRICT", "PERMISSIVE");
        let c3 = r.commit(&[("overlays/a/pa.yaml", Some(&pa2))], "after the broken one", T0 + 2);
        let c4 = r.commit(&[("overlays/a/pa.yaml", Some(PA))], "and another", T0 + 3);

        let (summary, sink) = run(&r, &options(&["a"]), None);
        assert_eq!(summary.commits_walked, 4);
        let recorded: Vec<&str> = commits(&sink).iter().filter_map(|b| b["commit"].as_str()).collect();
        assert_eq!(recorded, [c1.to_string(), c4.to_string()]);
        // The broken commit and its child (diffed against the broken tree) are gaps naming why.
        for c in [c2, c3] {
            let gap = sink
                .iter()
                .find(|o| o.kind == kinds::COLLECTION_GAP && o.subject == format!("git/gitops/gap/{c}"))
                .unwrap_or_else(|| panic!("no gap for {c}"));
            let reason = gap.body["reason"].as_str().unwrap();
            assert!(
                reason.contains(&format!("{bad_tree} is not a well-formed tree")),
                "{reason}"
            );
        }
    }

    /// libgit2's order for the whole history (what `walk` used before `history_order`).
    fn revwalk_order(repo: &Repository, head: Oid) -> Vec<Oid> {
        let mut revwalk = repo.revwalk().unwrap();
        revwalk
            .set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME | git2::Sort::REVERSE)
            .unwrap();
        revwalk.push(head).unwrap();
        revwalk.map(Result::unwrap).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Random histories (branches, merges, octopus merges, equal and skewed commit times):
        /// the walk's own order is libgit2's, commit for commit, with each commit's trees.
        #[test]
        fn history_order_is_libgit2s_revwalk_order(
            steps in proptest::collection::vec((0usize..8, 0usize..8, 0usize..4, 0i64..4), 1..40),
        ) {
            let mut r = Repo::new();
            let mut all: Vec<Oid> = Vec::new();
            for (i, (a, b, kind, t)) in steps.into_iter().enumerate() {
                let pick = |k: usize| all[all.len() - 1 - (k % all.len())];
                let parents: Vec<Oid> = match (all.is_empty(), kind) {
                    (true, _) => Vec::new(),
                    (false, 0) => vec![pick(a), pick(b)],
                    (false, 1) if all.len() > 2 => vec![pick(a), pick(b), pick(a + b + 1)],
                    _ => vec![pick(a)],
                };
                let mut unique = Vec::new();
                for p in parents {
                    if !unique.contains(&p) {
                        unique.push(p);
                    }
                }
                let content = format!("{PA}# {i}\n");
                let id = r.commit_with(
                    &[("overlays/a/pa.yaml", Some(&content))],
                    &format!("c{i}"),
                    ("Alice Example", "alice@example.com", T0 + t * 60, 0),
                    &unique,
                    None,
                );
                all.push(id);
            }
            let head = *all.last().unwrap();
            let shallow = BTreeSet::new();
            let history = walk::History::new(&r.repo, "gitops", None, &shallow, 1 << 20).unwrap();
            let ours = history.history_order(head).unwrap();
            let ids: Vec<Oid> = ours.iter().map(|c| c.id).collect();
            proptest::prop_assert_eq!(ids, revwalk_order(&r.repo, head));
            let odb = r.repo.odb().unwrap();
            for c in ours {
                let commit = r.repo.find_commit(c.id).unwrap();
                proptest::prop_assert_eq!(c.tree, commit.tree_id());
                proptest::prop_assert_eq!(c.parent_tree, commit.parents().next().map(|p| p.tree_id()));
                let object = odb.read(c.id).unwrap();
                proptest::prop_assert_eq!(c.raw.as_deref(), Some(object.data()));
            }
        }
    }
}
