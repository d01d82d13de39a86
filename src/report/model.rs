//! The report document: everything a report shows, as plain serializable data.
//!
//! [`Report`] is built once from the store (one scan, `--as-of`) and then handed to every renderer
//! (PDF, HTML, Markdown, CSV, JSON, OSCAL), so all formats show the same facts. Renderers never
//! read the store or run analyses. The JSON form of this type is the machine-readable report; its
//! schema is `docs/report-schema.json` (`schema` = [`SCHEMA`]).
//!
//! Sections, in report order: cover, integrity, summary, who-added, inventory (+ peering matrix),
//! certificates, credentials, controls, gaps, timeline, methodology. Every fact that comes from the
//! store carries record references (`seq` + record hash).

use serde::{Deserialize, Serialize};

use crate::model::{Finding, RecordRef, Severity};
pub use crate::query::diff::ChangeRow;

/// Version of the report document format.
pub const SCHEMA: &str = "meshproof-report/1";

/// A whole report for one or more frameworks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Document title, e.g. "SOC 2 — mesh trust evidence, Acme Corp".
    pub title: String,
    /// The frameworks whose controls are evaluated.
    pub frameworks: Vec<FrameworkInfo>,
    /// Section 1: who, what, when.
    pub cover: Cover,
    /// Section 2: evidence integrity.
    pub integrity: Integrity,
    /// Section 3: executive summary.
    pub summary: Summary,
    /// Section 4: who added each cluster.
    pub who_added: Vec<WhoAddedRow>,
    /// Section 5: mesh inventory and peering.
    pub inventory: Inventory,
    /// Section 6: CA certificates.
    pub certificates: Vec<CertificateRow>,
    /// Section 7: remote-secret credentials.
    pub credentials: Vec<CredentialRow>,
    /// Section 8: control-by-control results.
    pub controls: Vec<ControlResult>,
    /// Section 9: collection gaps.
    pub gaps: Vec<GapRow>,
    /// Section 10: trust-change timeline for the period (the most recent
    /// [`TIMELINE_LIMIT`](crate::report::build::TIMELINE_LIMIT) events).
    pub timeline: Vec<TimelineRow>,
    /// When the period holds more events than the report lists: how many, by action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline_omitted: Option<TimelineOmitted>,
    /// All findings of the scan, in the one total order.
    pub findings: Vec<Finding>,
    /// Section 11: methodology and how to verify.
    pub methodology: Methodology,
    /// Appendix B: changes since the previous complete scan. Present in reports written by
    /// `meshproof scan` when the store holds an earlier complete scan; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
}

impl Report {
    /// The findings `control` cites, in report order.
    pub fn findings_of<'a>(&'a self, control: &'a ControlResult) -> impl Iterator<Item = &'a Finding> + 'a {
        control.findings.iter().filter_map(|&i| self.findings.get(i))
    }
}

impl ControlResult {
    /// For the prose formats: how many of its findings are not listed under the control, as a
    /// sentence (none when all are).
    pub fn unlisted_findings(&self) -> Option<String> {
        let more = self
            .findings
            .len()
            .checked_sub(CONTROL_FINDINGS_LISTED)
            .filter(|n| *n > 0)?;
        Some(format!(
            "The first {CONTROL_FINDINGS_LISTED} of {} findings are listed here; the other {more} are in \"All findings\", where every finding is listed once.",
            self.findings.len()
        ))
    }
}

/// For the prose formats: the note after the first [`REFS_LISTED`] of `n` evidence references
/// (none when all are shown).
pub fn unlisted_refs(n: usize) -> Option<String> {
    let more = n.checked_sub(REFS_LISTED).filter(|m| *m > 0)?;
    Some(format!("+{more} more records (JSON report)"))
}

/// How many of a control's findings the prose formats (PDF, HTML, Markdown) list under the
/// control; the rest are in the list of all findings, where each finding appears once.
pub const CONTROL_FINDINGS_LISTED: usize = 10;

/// How many evidence references of one row the prose formats show; the JSON report and
/// `meshproof findings -o json` carry them all.
pub const REFS_LISTED: usize = 6;

/// Appendix B: what changed in mesh trust state between the previous complete scan and this one
/// (the rows of `meshproof diff`), each scan evaluated at its own collection time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// The previous scan.
    pub from_scan: u64,
    /// When it was collected, RFC 3339.
    pub from_collected_at: String,
    /// This report's scan.
    pub to_scan: u64,
    /// When it was collected, RFC 3339.
    pub to_collected_at: String,
    /// Findings present now and not in the previous scan.
    pub findings_opened: u64,
    /// Findings of the previous scan that are gone.
    pub findings_closed: u64,
    /// Findings in both.
    pub findings_still_open: u64,
    /// One row per change, in `meshproof diff` order.
    pub rows: Vec<ChangeRow>,
}

