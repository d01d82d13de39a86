//! The mesh CA material: expiry, key strength, chains, shared roots, rotation.
//!
//! Reads, per cluster, the Istio CA Secret (`cacerts` in the plug-in layout `ca-cert.pem`,
//! `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`, or the cert-manager layout `tls.crt`,
//! `tls.key`, `ca.crt`; else the self-signed `istio-ca-secret`) and the `istio-ca-root-cert`
//! ConfigMap of the same namespace. Certificates are parsed from the PEM text the redacted
//! evidence keeps, and every chain is verified by signature ([`super::x509_chain`]).
//!
//! - CERT-001/002/007 judge each CA certificate once per cluster (same DER = same certificate),
//!   wherever it appears: the mesh CA objects and, for CA certificates only, any other Secret's
//!   certificate bundle (relay PKI, API-server CAs).
//! - CERT-003 judges each mesh CA Secret: missing or unreadable pieces, CA:TRUE, key match,
//!   `cert-chain.pem` consistency, anchoring of the signing certificate in the bundle, and the
//!   ConfigMap bundle equal to the Secret's.
//! - CERT-004/005/006 compare the clusters' active CAs, indexed by root and key digests, so the
//!   work is linear in the number of objects and peerings; peers come from [`super::peering`].
//!
//! Not done: CRLs, name constraints, key usage and path length (left to the TLS stacks), and
//! certificates inside kubeconfigs (the tokens analyzer owns remote secrets).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::peering::Peers;
use super::x509_chain::{Bundle, Certificate, ChainVerdict, verify_chain};
use super::{Analyzer, Check, Context, Views};
use crate::model::{Digest, Evidence, EvidenceSet, Finding, RecordRef, Severity};

/// CERT-001 ca-expiring: A root or intermediate CA certificate has expired or expires within the window.
pub const CA_EXPIRING: Check = Check {
    id: "CERT-001",
    name: "ca-expiring",
    severity: Severity::High,
    summary: "A root or intermediate CA certificate has expired or expires within the window.",
    remediation: "Issue a new intermediate (or start a root rotation) and roll it out before the expiry date.",
};

/// CERT-002 ca-weak-crypto: A CA key below policy (RSA < 2048, EC < 256 bits) or a SHA-1/MD5 signature.
pub const CA_WEAK_CRYPTO: Check = Check {
    id: "CERT-002",
    name: "ca-weak-crypto",
    severity: Severity::High,
    summary: "A CA key below policy (RSA < 2048, EC < 256 bits) or a SHA-1/MD5 signature.",
    remediation: "Re-issue the CA with RSA ≥ 3072 or EC P-256/P-384 and SHA-256 or better.",
};

/// CERT-003 chain-broken: An intermediate is not signed by any root in the cluster bundle, the chain file is inconsistent, the key does not match, pieces are missing, or a CA lacks basicConstraints CA:TRUE.
pub const CHAIN_BROKEN: Check = Check {
    id: "CERT-003",
    name: "chain-broken",
    severity: Severity::Critical,
    summary: "An intermediate is not signed by any root in the cluster bundle, the chain file is inconsistent, the key does not match, pieces are missing, or a CA lacks basicConstraints CA:TRUE.",
    remediation: "Rebuild the cacerts Secret from a consistent set: intermediate, its key, the chain to the root, and the root bundle.",
};

/// CERT-004 root-not-shared: A cluster's intermediate chains to a root that a peer's trust bundle does not contain: mTLS between them fails.
pub const ROOT_NOT_SHARED: Check = Check {
    id: "CERT-004",
    name: "root-not-shared",
    severity: Severity::High,
    summary: "A cluster's intermediate chains to a root that a peer's trust bundle does not contain: mTLS between them fails.",
    remediation: "Add the root to every peer's root-cert.pem (trust-bundle exchange) before relying on cross-cluster traffic.",
};

/// CERT-005 stale-root: A root still in trust bundles that no intermediate in the mesh chains to any more.
pub const STALE_ROOT: Check = Check {
    id: "CERT-005",
    name: "stale-root",
    severity: Severity::Medium,
    summary: "A root still in trust bundles that no intermediate in the mesh chains to any more.",
    remediation: "Finish the rotation: remove the retired root from every bundle once no workload uses it.",
};

/// CERT-006 shared-intermediate: The same intermediate key is installed on more than one cluster: no per-cluster blast radius.
pub const SHARED_INTERMEDIATE: Check = Check {
    id: "CERT-006",
    name: "shared-intermediate",
    severity: Severity::Medium,
    summary: "The same intermediate key is installed on more than one cluster: no per-cluster blast radius.",
    remediation: "Issue one intermediate per cluster.",
};

/// CERT-007 rotation-overdue: An intermediate or root is older than its policy maximum age.
pub const ROTATION_OVERDUE: Check = Check {
    id: "CERT-007",
    name: "rotation-overdue",
    severity: Severity::Medium,
    summary: "An intermediate or root is older than its policy maximum age.",
    remediation: "Rotate the CA material on the schedule your policy sets.",
};

/// Every check of this analyzer.
pub const CHECKS: &[Check] = &[
    CA_EXPIRING,
    CA_WEAK_CRYPTO,
    CHAIN_BROKEN,
    ROOT_NOT_SHARED,
    STALE_ROOT,
    SHARED_INTERMEDIATE,
    ROTATION_OVERDUE,
];

/// The certificates analyzer.
#[derive(Debug, Clone, Copy)]
pub struct Certificates;

