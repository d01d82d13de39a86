//! [`EvidenceSet`]: the immutable, in-memory view of one scan that analyses and queries read.
//!
//! The store builds it (`Store::evidence_set`); analyses only ever see this type, so they stay
//! pure: no SQL, no files, no clock. It holds the scan's view (snapshot objects, history records
//! such as audit events and git commits, the scan's own bookkeeping records) with parsed bodies,
//! indexed by record kind, by cluster, by subject and, for Kubernetes objects, by object kind.
//! Building the indexes is one pass over the records.
//!
//! It deliberately does not interpret bodies beyond what indexing needs: the subject of a
//! `k8s.object` (`cluster/namespace/Kind/name`), the cluster of an `audit.event`, and the file
//! clusters of a `git.commit`.
//!
//! Main types: [`EvidenceSet`], [`Evidence`] (one record with its body) and [`RecordRef`] (the
//! `{seq, hash}` citation every answer carries).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Digest, Timestamp, kinds};

/// A citation of one record: its sequence number and record hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct RecordRef {
    /// Position in the chain.
    pub seq: u64,
    /// The record hash (`meshproof evidence show <seq>` shows the same).
    pub hash: Digest,
}

/// One record of the view, with its body.
///
/// A body loaded from the store is kept as its compact JSON text and parsed on first use
/// ([`Evidence::body`]); most records of a large scan (ServiceAccounts, DestinationRules, …) are
/// never read by any analysis, and a parsed `Value` costs about ten times its text.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Position in the chain.
    pub seq: u64,
    /// The record hash.
    pub hash: Digest,
    /// Record kind (see [`kinds`]).
    pub kind: String,
    /// Where it came from (`k8s/<cluster>`, `audit/<cluster>`, `git/<repo>`).
    pub source: String,
    /// Stable key of what it is about.
    pub subject: String,
    /// The body's JSON text, when it was loaded as text and not yet needed as a tree.
    text: Option<Box<str>>,
    /// The (redacted) body, parsed.
    parsed: OnceLock<Value>,
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
            && self.hash == other.hash
            && self.kind == other.kind
            && self.source == other.source
            && self.subject == other.subject
            && self.body() == other.body()
    }
}

impl Evidence {
    /// A record with a parsed body.
    pub fn new(
        seq: u64,
        hash: Digest,
        kind: impl Into<String>,
        source: impl Into<String>,
        subject: impl Into<String>,
        body: Value,
    ) -> Evidence {
        Evidence {
            seq,
            hash,
            kind: kind.into(),
            source: source.into(),
            subject: subject.into(),
            text: None,
            parsed: OnceLock::from(body),
        }
    }

    /// A record whose body is JSON text, parsed on first use. The caller has checked that the
    /// text is JSON (the store does when it loads a scan); text that is not reads as `null`.
    pub fn from_json_text(
        seq: u64,
        hash: Digest,
        kind: impl Into<String>,
        source: impl Into<String>,
        subject: impl Into<String>,
        text: Box<str>,
    ) -> Evidence {
        Evidence {
            seq,
            hash,
            kind: kind.into(),
            source: source.into(),
            subject: subject.into(),
            text: Some(text),
            parsed: OnceLock::new(),
        }
    }

