//! Peering between clusters as the certificate and token checks see it: remote secrets (a
//! cluster holds a kubeconfig for another) and `istio-remote` peer Gateways.
//!
//! A remote secret is a Secret in `istio-system` labelled `istio/multiCluster: "true"` or
//! named `istio-remote-secret-*`; each data key is the cluster it grants access to (the same
//! rule as `query::who_added`). Two clusters peer when either holds a remote secret or a peer
//! Gateway for the other. This module does not decide mesh membership (who-added does) nor judge
//! the credentials (the tokens analyzer does).
//!
//! Main types: [`RemoteSecret`], [`Peers`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{Evidence, EvidenceSet, RecordRef};

/// The namespace istiod reads remote secrets from.
pub const ISTIO_NAMESPACE: &str = "istio-system";

/// One remote secret and the clusters its data keys name.
#[derive(Debug, Clone, Copy)]
pub struct RemoteSecret<'a> {
    /// The Secret record.
    pub record: &'a Evidence,
    /// The cluster holding it.
    pub holder: &'a str,
    /// Its name.
    pub name: &'a str,
}

impl<'a> RemoteSecret<'a> {
    /// The `(target cluster, redacted entry)` pairs of its data, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.record
            .body()
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The clusters it grants access to: its data keys, else its `networking.istio.io/cluster`
    /// annotation, else its name suffix.
    pub fn targets(&self) -> Vec<&'a str> {
        let keys: Vec<&str> = self.entries().map(|(k, _)| k).collect();
        if !keys.is_empty() {
            return keys;
        }
        if let Some(c) = self
            .record
            .str_at("/metadata/annotations/networking.istio.io~1cluster")
            .filter(|s| !s.is_empty())
        {
            return vec![c];
        }
        self.name
            .strip_prefix("istio-remote-secret-")
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect()
    }
}

/// Every remote secret of the scan, in record order.
pub fn remote_secrets(set: &EvidenceSet) -> impl Iterator<Item = RemoteSecret<'_>> {
    set.objects_of_kind("Secret").filter_map(|record| {
        let key = record.object_key()?;
        if key.namespace != Some(ISTIO_NAMESPACE) {
            return None;
        }
        let labelled = record.str_at("/metadata/labels/istio~1multiCluster") == Some("true");
        if !labelled && !key.name.starts_with("istio-remote-secret-") {
            return None;
        }
        Some(RemoteSecret {
            record,
            holder: key.cluster,
            name: key.name,
        })
    })
}

/// Undirected peering: for each cluster, its peers and the records that show each peering.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    map: BTreeMap<String, BTreeMap<String, BTreeSet<RecordRef>>>,
}

impl Peers {
    /// Reads remote secrets and `istio-remote` Gateways (one pass over each kind).
    pub fn from_evidence(set: &EvidenceSet) -> Peers {
        let mut peers = Peers::default();
        for secret in remote_secrets(set) {
            for target in secret.targets() {
                peers.add(secret.holder, target, secret.record.reference());
            }
        }
        for record in set.objects_of_kind("Gateway") {
            let Some(key) = record.object_key() else {
                continue;
            };
            if record.str_at("/spec/gatewayClassName") != Some("istio-remote") {
                continue;
            }
            let target = record
                .str_at("/metadata/labels/topology.istio.io~1cluster")
                .filter(|s| !s.is_empty())
                .or_else(|| key.name.strip_prefix("istio-remote-peer-").filter(|s| !s.is_empty()));
            if let Some(target) = target {
                peers.add(key.cluster, target, record.reference());
            }
        }
        peers
    }

    fn add(&mut self, a: &str, b: &str, evidence: RecordRef) {
        if a == b {
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            self.map
                .entry(x.to_string())
                .or_default()
                .entry(y.to_string())
                .or_default()
                .insert(evidence);
        }
    }

    /// The peers of `cluster` with the records showing each peering, sorted by name.
    pub fn of<'s>(&'s self, cluster: &str) -> impl Iterator<Item = (&'s str, &'s BTreeSet<RecordRef>)> + 's {
        self.map
            .get(cluster)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v))
    }
}