impl Analyzer for Certificates {
    fn id(&self) -> &'static str {
        "certificates"
    }
    fn checks(&self) -> &'static [Check] {
        CHECKS
    }
    fn analyze_in(&self, views: &Views<'_>, context: &Context) -> Vec<Finding> {
        let evidence = views.set();
        let cas = mesh_cas(evidence);
        let mut drafts = Vec::new();
        per_certificate(evidence, &cas, context, &mut drafts);
        for ca in cas.iter() {
            chain_broken(ca, &mut drafts);
        }
        let active = active_cas(&cas);
        let peers = Peers::from_evidence(evidence);
        roots_not_shared(&active, &peers, &mut drafts);
        stale_roots(&active, &mut drafts);
        shared_intermediates(&active, &mut drafts);
        finish(drafts)
    }
}

/// A finding and the suffix that keeps its subject unique when the same check reports the same
/// record more than once (`#<data key>` or `#<serial>`).
struct Draft {
    finding: Finding,
    suffix: String,
}

/// Appends the suffix to subjects that would otherwise repeat within a check; sorts.
fn finish(drafts: Vec<Draft>) -> Vec<Finding> {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in &drafts {
        *counts
            .entry((d.finding.check.clone(), d.finding.subject.clone()))
            .or_default() += 1;
    }
    let mut out: Vec<Finding> = drafts
        .into_iter()
        .map(|mut d| {
            let key = (d.finding.check.clone(), d.finding.subject.clone());
            if counts.get(&key).copied().unwrap_or(0) > 1 && !d.suffix.is_empty() {
                d.finding.subject = format!("{}#{}", d.finding.subject, d.suffix);
            }
            d.finding
        })
        .collect();
    out.sort();
    out
}

/// The PEM text of a data entry: a redacted `certificates` entry keeps it in `pem`; ConfigMap
/// values are the text itself.
fn pem_of(entry: &Value) -> Option<&str> {
    match entry {
        Value::String(s) => Some(s),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("certificates") => {
            o.get("pem").and_then(Value::as_str)
        }
        _ => None,
    }
}

fn entry_type(entry: &Value) -> &str {
    entry.get("type").and_then(Value::as_str).unwrap_or("unknown")
}

/// One certificate bundle read from a data entry.
struct Piece<'a> {
    key: &'a str,
    /// `None`: the entry is not a certificate bundle (its redacted type says what it is).
    bundle: Option<Bundle>,
    entry: &'a Value,
}

impl<'a> Piece<'a> {
    fn read(data: Option<&'a serde_json::Map<String, Value>>, key: &'a str) -> Option<Piece<'a>> {
        let entry = data?.get(key)?;
        Some(Piece {
            key,
            bundle: pem_of(entry).map(Bundle::parse),
            entry,
        })
    }

    fn certificates(&self) -> &[Certificate] {
        self.bundle
            .as_ref()
            .map(|b| b.certificates.as_slice())
            .unwrap_or_default()
    }
}

/// Which key names a CA Secret uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `ca-cert.pem`, `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`.
    PlugIn,
    /// `tls.crt` (signing cert, then chain), `tls.key`, `ca.crt`.
    CertManager,
    /// istiod's own `istio-ca-secret`: `ca-cert.pem` (a root), `ca-key.pem`.
    SelfSigned,
}

/// One mesh CA Secret of a cluster, parsed, with its chain verdict.
struct MeshCa<'a> {
    cluster: &'a str,
    record: &'a Evidence,
    layout: Layout,
    /// The signing certificate's entry (`ca-cert.pem` / `tls.crt`).
    signing: Option<Piece<'a>>,
    /// The private key entry (`ca-key.pem` / `tls.key`).
    key: Option<(&'a str, &'a Value)>,
    /// `cert-chain.pem` (plug-in layout only).
    chain: Option<Piece<'a>>,
    /// The trust bundle (`root-cert.pem` / `ca.crt`).
    roots: Option<Piece<'a>>,
    /// `istio-ca-root-cert` of the same namespace, if collected.
    configmap: Option<(&'a Evidence, Bundle)>,
    /// The anchors the mesh trusts for this cluster: the bundle, or for a self-signed CA
    /// without one, the signing certificate itself.
    anchors: Vec<Certificate>,
    /// The signing certificate against the anchors (None without a signing certificate).
    verdict: Option<ChainVerdict>,
}

impl MeshCa<'_> {
    fn signing_cert(&self) -> Option<&Certificate> {
        self.signing.as_ref().and_then(|p| p.certificates().first())
    }

    fn anchor(&self) -> Option<&Certificate> {
        let i = *self.verdict.as_ref()?.anchor.as_ref().ok()?;
        self.anchors.get(i)
    }

    fn key_names(&self) -> (&'static str, &'static str, &'static str) {
        match self.layout {
            Layout::CertManager => ("tls.crt", "tls.key", "ca.crt"),
            Layout::PlugIn | Layout::SelfSigned => ("ca-cert.pem", "ca-key.pem", "root-cert.pem"),
        }
    }
}

