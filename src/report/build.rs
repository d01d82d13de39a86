//! The report builder: one scan of the store + `--as-of` + catalogues → a [`Report`].
//!
//! This is the only part of `report` that touches the store, and it does so through the store's
//! public API only: a full [`verify`](crate::store::verify::verify) run (a report on a damaged
//! store says so), the scan's [`EvidenceSet`], and the latest checkpoint. It runs the analyzers,
//! the who-added and timeline queries, reads the CA and credential inventories the analyzers
//! expose, and evaluates every control of every selected framework:
//!
//! 1. an integrity control (`integrity = true`) is **not satisfied** when verify is not intact;
//! 2. **not satisfied** when a mapped check has an open finding (no waiver, or an expired one);
//! 3. **not evaluated** when the control maps no check (and is not an integrity control);
//! 4. **not evaluated** when a collection gap (CHG-003) affects its evidence: a gap of a git
//!    source affects the change-trail checks (CHG-001/002), any other gap every check;
//! 5. **not evaluated** when nothing the mapped checks read exists (e.g. no remote secrets for
//!    token checks);
//! 6. otherwise **satisfied**.
//!
//! Everything is sorted, and the only "now" is `as_of`, so the same store and `as_of` give the
//! same document. Renderers never call this module; they take the [`Report`].
//!
//! Main items: [`build`], [`build_with`], [`Request`], [`Error`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::frameworks::{Control, Framework};
use super::model::{
    CertificateRow, Changes, CheckpointInfo, ClusterRow, ControlResult, ControlStatus, Cover, CredentialRow, GapRow,
    Integrity, Inventory, Methodology, PeeringCell, Report, SCHEMA, SeverityCount, Summary, TimelineOmitted,
    TimelineRow, WhoAddedRow,
};
use crate::analyze::{self, Context, Settings, certificates, tokens};
use crate::model::{EvidenceSet, Finding, RecordRef, Severity, Timestamp, kinds};
use crate::query::{self, mesh};
use crate::store::{self, Store, verify};

/// Building a report failed (the store could not be read; findings are never errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No framework was selected.
    #[error("no framework selected")]
    NoFramework,
    /// The store could not be verified at all (not a store, I/O).
    #[error("verifying evidence store {path}")]
    Verify {
        /// The store file.
        path: String,
        /// The cause.
        #[source]
        source: Box<store::Error>,
    },
    /// Reading the store failed.
    #[error("reading {what} from evidence store {path}")]
    Store {
        /// What was read.
        what: String,
        /// The store file.
        path: String,
        /// The cause.
        #[source]
        source: Box<store::Error>,
    },
}

/// Marks findings waived (sets [`Finding::waiver`]) before controls are evaluated.
pub type Waive = dyn Fn(&mut [Finding]);

/// Everything a report needs besides the store.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The scan (default: the latest complete scan).
    pub scan: Option<u64>,
    /// The evaluation time, the only "now".
    pub as_of: Timestamp,
    /// Analysis thresholds and identities.
    pub settings: &'a Settings,
    /// Organisation shown on the cover.
    pub organisation: Option<&'a str>,
    /// What `verify` checks against (pinned key, published checkpoint).
    pub verify: &'a verify::Options,
    /// Applied to the findings before controls are evaluated, instead of the waivers recorded
    /// with the scan; `None` applies the recorded waivers (if the scan recorded any).
    pub waive: Option<&'a Waive>,
    /// A `verify` result already obtained for this store state (`scan` verifies once); `None`
    /// runs verify.
    pub checked: Option<&'a verify::Report>,
    /// Appendix B, when the caller compared the scan with an earlier one ([`changes`]).
    pub changes: Option<&'a Changes>,
}

impl<'a> Request<'a> {
    /// A request for the latest complete scan that verifies the store itself, applies the
    /// recorded waivers and has no appendix of changes; set the other fields by struct update.
    pub fn new(
        as_of: Timestamp,
        settings: &'a Settings,
        organisation: Option<&'a str>,
        verify: &'a verify::Options,
    ) -> Request<'a> {
        Request {
            scan: None,
            as_of,
            settings,
            organisation,
            verify,
            waive: None,
            checked: None,
            changes: None,
        }
    }
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("scan", &self.scan)
            .field("as_of", &self.as_of)
            .field("organisation", &self.organisation)
            .finish_non_exhaustive()
    }
}

/// Builds the report for `scan` (default: latest complete) at `as_of`.
pub fn build(
    store: &Store,
    scan: Option<u64>,
    as_of: Timestamp,
    frameworks: &[Framework],
    settings: &Settings,
    organisation: Option<&str>,
) -> Result<Report, Error> {
    let options = verify::Options::default();
    build_with(
        store,
        &Request {
            scan,
            ..Request::new(as_of, settings, organisation, &options)
        },
        frameworks,
    )
}

