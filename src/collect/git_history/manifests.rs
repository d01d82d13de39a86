//! The manifest side of a collection (the calling thread): reads the facts of the commit a
//! [`Walked`] names (author, committer, signature, summary) and the blobs it changed, parses each
//! blob once (a small cache keeps what a blob declares for the next commit, which sees it as its
//! "before"), redacts the declared objects and builds the `git.commit` body.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use git2::{Oid, Repository};
use serde_json::{Map, Value, json};

use super::walk::{CommitLines, Walked};
use super::{BLOB_CACHE_LIMIT, Cache, SUMMARY_LIMIT, record_gap};
use crate::collect::document::{Documents, into_list_items, parse_documents};
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
    match into_list_items(doc) {
        Ok(items) => items.into_iter().for_each(|item| declared_object(item, out)),
        Err(doc) => declared_object(doc, out),
    }
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
fn times(seconds: i64, offset_minutes: i32) -> (Value, Value) {
    let utc = Timestamp::from_unix(seconds);
    let local = FixedOffset::east_opt(offset_minutes.saturating_mul(60))
        .zip(DateTime::from_timestamp(seconds, 0))
        .map(|(offset, t)| t.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::Secs, false));
    (
        local.map_or(Value::Null, Value::String),
        utc.map_or(Value::Null, |t| Value::String(t.to_rfc3339())),
    )
}

/// A commit's author or committer.
struct Person<'c> {
    name: &'c [u8],
    email: &'c [u8],
    seconds: i64,
    offset_minutes: i32,
}

impl Person<'_> {
    fn of(sig: &git2::Signature<'_>) -> Value {
        Person {
            name: sig.name_bytes(),
            email: sig.email_bytes(),
            seconds: sig.when().seconds(),
            offset_minutes: sig.when().offset_minutes(),
        }
        .json()
    }

    fn json(&self) -> Value {
        let (time, time_utc) = times(self.seconds, self.offset_minutes);
        json!({
            "name": String::from_utf8_lossy(self.name),
            "email": String::from_utf8_lossy(self.email),
            "time": time,
            "time_utc": time_utc,
        })
    }
}

/// libgit2's `git_commit__header_field` on a raw commit header: the value of the first `field`
/// line, its continuation lines (starting with a space) joined by newlines without that space;
/// `None` when there is none or a continuation line is not ended by a newline.
fn header_field(header: &[u8], field: &[u8]) -> Option<Vec<u8>> {
    let mut rest = header;
    while let Some(eol) = rest.iter().position(|&b| b == b'\n') {
        let (line, after) = (&rest[..eol], &rest[eol + 1..]);
        if let Some(value) = line.strip_prefix(field).and_then(|r| r.strip_prefix(b" ")) {
            let mut out = value.to_vec();
            let mut next = after;
            while next.first() == Some(&b' ') {
                let eol = next.iter().position(|&b| b == b'\n')?;
                out.push(b'\n');
                out.extend_from_slice(&next[1..eol]);
                next = &next[eol + 1..];
            }
            return Some(out);
        }
        rest = after;
    }
    None
}

