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
//! - **Speed**: trees are compared entry id by entry id and only changed subtrees are entered;
//!   only changed manifest blobs are read, each parsed once (a small cache keeps the parse of a
//!   blob for the next commit, which sees it as its "before"). libgit2's own tree cache limit can
//!   only be raised through an `unsafe` call, which this crate forbids; instead this module keeps
//!   its own bounded cache of tree handles, which has the same effect.
//!
//! What this module does not do: fetch, verify signatures (that needs an allowed-signers file or a
//! keyring; only presence and type are recorded), or render kustomize overlays.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use git2::{ObjectType, Oid, Repository, RepositoryOpenFlags, Sort, Tree, TreeEntry};
use serde_json::{Map, Value, json};

use super::document::{Documents, parse_documents};
use super::{redact, selection};
use crate::model::{Observation, RecordSink, SinkError, Timestamp, kinds};

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
pub fn collect(
    repo_path: &Path,
    options: &GitOptions,
    since: Option<&str>,
    sink: &mut dyn RecordSink,
) -> Result<GitSummary, Error> {
    let name = name_of(repo_path, options);
    let reference = reference_of(options).to_string();
    let _span = tracing::info_span!("collect", collector = "git-history", repo = %name).entered();
    let repo = open(repo_path)?;
    let spec = pathspec(&name, &options.path_globs)?;
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
        let mut walker = Walker {
            repo: &repo,
            name: &name,
            spec: spec.as_ref(),
            clusters: options.known_clusters.iter().cloned().collect(),
            max_blob: if options.max_blob_size == 0 {
                DEFAULT_MAX_BLOB
            } else {
                options.max_blob_size
            },
            shallow_roots: if summary.shallow {
                shallow_roots(&repo)
            } else {
                BTreeSet::new()
            },
            trees: Cache::new(TREE_CACHE_LIMIT),
            commit_trees: Cache::new(TREE_CACHE_LIMIT),
            blobs: Cache::new(BLOB_CACHE_LIMIT),
            gaps: &mut gaps,
        };
        let hidden = walker.since_to_hide(head, since, &mut summary);
        walker.walk(head, hidden, &source, sink, &mut summary, &mut boundary)?;
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

/// One object a manifest declares (its redacted manifest travels beside it, see [`Parsed`]).
#[derive(Debug, Clone, PartialEq)]
struct Declared {
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: String,
    /// A `v1` Secret that is not SOPS-encrypted.
    plain_secret: bool,
}

impl Declared {
    fn reference(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        m.insert("kind".into(), Value::String(self.kind.clone()));
        m.insert("namespace".into(), self.namespace.clone().map_or(Value::Null, Value::String));
        m.insert("name".into(), Value::String(self.name.clone()));
        m
    }

    fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a blob declares: objects of kept kinds (sorted), or why it could not be read. The cache
/// keeps this for the next commit, which sees the blob as its "before" and needs no manifests.
#[derive(Debug, Default)]
struct Parsed {
    objects: Vec<Declared>,
    error: Option<String>,
}

/// The redacted manifests of a [`Parsed`]'s objects, in the same order.
type Manifests = Vec<Value>;

/// One changed manifest path in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    path: String,
    old_path: Option<String>,
    old: Option<Oid>,
    new: Option<Oid>,
}

struct Walker<'a, 'repo> {
    repo: &'repo Repository,
    name: &'a str,
    spec: Option<&'a git2::Pathspec>,
    clusters: BTreeSet<String>,
    max_blob: u64,
    shallow_roots: BTreeSet<Oid>,
    trees: Cache<Rc<Tree<'repo>>>,
    /// Tree id of each commit seen (parents are walked before their children).
    commit_trees: Cache<Oid>,
    blobs: Cache<Rc<Parsed>>,
    gaps: &'a mut BTreeMap<String, Value>,
}

/// A bounded map keyed by object id that keeps what was used recently: two generations, the
/// older dropped when the newer fills up; a hit in the older one moves the entry to the newer.
/// (Clearing everything at the limit made every long-lived blob a miss once per fill.)
struct Cache<V> {
    new: HashMap<Oid, V>,
    old: HashMap<Oid, V>,
    limit: usize,
}

impl<V: Clone> Cache<V> {
    fn new(limit: usize) -> Self {
        Cache {
            new: HashMap::new(),
            old: HashMap::new(),
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

fn is_manifest_name(name: &[u8]) -> bool {
    [&b".yaml"[..], b".yml", b".json"]
        .iter()
        .any(|ext| name.len() >= ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext))
}

fn is_tree(entry: &TreeEntry<'_>) -> bool {
    entry.kind() == Some(ObjectType::Tree)
}

/// A regular file (not a symlink or a submodule).
fn is_file(entry: &TreeEntry<'_>) -> bool {
    entry.kind() == Some(ObjectType::Blob) && entry.filemode() & 0o170000 == 0o100000
}

/// Git's tree order: names compared bytewise, a tree's name as if followed by `/`.
fn git_order(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> Ordering {
    let ka = a.name_bytes().iter().copied().chain(is_tree(a).then_some(b'/'));
    let kb = b.name_bytes().iter().copied().chain(is_tree(b).then_some(b'/'));
    ka.cmp(kb)
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// RFC 3339 in the signature's own offset, and in UTC.
fn times(when: git2::Time) -> (Value, Value) {
    let utc = Timestamp::from_unix(when.seconds());
    let local = FixedOffset::east_opt(when.offset_minutes().saturating_mul(60))
        .zip(DateTime::from_timestamp(when.seconds(), 0))
        .map(|(offset, t)| t.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::Secs, false));
    (
        local.map_or(Value::Null, Value::String),
        utc.map_or(Value::Null, |t| Value::String(t.to_rfc3339())),
    )
}

fn person(sig: &git2::Signature<'_>) -> Value {
    let (time, time_utc) = times(sig.when());
    json!({
        "name": String::from_utf8_lossy(sig.name_bytes()),
        "email": String::from_utf8_lossy(sig.email_bytes()),
        "time": time,
        "time_utc": time_utc,
    })
}

fn signature(commit: &git2::Commit<'_>) -> Value {
    let field = commit
        .header_field_bytes("gpgsig")
        .or_else(|_| commit.header_field_bytes("gpgsig-sha256"));
    match field {
        Ok(buf) => {
            let text = String::from_utf8_lossy(&buf);
            let kind = if text.contains("BEGIN PGP SIGNATURE") {
                "gpg"
            } else if text.contains("BEGIN SSH SIGNATURE") {
                "ssh"
            } else if text.contains("BEGIN SIGNED MESSAGE") || text.contains("BEGIN PKCS7") {
                "x509"
            } else {
                "unknown"
            };
            json!({"present": true, "type": kind})
        }
        Err(_) => json!({"present": false, "type": null}),
    }
}

fn first_line(commit: &git2::Commit<'_>) -> String {
    let message = String::from_utf8_lossy(commit.message_bytes());
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .chars()
        .take(SUMMARY_LIMIT)
        .collect()
}

fn text_field(v: &Value, pointer: &str) -> Option<String> {
    crate::model::pointer(v, pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Declared objects of kept kinds (or Secrets) in one parsed document, Lists expanded.
fn declared_objects(doc: Value, out: &mut Vec<(Declared, Value)>) {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind.ends_with("List")
        && let Some(Value::Array(items)) = doc.get("items")
    {
        let api_version = doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("v1")
            .to_string();
        let item_kind = kind.trim_end_matches("List").to_string();
        let typed = kind != "List" && !item_kind.is_empty();
        for item in items.iter().cloned() {
            let mut item = item;
            if typed && let Some(o) = item.as_object_mut() {
                o.entry("kind").or_insert_with(|| json!(item_kind));
                o.entry("apiVersion").or_insert_with(|| json!(api_version));
            }
            declared_object(item, out);
        }
        return;
    }
    declared_object(doc, out);
}

fn declared_object(mut obj: Value, out: &mut Vec<(Declared, Value)>) {
    let (Some(api_version), Some(kind), Some(name)) = (
        text_field(&obj, "/apiVersion"),
        text_field(&obj, "/kind"),
        text_field(&obj, "/metadata/name"),
    ) else {
        return;
    };
    let namespace = text_field(&obj, "/metadata/namespace").filter(|n| !n.is_empty());
    let is_secret = api_version == "v1" && kind == "Secret";
    if !is_secret && !selection::is_kept(&api_version, &kind, namespace.as_deref(), &name) {
        return;
    }
    let plain_secret = is_secret && obj.get("sops").is_none();
    redact::redact_object(&mut obj);
    out.push((
        Declared {
            api_version,
            kind,
            namespace,
            name,
            plain_secret,
        },
        obj,
    ));
}

fn parse_manifest(bytes: &[u8]) -> (Parsed, Manifests) {
    match parse_documents(bytes) {
        Err(e) => (
            Parsed {
                objects: Vec::new(),
                error: Some(e.to_string()),
            },
            Vec::new(),
        ),
        Ok(docs) => {
            let docs: Vec<Value> = match docs {
                Documents::Values(v) => v,
                Documents::Lines { values, .. } => values.into_iter().map(|(_, v)| v).collect(),
            };
            let mut objects = Vec::new();
            for doc in docs {
                declared_objects(doc, &mut objects);
            }
            objects.sort_by(|(a, _), (b, _)| {
                (&a.api_version, &a.kind, &a.namespace, &a.name).cmp(&(&b.api_version, &b.kind, &b.namespace, &b.name))
            });
            let (objects, manifests) = objects.into_iter().unzip();
            (Parsed { objects, error: None }, manifests)
        }
    }
}

impl<'repo> Walker<'_, 'repo> {
    fn gap(&mut self, commit: Oid, file: Option<&str>, reason: String) {
        tracing::warn!(repo = %self.name, %commit, file, %reason, "collection gap");
        let subject = match file {
            Some(f) => format!("git/{}/gap/{commit}/{f}", self.name),
            None => format!("git/{}/gap/{commit}", self.name),
        };
        self.gaps.insert(
            subject,
            json!({"repo": self.name, "commit": commit.to_string(), "file": file, "reason": reason}),
        );
    }

    /// The commit to hide from the walk, or `None` (recording why in `summary`).
    fn since_to_hide(&self, head: Oid, since: Option<&str>, summary: &mut GitSummary) -> Option<Oid> {
        let since = since?;
        let reason = match Oid::from_str(since) {
            Err(_) => {
                format!("previous head {since:?} is not a commit id; walked the full history")
            }
            Ok(old) if old == head => return Some(old),
            Ok(old) if self.repo.find_commit(old).is_err() => format!(
                "previous head {since} is no longer in the repository (history rewritten?); walked the full history"
            ),
            Ok(old) => match self.repo.graph_descendant_of(head, old) {
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
        tracing::warn!(repo = %self.name, %reason, "full history walk");
        summary.full_walk_reason = Some(reason);
        None
    }

    fn git_error(&self, what: &'static str) -> impl FnOnce(git2::Error) -> Error + use<'_> {
        move |source| Error::Git {
            repo: self.name.to_string(),
            what,
            source,
        }
    }

    fn walk(
        &mut self,
        head: Oid,
        hidden: Option<Oid>,
        source: &str,
        sink: &mut dyn RecordSink,
        summary: &mut GitSummary,
        boundary: &mut Vec<String>,
    ) -> Result<(), Error> {
        let mut revwalk = self.repo.revwalk().map_err(self.git_error("cannot walk history"))?;
        revwalk
            .set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(self.git_error("cannot walk history"))?;
        revwalk.push(head).map_err(self.git_error("cannot walk history"))?;
        if let Some(h) = hidden {
            revwalk.hide(h).map_err(self.git_error("cannot walk history"))?;
        }
        for id in revwalk {
            let id = match id {
                Ok(id) => id,
                Err(e) => {
                    self.gap(head, None, format!("history walk stopped: {}", e.message()));
                    break;
                }
            };
            summary.commits_walked += 1;
            if self.shallow_roots.contains(&id) {
                boundary.push(id.to_string());
                summary.skipped_commits += 1;
                continue;
            }
            match self.commit_body(id) {
                Ok(Some(body)) => {
                    summary.evidence_commits += 1;
                    sink.observe(Observation {
                        source: source.to_string(),
                        kind: kinds::GIT_COMMIT,
                        subject: format!("git/{}/commit/{id}", self.name),
                        body,
                    })?;
                }
                Ok(None) => summary.skipped_commits += 1,
                Err(e) => {
                    summary.skipped_commits += 1;
                    self.gap(id, None, format!("cannot read commit: {}", e.message()));
                }
            }
        }
        Ok(())
    }

    fn tree(&mut self, id: Oid) -> Result<Rc<Tree<'repo>>, git2::Error> {
        if let Some(t) = self.trees.get(&id) {
            return Ok(t);
        }
        let tree = Rc::new(self.repo.find_tree(id)?);
        self.trees.insert(id, Rc::clone(&tree));
        Ok(tree)
    }

    fn wanted(&self, path: &str) -> bool {
        self.spec
            .is_none_or(|s| s.matches_path(Path::new(path), git2::PathspecFlags::DEFAULT))
    }

    /// Changed manifest files between two trees, comparing entry ids and entering only subtrees
    /// whose id changed.
    fn diff_trees(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &str,
        out: &mut Vec<Change>,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let old_tree = old.map(|id| self.tree(id)).transpose()?;
        let new_tree = new.map(|id| self.tree(id)).transpose()?;
        let mut a = old_tree.iter().flat_map(|t| t.iter()).peekable();
        let mut b = new_tree.iter().flat_map(|t| t.iter()).peekable();
        loop {
            let order = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => git_order(x, y),
            };
            let (x, y) = match order {
                Ordering::Less => (a.next(), None),
                Ordering::Greater => (None, b.next()),
                Ordering::Equal => (a.next(), b.next()),
            };
            if let (Some(x), Some(y)) = (&x, &y)
                && x.id() == y.id()
                && x.filemode() == y.filemode()
            {
                continue;
            }
            let Some(name) = x.as_ref().or(y.as_ref()).map(TreeEntry::name_bytes) else {
                continue;
            };
            let sub_old = x.as_ref().filter(|e| is_tree(e)).map(TreeEntry::id);
            let sub_new = y.as_ref().filter(|e| is_tree(e)).map(TreeEntry::id);
            if sub_old.is_some() || sub_new.is_some() {
                self.diff_trees(sub_old, sub_new, &join(prefix, name), out)?;
            }
            if !is_manifest_name(name) {
                continue;
            }
            let file_old = x.as_ref().filter(|e| is_file(e)).map(TreeEntry::id);
            let file_new = y.as_ref().filter(|e| is_file(e)).map(TreeEntry::id);
            if file_old.is_none() && file_new.is_none() || file_old == file_new {
                continue;
            }
            let path = join(prefix, name);
            if self.wanted(&path) {
                out.push(Change {
                    path,
                    old_path: None,
                    old: file_old,
                    new: file_new,
                });
            }
        }
        Ok(())
    }

    /// Pairs deletions with additions: identical blobs first, then libgit2's similarity check.
    fn find_renames(
        &self,
        old_tree: Option<&Tree<'repo>>,
        new_tree: &Tree<'repo>,
        changes: Vec<Change>,
    ) -> Vec<Change> {
        let (mut deleted, rest): (Vec<Change>, Vec<Change>) = changes.into_iter().partition(|c| c.new.is_none());
        let (mut added, mut out): (Vec<Change>, Vec<Change>) = rest.into_iter().partition(|c| c.old.is_none());
        if deleted.is_empty() || added.is_empty() {
            out.append(&mut deleted);
            out.append(&mut added);
            return out;
        }
        let mut unmatched_added = Vec::new();
        for add in added {
            match deleted.iter().position(|d| d.old == add.new) {
                Some(i) => {
                    let del = deleted.remove(i);
                    out.push(Change {
                        old_path: Some(del.path),
                        old: del.old,
                        ..add
                    });
                }
                None => unmatched_added.push(add),
            }
        }
        if !deleted.is_empty() && !unmatched_added.is_empty() {
            for (from, to) in self.similar(old_tree, new_tree, &deleted, &unmatched_added) {
                let (Some(di), Some(ai)) = (
                    deleted.iter().position(|d| d.path == from),
                    unmatched_added.iter().position(|a| a.path == to),
                ) else {
                    continue;
                };
                let del = deleted.remove(di);
                let add = unmatched_added.remove(ai);
                out.push(Change {
                    old_path: Some(del.path),
                    old: del.old,
                    ..add
                });
            }
        }
        out.append(&mut deleted);
        out.append(&mut unmatched_added);
        out
    }

    /// (old path, new path) pairs libgit2 calls renames among these deletions and additions.
    fn similar(
        &self,
        old_tree: Option<&Tree<'repo>>,
        new_tree: &Tree<'repo>,
        deleted: &[Change],
        added: &[Change],
    ) -> Vec<(String, String)> {
        let mut options = git2::DiffOptions::new();
        options.disable_pathspec_match(true);
        for c in deleted.iter().chain(added) {
            options.pathspec(&c.path);
        }
        let Ok(mut diff) = self
            .repo
            .diff_tree_to_tree(old_tree, Some(new_tree), Some(&mut options))
        else {
            return Vec::new();
        };
        let mut find = git2::DiffFindOptions::new();
        find.renames(true);
        if diff.find_similar(Some(&mut find)).is_err() {
            return Vec::new();
        }
        diff.deltas()
            .filter(|d| d.status() == git2::Delta::Renamed)
            .filter_map(|d| {
                let from = d.old_file().path()?.to_string_lossy().into_owned();
                let to = d.new_file().path()?.to_string_lossy().into_owned();
                Some((from, to))
            })
            .collect()
    }

    /// What blob `id` declares, from the cache when `manifests` are not wanted; with them, the
    /// blob is parsed (again): the cache keeps no manifests, they move into the evidence.
    fn parse_blob(&mut self, id: Oid, manifests: bool) -> (Rc<Parsed>, Manifests) {
        if !manifests && let Some(p) = self.blobs.get(&id) {
            return (p, Vec::new());
        }
        let error = |error: String| {
            let objects = Vec::new();
            (Parsed { objects, error: Some(error) }, Vec::new())
        };
        let (parsed, manifests) = match self.repo.find_blob(id) {
            Err(e) => error(format!("cannot read blob {id}: {}", e.message())),
            Ok(blob) if blob.size() as u64 > self.max_blob => error(format!(
                "file is {} bytes, over the {}-byte limit",
                blob.size(),
                self.max_blob
            )),
            Ok(blob) => parse_manifest(blob.content()),
        };
        let parsed = Rc::new(parsed);
        self.blobs.insert(id, Rc::clone(&parsed));
        (parsed, manifests)
    }

    fn cluster_of(&self, path: &str) -> Option<String> {
        let mut segments: Vec<&str> = path.split('/').collect();
        segments.pop();
        segments
            .into_iter()
            .find(|s| self.clusters.contains(*s))
            .map(str::to_string)
    }

    /// The `git.commit` body, or `None` when the commit touches no kept manifest.
    fn commit_body(&mut self, id: Oid) -> Result<Option<Value>, git2::Error> {
        let commit = self.repo.find_commit(id)?;
        let merge = commit.parent_count() > 1;
        let parent_tree_id = match commit.parent_id(0).ok() {
            None => None,
            Some(p) => match self.commit_trees.get(&p) {
                Some(t) => Some(t),
                None => Some(self.repo.find_commit(p)?.tree_id()),
            },
        };
        let tree_id = commit.tree_id();
        self.commit_trees.insert(id, tree_id);
        if parent_tree_id == Some(tree_id) {
            return Ok(None);
        }
        let mut changes = Vec::new();
        self.diff_trees(parent_tree_id, Some(tree_id), "", &mut changes)?;
        if changes.is_empty() {
            return Ok(None);
        }
        if changes.iter().any(|c| c.old.is_none()) && changes.iter().any(|c| c.new.is_none()) {
            let old_tree = parent_tree_id.map(|t| self.tree(t)).transpose()?;
            let new_tree = self.tree(tree_id)?;
            changes = self.find_renames(old_tree.as_deref(), &new_tree, changes);
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        let mut files = Vec::new();
        for change in changes {
            let before = change.old.map(|b| self.parse_blob(b, false).0);
            let (after, manifests) = match change.new {
                Some(b) => {
                    let (parsed, manifests) = self.parse_blob(b, true);
                    (Some(parsed), manifests)
                }
                None => (None, Vec::new()),
            };
            let after_error = after.as_ref().and_then(|p| p.error.clone());
            let objects_before: &[Declared] = before.as_deref().map_or(&[], |p| &p.objects);
            let objects_after: &[Declared] = after.as_deref().map_or(&[], |p| &p.objects);
            if objects_before.is_empty() && objects_after.is_empty() && after_error.is_none() {
                continue;
            }
            if let Some(reason) = &after_error {
                self.gap(id, Some(&change.path), reason.clone());
            }
            let kind = match (&change.old_path, change.old, change.new) {
                (Some(_), _, _) => "renamed",
                (None, None, _) => "added",
                (None, _, None) => "deleted",
                (None, Some(_), Some(_)) => "modified",
            };
            // Values are built by moving (`json!` would copy every manifest it is given).
            let after_json: Vec<Value> = objects_after
                .iter()
                .zip(manifests)
                .map(|(o, manifest)| {
                    let mut v = o.reference();
                    v.insert("manifest".into(), manifest);
                    Value::Object(v)
                })
                .collect();
            let secrets: BTreeSet<String> = objects_after
                .iter()
                .filter(|o| o.plain_secret)
                .map(Declared::qualified_name)
                .collect();
            let mut file = Map::new();
            file.insert("path".into(), Value::String(change.path.clone()));
            file.insert("old_path".into(), change.old_path.map_or(Value::Null, Value::String));
            file.insert("change".into(), Value::from(kind));
            file.insert("cluster".into(), self.cluster_of(&change.path).map_or(Value::Null, Value::String));
            let before_json = objects_before.iter().map(|o| Value::Object(o.reference())).collect();
            file.insert("objects_before".into(), Value::Array(before_json));
            file.insert("objects_after".into(), Value::Array(after_json));
            file.insert("secrets".into(), secrets.into_iter().map(Value::String).collect());
            file.insert("parse_error".into(), after_error.map_or(Value::Null, Value::String));
            files.push(Value::Object(file));
        }
        if files.is_empty() {
            return Ok(None);
        }
        let parents: Vec<String> = commit.parent_ids().map(|p| p.to_string()).collect();
        let mut body = json!({
            "repo": self.name,
            "commit": id.to_string(),
            "parents": parents,
            "author": person(&commit.author()),
            "committer": person(&commit.committer()),
            "summary": first_line(&commit),
            "signature": signature(&commit),
            "merge": merge,
        });
        if let Some(m) = body.as_object_mut() {
            m.insert("files".into(), Value::Array(files));
        }
        redact::scrub(&mut body);
        Ok(Some(body))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use git2::{Repository, Signature, Time};
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
        let patch = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: billing\nspec:\n  rules:\n  - from:\n    - source:\n        principals: [\"*\"]\n";
        r.commit(
            &[
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
            vec!["base/roles.json", "base/secrets.yaml", "overlays/patch.yaml"]
        );
        assert_eq!(files[0]["objects_after"][0]["kind"], "ClusterRole");
        assert_eq!(files[1]["secrets"], serde_json::json!(["istio-system/cacerts"]));
        assert_eq!(files[1]["objects_after"].as_array().map(Vec::len), Some(1));
        assert_eq!(files[2]["objects_after"][0]["name"], "billing");
        assert_eq!(files[2]["objects_after"][0]["namespace"], Value::Null);
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
}