/// A framework catalogue's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkInfo {
    /// `soc2`, `pci-dss`, `dora`, or a user-defined id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version of the framework.
    pub version: String,
    /// Who publishes it.
    pub publisher: String,
}

/// Section 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    /// Organisation (from configuration).
    pub organisation: Option<String>,
    /// Clusters in scope (collected or in the mesh), sorted.
    pub clusters: Vec<String>,
    /// Namespaces seen in scope, sorted.
    pub namespaces: Vec<String>,
    /// Start of the period the report covers (earliest evidence time), RFC 3339.
    pub period_start: Option<String>,
    /// End of the period (the as-of time), RFC 3339.
    pub period_end: String,
    /// The evaluation time, RFC 3339.
    pub as_of: String,
    /// Scan number.
    pub scan: u64,
    /// When the scan was collected, RFC 3339.
    pub collected_at: String,
    /// `meshproof <version>`.
    pub generator: String,
}

/// Section 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    /// Hash of the last record of the store.
    pub store_head: String,
    /// Records in the store.
    pub records: u64,
    /// The latest checkpoint covering the scan.
    pub checkpoint: Option<CheckpointInfo>,
    /// Result of a full `verify` run made while building the report.
    pub verified: bool,
    /// The first problem `verify` found, if any.
    pub problem: Option<String>,
}

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// Tree size.
    pub tree_size: u64,
    /// Merkle root, hex.
    pub root: String,
    /// Origin line.
    pub origin: String,
    /// The verifier key (note format).
    pub key: String,
    /// SHA-256 fingerprint of the public key, hex.
    pub key_fingerprint: String,
    /// The signed note text.
    pub note: String,
}

/// Section 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Controls satisfied.
    pub satisfied: u64,
    /// Controls not satisfied.
    pub not_satisfied: u64,
    /// Controls not evaluated.
    pub not_evaluated: u64,
    /// Findings per severity, most severe first (every severity listed, zeros included).
    pub findings_by_severity: Vec<SeverityCount>,
    /// The most important risks, one sentence each.
    pub top_risks: Vec<String>,
}

/// A count of findings of one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCount {
    /// Severity.
    pub severity: Severity,
    /// Number of findings.
    pub count: u64,
}

/// Section 4: one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAddedRow {
    /// Cluster.
    pub cluster: String,
    /// When it was added, RFC 3339.
    pub added_at: Option<String>,
    /// Who added it.
    pub added_by: Option<String>,
    /// The identity that applied it, when different.
    pub applied_by: Option<String>,
    /// The committer, when different from the author.
    pub committer: Option<String>,
    /// Trust domain.
    pub trust_domain: String,
    /// Where the trust domain was read (`mesh-config`, `peer-gateway`, `ca-certificate`, `assumed`).
    pub trust_domain_source: String,
    /// `management-plane-registration` or `manual-peering`.
    pub method: String,
    /// Records cited.
    pub evidence: Vec<RecordRef>,
}

/// Section 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Every cluster seen, sorted.
    pub clusters: Vec<ClusterRow>,
    /// Who holds credentials or peer gateways for whom.
    pub peering: Vec<PeeringCell>,
}

/// One cluster of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRow {
    /// Cluster name.
    pub cluster: String,
    /// In the mesh (registered, or collected, running the mesh and peered).
    pub in_mesh: bool,
    /// Registered on the management plane.
    pub registered: bool,
    /// Collected in this scan.
    pub collected: bool,
    /// Trust domain, when known.
    pub trust_domain: Option<String>,
    /// Kept objects collected from it.
    pub objects: u64,
    /// Open findings on it.
    pub findings: u64,
}

/// One cell of the peering matrix: `holder` holds something for `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeeringCell {
    /// The cluster holding the credential / gateway.
    pub holder: String,
    /// The cluster it points to.
    pub target: String,
    /// A remote secret (bearer credential) for the target.
    pub credential: bool,
    /// An `istio-remote` peer Gateway for the target.
    pub gateway: bool,
    /// The target holds nothing back.
    pub asymmetric: bool,
    /// The target is not in the mesh.
    pub orphaned: bool,
    /// Records cited.
    pub evidence: Vec<RecordRef>,
}

