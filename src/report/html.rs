//! HTML renderer: the report document as one self-contained page for auditors.
//!
//! [`render`] returns a single HTML file with inline CSS, inline SVG charts (severity bars, the
//! peering heat map, the certificate expiry timeline) and a small inline script that sorts and
//! filters the findings table. The page makes no network requests and reads fine without
//! JavaScript (the filter controls stay hidden and the table keeps the one total order). A
//! `@media print` stylesheet lays it out for paper.
//!
//! Templates live in `report-templates/html/` (`report.html`, `style.css`, `report.js`) and are
//! embedded at build time; [`render_with`] can load replacements from a directory instead (a later
//! `--templates DIR`). minijinja escapes every value in `.html` templates; the CSS and script are
//! pulled in with `{% include %}` as trusted template text, never as data.
//!
//! What the templates receive is a [`View`]: the [`Report`] itself plus geometry computed here
//! for the charts, so templates only place shapes and never do arithmetic. There is no clock and
//! no randomness: the same document renders to the same bytes.

use std::collections::BTreeSet;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, value::Serde};
use serde::Serialize;

use super::RenderError;
use super::model::{CONTROL_FINDINGS_LISTED, Changes, ControlResult, REFS_LISTED, Report, unlisted_refs};
use crate::model::Severity;

const FORMAT: &str = "html";

/// The template files, in the order they are loaded: the page, its stylesheet and its script.
pub const TEMPLATE_FILES: [&str; 3] = ["report.html", "style.css", "report.js"];

const EMBEDDED: [(&str, &str); 3] = [
    ("report.html", include_str!("../../report-templates/html/report.html")),
    ("style.css", include_str!("../../report-templates/html/style.css")),
    ("report.js", include_str!("../../report-templates/html/report.js")),
];

/// Renders `report` as one self-contained HTML page with the embedded templates.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    render_with(report, None)
}

/// Renders `report` with the templates in `templates` (each of [`TEMPLATE_FILES`] that exists
/// there replaces the embedded one), or with the embedded templates when `None`.
pub fn render_with(report: &Report, templates: Option<&Path>) -> Result<Vec<u8>, RenderError> {
    let mut sources: Vec<(&str, String)> = Vec::new();
    for (name, embedded) in EMBEDDED {
        let source = match templates.map(|dir| dir.join(name)) {
            Some(path) if path.is_file() => std::fs::read_to_string(&path).map_err(|e| RenderError::Failed {
                format: FORMAT,
                reason: format!("reading template {}: {e}", path.display()),
            })?,
            _ => embedded.to_string(),
        };
        sources.push((name, source));
    }
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_function("unlisted_refs", unlisted_refs);
    for (name, source) in &sources {
        env.add_template(name, source).map_err(template_error)?;
    }
    let view = View::new(report);
    let page = env
        .get_template("report.html")
        .and_then(|t| t.render(Serde(&view)))
        .map_err(template_error)?;
    Ok(page.into_bytes())
}

fn template_error(e: minijinja::Error) -> RenderError {
    let mut reason = format!("template error: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        reason.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    RenderError::Failed { format: FORMAT, reason }
}

/// Everything the templates see: the report and chart geometry.
#[derive(Debug, Serialize)]
pub struct View<'a> {
    /// The document.
    pub report: &'a Report,
    /// Findings per severity as bars.
    pub severity_chart: BarChart,
    /// Controls per status as bars.
    pub control_chart: BarChart,
    /// The peering heat map.
    pub matrix: Matrix,
    /// The certificate expiry timeline.
    pub expiry: Expiry,
    /// Findings that are open (not waived).
    pub open_findings: usize,
    /// Severity names, most severe first (filter options).
    pub severities: Vec<&'static str>,
    /// Appendix B, or none (always present, so templates can test it in strict mode).
    pub changes: Option<&'a Changes>,
    /// How many findings a control lists.
    pub control_findings_listed: usize,
    /// How many evidence references a row lists.
    pub refs_listed: usize,
    /// Per control (aligned with `report.controls`): the note on the findings it does not list.
    pub unlisted_findings: Vec<Option<String>>,
}

