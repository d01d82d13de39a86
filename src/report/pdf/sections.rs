//! The report's sections, in document order: cover, evidence integrity, executive summary,
//! who-added, inventory and peering, certificates, credentials, controls, gaps, timeline,
//! methodology, and Appendix A with every finding.
//!
//! Each function turns one part of the [`Report`] into layout calls. Nothing is dropped: every row
//! of the document becomes a table row, and an empty list prints the template's "none recorded"
//! sentence rather than an empty table.

use chrono::{DateTime, Utc};

use super::charts::{self, Peering, certificate_label, expiry_color};
use super::fonts::Weight;
use super::layout::{Cell, Column, LEFT, Layout, Rgb3, Style, Table, TocEntry, columns, palette};
use super::text::{SectionText, Texts};
use crate::model::{Finding, RecordRef, Severity};
use crate::report::model::{CONTROL_FINDINGS_LISTED, ControlResult, ControlStatus, REFS_LISTED, Report, unlisted_refs};

/// Writes every section; returns the index of the page reserved for the table of contents.
pub(super) fn write(layout: &mut Layout<'_>, report: &Report, texts: &Texts, as_of: DateTime<Utc>) -> usize {
    cover(layout, report, texts);
    layout.new_page();
    let contents_page = layout.page_index();
    layout.new_page();
    integrity(layout, report, texts);
    summary(layout, report, texts);
    who_added(layout, report, texts);
    inventory(layout, report, texts);
    certificates(layout, report, texts, as_of);
    credentials(layout, report, texts);
    controls(layout, report, texts);
    gaps(layout, report, texts);
    timeline(layout, report, texts);
    methodology(layout, report, texts);
    findings(layout, report, texts);
    changes(layout, report, texts);
    contents_page
}

/// `#seq hash` per line.
fn refs(evidence: &[RecordRef]) -> String {
    if evidence.is_empty() {
        return "–".to_string();
    }
    let mut shown: Vec<String> = evidence
        .iter()
        .take(REFS_LISTED)
        .map(|r| format!("#{} {}", r.seq, r.hash))
        .collect();
    shown.extend(unlisted_refs(evidence.len()));
    shown.join("\n")
}

fn opt(value: Option<&str>) -> &str {
    value.filter(|v| !v.trim().is_empty()).unwrap_or("–")
}

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

/// Colour of a severity.
pub(super) fn severity_color(s: Severity) -> Rgb3 {
    match s {
        Severity::Critical => palette::BAD,
        Severity::High => Rgb3(0.85, 0.36, 0.08),
        Severity::Medium => palette::WARN,
        Severity::Low => palette::BLUE,
        Severity::Info => palette::MUTED,
    }
}

/// Label and colour of a control status.
fn status(s: ControlStatus) -> (&'static str, Rgb3) {
    match s {
        ControlStatus::Satisfied => ("satisfied", palette::GOOD),
        ControlStatus::NotSatisfied => ("not satisfied", palette::BAD),
        ControlStatus::NotEvaluated => ("not evaluated", palette::WARN),
    }
}

fn heading(layout: &mut Layout<'_>, number: &str, text: &SectionText) {
    layout.section(number, &text.title);
    layout.paragraph(&text.intro, Style::BODY.colored(palette::MUTED), 0.0, 8.0);
}

fn table(layout: &mut Layout<'_>, texts: &Texts, caption: String, cols: Vec<Column>, rows: Vec<Vec<Cell>>, size: f32) {
    if rows.is_empty() {
        layout.paragraph(&format!("{caption}: {}", texts.empty_table), Style::BODY, 0.0, 8.0);
        return;
    }
    layout.table(&Table {
        caption: Some(caption),
        columns: cols,
        header: true,
        rows,
        size,
    });
}

fn key_values(layout: &mut Layout<'_>, rows: Vec<(String, Cell)>) {
    let rows = rows.into_iter().map(|(k, v)| vec![Cell::bold(k), v]).collect();
    layout.table(&Table {
        caption: None,
        columns: columns(&[("", 1.0), ("", 3.0)]),
        header: false,
        rows,
        size: 8.5,
    });
}

