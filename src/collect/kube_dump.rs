//! Offline collection from kubectl-style dumps: `DIR/<cluster>/**`.
//!
//! Each subdirectory of `DIR` is one cluster (its name is the cluster name). Every file below it,
//! at any depth, may hold what `kubectl get … -o json|yaml` prints (single objects, `List`s,
//! multi-document YAML) or an API-server audit log (JSON lines of `audit.k8s.io/v1` `Event`s,
//! plain or gzip). Kept objects (see [`super::selection`]) are redacted and become `k8s.object`
//! observations; audit events go through [`super::audit_log`]. A file that cannot be read becomes
//! a `collection.gap` observation and the rest goes on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::audit_log::{AuditLog, has_audit_event_fields, is_audit_event};
use super::document::{
    DocumentError, Documents, fill_list_item, into_list_items, json_error, parse_text, read_into, text_of,
};
use super::json_tape::{Cursor, Node, Tape};
use super::redact;
use super::selection::{self, Class};
use crate::model::{Digest, Observation, Prepared, RecordSink, SinkError, kinds, sha256, to_canonical_vec};

/// Collection options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files larger than this (also after decompression) are refused with a gap.
    pub max_file_size: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: 256 << 20,
        }
    }
}

/// Errors that stop the whole collection (everything else is a gap).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The dump directory cannot be read.
    #[error("cannot read dump directory {path}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No cluster folders.
    #[error("{0} has no cluster folders: expected one subdirectory per cluster (DIR/<cluster>/…)")]
    NoClusters(PathBuf),
    /// The sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// What was collected from one cluster folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClusterSummary {
    /// Cluster name.
    pub cluster: String,
    /// Files read.
    pub files: u64,
    /// Objects kept.
    pub objects: u64,
    /// Objects skipped (not evidence).
    pub skipped: u64,
    /// Audit events kept (after merging stages).
    pub audit_events: u64,
    /// Gaps recorded.
    pub gaps: u64,
}

/// What was collected from a dump directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Per cluster, by name.
    pub clusters: Vec<ClusterSummary>,
    /// Gaps outside any cluster folder.
    pub stray_gaps: u64,
}

impl Summary {
    /// Total gaps.
    pub fn gaps(&self) -> u64 {
        self.stray_gaps + self.clusters.iter().map(|c| c.gaps).sum::<u64>()
    }

    /// Total evidence kept (objects and audit events).
    pub fn kept(&self) -> u64 {
        self.clusters.iter().map(|c| c.objects + c.audit_events).sum()
    }
}

/// A kept object: its redacted body, canonicalized and hashed as soon as it is admitted (while its
/// freshly parsed tree is still in the cache; the tree is dropped right away).
struct Entry {
    canonical: Vec<u8>,
    hash: Digest,
    file: String,
    resource_version: Option<u64>,
}

struct ClusterCollection<'a> {
    cluster: String,
    root: &'a Path,
    entries: BTreeMap<String, Entry>,
    skipped: BTreeMap<String, u64>,
    duplicates: u64,
    ignored: Vec<String>,
    gaps: Vec<(String, Value)>,
    audit: AuditLog,
    files: u64,
    /// What files are read into and parsed into, handed from cluster to cluster on a worker thread.
    buffers: Buffers,
}

/// A worker's read buffer and JSON tape.
#[derive(Default)]
struct Buffers {
    text: Vec<u8>,
    tape: Vec<Node>,
}

/// A read buffer grown past this is not kept for the next file.
const KEPT_BUFFER: usize = 64 << 20;
/// A tape grown past this many nodes is not kept for the next file.
const KEPT_TAPE: usize = 4 << 20;