/// Every mesh CA Secret (`cacerts`, `istio-ca-secret`, or type `istio.io/ca-root`), in record order.
fn mesh_cas(set: &EvidenceSet) -> Vec<MeshCa<'_>> {
    let mut out = Vec::new();
    for record in set.objects_of_kind("Secret") {
        let Some(key) = record.object_key() else {
            continue;
        };
        let is_ca_secret = key.name == "cacerts"
            || key.name == "istio-ca-secret"
            || record.str_at("/type") == Some("istio.io/ca-root");
        if !is_ca_secret {
            continue;
        }
        let data = record.body().get("data").and_then(Value::as_object);
        let layout = if data.is_some_and(|d| d.contains_key("tls.crt")) {
            Layout::CertManager
        } else if key.name == "cacerts" {
            Layout::PlugIn
        } else {
            Layout::SelfSigned
        };
        let (signing, key_name, roots) = match layout {
            Layout::CertManager => ("tls.crt", "tls.key", "ca.crt"),
            Layout::PlugIn | Layout::SelfSigned => ("ca-cert.pem", "ca-key.pem", "root-cert.pem"),
        };
        let key_entry = data
            .and_then(|d| d.get_key_value(key_name))
            .map(|(k, v)| (k.as_str(), v));
        let signing = Piece::read(data, signing);
        let chain = if layout == Layout::PlugIn {
            Piece::read(data, "cert-chain.pem")
        } else {
            None
        };
        let roots = Piece::read(data, roots);
        let configmap = set
            .object(key.cluster, key.namespace, "ConfigMap", "istio-ca-root-cert")
            .and_then(|cm| {
                cm.body()
                    .pointer("/data/root-cert.pem")
                    .and_then(pem_of)
                    .map(|pem| (cm, Bundle::parse(pem)))
            });
        let mut ca = MeshCa {
            cluster: key.cluster,
            record,
            layout,
            signing,
            key: key_entry,
            chain,
            roots,
            configmap,
            anchors: Vec::new(),
            verdict: None,
        };
        ca.anchors = ca.roots.as_ref().map(|p| p.certificates().to_vec()).unwrap_or_default();
        if ca.anchors.is_empty()
            && let Some(cert) = ca.signing_cert().filter(|c| c.is_self_issued())
        {
            ca.anchors = vec![cert.clone()];
        }
        ca.verdict = ca.signing_cert().map(|leaf| {
            let mut intermediates: Vec<Certificate> = Vec::new();
            if let Some(p) = &ca.signing {
                intermediates.extend(p.certificates().iter().skip(1).cloned());
            }
            if let Some(p) = &ca.chain {
                intermediates.extend(p.certificates().iter().cloned());
            }
            // Expiry is CERT-001's; anchoring is judged at the certificate's own start.
            verify_chain(leaf, &intermediates, &ca.anchors, leaf.not_before)
        });
        out.push(ca);
    }
    out
}

/// Per cluster, the CA istiod uses: `cacerts` when present, else the self-signed secret.
fn active_cas<'c, 'a>(cas: &'c [MeshCa<'a>]) -> Vec<&'c MeshCa<'a>> {
    let mut by_cluster: BTreeMap<&str, &MeshCa<'a>> = BTreeMap::new();
    for ca in cas {
        let name = ca.record.object_key().map(|k| k.name).unwrap_or_default();
        match by_cluster.get(ca.cluster) {
            Some(existing) if existing.record.object_key().map(|k| k.name) == Some("cacerts") => {}
            _ if name == "cacerts" || !by_cluster.contains_key(ca.cluster) => {
                by_cluster.insert(ca.cluster, ca);
            }
            _ => {}
        }
    }
    by_cluster.into_values().collect()
}

/// Where one certificate was seen.
struct Sighting<'a> {
    /// 0 mesh CA Secret, 1 root ConfigMap, 2 other Secret (the subject comes from the lowest).
    priority: u8,
    record: &'a Evidence,
    key: String,
}

/// CERT-001, CERT-002, CERT-007: each CA certificate once per cluster.
fn per_certificate(set: &EvidenceSet, cas: &[MeshCa<'_>], context: &Context, drafts: &mut Vec<Draft>) {
    type Seen<'a> = BTreeMap<(&'a str, Digest), (Certificate, Vec<Sighting<'a>>)>;
    fn add<'a>(seen: &mut Seen<'a>, cluster: &'a str, cert: &Certificate, sighting: Sighting<'a>) {
        seen.entry((cluster, cert.sha256))
            .or_insert_with(|| (cert.clone(), Vec::new()))
            .1
            .push(sighting);
    }
    let mut seen: Seen<'_> = BTreeMap::new();
    let mut mesh_records: BTreeSet<u64> = BTreeSet::new();
    for ca in cas {
        mesh_records.insert(ca.record.seq);
        for piece in [&ca.signing, &ca.chain, &ca.roots].into_iter().flatten() {
            for cert in piece.certificates() {
                let key = piece.key.to_string();
                add(
                    &mut seen,
                    ca.cluster,
                    cert,
                    Sighting {
                        priority: 0,
                        record: ca.record,
                        key,
                    },
                );
            }
        }
        if let Some((cm, bundle)) = &ca.configmap {
            for cert in &bundle.certificates {
                add(
                    &mut seen,
                    ca.cluster,
                    cert,
                    Sighting {
                        priority: 1,
                        record: cm,
                        key: "root-cert.pem".into(),
                    },
                );
            }
        }
    }
    for record in set.objects_of_kind("Secret") {
        let Some(obj) = record.object_key() else {
            continue;
        };
        if mesh_records.contains(&record.seq) {
            continue;
        }
        for (key, entry) in record
            .body()
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if entry_type(entry) != "certificates" {
                continue;
            }
            let Some(pem) = pem_of(entry) else {
                continue;
            };
            for cert in Bundle::parse(pem).certificates.iter().filter(|c| c.is_ca()) {
                add(
                    &mut seen,
                    obj.cluster,
                    cert,
                    Sighting {
                        priority: 2,
                        record,
                        key: key.clone(),
                    },
                );
            }
        }
    }
    let settings = &context.settings;
    let as_of = context.as_of;
    for ((cluster, _), (cert, mut sightings)) in seen {
        sightings.sort_by(|a, b| (a.priority, &a.record.subject, &a.key).cmp(&(b.priority, &b.record.subject, &b.key)));
        let Some(first) = sightings.first() else {
            continue;
        };
        let subject = first.record.subject.clone();
        let mut keys: Vec<&str> = sightings
            .iter()
            .filter(|s| s.record.seq == first.record.seq)
            .map(|s| s.key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let place = format!(
            "{} ({})",
            subject,
            keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        );
        let evidence: Vec<RecordRef> = sightings.iter().map(|s| s.record.reference()).collect();
        let is_root = cert.is_self_issued();
        let role = if is_root { "root" } else { "intermediate" };
        let mut push = |check: &Check, message: String, severity: Option<Severity>| {
            let mut finding = check.finding(Some(cluster), subject.clone(), message, evidence.iter().copied());
            if let Some(s) = severity {
                finding.severity = s;
            }
            drafts.push(Draft {
                finding,
                suffix: cert.serial.clone(),
            });
        };

        // CERT-001
        let window = if is_root {
            settings.root_expiry_days
        } else {
            settings.intermediate_expiry_days
        };
        let left = as_of.days_until(cert.not_after);
        if cert.not_after <= as_of {
            push(
                &CA_EXPIRING,
                format!(
                    "{role} {} in {place} expired {}, {} days before as-of {as_of}",
                    cert.label(),
                    cert.not_after,
                    -left
                ),
                Some(Severity::Critical),
            );
        } else if left < window {
            push(
                &CA_EXPIRING,
                format!(
                    "{role} {} in {place} expires {}, in {left} days (window {window} days)",
                    cert.label(),
                    cert.not_after
                ),
                None,
            );
        }

        // CERT-002
        let weak = cert.weaknesses();
        if !weak.is_empty() {
            push(
                &CA_WEAK_CRYPTO,
                format!("{role} {} in {place}: {}", cert.label(), weak.join("; ")),
                None,
            );
        }

        // CERT-007
        let max_age = if is_root {
            settings.root_max_age_days
        } else {
            settings.intermediate_max_age_days
        };
        let age = cert.not_before.days_until(as_of);
        if age > max_age {
            push(
                &ROTATION_OVERDUE,
                format!(
                    "{role} {} in {place} was issued {}, {age} days before as-of (maximum age {max_age} days)",
                    cert.label(),
                    cert.not_before
                ),
                None,
            );
        }
    }
}

