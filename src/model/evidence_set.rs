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

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
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

/// One record of the view, with its parsed body.
#[derive(Debug, Clone, PartialEq)]
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
    /// The (redacted) body.
    pub body: Value,
}

impl Evidence {
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
        self.body.pointer(pointer).and_then(Value::as_str)
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

/// The view of one scan, in memory, indexed. Immutable once built.
#[derive(Debug, Clone)]
pub struct EvidenceSet {
    scan: u64,
    collected_at: Timestamp,
    records: Vec<Evidence>,
    by_kind: BTreeMap<String, Vec<usize>>,
    by_cluster: BTreeMap<String, Vec<usize>>,
    by_object_kind: BTreeMap<String, Vec<usize>>,
    by_subject: BTreeMap<(String, String), usize>,
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
            by_subject: BTreeMap::new(),
        };
        for (i, r) in records.iter().enumerate() {
            set.by_kind.entry(r.kind.clone()).or_default().push(i);
            // The latest record per (kind, subject) wins; records are in seq order.
            set.by_subject.insert((r.kind.clone(), r.subject.clone()), i);
            for cluster in record_clusters(r) {
                let list = set.by_cluster.entry(cluster).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            if let Some(key) = r.object_key() {
                set.by_object_kind.entry(key.kind.to_string()).or_default().push(i);
            }
        }
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
        self.by_subject
            .get(&(kind.to_string(), subject.to_string()))
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
        for file in r.body.get("files").and_then(Value::as_array).into_iter().flatten() {
            if let Some(c) = file.get("cluster").and_then(Value::as_str)
                && !c.is_empty()
            {
                out.insert(c.to_string());
            }
        }
        return out;
    }
    if let Some(c) = r.body.get("cluster").and_then(Value::as_str)
        && r.kind == kinds::AUDIT_EVENT
    {
        out.insert(c.to_string());
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
            .map(|(i, (kind, subject, body))| Evidence {
                seq: i as u64 + 1,
                hash: super::sha256(subject.as_bytes()),
                kind: kind.into(),
                source: "test".into(),
                subject,
                body,
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
        Evidence {
            seq,
            hash: crate::model::sha256(subject.as_bytes()),
            kind: kind.into(),
            source: "test".into(),
            subject: subject.into(),
            body,
        }
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