    /// The (redacted) body.
    pub fn body(&self) -> &Value {
        self.parsed.get_or_init(|| {
            self.text
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null)
        })
    }

    /// The body, parsed for this use only when it is still text (not kept): for passes that
    /// read many records once and keep nothing borrowed from them.
    pub fn parsed_body(&self) -> Cow<'_, Value> {
        match (&self.text, self.parsed.get()) {
            (Some(text), None) => Cow::Owned(serde_json::from_str(text).unwrap_or(Value::Null)),
            _ => Cow::Borrowed(self.body()),
        }
    }

    /// The body as `T`, borrowing strings from the JSON text when it is still text (nothing is
    /// kept parsed), from the parsed body otherwise. Falls back to the parsed body when the text
    /// does not read as `T` borrowed (a string with escapes cannot be borrowed); `None` when the
    /// body is not a `T`. For passes over many objects that need a few typed fields.
    pub fn read<'a, T: serde::Deserialize<'a>>(&'a self) -> Option<T> {
        if let (Some(text), None) = (&self.text, self.parsed.get())
            && let Ok(value) = serde_json::from_str::<T>(text)
        {
            return Some(value);
        }
        T::deserialize(self.body()).ok()
    }

    /// The body, for changing it (test fixtures).
    pub fn body_mut(&mut self) -> &mut Value {
        self.body();
        self.text = None;
        self.parsed
            .get_mut()
            .unwrap_or_else(|| unreachable!("body() initialised it"))
    }

    /// Whether the body's JSON text may contain `needle` (a cheap pre-filter before parsing:
    /// `false` only when the text is known and does not contain it). `needle` must be free of
    /// characters JSON escapes.
    pub fn may_contain(&self, needle: &str) -> bool {
        match (&self.text, self.parsed.get()) {
            (Some(text), None) => text.contains(needle),
            _ => true,
        }
    }

    /// The `{seq, hash}` citation of this record.
    pub fn reference(&self) -> RecordRef {
        RecordRef {
            seq: self.seq,
            hash: self.hash,
        }
    }

    /// For a `k8s.object`, its subject split into parts.
    pub fn object_key(&self) -> Option<ObjectKey<'_>> {
        if self.kind != kinds::K8S_OBJECT {
            return None;
        }
        ObjectKey::parse(&self.subject)
    }

    /// A string field of the body by JSON pointer (`/metadata/name`).
    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        super::pointer(self.body(), pointer).and_then(Value::as_str)
    }

    /// Like [`str_at`](Self::str_at), without parsing the whole body when it is still text: the
    /// text is scanned for that one field. For passes over every object that read a field or two
    /// (timestamps, labels), so the bodies nobody else needs stay unparsed.
    pub fn peek_str(&self, pointer: &str) -> Option<Cow<'_, str>> {
        match (&self.text, self.parsed.get()) {
            (Some(text), None) => {
                let tokens: Vec<Cow<'_, str>> = pointer
                    .split('/')
                    .skip(1)
                    .map(|t| match t.contains('~') {
                        true => Cow::Owned(t.replace("~1", "/").replace("~0", "~")),
                        false => Cow::Borrowed(t),
                    })
                    .collect();
                if !pointer.is_empty() && !pointer.starts_with('/') {
                    return None;
                }
                let mut de = serde_json::Deserializer::from_str(text);
                PointerSeed(&tokens).deserialize(&mut de).ok().flatten()
            }
            _ => self.str_at(pointer).map(Cow::Borrowed),
        }
    }
}