/// Whether and how a commit is signed, from its raw header: the `gpgsig` field, else
/// `gpgsig-sha256`, and the kind of signature block it holds (not verified).
fn signature(header: &[u8]) -> Value {
    let Some(field) = header_field(header, b"gpgsig").or_else(|| header_field(header, b"gpgsig-sha256")) else {
        return json!({"present": false, "type": null});
    };
    let text = String::from_utf8_lossy(&field);
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

/// The first non-blank line of a commit message, at most [`SUMMARY_LIMIT`] characters.
fn first_line(message: &[u8]) -> String {
    let message = String::from_utf8_lossy(message);
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
struct Facts {
    parents: Vec<Value>,
    author: Value,
    committer: Value,
    summary: String,
    signature: Value,
}

impl Facts {
    fn of(commit: &git2::Commit<'_>) -> Facts {
        Facts {
            parents: commit.parent_ids().map(|p| Value::String(p.to_string())).collect(),
            author: Person::of(&commit.author()),
            committer: Person::of(&commit.committer()),
            summary: first_line(commit.message_bytes()),
            signature: signature(commit.raw_header_bytes()),
        }
    }

    fn into_map(self, repo: &str, id: Oid) -> Map<String, Value> {
        let merge = self.parents.len() > 1;
        let mut facts = Map::new();
        facts.insert("repo".into(), Value::from(repo));
        facts.insert("commit".into(), Value::String(id.to_string()));
        facts.insert("parents".into(), Value::Array(self.parents));
        facts.insert("author".into(), self.author);
        facts.insert("committer".into(), self.committer);
        facts.insert("summary".into(), Value::String(self.summary));
        facts.insert("signature".into(), self.signature);
        facts.insert("merge".into(), Value::Bool(merge));
        facts
    }
}

/// libgit2's `is_crud`: what it trims from both ends of a name or e-mail.
fn is_crud(b: u8) -> bool {
    b <= b' ' || matches!(b, b',' | b':' | b';' | b'<' | b'>' | b'"' | b'\\' | b'\'')
}

fn trim_crud(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_crud(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && is_crud(*last)
    {
        s = rest;
    }
    s
}

/// An author or committer line (after its `author `/`committer ` prefix) as libgit2's
/// `git_signature__parse` reads it, when it has the usual `name <email> seconds ±hhmm` end;
/// `None` for anything else.
fn raw_person(line: &[u8]) -> Option<Person<'_>> {
    let lt = line.iter().rposition(|&b| b == b'<')?;
    let gt = line.iter().rposition(|&b| b == b'>')?;
    if gt <= lt {
        return None;
    }
    let tail = line[gt + 1..].strip_prefix(b" ")?;
    let space = tail.iter().rposition(|&b| b == b' ')?;
    let (seconds, zone) = (&tail[..space], &tail[space + 1..]);
    if seconds.is_empty() || seconds.len() > 18 || !seconds.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seconds: i64 = std::str::from_utf8(seconds).ok()?.parse().ok()?;
    let (&sign, digits) = zone.split_first()?;
    if !matches!(sign, b'+' | b'-') || digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let offset: i32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let (hours, mins) = (offset / 100, offset % 100);
    // libgit2 keeps no offset past +/-14:59 (and 0 then).
    let minutes = if hours <= 14 && mins <= 59 {
        hours * 60 + mins
    } else {
        0
    };
    Some(Person {
        name: trim_crud(&line[..lt]),
        email: trim_crud(&line[lt + 1..gt]),
        seconds,
        offset_minutes: if sign == b'-' { -minutes } else { minutes },
    })
}

/// [`Facts::of`] from the raw commit object, read as libgit2 reads it, for commits of the usual
/// shape (`tree`, `parent`s, one `author`, `committer`, other fields, a blank line, the message)
/// without a NUL byte; `None` for the rest, which libgit2 reads.
fn raw_facts(data: &[u8]) -> Option<Facts> {
    if data.contains(&0) {
        return None;
    }
    // The header ends at the first blank line; without one, all of it is header.
    let (header, message) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..=at], &data[at + 2..]),
        None => (data, &b""[..]),
    };
    let lines = CommitLines::parse(header)?;
    let author = raw_person(lines.author)?;
    let committer = raw_person(lines.committer)?;
    let parents = lines.parents.iter().map(|p| Value::String(p.to_string())).collect();
    Some(Facts {
        parents,
        author: author.json(),
        committer: committer.json(),
        summary: first_line(message),
        signature: signature(header),
    })
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
            raw_commit,
        } = walked;
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
        // The commit itself is read only when it is evidence.
        let facts = match raw_commit.and_then(|raw| raw_facts(&raw)) {
            Some(facts) => facts.into_map(self.name, id),
            None => match self.repo.find_commit(id) {
                Ok(commit) => Facts::of(&commit).into_map(self.name, id),
                Err(e) => {
                    let reason = format!("cannot read commit: {}", e.message());
                    record_gap(self.gaps, self.name, id, None, reason);
                    return None;
                }
            },
        };
        let mut body = Value::Object(facts);
        redact::scrub(&mut body);
        if let Some(body) = body.as_object_mut() {
            body.insert("files".into(), Value::Array(files));
        }
        Some(body)
    }
}

#[cfg(test)]
mod tests {
    use git2::{ObjectType, Repository};

    use super::*;

    /// What libgit2's own header lookup says of a commit's signature.
    fn libgit2_signature(commit: &git2::Commit<'_>) -> Value {
        let field = commit
            .header_field_bytes("gpgsig")
            .or_else(|_| commit.header_field_bytes("gpgsig-sha256"));
        let Ok(buf) = field else {
            return json!({"present": false, "type": null});
        };
        let text = String::from_utf8_lossy(&buf);
        let kind = [
            ("BEGIN PGP SIGNATURE", "gpg"),
            ("BEGIN SSH SIGNATURE", "ssh"),
            ("BEGIN SIGNED MESSAGE", "x509"),
            ("BEGIN PKCS7", "x509"),
        ]
        .iter()
        .find(|(marker, _)| text.contains(marker))
        .map_or("unknown", |(_, kind)| kind);
        json!({"present": true, "type": kind})
    }

