//! OSCAL assessment-results wire types (the subset meshproof writes).
//!
//! Field names and nesting follow the NIST OSCAL 1.1.x JSON schema for assessment results
//! (`tests/fixtures/oscal/oscal_assessment-results_schema.json`). Only what the renderer fills is
//! modelled; optional arrays are skipped when empty because the schema requires `minItems: 1` for
//! every array it defines. These types carry no logic: [`super::render`] builds them.

use serde::Serialize;

/// The top-level document: `{"assessment-results": {...}}`.
#[derive(Debug, Serialize)]
pub struct Document {
    /// The one root element.
    #[serde(rename = "assessment-results")]
    pub assessment_results: AssessmentResults,
}

/// `assessment-results`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResults {
    /// Document UUID (v5).
    pub uuid: String,
    /// Document metadata.
    pub metadata: Metadata,
    /// The assessment plan (here: a back-matter resource describing automated collection).
    pub import_ap: ImportAp,
    /// One result per scan.
    pub results: Vec<AssessmentResult>,
    /// Resources: collection method, checkpoint, store head.
    pub back_matter: BackMatter,
}

/// `metadata`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    /// Document title.
    pub title: String,
    /// Last modification (the report's as-of).
    pub last_modified: String,
    /// Document version.
    pub version: String,
    /// OSCAL model version.
    pub oscal_version: String,
    /// Extra properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// Parties (the organisation, when known).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
}

/// `party`.
#[derive(Debug, Serialize)]
pub struct Party {
    /// Party UUID.
    pub uuid: String,
    /// `organization` or `person`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name.
    pub name: String,
}

/// `import-ap`.
#[derive(Debug, Serialize)]
pub struct ImportAp {
    /// `#<back-matter resource uuid>`.
    pub href: String,
    /// Why it points into back-matter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `property` (name/value pair, namespaced).
#[derive(Debug, Clone, Serialize)]
pub struct Property {
    /// Token name.
    pub name: String,
    /// Namespace URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
    /// Value (non-empty, no surrounding whitespace).
    pub value: String,
}

/// `result`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResult {
    /// Result UUID.
    pub uuid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Start of the evidence period.
    pub start: String,
    /// End of the evidence period.
    pub end: String,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// Clusters, CAs, credentials, the tool.
    pub local_definitions: LocalDefinitions,
    /// The controls in scope.
    pub reviewed_controls: ReviewedControls,
    /// One per check execution (plus not-evaluated controls and gaps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
    /// One per evaluated control.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Remarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `result/local-definitions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LocalDefinitions {
    /// Components.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Inventory items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inventory_items: Vec<InventoryItem>,
}

/// `system-component`.
#[derive(Debug, Serialize)]
pub struct Component {
    /// UUID.
    pub uuid: String,
    /// Component type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// Operational status.
    pub status: ComponentStatus,
}

/// `system-component/status`.
#[derive(Debug, Serialize)]
pub struct ComponentStatus {
    /// `operational`, `other`, ...
    pub state: String,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `inventory-item`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct InventoryItem {
    /// UUID.
    pub uuid: String,
    /// Description.
    pub description: String,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// The components (clusters) it belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub implemented_components: Vec<ImplementedComponent>,
}

/// `inventory-item/implemented-component`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImplementedComponent {
    /// The component UUID.
    pub component_uuid: String,
}

/// `reviewed-controls`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReviewedControls {
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Control selections (one per framework).
    pub control_selections: Vec<ControlSelection>,
}

/// `reviewed-controls/control-selection`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ControlSelection {
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// Controls included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include_controls: Vec<SelectControl>,
}

/// `select-control-by-id`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SelectControl {
    /// Control token.
    pub control_id: String,
}

/// `observation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Observation {
    /// UUID.
    pub uuid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// `TEST`, ...
    pub methods: Vec<String>,
    /// `discovery`, `control-objective`, ...
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// Who made it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
    /// What it is about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<SubjectReference>,
    /// Records it rests on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relevant_evidence: Vec<RelevantEvidence>,
    /// When the evidence was collected.
    pub collected: String,
    /// Remarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `origin`.
#[derive(Debug, Serialize)]
pub struct Origin {
    /// Actors.
    pub actors: Vec<OriginActor>,
}

/// `origin-actor`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct OriginActor {
    /// `tool`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tool component.
    pub actor_uuid: String,
}

/// `subject-reference`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubjectReference {
    /// Referenced UUID.
    pub subject_uuid: String,
    /// `component`, `inventory-item`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Display title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// `relevant-evidence`.
#[derive(Debug, Serialize)]
pub struct RelevantEvidence {
    /// `evidence://<seq>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Description (names the record hash).
    pub description: String,
    /// Properties (record hash, sequence).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
}

/// `finding`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Finding {
    /// UUID.
    pub uuid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// Who concluded it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
    /// The control objective and its status.
    pub target: FindingTarget,
    /// Observations used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_observations: Vec<RelatedObservation>,
    /// Remarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `finding-target`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FindingTarget {
    /// `objective-id`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Control token.
    pub target_id: String,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Status.
    pub status: ObjectiveStatus,
}

/// `finding-target/status`.
#[derive(Debug, Serialize)]
pub struct ObjectiveStatus {
    /// `satisfied` or `not-satisfied`.
    pub state: String,
    /// `pass` or `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rationale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `related-observation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedObservation {
    /// Observation UUID.
    pub observation_uuid: String,
}

/// `back-matter`.
#[derive(Debug, Serialize)]
pub struct BackMatter {
    /// Resources.
    pub resources: Vec<Resource>,
}

/// `back-matter/resource`.
#[derive(Debug, Serialize)]
pub struct Resource {
    /// UUID.
    pub uuid: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Properties.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    /// Links with hashes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rlinks: Vec<ResourceLink>,
    /// Remarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// `rlink`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ResourceLink {
    /// URI reference.
    pub href: String,
    /// Media type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Hashes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
}

/// `hash`.
#[derive(Debug, Serialize)]
pub struct Hash {
    /// `SHA-256`.
    pub algorithm: String,
    /// Hex value.
    pub value: String,
}
