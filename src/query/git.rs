//! Reading `git.commit` bodies into [`Commit`]: who authored and committed a change, when, and
//! which manifest objects each file declared before and after.
//!
//! Body shape: `{"repo","commit","parents","author":{"name","email","time","time_utc"},
//! "committer":{…},"summary","signature":{"present","type"},"merge","files":[{"path","old_path",
//! "change","cluster","objects_before":[{"apiVersion","kind","namespace","name"}],
//! "objects_after":[…]}]}`. Missing fields read as absent, never as errors.

use serde_json::Value;

use crate::model::{Evidence, EvidenceSet, Timestamp, kinds};

/// An author or committer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person<'a> {
    /// Name.
    pub name: Option<&'a str>,
    /// E-mail address.
    pub email: Option<&'a str>,
    /// When (UTC).
    pub time: Option<Timestamp>,
}

impl Person<'_> {
    fn parse(v: Option<&Value>) -> Person<'_> {
        let s = |k: &str| {
            v.and_then(|v| v.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let time = ["time_utc", "time"].iter().find_map(|k| {
            let t = v.and_then(|v| v.get(*k))?;
            match t {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_i64().and_then(Timestamp::from_unix),
                _ => None,
            }
        });
        Person {
            name: s("name"),
            email: s("email"),
            time,
        }
    }

    /// `Name <email>`, or whichever part is known; `None` when neither is.
    pub fn display(&self) -> Option<String> {
        match (self.name, self.email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (Some(n), None) => Some(n.to_string()),
            (None, Some(e)) => Some(format!("<{e}>")),
            (None, None) => None,
        }
    }

    /// Same name and e-mail.
    pub fn same_identity(&self, other: &Person<'_>) -> bool {
        self.name == other.name && self.email == other.email
    }
}

/// One object a manifest declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestObject<'a> {
    /// `apiVersion`.
    pub api_version: Option<&'a str>,
    /// Kind.
    pub kind: &'a str,
    /// Namespace, when the manifest sets one.
    pub namespace: Option<&'a str>,
    /// Name.
    pub name: &'a str,
}

/// One file a commit changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange<'a> {
    /// Path after the change.
    pub path: &'a str,
    /// Path before a rename.
    pub old_path: Option<&'a str>,
    /// `added`, `modified`, `deleted` or `renamed`.
    pub change: &'a str,
    /// The cluster the file applies to, when the collector could tell.
    pub cluster: Option<&'a str>,
    /// Objects declared before the change.
    pub objects_before: Vec<ManifestObject<'a>>,
    /// Objects declared after it.
    pub objects_after: Vec<ManifestObject<'a>>,
}

/// One commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit<'a> {
    /// The record.
    pub record: &'a Evidence,
    /// Repository name.
    pub repo: &'a str,
    /// Commit hash.
    pub sha: &'a str,
    /// Author.
    pub author: Person<'a>,
    /// Committer.
    pub committer: Person<'a>,
    /// First line of the message.
    pub summary: Option<&'a str>,
    /// Whether it carries a signature.
    pub signed: bool,
    /// Whether it is a merge.
    pub merge: bool,
    /// Files changed.
    pub files: Vec<FileChange<'a>>,
}

fn objects(v: Option<&Value>) -> Vec<ManifestObject<'_>> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let s = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            Some(ManifestObject {
                api_version: s("apiVersion"),
                kind: s("kind")?,
                namespace: s("namespace"),
                name: s("name")?,
            })
        })
        .collect()
}

impl<'a> Commit<'a> {
    /// Reads a `git.commit` record; `None` for other kinds.
    pub fn parse(record: &'a Evidence) -> Option<Commit<'a>> {
        if record.kind != kinds::GIT_COMMIT {
            return None;
        }
        let b = record.body();
        let s = |k: &str| b.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let mut parts = record.subject.split('/');
        let repo = s("repo").or_else(|| parts.nth(1)).unwrap_or_default();
        let sha = s("commit")
            .or_else(|| record.subject.rsplit('/').next())
            .unwrap_or_default();
        let files = b
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| {
                let s = |k: &str| f.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
                Some(FileChange {
                    path: s("path")?,
                    old_path: s("old_path"),
                    change: s("change").unwrap_or("modified"),
                    cluster: s("cluster"),
                    objects_before: objects(f.get("objects_before")),
                    objects_after: objects(f.get("objects_after")),
                })
            })
            .collect();
        Some(Commit {
            record,
            repo,
            sha,
            author: Person::parse(b.get("author")),
            committer: Person::parse(b.get("committer")),
            summary: s("summary"),
            signed: b
                .pointer("/signature/present")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            merge: b.get("merge").and_then(Value::as_bool).unwrap_or(false)
                || b.get("parents").and_then(Value::as_array).is_some_and(|p| p.len() > 1),
            files,
        })
    }

    /// When the commit entered the repository: committer time, else author time.
    pub fn time(&self) -> Option<Timestamp> {
        self.committer.time.or(self.author.time)
    }
}

/// Every commit of the set, ordered by time (unknown last), then hash.
pub fn commits(set: &EvidenceSet) -> Vec<Commit<'_>> {
    let mut out: Vec<Commit<'_>> = set.of_kind(kinds::GIT_COMMIT).filter_map(Commit::parse).collect();
    out.sort_by(|a, b| {
        (a.time().is_none(), a.time(), a.sha, a.record.seq).cmp(&(b.time().is_none(), b.time(), b.sha, b.record.seq))
    });
    out
}
