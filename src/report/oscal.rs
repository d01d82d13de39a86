//! OSCAL assessment-results renderer: the report document as NIST OSCAL 1.1.3 JSON for GRC tools.
//!
//! [`render`] maps one [`Report`] (one scan) onto one `assessment-results` document:
//!
//! | report                          | OSCAL                                                                |
//! |---------------------------------|----------------------------------------------------------------------|
//! | title, as-of, scan              | `metadata` (`last-modified` = as-of, `version` = `scan <n>`)         |
//! | methodology                     | back-matter resource "automated collection"; `import-ap` points to it |
//! | the scan                        | one `result` (`start` = period start, `end` = as-of)                 |
//! | frameworks and their controls   | `reviewed-controls`, one control selection per framework              |
//! | clusters, the tool              | `local-definitions.components`                                       |
//! | CA certificates, credentials    | `local-definitions.inventory-items` (linked to their cluster)        |
//! | each check executed             | one `observation` (method `TEST`, type `discovery`, evidence links)   |
//! | each gap                        | one `observation` citing the gap record                              |
//! | satisfied / not-satisfied       | one `finding` per control, target `objective-id`                      |
//! | checkpoint, store head          | back-matter resources with `rlinks` and SHA-256 `hashes`             |
//!
//! Evidence records are cited as `evidence://<seq>` with the record hash in a `record-hash`
//! property and in the description, so an auditor can run `meshproof evidence show <seq>`.
//!
//! **Not-evaluated controls.** OSCAL's objective status has only `satisfied` and `not-satisfied`,
//! and reporting "not evaluated" as either would misstate the evidence. Such a control stays in
//! `reviewed-controls`, gets no `finding`, and gets an observation of type `control-objective` with
//! the property `evaluation-status = not-evaluated`, the rationale, and the gap records behind it.
//!
//! **Identifiers.** Every UUID is a version-5 UUID in the fixed namespace [`NAMESPACE`] over a
//! stable name (the kind of object plus its natural key, e.g. `cluster` + name, or scan + store
//! head + check id), so the same document always renders to the same bytes and a cluster keeps its
//! UUID across scans. OSCAL `token` fields (control ids, `target-id`) only allow letters, digits,
//! `.`, `-` and `_` and must start with a letter, so a control id is written as
//! `<framework>_<id>` with every other character run replaced by `-` (`pci-dss` `8.3.1` →
//! `pci-dss_8.3.1`, `dora` `DORA Art. 9(4)(c)` → `dora_DORA-Art.-9-4-c`); the original id is kept
//! in a `control-id` property.
//!
//! This module does not validate its output against the schema at run time; the integration
//! test `tests/it/report_oscal.rs` does, against the official NIST schema in `tests/fixtures/oscal/`.
//! Wire types live in [`model`].

pub mod model;

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use self::model::{
    AssessmentResult, AssessmentResults, BackMatter, Component, ComponentStatus, ControlSelection, Document, Finding,
    FindingTarget, Hash, ImplementedComponent, ImportAp, InventoryItem, LocalDefinitions, Metadata, ObjectiveStatus,
    Observation, Origin, OriginActor, Party, Property, RelatedObservation, RelevantEvidence, Resource, ResourceLink,
    ReviewedControls, SelectControl, SubjectReference,
};
use super::RenderError;
use super::model::{CONTROL_FINDINGS_LISTED, ControlResult, ControlStatus, Report};
use crate::model::{Finding as ReportFinding, RecordRef};

/// The OSCAL model version the output conforms to.
pub const OSCAL_VERSION: &str = "1.1.3";

/// Namespace of meshproof's property names (`ns` of every `prop`).
pub const PROP_NS: &str = "urn:meshproof:oscal";

/// The fixed UUID namespace all identifiers are derived from (version-5 UUIDs).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x8f1c_2a6e_5b0d_4e7a_9c3f_6d2e_1b4a_7c90);

const FORMAT: &str = "oscal";

