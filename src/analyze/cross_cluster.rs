//! Comparing one object across clusters: the same `namespace/Kind/name` collected from several
//! clusters, grouped by a normalized value, so drift checks stay linear in the number of objects
//! (group by key, never compare cluster pairs).
//!
//! Used by RBAC-003 (bindings) and POL-001/POL-003 (AuthorizationPolicies). The majority variant
//! is the one most clusters share (ties: the smallest canonical value, so output is stable);
//! the others deviate from it.
//!
//! Main types: [`Variant`], [`Variants`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{RecordRef, to_canonical_vec};

/// Clusters sharing one normalized value of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant<'a> {
    /// The normalized value, as canonical JSON text.
    pub value: String,
    /// Clusters holding it.
    pub clusters: BTreeSet<&'a str>,
    /// Their records.
    pub evidence: Vec<RecordRef>,
}

/// Every variant of one object, majority first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variants<'a>(pub Vec<Variant<'a>>);

impl<'a> Variants<'a> {
    /// Groups `(cluster, normalized value, record)` triples by value.
    pub fn group(items: impl IntoIterator<Item = (&'a str, &'a Value, RecordRef)>) -> Variants<'a> {
        Variants::group_texts(items.into_iter().map(|(c, v, r)| (c, canonical_text(v), r)))
    }

    /// Groups `(cluster, canonical text of the normalized value, record)` triples by value: for
    /// callers that turn each value into text as they read it, instead of keeping every value.
    pub fn group_texts(items: impl IntoIterator<Item = (&'a str, String, RecordRef)>) -> Variants<'a> {
        let mut by_value: BTreeMap<String, Variant<'a>> = BTreeMap::new();
        for (cluster, text, record) in items {
            let v = match by_value.get_mut(&text) {
                Some(v) => v,
                None => by_value.entry(text.clone()).or_insert(Variant {
                    value: text,
                    clusters: BTreeSet::new(),
                    evidence: Vec::new(),
                }),
            };
            v.clusters.insert(cluster);
            v.evidence.push(record);
        }
        let mut variants: Vec<Variant<'a>> = by_value.into_values().collect();
        variants.sort_by(|a, b| {
            b.clusters
                .len()
                .cmp(&a.clusters.len())
                .then_with(|| a.value.cmp(&b.value))
        });
        Variants(variants)
    }

    /// Whether there is more than one variant.
    pub fn differ(&self) -> bool {
        self.0.len() > 1
    }

    /// Every cluster holding the object.
    pub fn clusters(&self) -> BTreeSet<&'a str> {
        self.0.iter().flat_map(|v| v.clusters.iter().copied()).collect()
    }

    /// Every record of the object.
    pub fn evidence(&self) -> Vec<RecordRef> {
        self.0.iter().flat_map(|v| v.evidence.iter().copied()).collect()
    }

    /// The clusters deviating from a strict majority variant; `None` without a strict majority
    /// (the largest variant shares its size with another).
    pub fn deviating(&self) -> Option<BTreeSet<&'a str>> {
        let mut it = self.0.iter();
        let first = it.next()?;
        let rest: Vec<&Variant<'a>> = it.collect();
        if rest.iter().any(|v| v.clusters.len() >= first.clusters.len()) {
            return None;
        }
        Some(rest.iter().flat_map(|v| v.clusters.iter().copied()).collect())
    }

    /// `a, b have {..}; c has {..}` (values shortened to `max` characters).
    pub fn describe(&self, max: usize) -> String {
        self.0
            .iter()
            .map(|v| {
                let names: Vec<&str> = v.clusters.iter().copied().collect();
                let verb = if names.len() == 1 { "has" } else { "have" };
                format!("{} {verb} {}", names.join(", "), shorten(&v.value, max))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Canonical JSON text of a value (sorted keys).
pub fn canonical_text(value: &Value) -> String {
    String::from_utf8(to_canonical_vec(value)).unwrap_or_default()
}

/// `value` with every array sorted (by canonical text) and deduplicated, recursively: for specs
/// whose lists are sets (AuthorizationPolicy rules, sources, principals; binding subjects).
pub fn normalize_sets(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut sorted: Vec<(String, Value)> = items
                .iter()
                .map(|v| {
                    let n = normalize_sets(v);
                    (canonical_text(&n), n)
                })
                .collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            sorted.dedup_by(|a, b| a.0 == b.0);
            Value::Array(sorted.into_iter().map(|(_, v)| v).collect())
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize_sets(v))).collect()),
        other => other.clone(),
    }
}

/// Cuts `text` to `max` characters, marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// `a, b and c`.
pub fn list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    match v.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(seq: u64) -> RecordRef {
        RecordRef {
            seq,
            hash: crate::model::sha256(&seq.to_be_bytes()),
        }
    }

    #[test]
    fn groups_by_normalized_value_and_finds_the_deviating_minority() {
        let a = normalize_sets(&json!({"rules": [{"from": [{"source": {"principals": ["x", "y"]}}]}]}));
        let a2 = normalize_sets(&json!({"rules": [{"from": [{"source": {"principals": ["y", "x"]}}]}]}));
        let b = normalize_sets(&json!({"rules": [{"from": [{"source": {"principals": ["*"]}}]}]}));
        let v = Variants::group([("c1", &a, r(1)), ("c2", &a2, r(2)), ("c3", &b, r(3))]);
        assert!(v.differ());
        assert_eq!(v.0.len(), 2, "list order does not matter");
        assert_eq!(v.deviating(), Some(BTreeSet::from(["c3"])));
        let tie = Variants::group([("c1", &a, r(1)), ("c3", &b, r(3))]);
        assert_eq!(tie.deviating(), None);
        assert_eq!(list(["a", "b", "c"]), "a, b and c");
        assert_eq!(shorten("abcdef", 3), "abc…");
    }
}