/// Collects every cluster folder of `dir` into `sink`.
pub fn collect(dir: &Path, options: &Options, sink: &mut dyn RecordSink) -> Result<Summary, Error> {
    let entries = sorted_entries(dir).map_err(|source| Error::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut summary = Summary::default();
    let mut clusters = Vec::new();
    for path in entries {
        let name = file_name(&path);
        if name.starts_with('.') {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|source| Error::Dir {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            clusters.push((name, path));
        } else if name.ends_with(".md") || name.ends_with(".txt") {
            continue;
        } else {
            summary.stray_gaps += 1;
            sink.observe(Observation {
                source: "k8s/_".into(),
                kind: kinds::COLLECTION_GAP,
                subject: format!("_/gap/{name}"),
                body: json!({"cluster": null, "file": name, "reason": "file outside any cluster folder (expected DIR/<cluster>/…); not read"}),
            })?;
        }
    }
    if clusters.is_empty() {
        return Err(Error::NoClusters(dir.to_path_buf()));
    }
    collect_clusters(&clusters, options, sink, &mut summary)?;
    Ok(summary)
}

/// A sink that canonicalizes and hashes on the worker thread that collects a cluster.
struct Preparing(Vec<Prepared>);

impl RecordSink for Preparing {
    fn observe(&mut self, observation: Observation) -> Result<(), SinkError> {
        self.0.push(Prepared::new(observation));
        Ok(())
    }

    fn observe_prepared(&mut self, prepared: Prepared) -> Result<(), SinkError> {
        self.0.push(prepared);
        Ok(())
    }
}

fn collect_cluster(
    cluster: &str,
    path: &Path,
    options: &Options,
    buffers: &mut Buffers,
) -> (ClusterSummary, Vec<Prepared>) {
    let _span = tracing::info_span!("collect", collector = "kube-dump", cluster = %cluster).entered();
    let mut c = ClusterCollection::new(cluster, path, std::mem::take(buffers));
    c.walk(path, options);
    *buffers = std::mem::take(&mut c.buffers);
    let mut prepared = Preparing(Vec::new());
    // `Preparing` never fails.
    let summary = c.emit(&mut prepared).unwrap_or_default();
    // The cluster's records in (source, kind, subject) order: the order they are appended in.
    prepared
        .0
        .sort_by(|a, b| (&a.source, a.kind, &a.subject).cmp(&(&b.source, b.kind, &b.subject)));
    (summary, prepared.0)
}

/// Reads, parses, redacts and hashes clusters on worker threads; hands them to the sink on this
/// thread in cluster-name order, so the records do not depend on scheduling.
fn collect_clusters(
    clusters: &[(String, PathBuf)],
    options: &Options,
    sink: &mut dyn RecordSink,
    summary: &mut Summary,
) -> Result<(), Error> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, clusters.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, ClusterSummary, Vec<Prepared>)>(workers);
        for _ in 0..workers {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                let mut buffers = Buffers::default();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((cluster, path)) = clusters.get(i) else { break };
                    let (s, prepared) = collect_cluster(cluster, path, options, &mut buffers);
                    if tx.send((i, s, prepared)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, (ClusterSummary, Vec<Prepared>)> = BTreeMap::new();
        let mut emit_next = 0usize;
        for (i, s, prepared) in rx {
            waiting.insert(i, (s, prepared));
            while let Some((s, prepared)) = waiting.remove(&emit_next) {
                sink.declare_cluster(&s.cluster)?;
                for p in prepared {
                    sink.observe_prepared(p)?;
                }
                summary.clusters.push(s);
                emit_next += 1;
            }
        }
        Ok(())
    })
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        out.push(entry?.path());
    }
    out.sort();
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A member's string value (`None` when absent, not a string or escaped).
fn field<'a>(object: Option<Cursor<'_, 'a>>, name: &str) -> Option<&'a str> {
    object?.get(name)?.plain_str()
}