/// Renders `report` as an OSCAL assessment-results JSON document (UTF-8, pretty, final newline).
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let document = build(report)?;
    let mut bytes = serde_json::to_vec_pretty(&document).map_err(|e| RenderError::Failed {
        format: FORMAT,
        reason: format!("serializing the document: {e}"),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Builds the OSCAL document for `report` (what [`render`] serializes).
pub fn build(report: &Report) -> Result<Document, RenderError> {
    let as_of = timestamp("cover.as_of", &report.cover.as_of)?;
    let collected = timestamp("cover.collected_at", &report.cover.collected_at)?;
    let end = timestamp("cover.period_end", &report.cover.period_end)?;
    let start = match &report.cover.period_start {
        Some(s) => timestamp("cover.period_start", s)?,
        None => collected.clone(),
    };
    let scan = report.cover.scan.to_string();
    let head = report.integrity.store_head.as_str();

    let tool_uuid = id("tool", &["meshproof"]);
    let clusters = Clusters::collect(report);
    let collection_uuid = id("resource", &["collection-method"]);

    let mut observations = Vec::new();
    let check_observations = check_observations(report, &clusters, &tool_uuid, &collected);
    let mut check_uuids = BTreeMap::new();
    for (check, observation) in check_observations {
        check_uuids.insert(check, observation.uuid.clone());
        observations.push(observation);
    }
    let mut findings = Vec::new();
    for control in &report.controls {
        match control.status {
            ControlStatus::Satisfied | ControlStatus::NotSatisfied => {
                findings.push(control_finding(report, control, &check_uuids, &tool_uuid));
            }
            ControlStatus::NotEvaluated => {
                observations.push(not_evaluated_observation(report, control, &tool_uuid, &collected));
            }
        }
    }
    for (index, gap) in report.gaps.iter().enumerate() {
        let index = index.to_string();
        let mut props = vec![prop("observation-kind", "collection-gap")];
        props.extend(opt_prop("gap-source", &gap.source));
        if let Some(cluster) = &gap.cluster {
            props.extend(opt_prop("cluster", cluster));
        }
        for control in &gap.unevaluated_controls {
            props.extend(opt_prop("unevaluated-control", control));
        }
        let subjects = gap
            .cluster
            .as_deref()
            .and_then(|c| clusters.subject(c))
            .into_iter()
            .collect();
        observations.push(Observation {
            uuid: id("gap", &[&scan, head, &index, &gap.source, &gap.what]),
            title: format!("Collection gap: {}", gap.source),
            description: format!("Could not collect {} from {}: {}.", gap.what, gap.source, gap.reason),
            props,
            methods: vec!["TEST".into()],
            types: vec!["discovery".into()],
            origins: vec![tool_origin(&tool_uuid)],
            subjects,
            relevant_evidence: evidence_links(
                gap.evidence
                    .iter()
                    .map(|r| (*r, format!("gap record for {} ({})", gap.source, gap.what))),
            ),
            collected: collected.clone(),
            remarks: None,
        });
    }

    let mut metadata_props = vec![prop("generator", &report.cover.generator)];
    metadata_props.retain(|p| !p.value.is_empty());
    metadata_props.extend(opt_prop("report-schema", &report.schema));
    let parties = report
        .cover
        .organisation
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|org| Party {
            uuid: id("party", &[org]),
            kind: "organization".into(),
            name: single_line(org),
        })
        .into_iter()
        .collect();

    let mut result_props = vec![prop("scan", &scan)];
    result_props.extend(opt_prop("store-head", head));
    result_props.push(prop("records", &report.integrity.records.to_string()));
    result_props.push(prop(
        "chain-verified",
        if report.integrity.verified { "true" } else { "false" },
    ));
    if let Some(problem) = &report.integrity.problem {
        result_props.extend(opt_prop("integrity-problem", problem));
    }

    let result = AssessmentResult {
        uuid: id("result", &[&scan, head]),
        title: format!("Scan {scan}"),
        description: format!(
            "Automated meshproof scan {scan} of {} cluster(s) ({}), collected {} and evaluated as of {}.",
            report.cover.clusters.len(),
            if report.cover.clusters.is_empty() {
                "none".to_string()
            } else {
                report.cover.clusters.join(", ")
            },
            collected,
            as_of
        ),
        start,
        end,
        props: result_props,
        local_definitions: LocalDefinitions {
            components: components(report, &clusters, &tool_uuid),
            inventory_items: inventory_items(report, &clusters),
        },
        reviewed_controls: reviewed_controls(report),
        observations,
        findings,
        remarks: Some(
            "Controls that could not be evaluated have no finding; see the observations with \
             evaluation-status not-evaluated."
                .into(),
        ),
    };

    Ok(Document {
        assessment_results: AssessmentResults {
            uuid: id(
                "assessment-results",
                &[
                    &report
                        .frameworks
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    report.cover.organisation.as_deref().unwrap_or(""),
                ],
            ),
            metadata: Metadata {
                title: report.title.clone(),
                last_modified: as_of,
                version: format!("scan {scan}"),
                oscal_version: OSCAL_VERSION.into(),
                props: metadata_props,
                parties,
            },
            import_ap: ImportAp {
                href: format!("#{collection_uuid}"),
                remarks: Some(
                    "Continuous automated collection; no separate assessment plan. The referenced \
                     back-matter resource describes the method."
                        .into(),
                ),
            },
            results: vec![result],
            back_matter: back_matter(report, collection_uuid),
        },
    })
}

/// A version-5 UUID for `kind` and the parts of its natural key.
fn id(kind: &str, parts: &[&str]) -> String {
    let mut name = String::from(kind);
    for part in parts {
        name.push('\u{1f}');
        name.push_str(part);
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// Parses an RFC 3339 time from the document and writes it in UTC (`…Z`).
fn timestamp(field: &str, value: &str) -> Result<String, RenderError> {
    chrono::DateTime::parse_from_rfc3339(value.trim())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
        .map_err(|e| RenderError::Failed {
            format: FORMAT,
            reason: format!("{field} is not an RFC 3339 time ({value:?}): {e}"),
        })
}

/// An OSCAL token for a framework's control id (see the module docs).
pub fn control_token(framework: &str, control: &str) -> String {
    let mut token = String::new();
    for part in [framework, control] {
        if !token.is_empty() {
            token.push('_');
        }
        let mut dash = false;
        for c in part.chars() {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') || (c == '-' && !dash) {
                dash = c == '-';
                token.push(c);
            } else if !dash && !token.is_empty() && !token.ends_with('_') {
                token.push('-');
                dash = true;
            }
        }
        while token.ends_with('-') {
            token.pop();
        }
    }
    if !token.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        token.insert_str(0, "c_");
    }
    token
}

/// Collapses whitespace so the value satisfies OSCAL's `string` datatype (single line, trimmed).
fn single_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn prop(name: &str, value: &str) -> Property {
    Property {
        name: name.into(),
        ns: Some(PROP_NS.into()),
        value: single_line(value),
    }
}

/// A property, or nothing when the value is blank.
fn opt_prop(name: &str, value: &str) -> Option<Property> {
    let p = prop(name, value);
    (!p.value.is_empty()).then_some(p)
}

fn tool_origin(tool_uuid: &str) -> Origin {
    Origin {
        actors: vec![OriginActor {
            kind: "tool".into(),
            actor_uuid: tool_uuid.into(),
        }],
    }
}

/// `relevant-evidence` entries, one per record (sorted by sequence), merging what cites it.
fn evidence_links(refs: impl IntoIterator<Item = (RecordRef, String)>) -> Vec<RelevantEvidence> {
    let mut by_record: BTreeMap<RecordRef, BTreeSet<String>> = BTreeMap::new();
    for (record, why) in refs {
        by_record.entry(record).or_default().insert(why);
    }
    by_record
        .into_iter()
        .map(|(record, why)| {
            let hash = record.hash.to_hex();
            RelevantEvidence {
                href: Some(format!("evidence://{}", record.seq)),
                description: format!(
                    "Evidence record {} (record hash sha256:{hash}): {}.",
                    record.seq,
                    why.into_iter().collect::<Vec<_>>().join("; ")
                ),
                props: vec![prop("record-seq", &record.seq.to_string()), prop("record-hash", &hash)],
            }
        })
        .collect()
}

/// Every cluster named anywhere in the report, with its component UUID.
struct Clusters {
    uuids: BTreeMap<String, String>,
}

impl Clusters {
    fn collect(report: &Report) -> Clusters {
        let mut names = BTreeSet::new();
        names.extend(report.cover.clusters.iter().cloned());
        names.extend(report.inventory.clusters.iter().map(|c| c.cluster.clone()));
        names.extend(report.who_added.iter().map(|r| r.cluster.clone()));
        names.extend(report.certificates.iter().map(|c| c.cluster.clone()));
        for c in &report.credentials {
            names.insert(c.holder.clone());
            names.insert(c.target.clone());
        }
        for p in &report.inventory.peering {
            names.insert(p.holder.clone());
            names.insert(p.target.clone());
        }
        names.extend(report.findings.iter().filter_map(|f| f.cluster.clone()));
        names.extend(report.gaps.iter().filter_map(|g| g.cluster.clone()));
        let uuids = names
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                let uuid = id("cluster", &[&n]);
                (n, uuid)
            })
            .collect();
        Clusters { uuids }
    }

    fn uuid(&self, cluster: &str) -> Option<&String> {
        self.uuids.get(cluster)
    }

    fn subject(&self, cluster: &str) -> Option<SubjectReference> {
        self.uuid(cluster).map(|uuid| SubjectReference {
            subject_uuid: uuid.clone(),
            kind: "component".into(),
            title: Some(format!("cluster {cluster}")),
        })
    }
}