fn cover(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    let c = &report.cover;
    layout.toc.push(TocEntry {
        number: "1".into(),
        title: texts.cover.title.clone(),
        page: layout.page_index(),
    });
    layout.advance(60.0);
    let title = Style {
        weight: Weight::Bold,
        size: 22.0,
        color: palette::ACCENT,
    };
    for line in layout.wrap(&report.title, title.weight, title.size, super::layout::CONTENT_W) {
        layout.text(LEFT, layout.y() + title.size, title, &line);
        layout.advance(title.line_height());
    }
    layout.advance(6.0);
    let sub = Style {
        weight: Weight::Regular,
        size: 12.0,
        color: palette::MUTED,
    };
    layout.paragraph(&format!("Evidence as of {} · scan {}", c.as_of, c.scan), sub, 0.0, 24.0);
    let frameworks = if report.frameworks.is_empty() {
        "–".to_string()
    } else {
        report
            .frameworks
            .iter()
            .map(|f| format!("{} {} ({}, {})", f.name, f.version, f.publisher, f.id))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let clusters = if c.clusters.len() <= 12 {
        format!("{}: {}", c.clusters.len(), c.clusters.join(", "))
    } else {
        format!("{} clusters, each listed in section 5 (inventory)", c.clusters.len())
    };
    let namespaces = format!("{}: {}", c.namespaces.len(), c.namespaces.join(", "));
    key_values(
        layout,
        vec![
            ("Organisation".into(), Cell::plain(opt(c.organisation.as_deref()))),
            ("Frameworks".into(), Cell::plain(frameworks)),
            ("Clusters in scope".into(), Cell::plain(clusters)),
            ("Namespaces in scope".into(), Cell::plain(namespaces)),
            (
                "Period".into(),
                Cell::plain(format!("{} to {}", opt(c.period_start.as_deref()), c.period_end)),
            ),
            ("As of".into(), Cell::plain(c.as_of.clone())),
            ("Scan".into(), Cell::plain(c.scan.to_string())),
            ("Collected at".into(), Cell::plain(c.collected_at.clone())),
            ("Generated by".into(), Cell::plain(c.generator.clone())),
        ],
    );
    layout.advance(8.0);
    layout.paragraph(&texts.cover.intro, Style::BODY.colored(palette::MUTED), 0.0, 0.0);
}

fn integrity(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "2", &texts.integrity);
    let i = &report.integrity;
    let verdict = if i.verified {
        Cell::flag("PASSED: the whole chain and the checkpoint verified", palette::GOOD)
    } else {
        Cell::flag(format!("FAILED: {}", opt(i.problem.as_deref())), palette::BAD)
    };
    let mut rows = vec![
        ("Verify result".into(), verdict),
        (
            "Store head (last record hash)".into(),
            Cell::plain(i.store_head.clone()),
        ),
        ("Records in the store".into(), Cell::plain(i.records.to_string())),
    ];
    match &i.checkpoint {
        Some(cp) => rows.extend([
            ("Checkpoint tree size".into(), Cell::plain(cp.tree_size.to_string())),
            ("Checkpoint root".into(), Cell::plain(cp.root.clone())),
            ("Checkpoint origin".into(), Cell::plain(cp.origin.clone())),
            ("Verifier key".into(), Cell::plain(cp.key.clone())),
            (
                "Key fingerprint (SHA-256)".into(),
                Cell::plain(cp.key_fingerprint.clone()),
            ),
            ("Signed checkpoint note".into(), Cell::plain(cp.note.clone())),
        ]),
        None => rows.push((
            "Checkpoint".into(),
            Cell::flag("no signed checkpoint covers this scan", palette::BAD),
        )),
    }
    if i.verified
        && let Some(p) = &i.problem
    {
        rows.push(("Note".into(), Cell::plain(p.clone())));
    }
    key_values(layout, rows);
}