/// Finds the string at a JSON pointer (unescaped tokens) while deserializing, skipping the rest.
struct PointerSeed<'p>(&'p [Cow<'p, str>]);

impl<'de> DeserializeSeed<'de> for PointerSeed<'_> {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Whether a map key equals the wanted token.
struct KeyIs<'p>(&'p str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

impl<'de> Visitor<'de> for PointerSeed<'_> {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then_some(Cow::Borrowed(v)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| Cow::Owned(v.to_string())))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(hit) = match self.0.split_first() {
            Some((first, _)) => map.next_key_seed(KeyIs(first))?,
            None => map.next_key::<IgnoredAny>()?.map(|_| false),
        } {
            if hit && found.is_none() {
                found = map.next_value_seed(PointerSeed(self.0.get(1..).unwrap_or_default()))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = self.0.first().and_then(|t| t.parse::<usize>().ok());
        let mut found = None;
        let mut i = 0;
        loop {
            if Some(i) == wanted {
                match seq.next_element_seed(PointerSeed(self.0.get(1..).unwrap_or_default()))? {
                    Some(v) => found = v,
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(found)
    }
}

/// The parts of a Kubernetes object subject `cluster/namespace/Kind/name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey<'a> {
    /// Cluster the object was collected from.
    pub cluster: &'a str,
    /// Namespace; `None` for cluster-scoped objects (`_cluster` in the subject).
    pub namespace: Option<&'a str>,
    /// Kind as written in subjects (`Gateway.networking.istio.io` where kinds collide).
    pub kind: &'a str,
    /// Object name.
    pub name: &'a str,
}

impl<'a> ObjectKey<'a> {
    /// Splits a subject; `None` when it does not have four parts.
    pub fn parse(subject: &'a str) -> Option<ObjectKey<'a>> {
        let mut parts = subject.splitn(4, '/');
        let cluster = parts.next()?;
        let namespace = parts.next()?;
        let kind = parts.next()?;
        let name = parts.next()?;
        if cluster.is_empty() || kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(ObjectKey {
            cluster,
            namespace: (namespace != "_cluster" && !namespace.is_empty()).then_some(namespace),
            kind,
            name,
        })
    }
}

/// The part of a scan's view a query reads, so it can load just that (`Store::evidence_subset`)
/// instead of the whole scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewSubset {
    /// Subject kinds of the `k8s.object` records (`Secret`, `KubernetesCluster`, …).
    pub object_kinds: &'static [&'static str],
    /// Other record kinds: history kinds (latest record per subject) and per-scan kinds.
    pub record_kinds: &'static [&'static str],
}

/// The view of one scan, in memory, indexed. Immutable once built.
#[derive(Debug, Clone)]
pub struct EvidenceSet {
    scan: u64,
    collected_at: Timestamp,
    records: Vec<Evidence>,
    by_kind: BTreeMap<String, Vec<usize>>,
    by_cluster: BTreeMap<String, Vec<usize>>,
    by_object_kind: BTreeMap<String, Vec<usize>>,
    /// Indexes of the latest record per (kind, subject), sorted by (kind, subject): looked up by
    /// binary search, so the index does not copy every subject.
    by_subject: Vec<usize>,
}

impl EvidenceSet {
    /// Builds the set and its indexes from a scan's records (any order; kept in `seq` order).
    pub fn new(scan: u64, collected_at: Timestamp, mut records: Vec<Evidence>) -> EvidenceSet {
        records.sort_by_key(|r| r.seq);
        records.dedup_by_key(|r| r.seq);
        let mut set = EvidenceSet {
            scan,
            collected_at,
            records: Vec::new(),
            by_kind: BTreeMap::new(),
            by_cluster: BTreeMap::new(),
            by_object_kind: BTreeMap::new(),
            by_subject: Vec::new(),
        };
        for (i, r) in records.iter().enumerate() {
            match set.by_kind.get_mut(r.kind.as_str()) {
                Some(list) => list.push(i),
                None => {
                    set.by_kind.insert(r.kind.clone(), vec![i]);
                }
            }
            for cluster in record_clusters(r) {
                let list = set.by_cluster.entry(cluster).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            if let Some(key) = r.object_key() {
                match set.by_object_kind.get_mut(key.kind) {
                    Some(list) => list.push(i),
                    None => {
                        set.by_object_kind.insert(key.kind.to_string(), vec![i]);
                    }
                }
            }
        }
        // The latest record per (kind, subject) wins: sort by key, then seq descending, and keep
        // the first of each key.
        let key = |i: usize| records.get(i).map(|r| (r.kind.as_str(), r.subject.as_str()));
        let mut by_subject: Vec<usize> = (0..records.len()).collect();
        by_subject.sort_by(|&a, &b| key(a).cmp(&key(b)).then(b.cmp(&a)));
        by_subject.dedup_by(|later, kept| key(*later) == key(*kept));
        set.by_subject = by_subject;
        set.records = records;
        set
    }

    /// The scan number.
    pub fn scan(&self) -> u64 {
        self.scan
    }

    /// When the scan was collected.
    pub fn collected_at(&self) -> Timestamp {
        self.collected_at
    }

    /// Every record, in sequence order.
    pub fn records(&self) -> &[Evidence] {
        &self.records
    }

    /// How many bodies have been parsed (and are kept parsed), per object kind or record kind,
    /// with the length of their JSON text: for tuning, since a parsed body costs about ten times
    /// its text.
    pub fn parsed_bodies(&self) -> BTreeMap<&str, (usize, usize)> {
        let mut out: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for r in &self.records {
            if let (Some(text), Some(_)) = (&r.text, r.parsed.get()) {
                let kind = r.object_key().map_or(r.kind.as_str(), |k| k.kind);
                let e = out.entry(kind).or_default();
                e.0 += 1;
                e.1 += text.len();
            }
        }
        out
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the set holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn pick<'s>(&'s self, idx: Option<&'s Vec<usize>>) -> impl Iterator<Item = &'s Evidence> + 's {
        idx.into_iter().flatten().filter_map(|&i| self.records.get(i))
    }

    /// Records of one kind (`k8s.object`, `audit.event`, `git.commit`, …), in sequence order.
    pub fn of_kind<'s>(&'s self, kind: &str) -> impl Iterator<Item = &'s Evidence> + 's {
        self.pick(self.by_kind.get(kind))
    }

