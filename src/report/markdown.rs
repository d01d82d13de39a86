//! The Markdown report, for tickets and wikis: the eleven sections of the document as headings
//! and GitHub-flavoured tables, plus the full finding list.
//!
//! Every table row carries its ids (framework, control, check, cluster) and evidence references
//! (`#seq`); cells are escaped (`|`, newlines), never truncated. The output depends only on the
//! [`Report`].

use super::RenderError;
use super::csv::{message_with_waiver, status_text};
use super::model::{CONTROL_FINDINGS_LISTED, REFS_LISTED, Report, unlisted_refs};
use crate::model::{Finding, RecordRef};

fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(cell).unwrap_or_else(|| "—".into())
}

fn refs(evidence: &[RecordRef]) -> String {
    let mut shown: Vec<String> = evidence
        .iter()
        .take(REFS_LISTED)
        .map(|e| format!("#{}", e.seq))
        .collect();
    shown.extend(unlisted_refs(evidence.len()));
    shown.join(" ")
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

struct Doc(String);

impl Doc {
    fn line(&mut self, text: &str) {
        self.0.push_str(text);
        self.0.push('\n');
    }

    fn table(&mut self, headers: &[&str], rows: Vec<Vec<String>>) {
        if rows.is_empty() {
            self.line("_None._");
            self.line("");
            return;
        }
        self.line(&format!("| {} |", headers.join(" | ")));
        self.line(&format!("|{}", "---|".repeat(headers.len())));
        for row in rows {
            self.line(&format!("| {} |", row.join(" | ")));
        }
        self.line("");
    }
}

fn finding_rows<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<Vec<String>> {
    findings
        .into_iter()
        .map(|f| {
            vec![
                cell(&f.check),
                f.severity.to_string(),
                opt(&f.cluster),
                cell(&f.subject),
                cell(&message_with_waiver(f)),
                cell(&f.remediation),
                refs(&f.evidence),
            ]
        })
        .collect()
}

const FINDING_HEADERS: [&str; 7] = [
    "Check",
    "Severity",
    "Cluster",
    "Subject",
    "Message",
    "Remediation",
    "Evidence",
];

/// Markdown text, UTF-8.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut d = Doc(String::new());
    let r = report;
    d.line(&format!("# {}", cell(&r.title)));
    d.line("");

    d.line("## 1. Cover");
    d.line("");
    let frameworks: Vec<String> = r
        .frameworks
        .iter()
        .map(|f| format!("{} {} ({}, id `{}`)", f.name, f.version, f.publisher, f.id))
        .collect();
    d.table(
        &["Field", "Value"],
        vec![
            vec!["Organisation".into(), opt(&r.cover.organisation)],
            vec!["Frameworks".into(), cell(&frameworks.join("; "))],
            vec!["Clusters in scope".into(), cell(&r.cover.clusters.join(", "))],
            vec!["Namespaces".into(), cell(&r.cover.namespaces.join(", "))],
            vec!["Period start".into(), opt(&r.cover.period_start)],
            vec!["Period end".into(), cell(&r.cover.period_end)],
            vec!["As of".into(), cell(&r.cover.as_of)],
            vec!["Scan".into(), r.cover.scan.to_string()],
            vec!["Collected at".into(), cell(&r.cover.collected_at)],
            vec!["Generator".into(), cell(&r.cover.generator)],
            vec!["Report schema".into(), cell(&r.schema)],
        ],
    );

    d.line("## 2. Evidence integrity");
    d.line("");
    let i = &r.integrity;
    let mut rows = vec![
        vec![
            "Full verification at report time".into(),
            if i.verified {
                "intact".into()
            } else {
                "**FAILED**".into()
            },
        ],
        vec!["Problem".into(), opt(&i.problem)],
        vec!["Records".into(), i.records.to_string()],
        vec!["Store head".into(), format!("`{}`", i.store_head)],
    ];
    if let Some(c) = &i.checkpoint {
        rows.push(vec!["Checkpoint tree size".into(), c.tree_size.to_string()]);
        rows.push(vec!["Checkpoint root".into(), format!("`{}`", cell(&c.root))]);
        rows.push(vec!["Checkpoint origin".into(), cell(&c.origin)]);
        rows.push(vec!["Verifier key".into(), format!("`{}`", cell(&c.key))]);
        rows.push(vec![
            "Key fingerprint (SHA-256)".into(),
            format!("`{}`", c.key_fingerprint),
        ]);
    }
    d.table(&["Field", "Value"], rows);
    if let Some(c) = &i.checkpoint {
        d.line("Signed checkpoint note:");
        d.line("");
        d.line("```");
        d.line(c.note.trim_end());
        d.line("```");
        d.line("");
    }

    d.line("## 3. Executive summary");
    d.line("");
    let s = &r.summary;
    d.table(
        &["Controls satisfied", "Controls not satisfied", "Controls not evaluated"],
        vec![vec![
            s.satisfied.to_string(),
            s.not_satisfied.to_string(),
            s.not_evaluated.to_string(),
        ]],
    );
    d.table(
        &["Severity", "Findings"],
        s.findings_by_severity
            .iter()
            .map(|c| vec![c.severity.to_string(), c.count.to_string()])
            .collect(),
    );
    d.line("Top risks:");
    d.line("");
    if s.top_risks.is_empty() {
        d.line("_None._");
    }
    for risk in &s.top_risks {
        d.line(&format!("- {}", cell(risk)));
    }
    d.line("");

    d.line("## 4. Who added each cluster");
    d.line("");
    d.table(
        &[
            "Cluster",
            "Added at",
            "Added by",
            "Applied by",
            "Committer",
            "Trust domain",
            "Trust domain source",
            "Method",
            "Evidence",
        ],
        r.who_added
            .iter()
            .map(|w| {
                vec![
                    cell(&w.cluster),
                    opt(&w.added_at),
                    opt(&w.added_by),
                    opt(&w.applied_by),
                    opt(&w.committer),
                    cell(&w.trust_domain),
                    cell(&w.trust_domain_source),
                    cell(&w.method),
                    refs(&w.evidence),
                ]
            })
            .collect(),
    );

    d.line("## 5. Mesh inventory");
    d.line("");
    d.table(
        &[
            "Cluster",
            "In mesh",
            "Registered",
            "Collected",
            "Trust domain",
            "Objects",
            "Open findings",
        ],
        r.inventory
            .clusters
            .iter()
            .map(|c| {
                vec![
                    cell(&c.cluster),
                    yes(c.in_mesh).into(),
                    yes(c.registered).into(),
                    yes(c.collected).into(),
                    opt(&c.trust_domain),
                    c.objects.to_string(),
                    c.findings.to_string(),
                ]
            })
            .collect(),
    );
    d.line("### Peering");
    d.line("");
    d.table(
        &[
            "Holder",
            "Target",
            "Credential",
            "Gateway",
            "Asymmetric",
            "Orphaned",
            "Evidence",
        ],
        r.inventory
            .peering
            .iter()
            .map(|p| {
                vec![
                    cell(&p.holder),
                    cell(&p.target),
                    yes(p.credential).into(),
                    yes(p.gateway).into(),
                    yes(p.asymmetric).into(),
                    yes(p.orphaned).into(),
                    refs(&p.evidence),
                ]
            })
            .collect(),
    );

    d.line("## 6. CA certificates");
    d.line("");
    d.table(
        &[
            "Cluster",
            "Role",
            "Subject",
            "Issuer",
            "Serial",
            "Key",
            "Signature",
            "Not before",
            "Not after",
            "Days left",
            "Chain",
            "Rotation",
            "SHA-256",
            "Evidence",
        ],
        r.certificates
            .iter()
            .map(|c| {
                vec![
                    cell(&c.cluster),
                    cell(&c.role),
                    cell(&c.subject),
                    cell(&c.issuer),
                    format!("`{}`", cell(&c.serial)),
                    cell(&c.key),
                    cell(&c.signature_algorithm),
                    cell(&c.not_before),
                    cell(&c.not_after),
                    c.days_left.to_string(),
                    cell(&c.chain_status),
                    cell(&c.rotation_state),
                    format!("`{}`", c.fingerprint),
                    refs(&c.evidence),
                ]
            })
            .collect(),
    );

    d.line("## 7. Remote-secret credentials");
    d.line("");
    d.table(
        &[
            "Holder",
            "Target",
            "Identity",
            "Kind",
            "Issued",
            "Expires",
            "Age (days)",
            "Insecure TLS",
            "Evidence",
        ],
        r.credentials
            .iter()
            .map(|c| {
                vec![
                    cell(&c.holder),
                    cell(&c.target),
                    opt(&c.identity),
                    cell(&c.token_kind),
                    opt(&c.issued),
                    opt(&c.expires),
                    c.age_days.map(|a| a.to_string()).unwrap_or_else(|| "—".into()),
                    yes(c.insecure_tls).into(),
                    refs(&c.evidence),
                ]
            })
            .collect(),
    );

    d.line("## 8. Controls");
    d.line("");
    d.table(
        &[
            "Framework",
            "Control",
            "Title",
            "Status",
            "Checks",
            "Findings",
            "Rationale",
        ],
        r.controls
            .iter()
            .map(|c| {
                vec![
                    cell(&c.framework),
                    cell(&c.id),
                    cell(&c.title),
                    status_text(c.status).into(),
                    cell(&c.checks.join(", ")),
                    c.findings.len().to_string(),
                    cell(&c.rationale),
                ]
            })
            .collect(),
    );
    for c in &r.controls {
        d.line(&format!(
            "### {} {} — {}",
            cell(&c.framework),
            cell(&c.id),
            cell(&c.title)
        ));
        d.line("");
        d.line(&format!(
            "**Status: {}.** {}",
            status_text(c.status),
            cell(&c.rationale)
        ));
        d.line("");
        d.line(&format!("Evidence: {}", cell(&c.evidence_description)));
        d.line("");
        if let Some(note) = &c.scope_note {
            d.line(&format!("Scope note: {}", cell(note)));
            d.line("");
        }
        if !c.findings.is_empty() {
            d.table(
                &FINDING_HEADERS,
                finding_rows(r.findings_of(c).take(CONTROL_FINDINGS_LISTED)),
            );
            if let Some(more) = c.unlisted_findings() {
                d.line(&more);
                d.line("");
            }
        }
    }

    d.line("## 9. Collection gaps");
    d.line("");
    d.table(
        &[
            "Cluster",
            "Source",
            "What",
            "Reason",
            "Controls not evaluated",
            "Evidence",
        ],
        r.gaps
            .iter()
            .map(|g| {
                vec![
                    opt(&g.cluster),
                    cell(&g.source),
                    cell(&g.what),
                    cell(&g.reason),
                    cell(&g.unevaluated_controls.join(", ")),
                    refs(&g.evidence),
                ]
            })
            .collect(),
    );

    d.line("## 10. Trust-change timeline");
    d.line("");
    if let Some(o) = &r.timeline_omitted {
        d.line(&o.sentence());
        d.line("");
    }
    d.table(
        &[
            "Time", "Cluster", "Action", "Subject", "Actor", "Source", "Outcome", "Detail", "Evidence",
        ],
        r.timeline
            .iter()
            .map(|t| {
                vec![
                    cell(&t.time),
                    opt(&t.cluster),
                    cell(&t.action),
                    cell(&t.subject),
                    opt(&t.actor),
                    cell(&t.source),
                    cell(&t.outcome),
                    cell(&t.detail),
                    refs(&t.evidence),
                ]
            })
            .collect(),
    );

    d.line("## All findings");
    d.line("");
    d.table(&FINDING_HEADERS, finding_rows(&r.findings));

    d.line("## 11. Methodology and how to verify");
    d.line("");
    for p in &r.methodology.paragraphs {
        d.line(p);
        d.line("");
    }
    d.line("```sh");
    for c in &r.methodology.verify_commands {
        d.line(c);
    }
    d.line("```");
    d.line("");
    if let Some(key) = &r.methodology.public_key {
        d.line(&format!("Public key to pin: `{}`", cell(key)));
    }
    if let Some(c) = &r.changes {
        d.line("");
        d.line(&format!(
            "## Appendix B. Changes since the previous scan (scan {})",
            c.from_scan
        ));
        d.line("");
        d.line(&format!(
            "Scan {} ({}) compared with scan {} ({}), each evaluated at its own collection time. Findings: {} opened, {} closed, {} still open.",
            c.to_scan,
            cell(&c.to_collected_at),
            c.from_scan,
            cell(&c.from_collected_at),
            c.findings_opened,
            c.findings_closed,
            c.findings_still_open
        ));
        d.line("");
        d.table(
            &["Area", "Change", "Cluster", "Subject", "Detail"],
            c.rows
                .iter()
                .map(|row| {
                    vec![
                        cell(&row.area),
                        cell(&row.change),
                        cell(&row.cluster),
                        cell(&row.subject),
                        cell(&row.detail),
                    ]
                })
                .collect(),
        );
    }
    Ok(d.0.into_bytes())
}