fn summary(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "3", &texts.summary);
    let s = &report.summary;
    let total = s.satisfied + s.not_satisfied + s.not_evaluated;
    layout.subheading(&format!("Controls ({total} evaluated)"), 40.0);
    status_bar(
        layout,
        &[
            (s.satisfied, "satisfied", palette::GOOD),
            (s.not_satisfied, "not satisfied", palette::BAD),
            (s.not_evaluated, "not evaluated", palette::WARN),
        ],
    );
    let listed = |st: ControlStatus| report.controls.iter().filter(|c| c.status == st).count() as u64;
    let rows = [
        (ControlStatus::Satisfied, s.satisfied),
        (ControlStatus::NotSatisfied, s.not_satisfied),
        (ControlStatus::NotEvaluated, s.not_evaluated),
    ]
    .into_iter()
    .map(|(st, n)| {
        let (label, color) = status(st);
        vec![
            Cell::flag(label, color),
            Cell::plain(n.to_string()),
            Cell::plain(listed(st).to_string()),
        ]
    })
    .collect();
    layout.table(&Table {
        caption: None,
        columns: columns(&[("Status", 2.0), ("Controls", 1.0), ("Rows in section 8", 1.4)]),
        header: true,
        rows,
        size: 8.5,
    });
    if total != report.controls.len() as u64 {
        layout.paragraph(
            &format!(
                "Inconsistent document: the summary counts {total} controls but section 8 lists {}.",
                report.controls.len()
            ),
            Style::STRONG.colored(palette::BAD),
            0.0,
            6.0,
        );
    }
    let findings_total: u64 = s.findings_by_severity.iter().map(|c| c.count).sum();
    layout.subheading(
        &format!("Findings by severity ({findings_total} in total, listed in Appendix A)"),
        40.0,
    );
    let rows = s
        .findings_by_severity
        .iter()
        .map(|c| {
            let listed = report.findings.iter().filter(|f| f.severity == c.severity).count();
            let waived = report
                .findings
                .iter()
                .filter(|f| f.severity == c.severity && f.is_waived())
                .count();
            vec![
                Cell::flag(c.severity.as_str(), severity_color(c.severity)),
                Cell::plain(c.count.to_string()),
                Cell::plain(waived.to_string()),
                Cell::plain(listed.to_string()),
            ]
        })
        .collect();
    layout.table(&Table {
        caption: None,
        columns: columns(&[
            ("Severity", 2.0),
            ("Findings", 1.0),
            ("of which waived", 1.2),
            ("Rows in Appendix A", 1.4),
        ]),
        header: true,
        rows,
        size: 8.5,
    });
    if findings_total != report.findings.len() as u64 {
        layout.paragraph(
            &format!(
                "Inconsistent document: the summary counts {findings_total} findings but Appendix A lists {}.",
                report.findings.len()
            ),
            Style::STRONG.colored(palette::BAD),
            0.0,
            6.0,
        );
    }
    layout.subheading("Top risks", 30.0);
    if s.top_risks.is_empty() {
        layout.paragraph(&texts.empty_table, Style::BODY, 0.0, 6.0);
    }
    for (i, risk) in s.top_risks.iter().enumerate() {
        layout.bullet(&format!("{}. {risk}", i + 1), Style::BODY);
    }
}

/// A horizontal stacked bar of counts with a legend underneath.
fn status_bar(layout: &mut Layout<'_>, parts: &[(u64, &str, Rgb3)]) {
    let total: u64 = parts.iter().map(|p| p.0).sum();
    if total == 0 {
        return;
    }
    layout.ensure(34.0);
    let (y, w) = (layout.y(), super::layout::CONTENT_W);
    let mut x = LEFT;
    for (n, _, color) in parts {
        let seg = w * *n as f32 / total as f32;
        if seg > 0.0 {
            layout.fill_rect(x, y, seg, 12.0, *color);
        }
        x += seg;
    }
    layout.advance(16.0);
    let legend = parts
        .iter()
        .map(|(n, label, _)| format!("{label}: {n}"))
        .collect::<Vec<_>>()
        .join(" · ");
    layout.paragraph(&legend, Style::SMALL, 0.0, 4.0);
}