    /// Raw commit objects of every shape the fast path might meet, written to a real object
    /// database; wherever the fast path answers, libgit2 reads the commit and its facts are equal.
    #[test]
    fn raw_commit_facts_are_libgit2s() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let names = [
            "Alice Example",
            "",
            " Bob ",
            "Carol,",
            "\"Dan\"",
            "Eve <x",
            "Frank>",
            "Grace\\",
            "Hé Ünïcode",
            "tab\there",
            "O'Brien",
            ";semi;",
            "a<b>c",
            "  ",
            "Zoë\u{a0}",
        ];
        let emails = ["alice@example.com", "", " spaced@x ", "<nested>", "a>b", "x@y;", "é@ü"];
        let times = [
            "1780000000",
            "0",
            "99999999999",
            "-5",
            "12a",
            "",
            "000123",
            "9999999999999999999",
        ];
        let zones = [
            "+0000", "-0000", "+0130", "-0800", "+1459", "+1500", "+9999", "+0060", "0100", "+01", "+01000", "",
            "+0x00", "-1400", "+0000\r",
        ];
        let gaps = [" ", "", "  ", "\t"];
        let extras = [
            "",
            "encoding ISO-8859-1\n",
            "gpgsig -----BEGIN PGP SIGNATURE-----\n abc\n -----END PGP SIGNATURE-----\n",
            "gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n abc\n",
            "mergetag object 0123\n type commit\n",
            "gpgsigx notasignature\n",
            "gpgsig -----BEGIN SIGNED MESSAGE-----\n x\n",
            "gpgsig -----BEGIN PKCS7-----\n",
            "gpgsig something else\n",
            "gpgsig\n",
            "gpgsig  two spaces BEGIN SSH SIGNATURE\n",
            "gpgsig-sha256 -----BEGIN PGP SIGNATURE-----\ngpgsig -----BEGIN SSH SIGNATURE-----\n",
            "gpgsig first\ngpgsig -----BEGIN PGP SIGNATURE-----\n",
            "mergetag object 0123\n gpgsig -----BEGIN PGP SIGNATURE-----\n",
            "gpgsig -----BEGIN\n PGP SIGNATURE-----\n",
            "gpgsig \u{e9}\u{ff}BEGIN SSH SIGNATURE\n",
            "gpgsig -----BEGIN PGP SIGNATURE-----\n unterminated",
        ];
        let messages = [
            "\nSummary line\n\nBody\n",
            "\n\n\n  Indented summary  \r\nrest",
            "",
            "\n",
            "\n\u{a0}\nafter a no-break space\n",
            "\nnul\0byte\n",
            "\n\u{3000}ideographic space first\n",
            "\n\t \r\n\u{85}next line\n",
        ];
        let tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        let parent_sets: [&[&str]; 4] = [
            &[],
            &["1111111111111111111111111111111111111111"],
            &[
                "1111111111111111111111111111111111111111",
                "2222222222222222222222222222222222222222",
            ],
            &["ABCDEF1111111111111111111111111111111111"],
        ];
        // A small linear congruential generator: the same cases on every run.
        let mut state: u64 = 0x5eed;
        let mut pick = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let (mut fast, mut cases) = (0, 0);
        for _ in 0..4000 {
            let person = |pick: &mut dyn FnMut(usize) -> usize| {
                format!(
                    "{} <{}>{}{} {}",
                    names[pick(names.len())],
                    emails[pick(emails.len())],
                    // The usual separator, time and zone (index 0) half of the time.
                    gaps[pick(2) * pick(gaps.len())],
                    times[pick(2) * pick(times.len())],
                    zones[pick(2) * pick(zones.len())]
                )
            };
            let mut raw = format!("tree {tree}\n");
            for p in parent_sets[pick(parent_sets.len())] {
                raw.push_str(&format!("parent {p}\n"));
            }
            if pick(20) == 0 {
                raw.push_str("parent not-an-id\n");
            }
            raw.push_str(&format!("author {}\n", person(&mut pick)));
            if pick(20) == 0 {
                raw.push_str(&format!("author {}\n", person(&mut pick)));
            }
            raw.push_str(&format!("committer {}\n", person(&mut pick)));
            raw.push_str(extras[pick(extras.len())]);
            raw.push_str(messages[pick(messages.len())]);
            let id = odb.write(ObjectType::Commit, raw.as_bytes()).unwrap();
            cases += 1;
            let ours = raw_facts(raw.as_bytes()).map(|f| f.into_map("gitops", id));
            let theirs = repo.find_commit(id).map(|c| Facts::of(&c).into_map("gitops", id));
            if let Some(ours) = ours {
                fast += 1;
                assert_eq!(Some(&ours), theirs.as_ref().ok(), "{raw:?}");
            }
            if let Ok(commit) = repo.find_commit(id) {
                assert_eq!(
                    signature(commit.raw_header_bytes()),
                    libgit2_signature(&commit),
                    "{raw:?}"
                );
            }
        }
        // The usual shapes do take the fast path.
        assert!(fast >= 200, "{fast} of {cases}");
        let usual =
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0100\ncommitter B <b@x> 2 -0230\n\nm\n";
        assert!(raw_facts(usual.as_bytes()).is_some());
    }
}