    /// Records about one cluster (its objects, its audit events, commits touching its files).
    pub fn in_cluster<'s>(&'s self, cluster: &str) -> impl Iterator<Item = &'s Evidence> + 's {
        self.pick(self.by_cluster.get(cluster))
    }

    /// Every cluster named by a record, sorted.
    pub fn clusters(&self) -> impl Iterator<Item = &str> {
        self.by_cluster.keys().map(String::as_str)
    }

    /// Kubernetes objects of one subject kind (e.g. `Secret`, `KubernetesCluster`), in sequence order.
    pub fn objects_of_kind<'s>(&'s self, kind: &str) -> impl Iterator<Item = &'s Evidence> + 's {
        self.pick(self.by_object_kind.get(kind))
    }

    /// The record of `kind` with this exact subject.
    pub fn by_subject(&self, kind: &str, subject: &str) -> Option<&Evidence> {
        let found = self.by_subject.binary_search_by(|&i| {
            self.records
                .get(i)
                .map(|r| (r.kind.as_str(), r.subject.as_str()))
                .cmp(&Some((kind, subject)))
        });
        found
            .ok()
            .and_then(|at| self.by_subject.get(at))
            .and_then(|&i| self.records.get(i))
    }

    /// A Kubernetes object by cluster, namespace (`None`: cluster-scoped), subject kind and name.
    pub fn object(&self, cluster: &str, namespace: Option<&str>, kind: &str, name: &str) -> Option<&Evidence> {
        let ns = namespace.filter(|n| !n.is_empty()).unwrap_or("_cluster");
        self.by_subject(kinds::K8S_OBJECT, &format!("{cluster}/{ns}/{kind}/{name}"))
    }
}

/// The clusters a record is about, for the cluster index.
fn record_clusters(r: &Evidence) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if r.kind == kinds::GIT_COMMIT {
        for file in r.body().get("files").and_then(Value::as_array).into_iter().flatten() {
            if let Some(c) = file.get("cluster").and_then(Value::as_str)
                && !c.is_empty()
            {
                out.insert(c.to_string());
            }
        }
        return out;
    }
    // Kind first: only audit events are parsed here, every other body stays text.
    if r.kind == kinds::AUDIT_EVENT
        && let Some(c) = r.peek_str("/cluster")
    {
        out.insert(c.into_owned());
        return out;
    }
    if let Some(first) = r.subject.split('/').next()
        && !first.is_empty()
        && !first.starts_with('_')
        && first != "scan"
        && first != "git"
        && first != "waivers"
    {
        out.insert(first.to_string());
    }
    out
}