/// Builds the report described by `request` on `frameworks` (evaluated in this order).
pub fn build_with(store: &Store, request: &Request<'_>, frameworks: &[Framework]) -> Result<Report, Error> {
    build_documents(store, request, &[frameworks])?
        .pop()
        .ok_or(Error::NoFramework)
}

/// Builds one report per entry of `documents` (each the frameworks one document evaluates), from
/// one verification and one analysis of the scan. The reports
/// differ only in their frameworks, controls, summary, title and the controls each gap leaves
/// not evaluated.
///
/// Unless `request.checked` carries a verification already made, the whole store is verified on
/// a second thread (with its own connection) while the scan is loaded and analysed; the reports
/// wait for it only when they write the integrity section.
pub fn build_documents(store: &Store, request: &Request<'_>, documents: &[&[Framework]]) -> Result<Vec<Report>, Error> {
    if documents.is_empty() || documents.iter().any(|d| d.is_empty()) {
        return Err(Error::NoFramework);
    }
    let path = store.path().display().to_string();
    let failed = |source| Error::Verify {
        path: path.clone(),
        source: Box::new(source),
    };
    match request.checked {
        Some(done) => assemble(store, request, documents, || Ok(done.clone())),
        None => std::thread::scope(|scope| {
            let (file, options) = (store.path().to_path_buf(), request.verify);
            let verifying = scope.spawn(move || {
                let _span = tracing::info_span!("verify").entered();
                verify::verify(&file, options)
            });
            assemble(store, request, documents, || match verifying.join() {
                Ok(result) => result.map_err(failed),
                Err(panic) => std::panic::resume_unwind(panic),
            })
        }),
    }
}

/// [`build_documents`] once the verification is under way: `checked` gives its result.
fn assemble(
    store: &Store,
    request: &Request<'_>,
    documents: &[&[Framework]],
    checked: impl FnOnce() -> Result<verify::Report, Error>,
) -> Result<Vec<Report>, Error> {
    let path = store.path().display().to_string();
    let read = |what: &str| {
        let path = path.clone();
        let what = what.to_string();
        move |source| Error::Store {
            what,
            path,
            source: Box::new(source),
        }
    };
    let as_of = request.as_of;
    let scan = match request.scan {
        Some(s) => s,
        None => store.latest_complete_scan().map_err(read("the latest complete scan"))?,
    };
    let set = store.evidence_set(scan).map_err(read(&format!("scan {scan}")))?;
    let checkpoint = store.latest_checkpoint().map_err(read("the latest checkpoint"))?;

    let context = Context {
        as_of,
        settings: request.settings.clone(),
    };
    // The derived views (audit writes, mesh membership) are built once for the analyses and the
    // report's own queries.
    let views = mesh::Views::new(&set, as_of);
    let mut findings = analyze::analyze_in(&views, &context);
    match request.waive {
        Some(waive) => waive(&mut findings),
        // The waivers recorded with the scan are the exceptions in force for it.
        None => {
            if let Some(Ok((_, file))) = analyze::waivers::recorded(&set) {
                analyze::waivers::apply(&mut findings, &file.waivers, as_of);
            }
        }
    }
    findings.sort();

    let mesh = views.mesh();
    let who_settings = query::Settings {
        gitops_identities: request.settings.gitops_identities.clone(),
    };
    let who = query::who_added::who_added_in(&views, &who_settings);
    let cas = certificates::ca_inventory(&set, as_of);
    let creds = tokens::credentials(&set, as_of);

    let all_events = query::timeline(
        &set,
        &query::Filter {
            until: Some(as_of),
            ..query::Filter::default()
        },
    );
    let period_start = all_events.iter().map(|e| e.time).min();
    let (timeline, timeline_omitted) = limit_timeline(all_events);

    let facts = Facts::gather(&set, mesh, !cas.is_empty(), !creds.is_empty());
    let gaps = gap_rows(&set);
    let integrity = integrity(&checked()?, checkpoint.as_ref().and_then(|r| r.body.as_ref()));
    let inventory = inventory(&set, mesh, &who, &findings);
    let mut scope: BTreeSet<String> = collected_clusters(&set);
    scope.extend(mesh.members.iter().cloned());
    let cover = Cover {
        organisation: request.organisation.map(str::to_string),
        clusters: scope.into_iter().collect(),
        namespaces: namespaces(&set),
        period_start: period_start.map(|t| t.to_rfc3339()),
        period_end: as_of.to_rfc3339(),
        as_of: as_of.to_rfc3339(),
        scan,
        collected_at: set.collected_at().to_rfc3339(),
        generator: format!("meshproof {}", env!("CARGO_PKG_VERSION")),
    };
    let public_key = integrity.checkpoint.as_ref().map(|c| c.key.clone());
    let methodology = methodology(store, scan, public_key);
    let who_added: Vec<WhoAddedRow> = who.into_iter().map(who_row).collect();
    let certificates: Vec<CertificateRow> = cas.into_iter().map(|c| certificate_row(c, as_of)).collect();
    let credentials: Vec<CredentialRow> = creds.into_iter().map(credential_row).collect();

    let mut reports = Vec::new();
    for frameworks in documents {
        let mut controls = Vec::new();
        for framework in *frameworks {
            for control in &framework.controls {
                controls.push(evaluate(
                    framework,
                    control,
                    &findings,
                    &gaps,
                    &facts,
                    integrity.verified,
                ));
            }
        }
        let names: Vec<&str> = frameworks.iter().map(|f| f.info.name.as_str()).collect();
        let title = match request.organisation {
            Some(org) => format!("{} — mesh trust evidence, {org}", names.join(", ")),
            None => format!("{} — mesh trust evidence", names.join(", ")),
        };
        reports.push(Report {
            schema: SCHEMA.to_string(),
            title,
            frameworks: frameworks.iter().map(|f| f.info.clone()).collect(),
            cover: cover.clone(),
            integrity: integrity.clone(),
            summary: summary(&controls, &findings),
            who_added: who_added.clone(),
            inventory: inventory.clone(),
            certificates: certificates.clone(),
            credentials: credentials.clone(),
            gaps: link_gaps(gaps.clone(), &controls, &findings),
            controls,
            timeline: timeline.clone(),
            timeline_omitted: timeline_omitted.clone(),
            findings: findings.clone(),
            methodology: methodology.clone(),
            changes: request.changes.cloned(),
        });
    }
    Ok(reports)
}