/// CERT-003 for one CA Secret: one finding per data key with problems.
fn chain_broken(ca: &MeshCa<'_>, drafts: &mut Vec<Draft>) {
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut extra_evidence: Vec<RecordRef> = Vec::new();
    let mut note = |key: &str, text: String| problems.entry(key.to_string()).or_default().push(text);
    let (signing_key, key_key, roots_key) = ca.key_names();

    // Missing or unreadable pieces.
    let mut required: Vec<(&str, Option<&Piece<'_>>)> = vec![(signing_key, ca.signing.as_ref())];
    if ca.layout != Layout::SelfSigned {
        required.push((roots_key, ca.roots.as_ref()));
    }
    if ca.layout == Layout::PlugIn {
        required.push(("cert-chain.pem", ca.chain.as_ref()));
    }
    for (name, piece) in required {
        match piece {
            None => note(name, format!("`{name}` is missing")),
            Some(p) => match &p.bundle {
                None => note(
                    name,
                    format!(
                        "`{name}` holds no certificate (redacted entry type `{}`)",
                        entry_type(p.entry)
                    ),
                ),
                Some(b) => {
                    for e in &b.errors {
                        note(name, format!("`{name}`: {e}"));
                    }
                }
            },
        }
    }
    match ca.key {
        None => note(key_key, format!("`{key_key}` (the CA private key) is missing")),
        Some((name, entry)) if entry_type(entry) != "private-key" => note(
            name,
            format!(
                "`{name}` holds no private key (redacted entry type `{}`)",
                entry_type(entry)
            ),
        ),
        Some((name, entry)) => {
            if entry.pointer("/key/matches").and_then(Value::as_bool) == Some(false) {
                let digest = entry
                    .pointer("/key/public_key_sha256")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                let cert = ca
                    .signing_cert()
                    .map(|c| format!("{} (SPKI sha256 {})", c.label(), c.spki_sha256.to_hex()))
                    .unwrap_or_else(|| format!("`{signing_key}`"));
                note(
                    name,
                    format!("`{name}` (public key sha256 {digest}) does not match the signing certificate {cert}"),
                );
            }
        }
    }

    // The signing certificate: a CA, anchored in the bundle.
    if let Some(cert) = ca.signing_cert() {
        if !cert.is_ca() {
            let bc = match cert.basic_constraints_ca {
                None => "has no basicConstraints",
                Some(_) => "has basicConstraints CA:FALSE",
            };
            note(
                signing_key,
                format!(
                    "signing certificate {} {bc}: it cannot issue workload certificates",
                    cert.label()
                ),
            );
        }
        if let Some(Err(reason)) = ca.verdict.as_ref().map(|v| &v.anchor)
            && !ca.anchors.is_empty()
        {
            note(
                signing_key,
                format!(
                    "signing certificate {} does not chain to any of the {} root(s) in `{roots_key}`: {reason}",
                    cert.label(),
                    ca.anchors.len()
                ),
            );
        }
    }
    for root in ca.roots.as_ref().map(Piece::certificates).unwrap_or_default() {
        if !root.is_ca() {
            note(
                roots_key,
                format!(
                    "trust anchor {} in `{roots_key}` lacks basicConstraints CA:TRUE",
                    root.label()
                ),
            );
        }
    }

    // cert-chain.pem: the signing certificate, then each certificate's issuer.
    if let (Some(chain), Some(signing)) = (&ca.chain, ca.signing_cert()) {
        let certs = chain.certificates();
        match certs.first() {
            Some(first) if first.sha256 != signing.sha256 => note(
                "cert-chain.pem",
                format!(
                    "`cert-chain.pem` starts with {}, not the signing certificate {}",
                    first.label(),
                    signing.label()
                ),
            ),
            _ => {}
        }
        for pair in certs.windows(2) {
            if let [child, parent] = pair {
                let signed = child.is_named_issuer(parent)
                    && child.verify_signed_by(parent) == super::x509_chain::Signature::Valid;
                if !signed {
                    note(
                        "cert-chain.pem",
                        format!(
                            "`cert-chain.pem`: {} is not issued by the next certificate {}",
                            child.label(),
                            parent.label()
                        ),
                    );
                }
            }
        }
        if let Some(last) = certs.last().filter(|c| c.is_self_issued() && certs.len() > 1)
            && !ca.anchors.iter().any(|a| a.sha256 == last.sha256)
        {
            note(
                "cert-chain.pem",
                format!(
                    "`cert-chain.pem` ends at root {}, which `{roots_key}` does not contain",
                    last.label()
                ),
            );
        }
    }

    // The istio-ca-root-cert ConfigMap must carry the same roots.
    if let Some((cm, bundle)) = &ca.configmap
        && !ca.anchors.is_empty()
        && ca.layout != Layout::SelfSigned
    {
        let ours: BTreeSet<Digest> = ca.anchors.iter().map(|c| c.sha256).collect();
        let theirs: BTreeSet<Digest> = bundle.certificates.iter().map(|c| c.sha256).collect();
        if ours != theirs || !bundle.errors.is_empty() {
            let missing: Vec<String> = ca
                .anchors
                .iter()
                .filter(|c| !theirs.contains(&c.sha256))
                .map(Certificate::label)
                .collect();
            let extra: Vec<String> = bundle
                .certificates
                .iter()
                .filter(|c| !ours.contains(&c.sha256))
                .map(Certificate::label)
                .collect();
            note(
                roots_key,
                format!(
                    "ConfigMap {} `root-cert.pem` differs from `{roots_key}`: missing [{}], extra [{}]{}",
                    cm.subject,
                    missing.join(", "),
                    extra.join(", "),
                    if bundle.errors.is_empty() {
                        ""
                    } else {
                        ", with unreadable blocks"
                    }
                ),
            );
            extra_evidence.push(cm.reference());
        }
    }

    for (key, texts) in problems {
        let message = format!(
            "{} {}: {}",
            ca.record.subject,
            "CA material is inconsistent",
            texts.join("; ")
        );
        let evidence = std::iter::once(ca.record.reference()).chain(extra_evidence.iter().copied());
        drafts.push(Draft {
            finding: CHAIN_BROKEN.finding(Some(ca.cluster), ca.record.subject.clone(), message, evidence),
            suffix: key,
        });
    }
}

/// The anchor identity: same subject and key verify the same signatures.
fn anchor_identity(cert: &Certificate) -> (String, Digest) {
    (cert.subject.clone(), cert.spki_sha256)
}

/// CERT-004: for each peering, each side's anchor must be in the other side's bundle.
fn roots_not_shared(active: &[&MeshCa<'_>], peers: &Peers, drafts: &mut Vec<Draft>) {
    let by_cluster: BTreeMap<&str, &MeshCa<'_>> = active.iter().map(|ca| (ca.cluster, *ca)).collect();
    // (cluster lacking the root, root digest) -> (root, peers needing it, evidence)
    type Gap<'c> = (Certificate, BTreeSet<String>, BTreeSet<RecordRef>);
    let mut gaps: BTreeMap<(&str, Digest), Gap<'_>> = BTreeMap::new();
    for ca in active {
        let (Some(root), Some(signing)) = (ca.anchor(), ca.signing_cert()) else {
            continue;
        };
        for (peer, peering) in peers.of(ca.cluster) {
            let Some(other) = by_cluster.get(peer) else {
                continue;
            };
            let theirs: BTreeSet<(String, Digest)> = other.anchors.iter().map(anchor_identity).collect();
            if theirs.is_empty() || theirs.contains(&anchor_identity(root)) {
                continue;
            }
            let gap = gaps
                .entry((other.cluster, root.sha256))
                .or_insert_with(|| (root.clone(), BTreeSet::new(), BTreeSet::new()));
            gap.1
                .insert(format!("{} (intermediate {})", ca.cluster, signing.label()));
            gap.2.insert(ca.record.reference());
            gap.2.insert(other.record.reference());
            gap.2.extend(peering.iter().copied());
        }
    }
    for ((cluster, _), (root, needing, evidence)) in gaps {
        let Some(ca) = by_cluster.get(cluster) else {
            continue;
        };
        let (_, _, roots_key) = ca.key_names();
        let message = format!(
            "root {} anchors the CA of peer(s) {}, but {} `{roots_key}` does not contain it: workloads on {cluster} cannot verify certificates from those peers",
            root.label(),
            needing.into_iter().collect::<Vec<_>>().join(", "),
            ca.record.subject
        );
        drafts.push(Draft {
            finding: ROOT_NOT_SHARED.finding(Some(cluster), ca.record.subject.clone(), message, evidence),
            suffix: root.serial.clone(),
        });
    }
}

/// CERT-005: roots in any cluster's bundle that no active CA of the mesh chains to.
fn stale_roots(active: &[&MeshCa<'_>], drafts: &mut Vec<Draft>) {
    let mut used: BTreeSet<(String, Digest)> = BTreeSet::new();
    let mut unresolved_issuers: BTreeSet<&str> = BTreeSet::new();
    for ca in active {
        match (ca.anchor(), ca.signing_cert()) {
            (Some(root), _) => {
                used.insert(anchor_identity(root));
            }
            (None, Some(signing)) => {
                // A broken chain (CERT-003) must not make its root look unused.
                unresolved_issuers.insert(signing.issuer.as_str());
            }
            (None, None) => {}
        }
    }
    let all_evidence: Vec<RecordRef> = active.iter().map(|ca| ca.record.reference()).collect();
    for ca in active {
        let mut bundles: Vec<(&Evidence, &[Certificate])> = Vec::new();
        if let Some(p) = &ca.roots {
            bundles.push((ca.record, p.certificates()));
        }
        if let Some((cm, b)) = &ca.configmap {
            bundles.push((cm, &b.certificates));
        }
        let mut reported: BTreeSet<Digest> = BTreeSet::new();
        for (record, certs) in bundles {
            for root in certs {
                if used.contains(&anchor_identity(root))
                    || unresolved_issuers.contains(root.subject.as_str())
                    || !reported.insert(root.sha256)
                {
                    continue;
                }
                let message = format!(
                    "root {} is still trusted by {} but no intermediate of the mesh's {} CA(s) chains to it (retired root; finish the rotation)",
                    root.label(),
                    record.subject,
                    active.len()
                );
                let evidence = std::iter::once(record.reference()).chain(all_evidence.iter().copied());
                drafts.push(Draft {
                    finding: STALE_ROOT.finding(Some(ca.cluster), ca.record.subject.clone(), message, evidence),
                    suffix: root.serial.clone(),
                });
            }
        }
    }
}

/// Whether a CA certificate of the inventory is a root or an intermediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaRole {
    /// A trust anchor (self-issued).
    Root,
    /// A signing certificate issued by another CA.
    Intermediate,
}

impl CaRole {
    /// `root` or `intermediate`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaRole::Root => "root",
            CaRole::Intermediate => "intermediate",
        }
    }
}