#[cfg(test)]
impl EvidenceSet {
    /// A scan-1 set of `(kind, subject, body)` records numbered from 1, each hashed by its
    /// subject, collected 2026-12-01: the fixture unit tests of analyses build on.
    pub(crate) fn for_tests(records: Vec<(&str, String, Value)>) -> EvidenceSet {
        let records = records
            .into_iter()
            .enumerate()
            .map(|(i, (kind, subject, body))| {
                let hash = super::sha256(subject.as_bytes());
                Evidence::new(i as u64 + 1, hash, kind, "test", subject, body)
            })
            .collect();
        let at = "2026-12-01T00:00:00Z".parse().unwrap_or_else(|_| unreachable!());
        EvidenceSet::new(1, at, records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(seq: u64, kind: &str, subject: &str, body: Value) -> Evidence {
        Evidence::new(
            seq,
            crate::model::sha256(subject.as_bytes()),
            kind,
            "test",
            subject,
            body,
        )
    }

    #[test]
    fn a_body_kept_as_text_reads_like_the_parsed_one() {
        let body = json!({"metadata": {"name": "n", "labels": {"istio/multiCluster": "true", "a~b": "x\"y"},
                          "n": 1, "list": [{"k": "v0"}, {"k": "v1"}]}, "spec": {"name": "not this"}});
        let text = String::from_utf8(crate::model::to_canonical_vec(&body)).unwrap();
        let parsed = Evidence::new(1, crate::model::sha256(b"x"), kinds::K8S_OBJECT, "t", "a/b/C/d", body);
        let lazy = Evidence::from_json_text(1, parsed.hash, kinds::K8S_OBJECT, "t", "a/b/C/d", text.into());
        for pointer in [
            "/metadata/name",
            "/metadata/labels/istio~1multiCluster",
            "/metadata/labels/a~0b",
            "/metadata/n",
            "/metadata/list/1/k",
            "/metadata/list/2/k",
            "/metadata/missing",
            "/metadata",
            "",
            "metadata",
        ] {
            assert_eq!(lazy.peek_str(pointer).as_deref(), parsed.str_at(pointer), "{pointer}");
        }
        assert!(lazy.may_contain("multiCluster") && !lazy.may_contain("parent_kind"));
        assert_eq!(lazy, parsed, "parsed on demand, equal");
        assert!(
            lazy.may_contain("parent_kind"),
            "once parsed, the text is not consulted"
        );
    }

    #[test]
    fn indexes_by_kind_cluster_subject_and_object_kind() {
        let set = EvidenceSet::new(
            1,
            "2026-12-01T00:00:00Z".parse().unwrap(),
            vec![
                ev(3, kinds::AUDIT_EVENT, "mgmt/audit/x", json!({"cluster": "mgmt"})),
                ev(1, kinds::K8S_OBJECT, "a/istio-system/Secret/cacerts", json!({})),
                ev(2, kinds::K8S_OBJECT, "b/_cluster/Namespace/x", json!({})),
                ev(
                    4,
                    kinds::GIT_COMMIT,
                    "git/gitops/commit/abc",
                    json!({"files": [{"cluster": "a"}, {"cluster": null}]}),
                ),
            ],
        );
        assert_eq!(set.records().iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(set.clusters().collect::<Vec<_>>(), ["a", "b", "mgmt"]);
        assert_eq!(set.in_cluster("a").map(|r| r.seq).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(set.objects_of_kind("Secret").count(), 1);
        assert!(set.object("b", None, "Namespace", "x").is_some());
        assert!(set.object("a", Some("istio-system"), "Secret", "cacerts").is_some());
        assert_eq!(set.of_kind(kinds::GIT_COMMIT).count(), 1);
        let key = ObjectKey::parse("b/_cluster/Namespace/x").unwrap();
        assert_eq!(key.namespace, None);
    }
}