/// How many timeline events the report lists: a mesh of hundreds of clusters has hundreds of
/// thousands of object-creation events, which no auditor reads page by page (`meshproof timeline`
/// lists them all).
pub const TIMELINE_LIMIT: usize = 2000;

/// The most recent [`TIMELINE_LIMIT`] of `events` (in time order) as report rows, and what was
/// left out. Only the listed events become rows: a large mesh has hundreds of thousands.
fn limit_timeline(mut events: Vec<query::TimelineEvent>) -> (Vec<TimelineRow>, Option<TimelineOmitted>) {
    let total = events.len();
    let omitted = (total > TIMELINE_LIMIT).then(|| {
        let mut by_action: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &events {
            *by_action.entry(e.action.as_str()).or_insert(0) += 1;
        }
        TimelineOmitted {
            total,
            listed: TIMELINE_LIMIT,
            by_action: by_action.into_iter().map(|(a, n)| (a.to_string(), n)).collect(),
        }
    });
    let listed = events.split_off(total.saturating_sub(TIMELINE_LIMIT));
    (listed.into_iter().map(timeline_row).collect(), omitted)
}

/// What changed between scan `from` and scan `to`, each evaluated at its own collection time with
/// `settings`: what `meshproof diff` shows and appendix B summarises.
pub fn diff_scans(store: &Store, from: u64, to: u64, settings: &Settings) -> Result<query::diff::Diff, Error> {
    let path = store.path().display().to_string();
    let load = |scan: u64| {
        store.evidence_set(scan).map_err(|source| Error::Store {
            what: format!("scan {scan}"),
            path: path.clone(),
            source: Box::new(source),
        })
    };
    let (a, b) = (load(from)?, load(to)?);
    let analyse = |set: &EvidenceSet| {
        analyze::analyze(
            set,
            &Context {
                as_of: set.collected_at(),
                settings: settings.clone(),
            },
        )
    };
    let (fa, fb) = (analyse(&a), analyse(&b));
    let who = query::Settings {
        gitops_identities: settings.gitops_identities.clone(),
    };
    Ok(query::diff::diff(
        query::diff::Side {
            evidence: &a,
            findings: &fa,
        },
        query::diff::Side {
            evidence: &b,
            findings: &fb,
        },
        &who,
    ))
}

/// Appendix B: [`diff_scans`] summarised for the report.
pub fn changes(store: &Store, from: u64, to: u64, settings: &Settings) -> Result<Changes, Error> {
    let d = diff_scans(store, from, to, settings)?;
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Ok(Changes {
        from_scan: d.from_scan,
        from_collected_at: d.from_collected_at.to_rfc3339(),
        to_scan: d.to_scan,
        to_collected_at: d.to_collected_at.to_rfc3339(),
        findings_opened: count(d.findings.opened.len()),
        findings_closed: count(d.findings.closed.len()),
        findings_still_open: count(d.findings.still_open.len()),
        rows: query::diff::rows(&d),
    })
}

/// What exists in the scan, to decide whether a check had anything to read.
struct Facts {
    mesh: bool,
    cas: bool,
    credentials: bool,
    rbac: bool,
    policies: bool,
    git: bool,
    audit: bool,
}