/// Section 6: one CA certificate on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRow {
    /// Cluster.
    pub cluster: String,
    /// `root` or `intermediate`.
    pub role: String,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// Key, e.g. `RSA 4096`, `EC P-256`.
    pub key: String,
    /// Signature algorithm.
    pub signature_algorithm: String,
    /// Validity start, RFC 3339.
    pub not_before: String,
    /// Validity end, RFC 3339.
    pub not_after: String,
    /// Days from as-of to expiry (negative when expired).
    pub days_left: i64,
    /// `valid`, or what is wrong with the chain.
    pub chain_status: String,
    /// E.g. `current`, `rotation in progress (2 roots)`, `stale root`.
    pub rotation_state: String,
    /// SHA-256 fingerprint, hex.
    pub fingerprint: String,
    /// Records cited.
    pub evidence: Vec<RecordRef>,
}

/// Section 7: one remote-secret credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRow {
    /// Cluster holding it.
    pub holder: String,
    /// Cluster it grants access to.
    pub target: String,
    /// Service account it acts as (`namespace/name`), when known.
    pub identity: Option<String>,
    /// `bound`, `legacy` or `other`.
    pub token_kind: String,
    /// Issued at, RFC 3339.
    pub issued: Option<String>,
    /// Expires at, RFC 3339.
    pub expires: Option<String>,
    /// Age in days at as-of.
    pub age_days: Option<i64>,
    /// Skips TLS verification or lacks CA data.
    pub insecure_tls: bool,
    /// Records cited.
    pub evidence: Vec<RecordRef>,
}

/// Section 8: one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    /// Framework id.
    pub framework: String,
    /// Control id, e.g. `CC6.1`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// `satisfied`, `not-satisfied` or `not-evaluated`.
    pub status: ControlStatus,
    /// Why this status (one sentence).
    pub rationale: String,
    /// What the evidence shows for this control.
    pub evidence_description: String,
    /// Scope note (requirements applied by analogy).
    pub scope_note: Option<String>,
    /// Checks mapped to it.
    pub checks: Vec<String>,
    /// Every finding of its mapped checks (open and waived), plus, when a collection gap leaves
    /// it not evaluated, the CHG-003 findings of those gaps: positions (0-based, ascending) in
    /// [`Report::findings`], which lists each finding once ([`Report::findings_of`]).
    pub findings: Vec<usize>,
}

/// A control's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    /// Every mapped check ran on complete evidence and reported nothing open.
    Satisfied,
    /// At least one open finding.
    NotSatisfied,
    /// Evidence missing (gap) or nothing to evaluate.
    NotEvaluated,
}

/// Section 9: one collection gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapRow {
    /// Cluster, when known.
    pub cluster: Option<String>,
    /// Source (`k8s/<cluster>`, `git/<repo>`, …).
    pub source: String,
    /// What could not be collected.
    pub what: String,
    /// Why.
    pub reason: String,
    /// Controls this leaves not evaluated.
    pub unevaluated_controls: Vec<String>,
    /// The gap record.
    pub evidence: Vec<RecordRef>,
}

/// Section 10: one trust-relevant event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// RFC 3339.
    pub time: String,
    /// Cluster.
    pub cluster: Option<String>,
    /// Kebab-case action.
    pub action: String,
    /// What it is about.
    pub subject: String,
    /// Who did it.
    pub actor: Option<String>,
    /// `audit`, `git` or `object`.
    pub source: String,
    /// `success`, `refused` or `unknown`.
    pub outcome: String,
    /// One line of detail.
    pub detail: String,
    /// Records cited.
    pub evidence: Vec<RecordRef>,
}

/// Section 10 when it lists only the most recent events of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineOmitted {
    /// Events in the period.
    pub total: usize,
    /// Events listed (the most recent ones).
    pub listed: usize,
    /// Events in the period per action, listed or not.
    pub by_action: std::collections::BTreeMap<String, usize>,
}

impl TimelineOmitted {
    /// One sentence for the prose formats.
    pub fn sentence(&self) -> String {
        let by: Vec<String> = self.by_action.iter().map(|(a, n)| format!("{a} {n}")).collect();
        format!(
            "The period holds {} events ({}); the {} most recent are listed. `meshproof timeline` lists them all.",
            self.total,
            by.join(", "),
            self.listed
        )
    }
}

/// Section 11.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Methodology {
    /// How the evidence was collected and evaluated (paragraphs).
    pub paragraphs: Vec<String>,
    /// Commands an auditor runs to verify.
    pub verify_commands: Vec<String>,
    /// The public key to pin (note format).
    pub public_key: Option<String>,
}