impl<'a> View<'a> {
    /// Computes the chart geometry for `report`.
    pub fn new(report: &'a Report) -> View<'a> {
        View {
            report,
            severity_chart: severity_chart(report),
            control_chart: control_chart(report),
            matrix: Matrix::new(report),
            expiry: Expiry::new(report),
            open_findings: report.findings.iter().filter(|f| !f.is_waived()).count(),
            severities: Severity::ALL.iter().map(|s| s.as_str()).collect(),
            changes: report.changes.as_ref(),
            control_findings_listed: CONTROL_FINDINGS_LISTED,
            refs_listed: REFS_LISTED,
            unlisted_findings: report.controls.iter().map(ControlResult::unlisted_findings).collect(),
        }
    }
}

/// A horizontal bar chart.
#[derive(Debug, Serialize)]
pub struct BarChart {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// Bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Serialize)]
pub struct Bar {
    /// Label.
    pub label: String,
    /// Value.
    pub value: u64,
    /// CSS class (severity or status).
    pub class: String,
    /// Top edge.
    pub y: u32,
    /// Bar length.
    pub width: u32,
}

const BAR_LABEL: u32 = 110;
const BAR_MAX: u32 = 300;
const BAR_ROW: u32 = 24;

fn bar_chart(rows: Vec<(String, u64, String)>) -> BarChart {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bars = rows
        .into_iter()
        .zip(0u32..)
        .map(|((label, value, class), i)| Bar {
            label,
            value,
            class,
            y: i * BAR_ROW + 4,
            width: scale(value, max, BAR_MAX),
        })
        .collect::<Vec<_>>();
    let n = u32::try_from(bars.len()).unwrap_or(u32::MAX);
    BarChart {
        width: BAR_LABEL + BAR_MAX + 50,
        height: n.saturating_mul(BAR_ROW).saturating_add(8),
        bars,
    }
}

/// `value / max * len`, at least 2 px for a non-zero value.
fn scale(value: u64, max: u64, len: u32) -> u32 {
    if value == 0 || max == 0 {
        return 0;
    }
    let w = u128::from(value.min(max)) * u128::from(len) / u128::from(max);
    u32::try_from(w).unwrap_or(len).max(2)
}

fn severity_chart(report: &Report) -> BarChart {
    let rows = Severity::ALL
        .iter()
        .map(|s| {
            let count = report
                .summary
                .findings_by_severity
                .iter()
                .find(|c| c.severity == *s)
                .map(|c| c.count)
                .unwrap_or(0);
            (s.as_str().to_string(), count, format!("sev-{}", s.as_str()))
        })
        .collect();
    bar_chart(rows)
}

fn control_chart(report: &Report) -> BarChart {
    let s = &report.summary;
    bar_chart(vec![
        ("satisfied".into(), s.satisfied, "st-satisfied".into()),
        ("not satisfied".into(), s.not_satisfied, "st-not-satisfied".into()),
        ("not evaluated".into(), s.not_evaluated, "st-not-evaluated".into()),
    ])
}

/// The peering heat map: rows are holders, columns are targets.
#[derive(Debug, Serialize)]
pub struct Matrix {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// Cell size.
    pub cell: u32,
    /// Left margin (row labels).
    pub left: u32,
    /// Top margin (column labels).
    pub top: u32,
    /// Row labels (holders).
    pub rows: Vec<AxisLabel>,
    /// Column labels (targets).
    pub columns: Vec<AxisLabel>,
    /// Cells.
    pub cells: Vec<MatrixCell>,
}

/// A label on an axis.
#[derive(Debug, Serialize)]
pub struct AxisLabel {
    /// Cluster name.
    pub name: String,
    /// Position (centre of the row or column).
    pub pos: u32,
    /// Not in the mesh.
    pub outside: bool,
}

/// One cell of the heat map.
#[derive(Debug, Serialize)]
pub struct MatrixCell {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// `both`, `credential`, `gateway`, `none` or `self`.
    pub kind: &'static str,
    /// The target holds nothing back.
    pub asymmetric: bool,
    /// The target is not in the mesh.
    pub orphaned: bool,
    /// Tooltip.
    pub tooltip: String,
    /// Short text in the cell.
    pub mark: &'static str,
}

impl Matrix {
    fn new(report: &Report) -> Matrix {
        let inv = &report.inventory;
        let mut names: BTreeSet<&str> = inv.clusters.iter().map(|c| c.cluster.as_str()).collect();
        for p in &inv.peering {
            names.insert(&p.holder);
            names.insert(&p.target);
        }
        let names: Vec<&str> = names.into_iter().collect();
        let outside = |n: &str| !inv.clusters.iter().any(|c| c.cluster == n && c.in_mesh);
        let cell = 56;
        let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let label = u32::try_from(longest).unwrap_or(40).min(40) * 7 + 16;
        let (left, top) = (label, label);
        let labels = |offset: u32| -> Vec<AxisLabel> {
            names
                .iter()
                .zip(0u32..)
                .map(|(n, i)| AxisLabel {
                    name: (*n).to_string(),
                    pos: offset + i * cell + cell / 2,
                    outside: outside(n),
                })
                .collect()
        };
        let mut cells = Vec::new();
        for (holder, r) in names.iter().zip(0u32..) {
            for (target, c) in names.iter().zip(0u32..) {
                let found = inv.peering.iter().find(|p| p.holder == *holder && p.target == *target);
                let (kind, mark) = match found {
                    _ if holder == target => ("self", ""),
                    Some(p) if p.credential && p.gateway => ("both", "C+G"),
                    Some(p) if p.credential => ("credential", "C"),
                    Some(p) if p.gateway => ("gateway", "G"),
                    _ => ("none", ""),
                };
                let mut tooltip = format!("{holder} → {target}: ");
                match found {
                    Some(p) => {
                        let mut parts = Vec::new();
                        if p.credential {
                            parts.push("remote-secret credential".to_string());
                        }
                        if p.gateway {
                            parts.push("peer gateway".to_string());
                        }
                        if parts.is_empty() {
                            parts.push("nothing held".to_string());
                        }
                        if p.asymmetric {
                            parts.push("asymmetric (nothing held back)".to_string());
                        }
                        if p.orphaned {
                            parts.push("target not in the mesh".to_string());
                        }
                        if !p.evidence.is_empty() {
                            let refs: Vec<String> = p.evidence.iter().map(|r| format!("#{}", r.seq)).collect();
                            parts.push(format!("evidence {}", refs.join(" ")));
                        }
                        tooltip.push_str(&parts.join("; "));
                    }
                    None if holder == target => tooltip.push_str("same cluster"),
                    None => tooltip.push_str("nothing held"),
                }
                cells.push(MatrixCell {
                    x: left + c * cell,
                    y: top + r * cell,
                    kind,
                    asymmetric: found.is_some_and(|p| p.asymmetric),
                    orphaned: found.is_some_and(|p| p.orphaned),
                    tooltip,
                    mark,
                });
            }
        }
        let n = u32::try_from(names.len()).unwrap_or(0);
        Matrix {
            width: left + n * cell + 8,
            height: top + n * cell + 8,
            cell,
            left,
            top,
            rows: labels(top),
            columns: labels(left),
            cells,
        }
    }
}

/// The certificate expiry timeline: days from as-of to each CA's expiry.
#[derive(Debug, Serialize)]
pub struct Expiry {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// Where the labels end.
    pub left: u32,
    /// x of "as-of" (day 0).
    pub zero: u32,
    /// Bottom of the plotting area.
    pub bottom: u32,
    /// Axis ticks.
    pub ticks: Vec<Tick>,
    /// One bar per certificate.
    pub bars: Vec<ExpiryBar>,
}

/// An axis tick.
#[derive(Debug, Serialize)]
pub struct Tick {
    /// x.
    pub x: u32,
    /// Label.
    pub label: String,
    /// A threshold line (30 / 90 days).
    pub threshold: bool,
}

/// One certificate's bar.
#[derive(Debug, Serialize)]
pub struct ExpiryBar {
    /// Label.
    pub label: String,
    /// Top edge.
    pub y: u32,
    /// Left edge.
    pub x: u32,
    /// Width.
    pub width: u32,
    /// `expired`, `critical` (< 30 d), `warning` (< 90 d) or `ok`.
    pub class: &'static str,
    /// Days left (negative when expired).
    pub days: i64,
    /// Past the right end of the axis.
    pub clipped: bool,
    /// x of the value label.
    pub text_x: u32,
    /// Tooltip.
    pub tooltip: String,
}

const EXP_MIN: i64 = -60;
const EXP_MAX: i64 = 730;
const EXP_LEFT: u32 = 330;
const EXP_PLOT: u32 = 560;
const EXP_ROW: u32 = 26;
const EXP_TOP: u32 = 28;

/// The axis is piecewise linear so the near term, where renewals happen, gets most of the
/// width: (from day, to day, pixels).
const EXP_SEGMENTS: [(i64, i64, u32); 4] = [(EXP_MIN, 0, 50), (0, 90, 210), (90, 365, 180), (365, EXP_MAX, 120)];

fn day_x(days: i64) -> u32 {
    let d = days.clamp(EXP_MIN, EXP_MAX);
    let mut x = EXP_LEFT;
    for (from, to, px) in EXP_SEGMENTS {
        if d >= to {
            x += px;
        } else {
            let part = i128::from(d - from).max(0) * i128::from(px) / i128::from(to - from);
            x += u32::try_from(part).unwrap_or(0);
            break;
        }
    }
    x
}

impl Expiry {
    fn new(report: &Report) -> Expiry {
        let mut certs: Vec<_> = report.certificates.iter().collect();
        certs.sort_by(|a, b| {
            (a.days_left, &a.cluster, &a.role, &a.subject).cmp(&(b.days_left, &b.cluster, &b.role, &b.subject))
        });
        let zero = day_x(0);
        let bars = certs
            .iter()
            .zip(0u32..)
            .map(|(c, i)| {
                let end = day_x(c.days_left);
                let (x, width) = if end >= zero {
                    (zero, (end - zero).max(2))
                } else {
                    (end, (zero - end).max(2))
                };
                let class = match c.days_left {
                    d if d < 0 => "expired",
                    d if d < 30 => "critical",
                    d if d < 90 => "warning",
                    _ => "ok",
                };
                let subject: String = c.subject.chars().take(26).collect();
                ExpiryBar {
                    label: format!("{} · {} · {}", c.cluster, c.role, subject),
                    y: EXP_TOP + i * EXP_ROW,
                    x,
                    width,
                    class,
                    days: c.days_left,
                    clipped: c.days_left > EXP_MAX,
                    text_x: if end >= zero { x + width + 6 } else { zero + 6 },
                    tooltip: format!(
                        "{} {} on {}: expires {} ({} days from as-of)",
                        c.role, c.subject, c.cluster, c.not_after, c.days_left
                    ),
                }
            })
            .collect::<Vec<_>>();
        let n = u32::try_from(bars.len()).unwrap_or(0);
        let bottom = EXP_TOP + n * EXP_ROW + 4;
        let ticks = [0i64, 30, 90, 180, 365, 730]
            .into_iter()
            .map(|d| Tick {
                x: day_x(d),
                label: match d {
                    0 => "as-of".to_string(),
                    365 => "1 y".to_string(),
                    730 => "2 y".to_string(),
                    d => format!("{d} d"),
                },
                threshold: d == 30 || d == 90,
            })
            .collect();
        Expiry {
            width: EXP_LEFT + EXP_PLOT + 70,
            height: bottom + 24,
            left: EXP_LEFT,
            zero,
            bottom,
            ticks,
            bars,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_proportional_and_visible() {
        assert_eq!(scale(0, 10, 300), 0);
        assert_eq!(scale(10, 10, 300), 300);
        assert_eq!(scale(1, 1000, 300), 2);
        assert_eq!(scale(50, 10, 300), 300);
    }

    #[test]
    fn expiry_axis_is_monotonic_and_clamped() {
        assert!(day_x(-30) < day_x(0));
        assert!(day_x(0) < day_x(30));
        assert!(day_x(180) < day_x(365));
        assert_eq!(day_x(10_000), day_x(EXP_MAX));
        assert_eq!(day_x(EXP_MAX), EXP_LEFT + EXP_PLOT);
        assert_eq!(day_x(-10_000), EXP_LEFT);
    }
}