impl Facts {
    fn gather(set: &EvidenceSet, mesh: &mesh::Mesh<'_>, cas: bool, credentials: bool) -> Facts {
        let mut kinds_seen: BTreeSet<&str> = BTreeSet::new();
        for record in set.of_kind(kinds::K8S_OBJECT) {
            if let Some(key) = record.object_key() {
                kinds_seen.insert(key.kind.split('.').next().unwrap_or(key.kind));
            }
        }
        let any = |names: &[&str]| names.iter().any(|n| kinds_seen.contains(n));
        Facts {
            mesh: !mesh.members.is_empty() || !mesh.registrations.is_empty() || !mesh.peerings.is_empty(),
            cas,
            credentials,
            rbac: any(&["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]),
            policies: any(&["AuthorizationPolicy", "PeerAuthentication", "AccessPolicy"]),
            git: set.of_kind(kinds::GIT_COMMIT).next().is_some(),
            audit: set.of_kind(kinds::AUDIT_EVENT).next().is_some(),
        }
    }

    /// Whether `check` had anything to read; `Some(what)` names what was missing.
    fn missing_for(&self, check: &str) -> Option<&'static str> {
        let (prefix, _) = check.split_once('-').unwrap_or((check, ""));
        match (prefix, check) {
            ("REG", _) if !self.mesh => Some("no registered or peered cluster"),
            ("CERT", _) if !self.cas => Some("no mesh CA certificate"),
            ("TOKEN", _) if !self.credentials => Some("no remote secret"),
            ("RBAC", _) if !self.rbac => Some("no RBAC object"),
            ("POL", _) if !self.policies => Some("no mesh policy object"),
            (_, "CHG-001") if !self.git => Some("no git history"),
            (_, "CHG-002") if !self.git && !self.audit => Some("no git history or audit log"),
            _ => None,
        }
    }
}

/// A collection gap and the checks it leaves without evidence.
#[derive(Clone)]
struct Gap {
    row: GapRow,
    finding_subject: String,
    affects_all: bool,
}

impl Gap {
    fn affects(&self, check: &str) -> bool {
        self.affects_all || check == "CHG-001" || check == "CHG-002"
    }
}

fn gap_rows(set: &EvidenceSet) -> Vec<Gap> {
    set.of_kind(kinds::COLLECTION_GAP)
        .map(|gap| {
            let field = |k: &str| gap.body().get(k).and_then(Value::as_str).map(str::to_string);
            let what = match (field("resource"), field("file")) {
                (Some(resource), _) => format!("resource {resource}"),
                (None, Some(file)) => format!("file {file}"),
                (None, None) => gap.subject.clone(),
            };
            Gap {
                row: GapRow {
                    cluster: field("cluster"),
                    source: gap.source.clone(),
                    what,
                    reason: field("reason")
                        .or_else(|| field("summary"))
                        .unwrap_or_else(|| "no reason recorded".into()),
                    unevaluated_controls: Vec::new(),
                    evidence: vec![gap.reference()],
                },
                finding_subject: gap.subject.clone(),
                affects_all: !gap.source.starts_with("git/"),
            }
        })
        .collect()
}

/// `framework control` as gap rows name controls.
fn control_label(framework: &str, id: &str) -> String {
    format!("{framework} {id}")
}

fn link_gaps(gaps: Vec<Gap>, controls: &[ControlResult], findings: &[Finding]) -> Vec<GapRow> {
    let mut rows: Vec<GapRow> = gaps
        .into_iter()
        .map(|g| {
            let mut row = g.row;
            row.unevaluated_controls = controls
                .iter()
                .filter(|c| {
                    c.status == ControlStatus::NotEvaluated
                        && c.findings
                            .iter()
                            .filter_map(|&i| findings.get(i))
                            .any(|f| f.check == "CHG-003" && f.subject == g.finding_subject)
                })
                .map(|c| control_label(&c.framework, &c.id))
                .collect();
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.cluster, &a.source, &a.what, &a.evidence).cmp(&(&b.cluster, &b.source, &b.what, &b.evidence))
    });
    rows
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn evaluate(
    framework: &Framework,
    control: &Control,
    findings: &[Finding],
    gaps: &[Gap],
    facts: &Facts,
    verified: bool,
) -> ControlResult {
    let mut listed: Vec<usize> = (0..findings.len())
        .filter(|&i| control.checks.contains(&findings[i].check))
        .collect();
    let open: Vec<&Finding> = listed
        .iter()
        .map(|&i| &findings[i])
        .filter(|f| !f.is_waived())
        .collect();
    let waived = listed.len() - open.len();
    let affecting: Vec<&Gap> = gaps
        .iter()
        .filter(|g| control.checks.iter().any(|c| g.affects(c)))
        .collect();
    let missing: Vec<(&str, &str)> = control
        .checks
        .iter()
        .filter_map(|c| facts.missing_for(c).map(|m| (c.as_str(), m)))
        .collect();
    let waived_note = if waived > 0 {
        format!(" ({} waived)", plural(waived, "finding is", "findings are"))
    } else {
        String::new()
    };

    let (status, rationale) = if control.integrity && !verified {
        (
            ControlStatus::NotSatisfied,
            "The evidence store did not verify intact at report time, so the evidence cannot be relied on.".to_string(),
        )
    } else if !open.is_empty() {
        let checks: BTreeSet<&str> = open.iter().map(|f| f.check.as_str()).collect();
        let worst = open.iter().map(|f| f.severity).min().unwrap_or(Severity::Info);
        (
            ControlStatus::NotSatisfied,
            format!(
                "{} open (worst: {worst}) from {}{waived_note}.",
                plural(open.len(), "finding is", "findings are"),
                checks.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
    } else if control.checks.is_empty() && !control.integrity {
        (
            ControlStatus::NotEvaluated,
            "No meshproof check maps to this control; it needs evidence from outside the mesh.".to_string(),
        )
    } else if !affecting.is_empty() {
        let wanted: BTreeSet<&str> = affecting.iter().map(|g| g.finding_subject.as_str()).collect();
        listed.extend(
            (0..findings.len())
                .filter(|&i| findings[i].check == "CHG-003" && wanted.contains(findings[i].subject.as_str())),
        );
        let places: BTreeSet<String> = affecting
            .iter()
            .map(|g| g.row.cluster.clone().unwrap_or_else(|| g.row.source.clone()))
            .collect();
        (
            ControlStatus::NotEvaluated,
            format!(
                "{} ({}) left evidence the mapped checks need uncollected{waived_note}.",
                plural(affecting.len(), "collection gap", "collection gaps"),
                places.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
    } else if !control.checks.is_empty() && missing.len() == control.checks.len() {
        let why: BTreeSet<&str> = missing.iter().map(|(_, m)| *m).collect();
        (
            ControlStatus::NotEvaluated,
            format!(
                "Nothing the mapped checks read exists in this scan ({}){waived_note}.",
                why.into_iter().collect::<Vec<_>>().join("; ")
            ),
        )
    } else if control.checks.is_empty() {
        (
            ControlStatus::Satisfied,
            "The evidence store verified intact at report time: every record hash, Merkle root and checkpoint signature checks out.".to_string(),
        )
    } else {
        let ran = control.checks.len() - missing.len();
        let mut text = format!(
            "{} ran on complete evidence and reported nothing open{waived_note}",
            plural(ran, "mapped check", "mapped checks")
        );
        if !missing.is_empty() {
            let skipped: Vec<String> = missing.iter().map(|(c, m)| format!("{c}: {m}")).collect();
            text.push_str(&format!("; not applicable: {}", skipped.join(", ")));
        }
        if control.integrity {
            text.push_str("; the evidence store verified intact");
        }
        text.push('.');
        (ControlStatus::Satisfied, text)
    };

    listed.sort_unstable();
    listed.dedup();
    ControlResult {
        framework: framework.info.id.clone(),
        id: control.id.clone(),
        title: control.title.clone(),
        status,
        rationale,
        evidence_description: control.evidence.clone(),
        scope_note: control.scope_note.clone(),
        checks: control.checks.clone(),
        findings: listed,
    }
}

fn integrity(checked: &verify::Report, checkpoint: Option<&Value>) -> Integrity {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let checkpoint = checkpoint.map(|body| CheckpointInfo {
        tree_size: body.get("tree_size").and_then(Value::as_u64).unwrap_or_default(),
        root: text(body, "root"),
        origin: text(body, "origin"),
        key: text(body, "key"),
        key_fingerprint: checked.key_fingerprint.map(|d| d.to_hex()).unwrap_or_default(),
        note: text(body, "note"),
    });
    Integrity {
        store_head: checked.head.map(|d| d.to_hex()).unwrap_or_default(),
        records: checked.records,
        checkpoint,
        verified: checked.intact,
        problem: checked.problem.as_ref().map(|p| match p.seq {
            Some(seq) => format!("record {seq}: {}", p.what),
            None => p.what.clone(),
        }),
    }
}

fn summary(controls: &[ControlResult], findings: &[Finding]) -> Summary {
    let count = |s: ControlStatus| controls.iter().filter(|c| c.status == s).count() as u64;
    let mut top_risks = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for f in findings
        .iter()
        .filter(|f| !f.is_waived() && f.severity.at_least(Severity::Medium))
    {
        if top_risks.len() >= 5 {
            break;
        }
        if !seen.insert(f.check.as_str()) {
            continue;
        }
        let place = f.cluster.as_deref().map(|c| format!(" on {c}")).unwrap_or_default();
        top_risks.push(format!(
            "{} {} ({}){place}: {}",
            f.check,
            f.name,
            f.severity,
            f.message.trim_end_matches('.')
        ));
    }
    Summary {
        satisfied: count(ControlStatus::Satisfied),
        not_satisfied: count(ControlStatus::NotSatisfied),
        not_evaluated: count(ControlStatus::NotEvaluated),
        findings_by_severity: Severity::ALL
            .iter()
            .map(|s| SeverityCount {
                severity: *s,
                count: findings.iter().filter(|f| f.severity == *s).count() as u64,
            })
            .collect(),
        top_risks,
    }
}

fn collected_clusters(set: &EvidenceSet) -> BTreeSet<String> {
    set.of_kind(kinds::K8S_OBJECT)
        .filter_map(|r| r.object_key().map(|k| k.cluster.to_string()))
        .collect()
}

fn namespaces(set: &EvidenceSet) -> Vec<String> {
    let set: BTreeSet<String> = set
        .of_kind(kinds::K8S_OBJECT)
        .filter_map(|r| r.object_key())
        .filter_map(|k| k.namespace.map(str::to_string))
        .collect();
    set.into_iter().collect()
}

fn inventory(
    set: &EvidenceSet,
    mesh: &mesh::Mesh<'_>,
    who: &[query::who_added::WhoAddedRow],
    findings: &[Finding],
) -> Inventory {
    let mut objects: BTreeMap<String, u64> = BTreeMap::new();
    for r in set.of_kind(kinds::K8S_OBJECT) {
        if let Some(k) = r.object_key() {
            *objects.entry(k.cluster.to_string()).or_default() += 1;
        }
    }
    let mut names: BTreeSet<String> = objects.keys().cloned().collect();
    names.extend(mesh.members.iter().cloned());
    names.extend(mesh.registrations.keys().cloned());
    for p in &mesh.peerings {
        names.insert(p.holder.to_string());
        names.insert(p.target.clone());
    }
    let trust: BTreeMap<&str, &str> = who
        .iter()
        .map(|w| (w.cluster.as_str(), w.trust_domain.as_str()))
        .collect();
    let clusters = names
        .into_iter()
        .map(|cluster| {
            let trust_domain = trust.get(cluster.as_str()).map(|t| t.to_string()).or_else(|| {
                mesh.mesh_configs
                    .get(&cluster)
                    .and_then(|r| query::who_added::mesh_config_trust_domain(r))
            });
            ClusterRow {
                in_mesh: mesh.is_member(&cluster),
                registered: mesh.registrations.contains_key(&cluster),
                collected: objects.contains_key(&cluster),
                trust_domain,
                objects: objects.get(&cluster).copied().unwrap_or_default(),
                findings: findings
                    .iter()
                    .filter(|f| !f.is_waived() && f.cluster.as_deref() == Some(cluster.as_str()))
                    .count() as u64,
                cluster,
            }
        })
        .collect();

    type Cell = (bool, bool, BTreeSet<RecordRef>);
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    for p in &mesh.peerings {
        if p.holder == p.target {
            continue;
        }
        let cell = cells
            .entry((p.holder.to_string(), p.target.clone()))
            .or_insert_with(|| (false, false, BTreeSet::new()));
        if p.resource == "secrets" {
            cell.0 = true;
        } else {
            cell.1 = true;
        }
        cell.2.insert(p.record.reference());
    }
    let peering = cells
        .iter()
        .map(|((holder, target), (credential, gateway, evidence))| PeeringCell {
            holder: holder.clone(),
            target: target.clone(),
            credential: *credential,
            gateway: *gateway,
            asymmetric: !cells.contains_key(&(target.clone(), holder.clone())),
            orphaned: !mesh.is_member(target),
            evidence: evidence.iter().copied().collect(),
        })
        .collect();
    Inventory { clusters, peering }
}

fn who_row(r: query::who_added::WhoAddedRow) -> WhoAddedRow {
    WhoAddedRow {
        cluster: r.cluster,
        added_at: r.added_at.map(|t| t.to_rfc3339()),
        added_by: r.added_by,
        applied_by: r.applied_by,
        committer: r.committer,
        trust_domain: r.trust_domain,
        trust_domain_source: r.trust_domain_source.as_str().to_string(),
        method: r.method.as_str().to_string(),
        evidence: r.evidence,
    }
}

fn certificate_row(c: certificates::CaInventoryEntry, as_of: Timestamp) -> CertificateRow {
    let cert = &c.certificate;
    let key = match (cert.key_algorithm, cert.key_bits, cert.curve.as_deref()) {
        (alg, _, Some(curve)) => format!("{} {curve}", alg.as_str()),
        (alg, Some(bits), None) => format!("{} {bits}", alg.as_str()),
        (alg, None, None) => alg.as_str().to_string(),
    };
    CertificateRow {
        role: c.role.as_str().to_string(),
        subject: cert.subject.clone(),
        issuer: cert.issuer.clone(),
        serial: cert.serial.clone(),
        key,
        signature_algorithm: cert.signature_algorithm.clone(),
        not_before: cert.not_before.to_rfc3339(),
        not_after: cert.not_after.to_rfc3339(),
        days_left: as_of.days_until(cert.not_after),
        chain_status: c.chain_status,
        rotation_state: c.rotation_state,
        fingerprint: cert.sha256.to_hex(),
        evidence: c.evidence,
        cluster: c.cluster,
    }
}

fn credential_row(c: tokens::Credential) -> CredentialRow {
    CredentialRow {
        holder: c.holder,
        target: c.target,
        identity: c.identity,
        token_kind: c.token_kind.to_string(),
        issued: c.issued.map(|t| t.to_rfc3339()),
        expires: c.expires.map(|t| t.to_rfc3339()),
        age_days: c.age_days,
        insecure_tls: c.insecure_tls,
        evidence: c.evidence,
    }
}

fn timeline_row(e: query::TimelineEvent) -> TimelineRow {
    TimelineRow {
        time: e.time.to_rfc3339(),
        cluster: e.cluster,
        action: e.action.as_str().to_string(),
        subject: e.subject,
        actor: e.actor,
        source: e.source.as_str().to_string(),
        outcome: e.outcome.as_str().to_string(),
        detail: e.detail,
        evidence: e.evidence,
    }
}

fn methodology(store: &Store, scan: u64, public_key: Option<String>) -> Methodology {
    // The file name only: the report must not depend on where the store was when it was built.
    let file = store
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "meshproof.db".into());
    Methodology {
        paragraphs: vec![
            "Evidence was collected read-only by meshproof from kubectl-style dumps or live API reads of every cluster, the API-server audit logs and the GitOps repository history. Private keys and bearer tokens are reduced to non-secret facts (digests, certificate text, JWT claims) before anything is stored.".into(),
            "Each record is appended to a hash chain (each record hash covers the previous one and a canonical encoding of the record), and every scan ends with a checkpoint: an RFC 6962 Merkle root over all records, signed with Ed25519 in C2SP signed-note format. The store only grows; corrections are new records.".into(),
            format!("This report evaluates scan {scan} at the as-of time stated on the cover, which is the only notion of \"now\" used: the same store and as-of time produce the same report. Every finding, table row and control result cites the records it rests on by sequence number and record hash (`meshproof evidence show <seq>`)."),
            "Control status: not satisfied when a mapped check has an open (not waived) finding; not evaluated when a collection gap removed evidence the mapped checks need, when the control maps no check, or when the mesh has nothing the checks apply to; satisfied otherwise. Integrity controls are satisfied only when the store verifies intact. A full verification of the store ran while this report was built; its result is in the integrity section.".into(),
        ],
        verify_commands: vec![
            "meshproof key public > meshproof.pub   # run by the store owner; publish and pin this key".into(),
            format!("meshproof verify --store {file} --pubkey meshproof.pub"),
            format!("python3 contrib/verify_store.py {file} --pubkey meshproof.pub"),
            format!("meshproof report --store {file} --scan {scan} --as-of <as-of> --format json -o - | sha256sum   # reproduce this report"),
        ],
        public_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_lists_the_most_recent_events_and_counts_the_rest() {
        let row = |i: usize| query::TimelineEvent {
            time: Timestamp::from_unix(1_767_225_600 + (i % 60) as i64).expect("time"),
            cluster: None,
            action: if i.is_multiple_of(2) {
                query::timeline::Action::ObjectCreated
            } else {
                query::timeline::Action::RbacGranted
            },
            subject: format!("s{i:05}"),
            actor: None,
            source: query::timeline::Source::Object,
            outcome: query::timeline::Outcome::Success,
            detail: String::new(),
            evidence: Vec::new(),
        };
        let (rows, omitted) = limit_timeline((0..TIMELINE_LIMIT).map(row).collect());
        assert_eq!((rows.len(), omitted), (TIMELINE_LIMIT, None));
        let (rows, omitted) = limit_timeline((0..TIMELINE_LIMIT + 5).map(row).collect());
        let omitted = omitted.expect("more than the limit");
        assert_eq!(rows.len(), TIMELINE_LIMIT);
        assert_eq!(rows[0].subject, "s00005", "the oldest five are left out");
        assert_eq!((omitted.total, omitted.listed), (TIMELINE_LIMIT + 5, TIMELINE_LIMIT));
        assert_eq!(omitted.by_action["object-created"], (TIMELINE_LIMIT + 6) / 2);
        assert_eq!(omitted.by_action["rbac-granted"], (TIMELINE_LIMIT + 4) / 2);
        assert!(omitted.sentence().contains(&format!("{} most recent", TIMELINE_LIMIT)));
    }
    use crate::model::{WaiverStatus, sha256};
    use crate::report::frameworks::StatusTexts;
    use crate::report::model::FrameworkInfo;

    fn framework(checks: &[&str], integrity: bool) -> (Framework, Control) {
        let control = Control {
            id: "X.1".into(),
            title: "t".into(),
            evidence: "e".into(),
            checks: checks.iter().map(|c| c.to_string()).collect(),
            scope_note: None,
            integrity,
        };
        let framework = Framework {
            info: FrameworkInfo {
                id: "test".into(),
                name: "Test".into(),
                version: "1".into(),
                publisher: "us".into(),
            },
            status: StatusTexts::default(),
            controls: vec![control.clone()],
            origin: "test".into(),
        };
        (framework, control)
    }

    fn facts(present: bool) -> Facts {
        Facts {
            mesh: present,
            cas: present,
            credentials: present,
            rbac: present,
            policies: present,
            git: present,
            audit: present,
        }
    }

    fn finding(check: &str, waiver: Option<bool>) -> Finding {
        let mut f = analyze::check(check)
            .map(|c| {
                c.finding(
                    Some("a"),
                    "a/ns/Kind/x",
                    "m",
                    [RecordRef {
                        seq: 3,
                        hash: sha256(b"x"),
                    }],
                )
            })
            .unwrap_or_else(|| unreachable!("known check"));
        f.waiver = waiver.map(|expired| WaiverStatus {
            owner: "alice".into(),
            reason: "accepted".into(),
            ticket: None,
            until: "2027-01-01".into(),
            expired,
        });
        f
    }

    fn gap(source: &str) -> Gap {
        Gap {
            row: GapRow {
                cluster: Some("a".into()),
                source: source.into(),
                what: "file x".into(),
                reason: "unreadable".into(),
                unevaluated_controls: Vec::new(),
                evidence: Vec::new(),
            },
            finding_subject: "a/gap".into(),
            affects_all: !source.starts_with("git/"),
        }
    }

    fn status(
        checks: &[&str],
        integrity: bool,
        findings: &[Finding],
        gaps: &[Gap],
        present: bool,
        verified: bool,
    ) -> ControlStatus {
        let (f, c) = framework(checks, integrity);
        evaluate(&f, &c, findings, gaps, &facts(present), verified).status
    }

    #[test]
    fn waivers_gaps_integrity_and_applicability_decide_the_status() {
        use ControlStatus::*;
        let open = [finding("CERT-001", None)];
        let waived = [finding("CERT-001", Some(false))];
        let lapsed = [finding("CERT-001", Some(true))];
        assert_eq!(status(&["CERT-001"], false, &open, &[], true, true), NotSatisfied);
        assert_eq!(status(&["CERT-001"], false, &waived, &[], true, true), Satisfied);
        assert_eq!(status(&["CERT-001"], false, &lapsed, &[], true, true), NotSatisfied);
        assert_eq!(status(&["CERT-001"], false, &[], &[], true, true), Satisfied);
        // A gap leaves it not evaluated, unless something is open anyway.
        assert_eq!(
            status(&["CERT-001"], false, &[], &[gap("k8s/a")], true, true),
            NotEvaluated
        );
        assert_eq!(
            status(&["CERT-001"], false, &open, &[gap("k8s/a")], true, true),
            NotSatisfied
        );
        // A git gap only affects the change-trail checks.
        assert_eq!(
            status(&["CERT-001"], false, &[], &[gap("git/gitops")], true, true),
            Satisfied
        );
        assert_eq!(
            status(&["CHG-001"], false, &[], &[gap("git/gitops")], true, true),
            NotEvaluated
        );
        // Nothing to read, or nothing mapped.
        assert_eq!(
            status(&["TOKEN-001", "CERT-001"], false, &[], &[], false, true),
            NotEvaluated
        );
        assert_eq!(status(&[], false, &[], &[], true, true), NotEvaluated);
        // Integrity controls follow verify.
        assert_eq!(status(&[], true, &[], &[], true, true), Satisfied);
        assert_eq!(status(&[], true, &[], &[], true, false), NotSatisfied);
        assert_eq!(status(&["CHG-003"], true, &[], &[], true, false), NotSatisfied);
        // The waived finding stays listed.
        let (f, c) = framework(&["CERT-001"], false);
        let result = evaluate(&f, &c, &waived, &[], &facts(true), true);
        assert_eq!(result.findings.len(), 1);
        assert!(result.rationale.contains("waived"), "{}", result.rationale);
    }
}