/// One CA certificate of a cluster's active mesh CA, as the inventory shows it. The judgement
/// (findings) stays with [`Certificates`]; this is the description the checks rest on.
#[derive(Debug, Clone)]
pub struct CaInventoryEntry {
    /// The cluster.
    pub cluster: String,
    /// Root or intermediate.
    pub role: CaRole,
    /// The parsed certificate.
    pub certificate: Certificate,
    /// `valid`, or what is wrong with the chain (signing certificates), or the anchor's own
    /// validity (roots).
    pub chain_status: String,
    /// `current`, `rotation in progress (N roots)`, `stale root`, `trusted for peers`.
    pub rotation_state: String,
    /// The records it was read from.
    pub evidence: Vec<RecordRef>,
}

/// The CA certificates of every cluster's active mesh CA (the signing certificate and every root
/// of its trust bundle), sorted by cluster, role (roots first), subject and serial.
pub fn ca_inventory(set: &EvidenceSet, as_of: crate::model::Timestamp) -> Vec<CaInventoryEntry> {
    let cas = mesh_cas(set);
    let active = active_cas(&cas);
    let used: BTreeSet<(String, Digest)> = active
        .iter()
        .filter_map(|ca| ca.anchor())
        .map(anchor_identity)
        .collect();
    let mut out = Vec::new();
    for ca in &active {
        let mut evidence = vec![ca.record.reference()];
        if let Some((cm, _)) = &ca.configmap {
            evidence.push(cm.reference());
        }
        let own_anchor = ca.anchor().map(anchor_identity);
        let rotating = ca.anchors.len() > 1;
        let validity = |c: &Certificate| {
            if c.not_after < as_of {
                "expired".to_string()
            } else if c.not_before > as_of {
                "not yet valid".to_string()
            } else {
                "valid".to_string()
            }
        };
        let mut seen: BTreeSet<Digest> = BTreeSet::new();
        if let Some(signing) = ca.signing_cert()
            && !signing.is_self_issued()
        {
            seen.insert(signing.sha256);
            let chain_status = match ca.verdict.as_ref().map(|v| &v.anchor) {
                Some(Ok(_)) if signing.not_after < as_of => "expired".to_string(),
                Some(Ok(_)) => "valid".to_string(),
                Some(Err(e)) => format!("broken: {e}"),
                None => "not verified".to_string(),
            };
            out.push(CaInventoryEntry {
                cluster: ca.cluster.to_string(),
                role: CaRole::Intermediate,
                certificate: signing.clone(),
                chain_status,
                rotation_state: "current".into(),
                evidence: evidence.clone(),
            });
        }
        for root in &ca.anchors {
            if !seen.insert(root.sha256) {
                continue;
            }
            let identity = anchor_identity(root);
            let rotation_state = if own_anchor.as_ref() == Some(&identity) {
                if rotating {
                    format!("current; rotation in progress ({} roots)", ca.anchors.len())
                } else {
                    "current".to_string()
                }
            } else if used.contains(&identity) {
                "trusted for peers".to_string()
            } else {
                "stale root".to_string()
            };
            out.push(CaInventoryEntry {
                cluster: ca.cluster.to_string(),
                role: CaRole::Root,
                certificate: root.clone(),
                chain_status: validity(root),
                rotation_state,
                evidence: evidence.clone(),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.cluster, a.role, &a.certificate.subject, &a.certificate.serial).cmp(&(
            &b.cluster,
            b.role,
            &b.certificate.subject,
            &b.certificate.serial,
        ))
    });
    out
}

/// CERT-006: the same intermediate key on more than one cluster.
fn shared_intermediates(active: &[&MeshCa<'_>], drafts: &mut Vec<Draft>) {
    let mut by_key: BTreeMap<Digest, Vec<&MeshCa<'_>>> = BTreeMap::new();
    for ca in active {
        if let Some(cert) = ca.signing_cert().filter(|c| !c.is_self_issued()) {
            by_key.entry(cert.spki_sha256).or_default().push(ca);
        }
    }
    for (spki, cas) in by_key {
        let clusters: BTreeSet<&str> = cas.iter().map(|ca| ca.cluster).collect();
        if clusters.len() < 2 {
            continue;
        }
        let evidence: Vec<RecordRef> = cas.iter().map(|ca| ca.record.reference()).collect();
        for ca in &cas {
            let Some(cert) = ca.signing_cert() else {
                continue;
            };
            let others: Vec<&str> = clusters.iter().copied().filter(|c| *c != ca.cluster).collect();
            let message = format!(
                "intermediate {} in {} uses the same key (SPKI sha256 {}) as the intermediate on {}: a compromise of one cluster's CA key exposes them all",
                cert.label(),
                ca.record.subject,
                spki.to_hex(),
                others.join(", ")
            );
            drafts.push(Draft {
                finding: SHARED_INTERMEDIATE.finding(
                    Some(ca.cluster),
                    ca.record.subject.clone(),
                    message,
                    evidence.iter().copied(),
                ),
                suffix: cert.serial.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::x509_chain::test_pki::*;
    use super::*;
    use crate::model::{kinds, sha256};
    use rcgen::{PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384};
    use serde_json::json;

    const AS_OF: &str = "2026-12-01T00:00:00Z";

    fn certs(pem: &str) -> Value {
        json!({"type": "certificates", "pem": pem, "certificates": [], "errors": []})
    }

    fn key(matches: bool) -> Value {
        json!({"type": "private-key", "redacted": true, "key": {"public_key_sha256": "ab", "matches": matches}})
    }

    fn record(seq: u64, subject: &str, body: Value) -> Evidence {
        Evidence::new(
            seq,
            sha256(subject.as_bytes()),
            kinds::K8S_OBJECT,
            "test",
            subject,
            body,
        )
    }

    fn cacerts(seq: u64, cluster: &str, inter: &Ca, roots: &str, key_matches: bool) -> Evidence {
        record(
            seq,
            &format!("{cluster}/istio-system/Secret/cacerts"),
            json!({"kind": "Secret", "metadata": {"name": "cacerts", "namespace": "istio-system"}, "data": {
                "ca-cert.pem": certs(&inter.pem),
                "ca-key.pem": key(key_matches),
                "cert-chain.pem": certs(&inter.pem),
                "root-cert.pem": certs(roots),
            }}),
        )
    }

    fn configmap(seq: u64, cluster: &str, roots: &str) -> Evidence {
        record(
            seq,
            &format!("{cluster}/istio-system/ConfigMap/istio-ca-root-cert"),
            json!({"kind": "ConfigMap", "data": {"root-cert.pem": roots}}),
        )
    }

    fn remote_secret(seq: u64, holder: &str, target: &str) -> Evidence {
        record(
            seq,
            &format!("{holder}/istio-system/Secret/istio-remote-secret-{target}"),
            json!({"kind": "Secret", "metadata": {"labels": {"istio/multiCluster": "true"}},
                   "data": {target: {"type": "kubeconfig"}}}),
        )
    }

    fn run(records: Vec<Evidence>) -> Vec<Finding> {
        let set = EvidenceSet::new(1, AS_OF.parse().unwrap(), records);
        let context = Context {
            as_of: AS_OF.parse().unwrap(),
            settings: super::super::Settings::default(),
        };
        Certificates.analyze(&set, &context)
    }

    fn summary(findings: &[Finding]) -> Vec<(String, String, String)> {
        findings
            .iter()
            .map(|f| {
                (
                    f.check.clone(),
                    f.cluster.clone().unwrap_or_default(),
                    f.subject.clone(),
                )
            })
            .collect()
    }

    fn triple(check: &str, cluster: &str, subject: &str) -> (String, String, String) {
        (check.into(), cluster.into(), subject.into())
    }

    #[test]
    fn a_healthy_two_cluster_mesh_has_no_findings() {
        let root = root("root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let a = child(&root, "inter-a", &PKCS_ECDSA_P256_SHA256, 2, SPAN, true);
        let b = child(&root, "inter-b", &PKCS_ECDSA_P256_SHA256, 3, SPAN, true);
        let chain_a = format!("{}{}", a.pem, root.pem);
        let mut ca_a = cacerts(1, "a", &a, &root.pem, true);
        ca_a.body_mut()["data"]["cert-chain.pem"] = certs(&chain_a);
        let findings = run(vec![
            ca_a,
            configmap(2, "a", &root.pem),
            cacerts(3, "b", &b, &root.pem, true),
            configmap(4, "b", &root.pem),
            remote_secret(5, "a", "b"),
            remote_secret(6, "b", "a"),
        ]);
        assert_eq!(findings, vec![], "{findings:#?}");
    }

    #[test]
    fn expiry_is_judged_once_per_cluster_and_certificate_with_every_record_cited() {
        let root = root("old-root", &PKCS_ECDSA_P384_SHA384, 1, ((2016, 1, 1), (2026, 11, 1)));
        let inter = child(
            &root,
            "inter",
            &PKCS_ECDSA_P256_SHA256,
            2,
            ((2026, 1, 1), (2027, 1, 15)),
            true,
        );
        let findings = run(vec![
            cacerts(1, "a", &inter, &root.pem, true),
            configmap(2, "a", &root.pem),
        ]);
        let expiring: Vec<&Finding> = findings.iter().filter(|f| f.check == "CERT-001").collect();
        assert_eq!(expiring.len(), 2, "{findings:#?}");
        let root_finding = expiring.iter().find(|f| f.message.starts_with("root")).unwrap();
        assert_eq!(root_finding.severity, Severity::Critical);
        assert_eq!(root_finding.evidence.len(), 2, "cacerts and the ConfigMap");
        assert!(
            root_finding
                .message
                .contains("expired 2026-11-01T00:00:00Z, 30 days before"),
            "{}",
            root_finding.message
        );
        let inter_finding = expiring.iter().find(|f| f.message.starts_with("intermediate")).unwrap();
        assert_eq!(inter_finding.severity, Severity::High);
        assert!(
            inter_finding.message.contains("in 45 days (window 90 days)"),
            "{}",
            inter_finding.message
        );
        // Two CERT-001 on one Secret: the serial keeps the subjects apart.
        assert!(
            expiring
                .iter()
                .all(|f| f.subject.starts_with("a/istio-system/Secret/cacerts#10")),
            "{expiring:#?}"
        );
        // The 10-year-old root is not overdue (20-year maximum), and nothing else fires.
        assert!(findings.iter().all(|f| f.check == "CERT-001"), "{findings:#?}");
    }

    #[test]
    fn rotation_overdue_uses_the_issue_date() {
        let root = root("root", &PKCS_ECDSA_P384_SHA384, 1, ((2020, 1, 1), (2040, 1, 1)));
        let inter = child(
            &root,
            "inter",
            &PKCS_ECDSA_P256_SHA256,
            2,
            ((2022, 1, 1), (2032, 1, 1)),
            true,
        );
        let findings = run(vec![cacerts(1, "a", &inter, &root.pem, true)]);
        assert_eq!(
            summary(&findings),
            vec![triple("CERT-007", "a", "a/istio-system/Secret/cacerts")]
        );
        assert!(
            findings[0].message.contains("maximum age 1095 days"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn broken_chains_wrong_issuer_key_mismatch_missing_pieces_and_bundle_drift() {
        let impostor = root("root", &PKCS_ECDSA_P384_SHA384, 7, SPAN);
        let root = root("root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let inter = child(&impostor, "inter", &PKCS_ECDSA_P256_SHA256, 2, SPAN, true);
        let leaf = child(&root, "not-a-ca", &PKCS_ECDSA_P256_SHA256, 3, SPAN, false);
        let good = child(&root, "good", &PKCS_ECDSA_P256_SHA256, 4, SPAN, true);
        let mut missing = cacerts(5, "c", &good, &root.pem, true);
        missing.body_mut()["data"]
            .as_object_mut()
            .unwrap()
            .remove("cert-chain.pem");
        let findings = run(vec![
            cacerts(1, "a", &inter, &root.pem, true),
            cacerts(2, "b", &leaf, &root.pem, false),
            missing,
            configmap(6, "c", &impostor.pem),
        ]);
        let broken: Vec<&Finding> = findings.iter().filter(|f| f.check == "CERT-003").collect();
        let text = |cluster: &str| {
            broken
                .iter()
                .filter(|f| f.cluster.as_deref() == Some(cluster))
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(text("a").contains("does not verify with the key of"), "{}", text("a"));
        assert!(text("b").contains("has no basicConstraints"), "{}", text("b"));
        assert!(
            text("b").contains("does not match the signing certificate"),
            "{}",
            text("b")
        );
        assert!(text("c").contains("`cert-chain.pem` is missing"), "{}", text("c"));
        assert!(
            text("c").contains("ConfigMap c/istio-system/ConfigMap/istio-ca-root-cert"),
            "{}",
            text("c")
        );
        // Several problems on one Secret: subjects carry the data key.
        assert!(
            broken
                .iter()
                .any(|f| f.subject == "b/istio-system/Secret/cacerts#ca-key.pem"),
            "{broken:#?}"
        );
        assert!(broken.iter().all(|f| f.severity == Severity::Critical));
        // A broken chain does not make its issuer's root look stale.
        assert!(findings.iter().all(|f| f.check != "CERT-005"), "{findings:#?}");
    }

    #[test]
    fn roots_not_shared_stale_roots_and_shared_intermediates() {
        let old = root("old-root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let new = root("new-root", &PKCS_ECDSA_P384_SHA384, 2, SPAN);
        let retired = root("retired-root", &PKCS_ECDSA_P384_SHA384, 3, SPAN);
        let a = child(&new, "inter-a", &PKCS_ECDSA_P256_SHA256, 4, SPAN, true);
        let b = child(&old, "inter-b", &PKCS_ECDSA_P256_SHA256, 5, SPAN, true);
        // a: trusts old+new+retired; b: trusts only old, so a's new root is unknown to b.
        let bundle_a = format!("{}{}{}", old.pem, new.pem, retired.pem);
        let findings = run(vec![
            cacerts(1, "a", &a, &bundle_a, true),
            cacerts(2, "b", &b, &old.pem, true),
            cacerts(3, "c", &b, &old.pem, true), // c reuses b's intermediate
            remote_secret(4, "a", "b"),
            remote_secret(5, "c", "a"),
        ]);
        let s = summary(&findings);
        assert!(
            s.contains(&triple("CERT-004", "b", "b/istio-system/Secret/cacerts")),
            "{s:#?}"
        );
        assert!(
            s.contains(&triple("CERT-005", "a", "a/istio-system/Secret/cacerts")),
            "{s:#?}"
        );
        assert!(
            s.contains(&triple("CERT-006", "b", "b/istio-system/Secret/cacerts")),
            "{s:#?}"
        );
        assert!(
            s.contains(&triple("CERT-006", "c", "c/istio-system/Secret/cacerts")),
            "{s:#?}"
        );
        // c peers with a, whose new root c does not trust; a trusts every peer's root.
        assert!(
            s.contains(&triple("CERT-004", "c", "c/istio-system/Secret/cacerts")),
            "{s:#?}"
        );
        assert_eq!(s.iter().filter(|t| t.0 == "CERT-004").count(), 2, "{s:#?}");
        let stale: Vec<&Finding> = findings.iter().filter(|f| f.check == "CERT-005").collect();
        assert_eq!(stale.len(), 1, "only the retired root: {stale:#?}");
        assert!(stale[0].message.contains("retired-root"), "{}", stale[0].message);
        let not_shared = findings.iter().find(|f| f.check == "CERT-004").unwrap();
        assert!(
            not_shared.message.contains("new-root") && not_shared.message.contains("peer(s) a"),
            "{}",
            not_shared.message
        );
        assert!(not_shared.evidence.len() >= 3, "both CA Secrets and the peering record");
    }
}