fn components(report: &Report, clusters: &Clusters, tool_uuid: &str) -> Vec<Component> {
    let mut out = vec![Component {
        uuid: tool_uuid.into(),
        kind: "software".into(),
        title: "meshproof".into(),
        description: format!(
            "The evidence collector and analyser that produced these results ({}).",
            report.cover.generator
        ),
        props: Vec::new(),
        status: ComponentStatus {
            state: "operational".into(),
            remarks: None,
        },
    }];
    let rows: BTreeMap<&str, _> = report
        .inventory
        .clusters
        .iter()
        .map(|r| (r.cluster.as_str(), r))
        .collect();
    for (name, uuid) in &clusters.uuids {
        let row = rows.get(name.as_str());
        let mut props = vec![prop("cluster", name)];
        let in_mesh = row.is_some_and(|r| r.in_mesh);
        if let Some(r) = row {
            props.push(prop("in-mesh", bool_str(r.in_mesh)));
            props.push(prop("registered", bool_str(r.registered)));
            props.push(prop("collected", bool_str(r.collected)));
            if let Some(td) = &r.trust_domain {
                props.extend(opt_prop("trust-domain", td));
            }
            props.push(prop("objects", &r.objects.to_string()));
            props.push(prop("open-findings", &r.findings.to_string()));
        }
        out.push(Component {
            uuid: uuid.clone(),
            kind: "system".into(),
            title: format!("Kubernetes cluster {name}"),
            description: match row {
                Some(r) if r.in_mesh => format!("Cluster {name}, a member of the Istio Ambient mesh."),
                Some(_) => format!("Cluster {name}, seen in the evidence but not in the mesh."),
                None => format!("Cluster {name}, referenced by the evidence."),
            },
            props,
            status: ComponentStatus {
                state: if in_mesh { "operational" } else { "other" }.into(),
                remarks: (!in_mesh).then(|| "not a member of the mesh at as-of".into()),
            },
        });
    }
    out
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn implemented_in(clusters: &Clusters, cluster: &str) -> Vec<ImplementedComponent> {
    clusters
        .uuid(cluster)
        .map(|uuid| ImplementedComponent {
            component_uuid: uuid.clone(),
        })
        .into_iter()
        .collect()
}

fn inventory_items(report: &Report, clusters: &Clusters) -> Vec<InventoryItem> {
    let mut items = BTreeMap::new();
    for cert in &report.certificates {
        let uuid = id("ca-certificate", &[&cert.cluster, &cert.role, &cert.fingerprint]);
        let mut props = vec![prop("asset-type", "ca-certificate")];
        for (name, value) in [
            ("cluster", &cert.cluster),
            ("ca-role", &cert.role),
            ("subject", &cert.subject),
            ("issuer", &cert.issuer),
            ("serial", &cert.serial),
            ("key", &cert.key),
            ("signature-algorithm", &cert.signature_algorithm),
            ("not-before", &cert.not_before),
            ("not-after", &cert.not_after),
            ("chain-status", &cert.chain_status),
            ("rotation-state", &cert.rotation_state),
            ("fingerprint-sha256", &cert.fingerprint),
        ] {
            props.extend(opt_prop(name, value));
        }
        props.push(prop("days-left", &cert.days_left.to_string()));
        items.insert(
            uuid.clone(),
            InventoryItem {
                uuid,
                description: format!(
                    "{} CA certificate on cluster {}: {}",
                    cert.role, cert.cluster, cert.subject
                ),
                props,
                implemented_components: implemented_in(clusters, &cert.cluster),
            },
        );
    }
    for cred in &report.credentials {
        let identity = cred.identity.as_deref().unwrap_or("");
        let uuid = id("credential", &[&cred.holder, &cred.target, identity]);
        let mut props = vec![
            prop("asset-type", "remote-secret-credential"),
            prop("holder", &cred.holder),
            prop("target", &cred.target),
        ];
        props.extend(opt_prop("identity", identity));
        props.extend(opt_prop("token-kind", &cred.token_kind));
        for (name, value) in [("issued", &cred.issued), ("expires", &cred.expires)] {
            if let Some(v) = value {
                props.extend(opt_prop(name, v));
            }
        }
        if let Some(age) = cred.age_days {
            props.push(prop("age-days", &age.to_string()));
        }
        props.push(prop("insecure-tls", bool_str(cred.insecure_tls)));
        items.insert(
            uuid.clone(),
            InventoryItem {
                uuid,
                description: format!(
                    "Remote-secret credential held by {} for {} ({} token)",
                    cred.holder, cred.target, cred.token_kind
                ),
                props,
                implemented_components: implemented_in(clusters, &cred.holder),
            },
        );
    }
    items.into_values().collect()
}

fn reviewed_controls(report: &Report) -> ReviewedControls {
    let mut by_framework: BTreeMap<&str, Vec<&ControlResult>> = BTreeMap::new();
    for f in &report.frameworks {
        by_framework.entry(f.id.as_str()).or_default();
    }
    for c in &report.controls {
        by_framework.entry(c.framework.as_str()).or_default().push(c);
    }
    let mut selections: Vec<ControlSelection> = by_framework
        .into_iter()
        .map(|(framework, controls)| {
            let info = report.frameworks.iter().find(|f| f.id == framework);
            let tokens: BTreeSet<String> = controls.iter().map(|c| control_token(framework, &c.id)).collect();
            ControlSelection {
                description: Some(match info {
                    Some(f) => format!("{} {} ({})", f.name, f.version, f.publisher),
                    None => format!("Framework {framework}"),
                }),
                props: opt_prop("framework", framework).into_iter().collect(),
                include_controls: tokens
                    .into_iter()
                    .map(|control_id| SelectControl { control_id })
                    .collect(),
            }
        })
        .collect();
    if selections.is_empty() {
        selections.push(ControlSelection {
            description: Some("No framework controls were in scope.".into()),
            props: Vec::new(),
            include_controls: Vec::new(),
        });
    }
    ReviewedControls {
        description: Some(
            "Controls of the selected frameworks whose evidence meshproof collects; control ids \
             are written as <framework>_<control id> tokens."
                .into(),
        ),
        control_selections: selections,
    }
}

/// One observation per check executed, keyed by check id.
fn check_observations(
    report: &Report,
    clusters: &Clusters,
    tool_uuid: &str,
    collected: &str,
) -> BTreeMap<String, Observation> {
    let scan = report.cover.scan.to_string();
    let head = report.integrity.store_head.as_str();
    let mut checks: BTreeMap<&str, Vec<&ReportFinding>> = BTreeMap::new();
    for c in &report.controls {
        for check in &c.checks {
            checks.entry(check.as_str()).or_default();
        }
    }
    for f in &report.findings {
        checks.entry(f.check.as_str()).or_default().push(f);
    }
    let collected_clusters: Vec<&str> = report
        .inventory
        .clusters
        .iter()
        .filter(|c| c.collected)
        .map(|c| c.cluster.as_str())
        .collect();

    let mut out = BTreeMap::new();
    for (check, findings) in checks {
        let mut findings = findings;
        findings.sort();
        let open = findings.iter().filter(|f| !f.is_waived()).count();
        let waived = findings.len() - open;
        let mapped: Vec<&ControlResult> = report
            .controls
            .iter()
            .filter(|c| c.checks.iter().any(|k| k == check))
            .collect();
        let not_evaluated =
            findings.is_empty() && !mapped.is_empty() && mapped.iter().all(|c| c.status == ControlStatus::NotEvaluated);
        let outcome = if open > 0 {
            "fail"
        } else if not_evaluated {
            "not-evaluated"
        } else {
            "pass"
        };
        let name = findings.first().map(|f| f.name.as_str()).unwrap_or("");
        let mut props = vec![prop("observation-kind", "check-execution")];
        props.extend(opt_prop("check-id", check));
        props.extend(opt_prop("check-name", name));
        props.push(prop("outcome", outcome));
        props.push(prop("open-findings", &open.to_string()));
        props.push(prop("waived-findings", &waived.to_string()));
        if let Some(worst) = findings.iter().map(|f| f.severity).min() {
            props.push(prop("highest-severity", worst.as_str()));
        }
        for c in &mapped {
            props.extend(opt_prop("control-id", &format!("{} {}", c.framework, c.id)));
        }

        let subject_clusters: BTreeSet<&str> = if findings.is_empty() {
            collected_clusters.iter().copied().collect()
        } else {
            findings.iter().filter_map(|f| f.cluster.as_deref()).collect()
        };
        let subjects = subject_clusters
            .into_iter()
            .filter_map(|c| clusters.subject(c))
            .collect();

        let description = if findings.is_empty() {
            match outcome {
                "not-evaluated" => format!(
                    "Check {check} could not be evaluated on scan {scan}: the evidence it needs is \
                     missing (see the collection gaps)."
                ),
                _ => format!("Check {check} ran on scan {scan} and reported no findings."),
            }
        } else {
            let lines: Vec<String> = findings
                .iter()
                .map(|f| {
                    format!(
                        "[{}{}] {}{}",
                        f.severity,
                        if f.is_waived() { ", waived" } else { "" },
                        f.cluster.as_deref().map(|c| format!("{c}: ")).unwrap_or_default(),
                        f.message
                    )
                })
                .collect();
            format!(
                "Check {check} ran on scan {scan} and reported {} finding(s) ({open} open, {waived} \
                 waived): {}",
                findings.len(),
                lines.join(" ")
            )
        };
        let remediation: BTreeSet<&str> = findings
            .iter()
            .map(|f| f.remediation.trim())
            .filter(|r| !r.is_empty())
            .collect();
        let evidence = evidence_links(findings.iter().flat_map(|f| {
            let why = format!(
                "{} {} on {}",
                f.check,
                f.subject,
                f.cluster.as_deref().unwrap_or("the mesh")
            );
            f.evidence.iter().map(move |r| (*r, why.clone()))
        }));
        out.insert(
            check.to_string(),
            Observation {
                uuid: id("observation", &[&scan, head, check]),
                title: format!("Check {check}"),
                description,
                props,
                methods: vec!["TEST".into()],
                types: vec!["discovery".into()],
                origins: vec![tool_origin(tool_uuid)],
                subjects,
                relevant_evidence: evidence,
                collected: collected.into(),
                remarks: (!remediation.is_empty())
                    .then(|| format!("Remediation: {}", remediation.into_iter().collect::<Vec<_>>().join(" "))),
            },
        );
    }
    out
}

fn control_finding(
    report: &Report,
    control: &ControlResult,
    check_uuids: &BTreeMap<String, String>,
    tool_uuid: &str,
) -> Finding {
    let scan = report.cover.scan.to_string();
    let head = report.integrity.store_head.as_str();
    let satisfied = control.status == ControlStatus::Satisfied;
    let mut props = vec![prop("framework", &control.framework)];
    props.extend(opt_prop("control-id", &control.id));
    props.push(prop(
        "control-status",
        if satisfied { "satisfied" } else { "not-satisfied" },
    ));
    if let Some(note) = &control.scope_note {
        props.extend(opt_prop("scope-note", note));
    }
    let related: BTreeSet<&String> = control
        .checks
        .iter()
        .chain(report.findings_of(control).map(|f| &f.check))
        .filter_map(|c| check_uuids.get(c))
        .collect();
    let mut description = format!("{} {}", control.rationale.trim(), control.evidence_description.trim());
    if !control.findings.is_empty() {
        // The related observations cite every finding's records; the description names the
        // first few, like the prose formats.
        let mut listed: Vec<String> = report
            .findings_of(control)
            .take(CONTROL_FINDINGS_LISTED)
            .map(|f| {
                format!(
                    "{} ({}{}): {}",
                    f.check,
                    f.severity,
                    if f.is_waived() { ", waived" } else { "" },
                    f.message
                )
            })
            .collect();
        listed.extend(control.unlisted_findings());
        description.push_str(" Findings: ");
        description.push_str(&listed.join(" "));
    }
    Finding {
        uuid: id("finding", &[&scan, head, &control.framework, &control.id]),
        title: format!("{} {}: {}", control.framework, control.id, control.title),
        description: description.trim().to_string(),
        props,
        origins: vec![tool_origin(tool_uuid)],
        target: FindingTarget {
            kind: "objective-id".into(),
            target_id: control_token(&control.framework, &control.id),
            title: Some(control.title.clone()),
            status: ObjectiveStatus {
                state: if satisfied { "satisfied" } else { "not-satisfied" }.into(),
                reason: Some(if satisfied { "pass" } else { "fail" }.into()),
                remarks: Some(control.rationale.clone()),
            },
        },
        related_observations: related
            .into_iter()
            .map(|uuid| RelatedObservation {
                observation_uuid: uuid.clone(),
            })
            .collect(),
        remarks: control.scope_note.clone(),
    }
}

fn not_evaluated_observation(
    report: &Report,
    control: &ControlResult,
    tool_uuid: &str,
    collected: &str,
) -> Observation {
    let scan = report.cover.scan.to_string();
    let head = report.integrity.store_head.as_str();
    let mut props = vec![
        prop("observation-kind", "control-not-evaluated"),
        prop("framework", &control.framework),
    ];
    props.extend(opt_prop("control-id", &control.id));
    props.push(prop("control-token", &control_token(&control.framework, &control.id)));
    props.push(prop("evaluation-status", "not-evaluated"));
    let evidence = evidence_links(
        report
            .gaps
            .iter()
            .filter(|g| g.unevaluated_controls.iter().any(|c| c == &control.id))
            .flat_map(|g| {
                let why = format!("collection gap: {} from {}", g.what, g.source);
                g.evidence.iter().map(move |r| (*r, why.clone()))
            }),
    );
    Observation {
        uuid: id("not-evaluated", &[&scan, head, &control.framework, &control.id]),
        title: format!("{} {} not evaluated: {}", control.framework, control.id, control.title),
        description: format!("{} {}", control.rationale.trim(), control.evidence_description.trim())
            .trim()
            .to_string(),
        props,
        methods: vec!["TEST".into()],
        types: vec!["control-objective".into()],
        origins: vec![tool_origin(tool_uuid)],
        subjects: Vec::new(),
        relevant_evidence: evidence,
        collected: collected.into(),
        remarks: Some("OSCAL has no not-evaluated objective state, so this control has no finding.".into()),
    }
}

fn back_matter(report: &Report, collection_uuid: String) -> BackMatter {
    let m = &report.methodology;
    let mut resources = vec![Resource {
        uuid: collection_uuid,
        title: "Automated evidence collection (meshproof)".into(),
        description: Some(if m.paragraphs.is_empty() {
            "Evidence is collected read-only from the clusters into an append-only, hash-chained \
             store and evaluated by meshproof's checks."
                .into()
        } else {
            m.paragraphs.join("\n\n")
        }),
        props: opt_prop("generator", &report.cover.generator).into_iter().collect(),
        rlinks: Vec::new(),
        remarks: (!m.verify_commands.is_empty()).then(|| format!("To verify:\n{}", m.verify_commands.join("\n"))),
    }];
    if let Some(cp) = &report.integrity.checkpoint {
        let size = cp.tree_size.to_string();
        let mut props = vec![prop("tree-size", &size)];
        props.extend(opt_prop("origin", &cp.origin));
        props.extend(opt_prop("key-fingerprint-sha256", &cp.key_fingerprint));
        props.extend(opt_prop("merkle-root", &cp.root));
        resources.push(Resource {
            uuid: id("resource", &["checkpoint", &size, &cp.root]),
            title: "Evidence chain checkpoint".into(),
            description: Some(format!(
                "Signed Merkle checkpoint over the first {size} evidence records (origin {}); \
                 verifier key SHA-256 fingerprint {}.",
                cp.origin, cp.key_fingerprint
            )),
            props,
            rlinks: vec![ResourceLink {
                href: format!("evidence://checkpoint/{size}"),
                media_type: Some("text/plain".into()),
                hashes: sha256_hash(&cp.root),
            }],
            remarks: (!cp.note.trim().is_empty()).then(|| cp.note.clone()),
        });
    }
    let head = &report.integrity.store_head;
    let records = report.integrity.records.to_string();
    let mut head_props = vec![prop("records", &records)];
    head_props.push(prop("chain-verified", bool_str(report.integrity.verified)));
    resources.push(Resource {
        uuid: id("resource", &["store-head", head, &records]),
        title: "Evidence store head".into(),
        description: Some(format!(
            "Hash of the last of the {records} records of the evidence store; a full verify run \
             {} while building the report{}.",
            if report.integrity.verified {
                "succeeded"
            } else {
                "failed"
            },
            report
                .integrity
                .problem
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        )),
        props: head_props,
        rlinks: vec![ResourceLink {
            href: "evidence://head".into(),
            media_type: None,
            hashes: sha256_hash(head),
        }],
        remarks: None,
    });
    if let Some(key) = m.public_key.as_ref().filter(|k| !k.trim().is_empty()) {
        resources.push(Resource {
            uuid: id("resource", &["public-key", key.trim()]),
            title: "Checkpoint verifier key".into(),
            description: Some("The public key to pin when verifying checkpoints.".into()),
            props: Vec::new(),
            rlinks: Vec::new(),
            remarks: Some(key.clone()),
        });
    }
    BackMatter { resources }
}

fn sha256_hash(value: &str) -> Vec<Hash> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    vec![Hash {
        algorithm: "SHA-256".into(),
        value: value.into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_tokens_are_ncnames() {
        assert_eq!(control_token("soc2", "CC6.1"), "soc2_CC6.1");
        assert_eq!(control_token("pci-dss", "8.3.1"), "pci-dss_8.3.1");
        assert_eq!(control_token("dora", "DORA Art. 9(4)(c)"), "dora_DORA-Art.-9-4-c");
        assert_eq!(control_token("", "1.2"), "c_1.2");
    }

    #[test]
    fn ids_are_v5_and_stable() {
        let a = id("cluster", &["east-1"]);
        assert_eq!(a, id("cluster", &["east-1"]));
        assert_ne!(a, id("cluster", &["east-2"]));
        let parsed = Uuid::parse_str(&a).map(|u| u.get_version_num()).ok();
        assert_eq!(parsed, Some(5));
    }

    #[test]
    fn times_are_normalised_to_utc() {
        assert_eq!(
            timestamp("t", "2026-12-01T01:00:00+01:00").ok().as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        assert!(timestamp("t", "yesterday").is_err());
    }
}