/// A member's string value: `Ok(None)` when absent or not a string, `Err` when it has escapes.
fn plain_field<'a>(object: Cursor<'_, 'a>, name: &str) -> Result<Option<&'a str>, ()> {
    match object.get(name) {
        Some(value) => match value.plain_str() {
            Some(s) => Ok(Some(s)),
            None if value.is_string() => Err(()),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

impl<'a> ClusterCollection<'a> {
    fn new(cluster: &str, root: &'a Path, buffers: Buffers) -> Self {
        ClusterCollection {
            cluster: cluster.to_string(),
            root,
            entries: BTreeMap::new(),
            skipped: BTreeMap::new(),
            duplicates: 0,
            ignored: Vec::new(),
            gaps: Vec::new(),
            audit: AuditLog::default(),
            files: 0,
            buffers,
        }
    }

    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    fn gap(&mut self, file: &str, reason: String, extra: Value) {
        tracing::warn!(cluster = %self.cluster, file, %reason, "collection gap");
        let mut body = json!({"cluster": self.cluster, "file": file, "reason": reason});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        let n = self.gaps.iter().filter(|(f, _)| f.starts_with(file)).count();
        let key = if n == 0 {
            file.to_string()
        } else {
            format!("{file}#{n}")
        };
        self.gaps.push((key, body));
    }

    fn walk(&mut self, dir: &Path, options: &Options) {
        let entries = match sorted_entries(dir) {
            Ok(e) => e,
            Err(e) => {
                let rel = self.rel(dir);
                self.gap(&rel, format!("cannot read directory: {}", e.kind()), Value::Null);
                return;
            }
        };
        for path in entries {
            let name = file_name(&path);
            if name.starts_with('.') {
                continue;
            }
            let rel = self.rel(&path);
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                self.gap(&rel, "cannot stat file".into(), Value::Null);
                continue;
            };
            if meta.file_type().is_symlink() {
                self.gap(&rel, "symbolic link not followed".into(), Value::Null);
            } else if meta.is_dir() {
                self.walk(&path, options);
            } else if name.ends_with(".md") || name.ends_with(".txt") {
                self.ignored.push(rel);
            } else {
                self.read_file(&path, &rel, options);
            }
        }
    }

    fn read_file(&mut self, path: &Path, rel: &str, options: &Options) {
        self.files += 1;
        let Buffers { mut text, mut tape } = std::mem::take(&mut self.buffers);
        match read_into(path, options.max_file_size, &mut text).and_then(|()| text_of(&text)) {
            Err(e) => self.gap(rel, e.to_string(), Value::Null),
            // JSON in the tape's subset goes the fast way; everything else (and what that
            // declines) through serde_json or the YAML readers.
            Ok(text) => match Tape::parse(text, tape) {
                Ok(parsed) => {
                    if !self.add_tape(&parsed, rel) {
                        self.add_documents(parse_text(text), rel);
                    }
                    tape = parsed.into_nodes();
                }
                Err(nodes) => {
                    tape = nodes;
                    self.add_documents(parse_text(text), rel);
                }
            },
        }
        if text.capacity() > KEPT_BUFFER {
            text = Vec::new();
        }
        if tape.capacity() > KEPT_TAPE {
            tape = Vec::new();
        }
        self.buffers = Buffers { text, tape };
    }

    fn add_documents(&mut self, documents: Result<Documents, DocumentError>, rel: &str) {
        match documents {
            Err(e) => self.gap(rel, e.to_string(), Value::Null),
            Ok(Documents::Lines { values, bad_lines }) => {
                let (events, others): (Vec<_>, Vec<_>) = values.into_iter().partition(|(_, v)| is_audit_event(v));
                let audit_file = !events.is_empty();
                if audit_file {
                    let mut bad = bad_lines;
                    bad.extend(others.iter().map(|(l, _)| *l));
                    bad.sort_unstable();
                    if !bad.is_empty() {
                        let shown: Vec<usize> = bad.iter().copied().take(100).collect();
                        self.gap(
                            rel,
                            format!("{} malformed line(s) in audit log skipped", bad.len()),
                            json!({"lines": shown}),
                        );
                    }
                    self.audit.add_file(rel, events, Vec::new());
                } else {
                    if !bad_lines.is_empty() {
                        let shown: Vec<usize> = bad_lines.iter().copied().take(100).collect();
                        self.gap(
                            rel,
                            format!("{} malformed JSON line(s) skipped", bad_lines.len()),
                            json!({"lines": shown}),
                        );
                    }
                    for (line, v) in others {
                        self.add_document(v, rel, line);
                    }
                }
            }
            Ok(Documents::Values(docs)) => {
                for (i, doc) in docs.into_iter().enumerate() {
                    self.add_document(doc, rel, i + 1);
                }
            }
        }
    }

    fn add_document(&mut self, doc: Value, rel: &str, position: usize) {
        if is_audit_event(&doc) {
            self.audit.add_file(rel, vec![(position, doc)], Vec::new());
            return;
        }
        let is_list = doc
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && doc.get("items").is_some_and(Value::is_array);
        let is_audit_list = is_list
            && doc
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with("audit.k8s.io/"));
        if is_audit_list {
            // Audit events are kept as logged: nothing filled in.
            if let Some(Value::Array(items)) = doc.get("items")
                && !items.is_empty()
            {
                let audit = items.iter().map(|i| (position, i.clone())).collect();
                self.audit.add_file(rel, audit, Vec::new());
            }
            return;
        }
        let doc = match into_list_items(doc) {
            Ok(items) => {
                let mut audit = Vec::new();
                for item in items {
                    if is_audit_event(&item) {
                        audit.push((position, item));
                        continue;
                    }
                    self.add_object(item, rel, position);
                }
                if !audit.is_empty() {
                    self.audit.add_file(rel, audit, Vec::new());
                }
                return;
            }
            Err(doc) => doc,
        };
        self.add_object(doc, rel, position);
    }

    /// A JSON document read onto a tape: a `…List` of objects or one object. Each object whose
    /// text shows that redaction leaves it as it is (but for `managedFields`' field sets) is
    /// written to canonical JSON from the tape; the others are parsed by serde_json and go the
    /// full way ([`Self::add_document`]'s, item by item). `false`, having added nothing, for a
    /// document the tape cannot decide on (the caller parses it whole).
    fn add_tape(&mut self, tape: &Tape, rel: &str) -> bool {
        let root = tape.root();
        if !root.is_object() || root.has_escaped_names() {
            return false;
        }
        let Ok(kind) = plain_field(root, "kind") else {
            return false;
        };
        let Some(list_kind) = kind.filter(|k| k.ends_with("List")) else {
            return self.add_tape_object(root, rel, 1);
        };
        let Some(items) = root.get("items").filter(Cursor::is_array) else {
            return self.add_tape_object(root, rel, 1);
        };
        let Ok(api_version) = plain_field(root, "apiVersion") else {
            return false;
        };
        if api_version.is_some_and(|v| v.starts_with("audit.k8s.io/")) || !items.items().all(|i| i.is_object()) {
            return false;
        }
        let list_api_version = api_version.unwrap_or("v1");
        let mut audit = Vec::new();
        for item in items.items() {
            if !self.add_tape_object(item, rel, 1) {
                let Some(mut item) = self.reparse(item, rel) else {
                    continue;
                };
                fill_list_item(&mut item, list_kind, list_api_version);
                if is_audit_event(&item) {
                    audit.push((1, item));
                } else {
                    self.add_object(item, rel, 1);
                }
            }
        }
        if !audit.is_empty() {
            self.audit.add_file(rel, audit, Vec::new());
        }
        true
    }

    /// One object from the tape; `false`, having added nothing, when it is to go the full way.
    fn add_tape_object(&mut self, obj: Cursor, rel: &str, position: usize) -> bool {
        // No escapes: every name and string on the tape is its value, so lookups are exact.
        let Some(text) = redact::Unescaped::new(obj.text()) else {
            return false;
        };
        let (Some(api_version), Some(kind)) = (field(Some(obj), "apiVersion"), field(Some(obj), "kind")) else {
            // Filled in from the list or malformed: the full way decides.
            return false;
        };
        if has_audit_event_fields(Some(kind), |member| obj.get(member).is_some()) {
            return false;
        }
        let metadata = obj.get("metadata");
        let id = selection::Identity {
            api_version: Some(api_version),
            kind: Some(kind),
            namespace: field(metadata, "namespace"),
            name: field(metadata, "name"),
        };
        let subject = match selection::classify(&self.cluster, id) {
            Class::Kept(subject) => subject,
            Class::Skipped(label) => {
                *self.skipped.entry(label).or_default() += 1;
                return true;
            }
            Class::Malformed => {
                self.not_an_object(rel, position);
                return true;
            }
        };
        let mut canonical = Vec::with_capacity(text.as_str().len());
        if !redact::changes_only_managed_fields(kind, text)
            || !obj.write_canonical(redact::DROPPED_MEMBERS, &mut canonical)
        {
            return false;
        }
        let resource_version = field(metadata, "resourceVersion").and_then(|v| v.parse().ok());
        self.keep(subject, canonical, resource_version, rel);
        true
    }

    /// An object of a tape parsed by serde_json (the text is in the subset serde_json reads, so
    /// this does not fail; if it did, the object is a gap).
    fn reparse(&mut self, obj: Cursor, rel: &str) -> Option<Value> {
        match serde_json::from_str(obj.text()) {
            Ok(value) => Some(value),
            Err(e) => {
                self.gap(
                    rel,
                    format!("an object could not be read: {}", json_error(&e)),
                    Value::Null,
                );
                None
            }
        }
    }

    fn not_an_object(&mut self, rel: &str, position: usize) {
        self.gap(
            rel,
            format!("document {position} is not a Kubernetes object (no apiVersion, kind or metadata.name); skipped"),
            json!({"document": position}),
        );
    }

    fn add_object(&mut self, obj: Value, rel: &str, position: usize) {
        let admitted = selection::admit(&self.cluster, obj).kept(&mut self.skipped);
        let (subject, body, resource_version) = match admitted {
            Ok(Some(kept)) => kept,
            Ok(None) => return,
            Err(()) => return self.not_an_object(rel, position),
        };
        self.keep(subject, to_canonical_vec(&body), resource_version, rel);
    }

    /// Keeps a redacted object's canonical body under `subject`; of two different bodies under one
    /// subject, the one with the higher resourceVersion (else from the later file) stays.
    fn keep(&mut self, subject: String, canonical: Vec<u8>, resource_version: Option<u64>, rel: &str) {
        let entry = Entry {
            hash: sha256(&canonical),
            canonical,
            file: rel.to_string(),
            resource_version,
        };
        match self.entries.get(&subject) {
            None => {
                self.entries.insert(subject, entry);
            }
            Some(old) if old.hash == entry.hash => self.duplicates += 1,
            Some(old) => {
                self.duplicates += 1;
                let keep_new = entry.resource_version > old.resource_version
                    || (entry.resource_version == old.resource_version && entry.file > old.file);
                let (kept, other) = if keep_new {
                    (&entry.file, &old.file)
                } else {
                    (&old.file, &entry.file)
                };
                let reason = format!(
                    "{subject} appears with different content in {} and {}; kept the one from {kept} (higher resourceVersion, else later file)",
                    other.min(kept),
                    other.max(kept)
                );
                let file = rel.to_string();
                if keep_new {
                    self.entries.insert(subject.clone(), entry);
                }
                self.gap(&file, reason, json!({"subject": subject}));
            }
        }
    }

    fn emit(self, sink: &mut dyn RecordSink) -> Result<ClusterSummary, SinkError> {
        let cluster = self.cluster;
        let k8s = format!("k8s/{cluster}");
        let objects = self.entries.len() as u64;
        for (subject, entry) in self.entries {
            sink.observe_prepared(Prepared {
                source: k8s.clone(),
                kind: kinds::K8S_OBJECT,
                subject,
                canonical: entry.canonical,
                hash: entry.hash,
            })?;
        }
        let audit_events = self.audit.emit(&cluster, sink)?;
        let gaps = self.gaps.len() as u64;
        for (key, body) in self.gaps {
            sink.observe(Observation {
                source: k8s.clone(),
                kind: kinds::COLLECTION_GAP,
                subject: format!("{cluster}/gap/{key}"),
                body,
            })?;
        }
        let skipped: u64 = self.skipped.values().sum();
        sink.observe(Observation {
            source: k8s,
            kind: kinds::COLLECTION_NOTE,
            subject: format!("{cluster}/note/dump"),
            body: json!({
                "cluster": cluster,
                "files": self.files,
                "objects": objects,
                "duplicates": self.duplicates,
                "skipped": self.skipped,
                "ignored_files": self.ignored,
            }),
        })?;
        Ok(ClusterSummary {
            cluster,
            files: self.files,
            objects,
            skipped,
            audit_events,
            gaps,
        })
    }
}

#[cfg(test)]
mod tests;