fn who_added(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "4", &texts.who_added);
    let rows = report
        .who_added
        .iter()
        .map(|r| {
            let mut who = vec![format!("added by: {}", opt(r.added_by.as_deref()))];
            if let Some(a) = &r.applied_by {
                who.push(format!("applied by: {a}"));
            }
            if let Some(c) = &r.committer {
                who.push(format!("committer: {c}"));
            }
            vec![
                Cell::bold(r.cluster.clone()),
                Cell::plain(opt(r.added_at.as_deref())),
                Cell::plain(who.join("\n")),
                Cell::plain(format!("{}\n({})", r.trust_domain, r.trust_domain_source)),
                Cell::plain(r.method.clone()),
                Cell::plain(refs(&r.evidence)),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("Clusters and who added them ({} rows)", rows.len());
    let cols = columns(&[
        ("Cluster", 2.0),
        ("Added at", 2.35),
        ("Who", 2.3),
        ("Trust domain (source)", 2.2),
        ("Method", 1.8),
        ("Evidence", 2.6),
    ]);
    table(layout, texts, caption, cols, rows, 7.0);
}

fn inventory(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    let t = &texts.inventory;
    layout.section("5", &t.title);
    layout.paragraph(&t.intro, Style::BODY.colored(palette::MUTED), 0.0, 8.0);
    let inv = &report.inventory;
    let rows = inv
        .clusters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            vec![
                Cell::plain((i + 1).to_string()),
                Cell::bold(c.cluster.clone()),
                Cell::plain(yes_no(c.in_mesh)),
                Cell::plain(yes_no(c.registered)),
                Cell::plain(yes_no(c.collected)),
                Cell::plain(opt(c.trust_domain.as_deref())),
                Cell::plain(c.objects.to_string()),
                Cell::plain(c.findings.to_string()),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("Clusters ({} rows)", rows.len());
    let cols = columns(&[
        ("#", 0.5),
        ("Cluster", 3.0),
        ("In mesh", 1.0),
        ("Registered", 1.4),
        ("Collected", 1.3),
        ("Trust domain", 2.8),
        ("Objects", 1.1),
        ("Findings", 1.2),
    ]);
    table(layout, texts, caption, cols, rows, 7.5);
    layout.subheading("Peering matrix", 120.0);
    layout.paragraph(&t.peering_intro, Style::BODY.colored(palette::MUTED), 0.0, 6.0);
    let names: Vec<String> = inv.clusters.iter().map(|c| c.cluster.clone()).collect();
    let peering = Peering::new(&names, &inv.peering);
    let extra = peering.names.get(peering.inventory_len..).unwrap_or_default();
    if !extra.is_empty() {
        let list = extra
            .iter()
            .enumerate()
            .map(|(k, n)| format!("#{} {n}", peering.inventory_len + k + 1))
            .collect::<Vec<_>>()
            .join(", ");
        layout.paragraph(
            &format!("Clusters seen only in peering relations (not in the inventory): {list}."),
            Style::BODY,
            0.0,
            6.0,
        );
    }
    charts::peering(layout, &peering, &format!("Peering relations: {}", texts.empty_table));
}

fn certificates(layout: &mut Layout<'_>, report: &Report, texts: &Texts, as_of: DateTime<Utc>) {
    heading(layout, "6", &texts.certificates);
    let certs = &report.certificates;
    if !certs.is_empty() {
        layout.subheading(&format!("Expiry timeline ({} certificates)", certs.len()), 80.0);
        charts::certificate_timeline(layout, certs, as_of);
    }
    let rows = certs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let days = if c.days_left < 0 {
                format!("expired {} days ago", -c.days_left)
            } else {
                format!("{} days left", c.days_left)
            };
            vec![
                Cell::bold(certificate_label(i)),
                Cell::plain(format!("{}\n{}", c.cluster, c.role)),
                Cell::plain(format!("subject: {}\nissuer: {}", c.subject, c.issuer)),
                Cell::plain(format!("{}\n{}\nserial {}", c.key, c.signature_algorithm, c.serial)),
                Cell {
                    text: format!("from {}\nto {}\n{days}", c.not_before, c.not_after),
                    weight: Weight::Regular,
                    color: text_color(expiry_color(c.days_left)),
                },
                Cell::plain(format!("{}\n{}", c.chain_status, c.rotation_state)),
                Cell::plain(format!("SHA-256 {}\n{}", c.fingerprint, refs(&c.evidence))),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("CA certificates ({} rows)", rows.len());
    let cols = columns(&[
        ("#", 0.55),
        ("Cluster / role", 1.7),
        ("Subject / issuer", 2.6),
        ("Key / signature / serial", 2.0),
        ("Validity", 2.75),
        ("Chain / rotation", 1.5),
        ("Fingerprint / evidence", 2.5),
    ]);
    table(layout, texts, caption, cols, rows, 6.5);
}

/// Chart colours used as text colours: the neutral blue reads as body text.
fn text_color(c: Rgb3) -> Rgb3 {
    if c == palette::BLUE { palette::TEXT } else { c }
}

fn credentials(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "7", &texts.credentials);
    let rows = report
        .credentials
        .iter()
        .map(|c| {
            let age = c
                .age_days
                .map_or_else(|| "age unknown".to_string(), |d| format!("{d} days old"));
            vec![
                Cell::bold(format!("{}\n→ {}", c.holder, c.target)),
                Cell::plain(opt(c.identity.as_deref())),
                Cell::plain(c.token_kind.clone()),
                Cell::plain(format!(
                    "issued {}\nexpires {}\n{age}",
                    opt(c.issued.as_deref()),
                    c.expires.as_deref().unwrap_or("never (no expiry)")
                )),
                if c.insecure_tls {
                    Cell::flag("insecure (skips verification or no CA data)", palette::BAD)
                } else {
                    Cell::plain("verified")
                },
                Cell::plain(refs(&c.evidence)),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("Remote-secret credentials ({} rows)", rows.len());
    let cols = columns(&[
        ("Holder → target", 2.4),
        ("Identity", 2.0),
        ("Token", 0.9),
        ("Issued / expires / age", 2.9),
        ("TLS", 1.4),
        ("Evidence", 2.6),
    ]);
    table(layout, texts, caption, cols, rows, 7.0);
}

fn controls(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "8", &texts.controls);
    if report.controls.is_empty() {
        layout.paragraph(&texts.empty_table, Style::BODY, 0.0, 6.0);
    }
    let mut current: Option<&str> = None;
    for control in &report.controls {
        if current != Some(control.framework.as_str()) {
            current = Some(control.framework.as_str());
            let name = report
                .frameworks
                .iter()
                .find(|f| f.id == control.framework)
                .map_or_else(|| control.framework.clone(), |f| format!("{} {}", f.name, f.version));
            let n = report
                .controls
                .iter()
                .filter(|c| c.framework == control.framework)
                .count();
            let noun = if n == 1 { "control" } else { "controls" };
            layout.subheading(&format!("{name} ({n} {noun})"), 60.0);
        }
        one_control(layout, report, control);
    }
}

fn one_control(layout: &mut Layout<'_>, report: &Report, c: &ControlResult) {
    let (label, color) = status(c.status);
    let title = Style {
        weight: Weight::Bold,
        size: 10.0,
        color: palette::TEXT,
    };
    layout.ensure(title.line_height() * 2.0 + 30.0);
    layout.advance(4.0);
    layout.paragraph(&format!("{}  {}", c.id, c.title), title, 0.0, 1.0);
    layout.paragraph(
        &format!("Status: {label}. {}", c.rationale),
        Style::STRONG.colored(color),
        0.0,
        2.0,
    );
    let small = Style {
        size: 8.0,
        ..Style::BODY
    };
    layout.paragraph(
        &format!("Evidence considered: {}", c.evidence_description),
        small,
        0.0,
        1.0,
    );
    if let Some(note) = &c.scope_note {
        layout.paragraph(&format!("Scope: {note}"), small.colored(palette::MUTED), 0.0, 1.0);
    }
    let checks = if c.checks.is_empty() {
        "–".to_string()
    } else {
        c.checks.join(", ")
    };
    layout.paragraph(&format!("Checks: {checks}"), small.colored(palette::MUTED), 0.0, 3.0);
    if !c.findings.is_empty() {
        let rows = report
            .findings_of(c)
            .take(CONTROL_FINDINGS_LISTED)
            .map(finding_row)
            .collect();
        let caption = match c.unlisted_findings() {
            Some(more) => format!("{}: findings behind this status. {more}", c.id),
            None => format!("{}: findings behind this status ({} rows)", c.id, c.findings.len()),
        };
        layout.table(&Table {
            caption: Some(caption),
            columns: finding_columns(),
            header: true,
            rows,
            size: 6.8,
        });
    }
    layout.line(
        (LEFT, layout.y()),
        (super::layout::RIGHT, layout.y()),
        palette::RULE,
        0.6,
    );
    layout.advance(2.0);
}

fn finding_columns() -> Vec<Column> {
    columns(&[
        ("Severity", 1.0),
        ("Check", 1.6),
        ("Cluster / subject", 2.3),
        ("Message / remediation", 5.0),
        ("Evidence", 2.5),
    ])
}

fn finding_row(f: &Finding) -> Vec<Cell> {
    let mut text = format!("{}\nRemediation: {}", f.message, f.remediation);
    if let Some(w) = &f.waiver {
        let state = if w.expired {
            "EXPIRED waiver (open again)"
        } else {
            "Waived"
        };
        let ticket = w.ticket.as_deref().map(|t| format!(", ticket {t}")).unwrap_or_default();
        text.push_str(&format!(
            "\n{state}: {} (owner {}{ticket}, until {})",
            w.reason, w.owner, w.until
        ));
    }
    let sev = if f.is_waived() {
        format!("{} (waived)", f.severity)
    } else {
        f.severity.to_string()
    };
    vec![
        Cell::flag(sev, severity_color(f.severity)),
        Cell::bold(format!("{}\n{}", f.check, f.name)),
        Cell::plain(format!(
            "{}\n{}",
            f.cluster.as_deref().unwrap_or("mesh-wide"),
            f.subject
        )),
        Cell::plain(text),
        Cell::plain(refs(&f.evidence)),
    ]
}

fn gaps(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "9", &texts.gaps);
    let rows = report
        .gaps
        .iter()
        .map(|g| {
            let controls = if g.unevaluated_controls.is_empty() {
                "–".to_string()
            } else {
                g.unevaluated_controls.join(", ")
            };
            vec![
                Cell::bold(format!("{}\n{}", opt(g.cluster.as_deref()), g.source)),
                Cell::plain(g.what.clone()),
                Cell::plain(g.reason.clone()),
                Cell::plain(controls),
                Cell::plain(refs(&g.evidence)),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("Collection gaps ({} rows)", rows.len());
    let cols = columns(&[
        ("Cluster / source", 2.2),
        ("What", 2.6),
        ("Reason", 2.8),
        ("Controls left not evaluated", 2.0),
        ("Evidence", 2.6),
    ]);
    table(layout, texts, caption, cols, rows, 7.0);
}

fn timeline(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "10", &texts.timeline);
    if let Some(o) = &report.timeline_omitted {
        layout.paragraph(&o.sentence(), Style::BODY.colored(palette::MUTED), 0.0, 8.0);
    }
    let rows = report
        .timeline
        .iter()
        .map(|t| {
            let outcome_color = if t.outcome == "refused" {
                palette::BAD
            } else {
                palette::TEXT
            };
            vec![
                Cell::plain(t.time.clone()),
                Cell::plain(format!("{}\n{}", opt(t.cluster.as_deref()), t.source)),
                Cell {
                    text: format!("{}\n{}", t.action, t.outcome),
                    weight: Weight::Bold,
                    color: outcome_color,
                },
                Cell::plain(format!("{}\n{}", t.subject, t.detail)),
                Cell::plain(opt(t.actor.as_deref())),
                Cell::plain(refs(&t.evidence)),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("Trust-relevant changes ({} rows)", rows.len());
    let cols = columns(&[
        ("Time", 2.4),
        ("Cluster / source", 1.8),
        ("Action / outcome", 1.9),
        ("Subject / detail", 3.1),
        ("Actor", 1.8),
        ("Evidence", 2.5),
    ]);
    table(layout, texts, caption, cols, rows, 6.8);
}

fn methodology(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "11", &texts.methodology);
    let m = &report.methodology;
    for p in &m.paragraphs {
        layout.paragraph(p, Style::BODY, 0.0, 6.0);
    }
    layout.subheading("How to verify", 40.0);
    let rows = m
        .verify_commands
        .iter()
        .map(|c| vec![Cell::plain(c.clone())])
        .collect::<Vec<_>>();
    table(
        layout,
        texts,
        format!("Commands ({} rows)", rows.len()),
        columns(&[("Command", 1.0)]),
        rows,
        8.0,
    );
    if let Some(key) = &m.public_key {
        layout.subheading("Public key to pin", 30.0);
        key_values(layout, vec![("Verifier key".into(), Cell::plain(key.clone()))]);
    }
}

fn findings(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    heading(layout, "A", &texts.findings);
    let rows = report.findings.iter().map(finding_row).collect::<Vec<_>>();
    let caption = format!("All findings ({} rows)", rows.len());
    table(layout, texts, caption, finding_columns(), rows, 6.8);
}

fn changes(layout: &mut Layout<'_>, report: &Report, texts: &Texts) {
    let Some(c) = &report.changes else { return };
    heading(layout, "B", &texts.changes);
    layout.paragraph(
        &format!(
            "Scan {} ({}) compared with scan {} ({}). Findings: {} opened, {} closed, {} still open.",
            c.to_scan,
            c.to_collected_at,
            c.from_scan,
            c.from_collected_at,
            c.findings_opened,
            c.findings_closed,
            c.findings_still_open
        ),
        Style::BODY,
        0.0,
        8.0,
    );
    let rows = c
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::bold(format!("{}\n{}", r.area, r.change)),
                Cell::plain(r.cluster.clone()),
                Cell::plain(r.subject.clone()),
                Cell::plain(r.detail.clone()),
            ]
        })
        .collect::<Vec<_>>();
    let caption = format!("Changes ({} rows)", rows.len());
    let cols = columns(&[
        ("Area / change", 1.8),
        ("Cluster", 1.6),
        ("Subject", 3.6),
        ("Detail", 5.0),
    ]);
    table(layout, texts, caption, cols, rows, 7.0);
}
