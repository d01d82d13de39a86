//! The manifest side of a collection (the calling thread): reads the commit a [`Walked`] names
//! (author, committer, signature, summary) and the blobs it changed, parses each blob once (a
//! small cache keeps what a blob declares for the next commit, which sees it as its "before"),
//! redacts the declared objects and builds the `git.commit` body.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use git2::{Oid, Repository};
use serde_json::{Map, Value, json};

use super::walk::Walked;
use super::{BLOB_CACHE_LIMIT, Cache, SUMMARY_LIMIT, record_gap};
use crate::collect::document::{Documents, parse_documents};
use crate::collect::{redact, selection};
use crate::model::Timestamp;

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
        m.insert(
            "namespace".into(),
            self.namespace.clone().map_or(Value::Null, Value::String),
        );
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
    // Most commits carry none: a look at the raw header spares libgit2's two failed lookups
    // (each formats an error message).
    let header = commit.raw_header_bytes();
    let has_field = |name: &[u8]| {
        header
            .split(|&b| b == b'\n')
            .any(|line| line.strip_prefix(name).is_some_and(|rest| rest.starts_with(b" ")))
    };
    if !has_field(b"gpgsig") && !has_field(b"gpgsig-sha256") {
        return json!({"present": false, "type": null});
    }
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

/// What the evidence says about the commit itself: `repo`, `commit`, `parents`, `author`,
/// `committer`, `summary`, `signature`, `merge`.
fn commit_facts(name: &str, commit: &git2::Commit<'_>) -> Map<String, Value> {
    let parents = commit.parent_ids().map(|p| Value::String(p.to_string())).collect();
    let mut facts = Map::new();
    facts.insert("repo".into(), Value::from(name));
    facts.insert("commit".into(), Value::String(commit.id().to_string()));
    facts.insert("parents".into(), Value::Array(parents));
    facts.insert("author".into(), person(&commit.author()));
    facts.insert("committer".into(), person(&commit.committer()));
    facts.insert("summary".into(), Value::String(first_line(commit)));
    facts.insert("signature".into(), signature(commit));
    facts.insert("merge".into(), Value::Bool(commit.parent_count() > 1));
    facts
}

pub(super) struct Reader<'a> {
    pub(super) repo: &'a Repository,
    pub(super) name: &'a str,
    pub(super) clusters: BTreeSet<String>,
    pub(super) max_blob: u64,
    blobs: Cache<Rc<Parsed>>,
    pub(super) gaps: &'a mut BTreeMap<String, Value>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(
        repo: &'a Repository,
        name: &'a str,
        clusters: BTreeSet<String>,
        max_blob: u64,
        gaps: &'a mut BTreeMap<String, Value>,
    ) -> Self {
        Reader {
            repo,
            name,
            clusters,
            max_blob,
            blobs: Cache::new(BLOB_CACHE_LIMIT),
            gaps,
        }
    }

    /// What blob `id` declares, from the cache when `manifests` are not wanted; with them, the
    /// blob is parsed (again): the cache keeps no manifests, they move into the evidence.
    /// `content` is the blob as the walk read it (within the size limit), if it did.
    fn parse_blob(&mut self, id: Oid, manifests: bool, content: Option<Vec<u8>>) -> (Rc<Parsed>, Manifests) {
        if !manifests && let Some(p) = self.blobs.get(&id) {
            return (p, Vec::new());
        }
        let error = |error: String| {
            let objects = Vec::new();
            (
                Parsed {
                    objects,
                    error: Some(error),
                },
                Vec::new(),
            )
        };
        let (parsed, manifests) = match content {
            Some(content) => parse_manifest(&content),
            None => match self.repo.find_blob(id) {
                Err(e) => error(format!("cannot read blob {id}: {}", e.message())),
                Ok(blob) if blob.size() as u64 > self.max_blob => error(format!(
                    "file is {} bytes, over the {}-byte limit",
                    blob.size(),
                    self.max_blob
                )),
                Ok(blob) => parse_manifest(blob.content()),
            },
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

    /// The `git.commit` body, or `None` when no changed file declares a kept object.
    pub(super) fn body(&mut self, walked: Walked) -> Option<Value> {
        let Walked {
            id,
            changes,
            new_contents,
        } = walked;
        let facts = match self.repo.find_commit(id) {
            Ok(commit) => commit_facts(self.name, &commit),
            Err(e) => {
                let reason = format!("cannot read commit: {}", e.message());
                record_gap(self.gaps, self.name, id, None, reason);
                return None;
            }
        };
        let mut files = Vec::new();
        for (change, content) in changes.into_iter().zip(new_contents) {
            let before = change.old.map(|b| self.parse_blob(b, false, None).0);
            let (after, manifests) = match change.new {
                Some(b) => {
                    let (parsed, manifests) = self.parse_blob(b, true, content);
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
                record_gap(self.gaps, self.name, id, Some(&change.path), reason.clone());
            }
            let kind = match (&change.old_path, change.old, change.new) {
                (Some(_), _, _) => "renamed",
                (None, None, _) => "added",
                (None, _, None) => "deleted",
                (None, Some(_), Some(_)) => "modified",
            };
            let after_json = objects_after.iter().map(|o| Value::Object(o.reference())).collect();
            let secrets: BTreeSet<String> = objects_after
                .iter()
                .filter(|o| o.plain_secret)
                .map(Declared::qualified_name)
                .collect();
            let mut file = Map::new();
            file.insert("path".into(), Value::String(change.path.clone()));
            file.insert("old_path".into(), change.old_path.map_or(Value::Null, Value::String));
            file.insert("change".into(), Value::from(kind));
            file.insert(
                "cluster".into(),
                self.cluster_of(&change.path).map_or(Value::Null, Value::String),
            );
            let before_json = objects_before.iter().map(|o| Value::Object(o.reference())).collect();
            file.insert("objects_before".into(), Value::Array(before_json));
            file.insert("objects_after".into(), Value::Array(after_json));
            file.insert("secrets".into(), secrets.into_iter().map(Value::String).collect());
            file.insert("parse_error".into(), after_error.map_or(Value::Null, Value::String));
            // Every string is scrubbed; the manifests were, by `redact_object`, and join after.
            let mut file = Value::Object(file);
            redact::scrub(&mut file);
            if let Some(Value::Array(objects)) = file.get_mut("objects_after") {
                for (object, manifest) in objects.iter_mut().zip(manifests) {
                    if let Some(object) = object.as_object_mut() {
                        object.insert("manifest".into(), manifest);
                    }
                }
            }
            files.push(file);
        }
        if files.is_empty() {
            return None;
        }
        let mut body = Value::Object(facts);
        redact::scrub(&mut body);
        if let Some(body) = body.as_object_mut() {
            body.insert("files".into(), Value::Array(files));
        }
        Some(body)
    }
}
