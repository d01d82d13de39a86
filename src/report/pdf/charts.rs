//! Vector charts: the certificate-expiry timeline and the peering-matrix heat map.
//!
//! Both are drawn with rectangles and lines (no images), flow across pages like tables (axis or
//! column numbers repeat on each page) and identify rows by short labels (`C12`, `#7`) that the
//! neighbouring tables also print, so a long cluster name never has to be squeezed into a chart.
//! Above [`MATRIX_MAX`] clusters the heat map would need cells too small to read even when zoomed;
//! the peering relations are then listed per holder instead, and the report says so.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, TimeZone, Utc};

use super::fonts::Weight;
use super::layout::{BOTTOM, CONTENT_W, Cell, LEFT, Layout, RIGHT, Rgb3, Style, TOP, Table, columns, palette};
use crate::report::model::{CertificateRow, PeeringCell};

/// Days before expiry at which a certificate counts as expiring (the CERT-001 default window).
pub(super) const EXPIRING_DAYS: i64 = 90;
/// Largest mesh drawn as a matrix; larger meshes get the per-holder list.
pub(super) const MATRIX_MAX: usize = 100;

/// Seconds per day.
const DAY: f64 = 86_400.0;
/// The axis never extends further than this from the as-of time (in years).
const AXIS_CLAMP_YEARS: i32 = 15;

/// Parses an RFC 3339 timestamp.
pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The bar colour of a certificate, by days left at as-of.
pub(super) fn expiry_color(days_left: i64) -> Rgb3 {
    if days_left < 0 {
        palette::BAD
    } else if days_left <= EXPIRING_DAYS {
        palette::WARN
    } else {
        palette::BLUE
    }
}

/// A date axis: start and end in Unix seconds, mapped onto `x0..x1`.
struct Axis {
    start: f64,
    end: f64,
    x0: f32,
    x1: f32,
}

impl Axis {
    fn x(&self, t: f64) -> f32 {
        let span = (self.end - self.start).max(1.0);
        let f = ((t - self.start) / span).clamp(0.0, 1.0);
        self.x0 + (self.x1 - self.x0) * f as f32
    }

    /// Tick positions and labels: years (every 1, 2, 5 or 10) or months (every 1, 2, 3 or 6).
    fn ticks(&self) -> Vec<(f64, String)> {
        let (Some(start), Some(end)) = (
            Utc.timestamp_opt(self.start as i64, 0).single(),
            Utc.timestamp_opt(self.end as i64, 0).single(),
        ) else {
            return Vec::new();
        };
        let span_days = (self.end - self.start) / DAY;
        let mut out = Vec::new();
        if span_days > 3.0 * 365.0 {
            let years = end.year() - start.year();
            let step = [1, 2, 5, 10, 20].into_iter().find(|s| years / s <= 9).unwrap_or(50);
            let mut y = (start.year() / step) * step;
            while y <= end.year() {
                if let Some(t) = Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single() {
                    let t = t.timestamp() as f64;
                    if t >= self.start {
                        out.push((t, y.to_string()));
                    }
                }
                y += step;
            }
        } else {
            let months = (span_days / 30.0) as i32;
            let step = [1, 2, 3, 6, 12].into_iter().find(|s| months / s <= 10).unwrap_or(12);
            let (mut y, mut m) = (start.year(), 1);
            while y <= end.year() {
                if let Some(t) = Utc.with_ymd_and_hms(y, m as u32, 1, 0, 0, 0).single() {
                    let t = t.timestamp() as f64;
                    if t >= self.start && t <= self.end {
                        out.push((t, format!("{y}-{m:02}")));
                    }
                }
                m += step;
                if m > 12 {
                    m -= 12;
                    y += 1;
                }
            }
        }
        out
    }
}

/// Label of certificate `i` (zero-based) in the chart and the table.
pub(super) fn certificate_label(i: usize) -> String {
    format!("C{}", i + 1)
}

/// Draws the expiry timeline of `certs`: one bar per certificate from not-before to not-after,
/// the as-of time as a vertical line, expired and expiring bars coloured.
pub(super) fn certificate_timeline(layout: &mut Layout<'_>, certs: &[CertificateRow], as_of: DateTime<Utc>) {
    let as_of_s = as_of.timestamp() as f64;
    let windows: Vec<Option<(f64, f64)>> = certs
        .iter()
        .map(|c| match (parse_time(&c.not_before), parse_time(&c.not_after)) {
            (Some(a), Some(b)) => Some((a.timestamp() as f64, b.timestamp() as f64)),
            _ => None,
        })
        .collect();
    let lo_clamp = as_of
        .with_year(as_of.year() - AXIS_CLAMP_YEARS)
        .map_or(as_of_s, |t| t.timestamp() as f64);
    let hi_clamp = as_of
        .with_year(as_of.year() + AXIS_CLAMP_YEARS)
        .map_or(as_of_s, |t| t.timestamp() as f64);
    let lo = windows
        .iter()
        .flatten()
        .map(|w| w.0)
        .fold(as_of_s, f64::min)
        .max(lo_clamp);
    let hi = windows
        .iter()
        .flatten()
        .map(|w| w.1)
        .fold(as_of_s, f64::max)
        .min(hi_clamp);
    let margin = ((hi - lo) * 0.03).max(15.0 * DAY);
    let label_w = 120.0;
    let axis = Axis {
        start: lo - margin,
        end: hi + margin,
        x0: LEFT + label_w,
        x1: RIGHT - 4.0,
    };
    let label_style = Style {
        weight: Weight::Regular,
        size: 6.5,
        color: palette::TEXT,
    };
    let row_h = 9.0;
    let axis_h = 16.0;

    legend(
        layout,
        &[
            (palette::BLUE, format!("valid more than {EXPIRING_DAYS} days")),
            (palette::WARN, format!("expires within {EXPIRING_DAYS} days")),
            (palette::BAD, "expired".to_string()),
            (palette::TEXT, "as-of time (vertical line)".to_string()),
        ],
    );
    let clipped_note = "Bars are clipped at 15 years either side of the as-of time; an arrow marks a clipped end.";
    layout.paragraph(clipped_note, Style::SMALL, 0.0, 4.0);

    let mut i = 0;
    while i < certs.len() {
        layout.ensure(axis_h + row_h * 3.0);
        let rows_fit = (((layout.remaining() - axis_h - 4.0) / row_h).floor().max(1.0)) as usize;
        let chunk_end = certs.len().min(i + rows_fit);
        let top = layout.y();
        // Axis with ticks and grid lines.
        let chart_h = (chunk_end - i) as f32 * row_h;
        let grid_top = top + axis_h;
        for (t, label) in axis.ticks() {
            let x = axis.x(t);
            let w = layout.width(label_style, &label);
            layout.text(x - w / 2.0, top + 9.0, label_style.colored(palette::MUTED), &label);
            layout.line((x, grid_top - 3.0), (x, grid_top + chart_h), palette::RULE, 0.3);
        }
        layout.line((axis.x0, grid_top), (axis.x1, grid_top), palette::MUTED, 0.5);
        for (k, (cert, window)) in certs.iter().zip(&windows).enumerate().skip(i).take(chunk_end - i) {
            let y = grid_top + (k - i) as f32 * row_h;
            if k % 2 == 1 {
                layout.fill_rect(LEFT, y, CONTENT_W, row_h, palette::ZEBRA);
            }
            let short = certificate_label(k);
            let role = if cert.role == "intermediate" {
                "int."
            } else {
                cert.role.as_str()
            };
            let label = [
                format!("{short} {} ({role})", cert.cluster),
                format!("{short} {}", cert.cluster),
            ]
            .into_iter()
            .find(|l| layout.width(label_style, l) <= label_w - 6.0)
            .unwrap_or(short);
            layout.text(LEFT + 2.0, y + 6.8, label_style, &label);
            match window {
                Some((a, b)) => {
                    let (x0, x1) = (axis.x(*a), axis.x(*b));
                    layout.fill_rect(
                        x0,
                        y + 1.5,
                        (x1 - x0).max(1.0),
                        row_h - 3.0,
                        expiry_color(cert.days_left),
                    );
                    if *a < axis.start {
                        arrow(layout, x0, y + row_h / 2.0, -1.0);
                    }
                    if *b > axis.end {
                        arrow(layout, x1, y + row_h / 2.0, 1.0);
                    }
                }
                None => {
                    let text = format!("validity unreadable: {} – {}", cert.not_before, cert.not_after);
                    layout.text(axis.x0 + 2.0, y + 6.8, label_style.colored(palette::BAD), &text);
                }
            }
        }
        let x = axis.x(as_of_s);
        layout.line((x, grid_top - 3.0), (x, grid_top + chart_h), palette::TEXT, 1.2);
        layout.advance(axis_h + chart_h + 6.0);
        i = chunk_end;
        if i < certs.len() {
            layout.new_page();
        }
    }
}

/// A small triangle marking a clipped bar end (`dir` -1 left, +1 right).
fn arrow(layout: &mut Layout<'_>, x: f32, y: f32, dir: f32) {
    for k in 0..3 {
        let k = k as f32;
        layout.line(
            (x + dir * k, y - 3.0 + k),
            (x + dir * k, y + 3.0 - k),
            palette::TEXT,
            1.0,
        );
    }
}

/// A row of coloured keys.
fn legend(layout: &mut Layout<'_>, items: &[(Rgb3, String)]) {
    let style = Style {
        weight: Weight::Regular,
        size: 7.5,
        color: palette::TEXT,
    };
    layout.ensure(14.0);
    let mut x = LEFT;
    let y = layout.y();
    for (color, label) in items {
        let w = layout.width(style, label);
        if x + 12.0 + w > RIGHT {
            layout.advance(11.0);
            x = LEFT;
        }
        let y = layout.y().max(y);
        layout.fill_rect(x, y + 1.0, 8.0, 7.0, *color);
        layout.text(x + 11.0, y + 7.5, style, label);
        x += 11.0 + w + 14.0;
    }
    layout.advance(13.0);
}

/// Peering relations, indexed.
pub(super) struct Peering<'a> {
    /// Matrix order: inventory clusters, then names seen only in peering cells.
    pub names: Vec<&'a str>,
    /// Number of names that come from the inventory.
    pub inventory_len: usize,
    cells: BTreeMap<(usize, usize), &'a PeeringCell>,
}

impl<'a> Peering<'a> {
    /// Indexes `cells` over `inventory` (the inventory's cluster order).
    pub fn new(inventory: &'a [String], cells: &'a [PeeringCell]) -> Peering<'a> {
        let mut names: Vec<&str> = inventory.iter().map(String::as_str).collect();
        let known: BTreeSet<&str> = names.iter().copied().collect();
        let extra: BTreeSet<&str> = cells
            .iter()
            .flat_map(|c| [c.holder.as_str(), c.target.as_str()])
            .filter(|n| !known.contains(n))
            .collect();
        let inventory_len = names.len();
        names.extend(extra);
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let cells = cells
            .iter()
            .filter_map(|c| Some(((*index.get(c.holder.as_str())?, *index.get(c.target.as_str())?), c)))
            .collect();
        Peering {
            names,
            inventory_len,
            cells,
        }
    }
}

/// Draws the peering heat map, or the per-holder list above [`MATRIX_MAX`] clusters.
pub(super) fn peering(layout: &mut Layout<'_>, peering: &Peering<'_>, empty: &str) {
    let n = peering.names.len();
    if peering.cells.is_empty() {
        layout.paragraph(empty, Style::BODY, 0.0, 6.0);
        return;
    }
    let count = |f: fn(&PeeringCell) -> bool| peering.cells.values().filter(|c| f(c)).count();
    layout.paragraph(
        &format!(
            "{} holder → target relations: {} with a credential, {} with a peer gateway, {} asymmetric, {} with an orphaned target.",
            peering.cells.len(),
            count(|c| c.credential),
            count(|c| c.gateway),
            count(|c| c.asymmetric),
            count(|c| c.orphaned),
        ),
        Style::BODY,
        0.0,
        4.0,
    );
    if n > MATRIX_MAX {
        layout.paragraph(
            &format!(
                "The mesh has {n} clusters: a {n} × {n} matrix would need cells smaller than 1.7 mm, too small to read. The relations are listed per holder instead; a cluster that holds nothing is not listed."
            ),
            Style::BODY,
            0.0,
            6.0,
        );
        peering_list(layout, peering);
        return;
    }
    peering_matrix(layout, peering);
    let flagged: Vec<&&PeeringCell> = peering.cells.values().filter(|c| c.asymmetric || c.orphaned).collect();
    if !flagged.is_empty() {
        let rows = flagged
            .iter()
            .map(|c| {
                vec![
                    Cell::plain(c.holder.clone()),
                    Cell::plain(c.target.clone()),
                    Cell::plain(relation(c)),
                    Cell::flag(flags(c), palette::BAD),
                ]
            })
            .collect();
        layout.table(&Table {
            caption: Some(format!("Asymmetric and orphaned relations ({} rows)", flagged.len())),
            columns: columns(&[("Holder", 3.0), ("Target", 3.0), ("Holds", 2.0), ("Marked", 2.0)]),
            header: true,
            rows,
            size: 7.5,
        });
    }
}

fn relation(c: &PeeringCell) -> String {
    match (c.credential, c.gateway) {
        (true, true) => "credential + gateway",
        (true, false) => "credential",
        (false, true) => "gateway",
        (false, false) => "nothing",
    }
    .to_string()
}

fn flags(c: &PeeringCell) -> String {
    let mut v = Vec::new();
    if c.asymmetric {
        v.push("asymmetric");
    }
    if c.orphaned {
        v.push("orphaned");
    }
    v.join(", ")
}

/// Fill colour of a matrix cell.
fn cell_color(c: &PeeringCell) -> Rgb3 {
    match (c.credential, c.gateway) {
        (true, true) => palette::ACCENT,
        (true, false) => palette::BLUE,
        (false, true) => Rgb3(0.35, 0.7, 0.62),
        (false, false) => palette::RULE,
    }
}

fn peering_matrix(layout: &mut Layout<'_>, peering: &Peering<'_>) {
    let n = peering.names.len().max(1);
    let small = Style {
        weight: Weight::Regular,
        size: 6.0,
        color: palette::TEXT,
    };
    let named = n <= 30;
    let label_w = if named { 118.0 } else { 22.0 };
    let cell = ((CONTENT_W - label_w) / n as f32).min(20.0);
    let header_h = 18.0;
    // Legend, note and matrix stay on one page.
    layout.ensure((48.0 + header_h + cell * n as f32).min(BOTTOM - TOP));
    legend(
        layout,
        &[
            (palette::ACCENT, "credential + gateway".to_string()),
            (palette::BLUE, "credential".to_string()),
            (Rgb3(0.35, 0.7, 0.62), "gateway".to_string()),
            (palette::WARN, "asymmetric (lower-right mark)".to_string()),
            (palette::BAD, "orphaned target (upper-left mark)".to_string()),
        ],
    );
    layout.paragraph(
        "Rows are holders, columns are targets; numbers are the # column of the inventory table.",
        Style::SMALL,
        0.0,
        4.0,
    );
    let top = layout.y();
    let x0 = LEFT + label_w;
    let y0 = top + header_h;
    let every = if cell >= 9.0 {
        1
    } else if cell >= 4.5 {
        5
    } else {
        10
    };
    for (i, name) in peering.names.iter().enumerate() {
        let num = (i + 1).to_string();
        let show = (i + 1) % every == 0 || every == 1 || i == 0;
        if show {
            let w = layout.width(small, &num);
            let x = x0 + i as f32 * cell + cell / 2.0 - w / 2.0;
            layout.text(x, y0 - 4.0, small.colored(palette::MUTED), &num);
            let label = format!("{num} {name}");
            let label = if named && layout.width(small, &label) <= label_w - 4.0 {
                label
            } else {
                num
            };
            let y = y0 + i as f32 * cell + cell / 2.0 + small.size * 0.35;
            layout.text(LEFT, y, small, &label);
        }
    }
    let side = cell * n as f32;
    layout.fill_rect(x0, y0, side, side, palette::ZEBRA);
    for i in 0..n {
        let d = i as f32 * cell;
        layout.fill_rect(x0 + d, y0 + d, cell, cell, palette::RULE);
    }
    for ((h, t), c) in &peering.cells {
        let (x, y) = (x0 + *t as f32 * cell, y0 + *h as f32 * cell);
        let inset = if cell >= 6.0 { 0.5 } else { 0.0 };
        layout.fill_rect(
            x + inset,
            y + inset,
            cell - 2.0 * inset,
            cell - 2.0 * inset,
            cell_color(c),
        );
        let mark = cell * 0.45;
        if c.asymmetric {
            layout.fill_rect(x + cell - mark, y + cell - mark, mark, mark, palette::WARN);
        }
        if c.orphaned {
            layout.fill_rect(x, y, mark, mark, palette::BAD);
        }
    }
    if cell >= 6.0 {
        for i in 0..=n {
            let d = i as f32 * cell;
            layout.line((x0 + d, y0), (x0 + d, y0 + side), palette::WHITE, 0.4);
            layout.line((x0, y0 + d), (x0 + side, y0 + d), palette::WHITE, 0.4);
        }
    }
    layout.advance(header_h + side + 8.0);
}

fn peering_list(layout: &mut Layout<'_>, peering: &Peering<'_>) {
    let mut by_holder: BTreeMap<usize, Vec<(usize, &PeeringCell)>> = BTreeMap::new();
    for ((h, t), c) in &peering.cells {
        by_holder.entry(*h).or_default().push((*t, c));
    }
    let n = peering.names.len();
    let others = n.saturating_sub(1);
    let name = |i: usize| peering.names.get(i).copied().unwrap_or("?");
    let set = |targets: Vec<usize>| -> String {
        if targets.is_empty() {
            "–".to_string()
        } else if targets.len() == others && others > 1 {
            format!("all {others} other clusters")
        } else {
            targets.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
        }
    };
    let rows = by_holder
        .iter()
        .map(|(h, targets)| {
            let pick = |f: &dyn Fn(&PeeringCell) -> bool| {
                targets
                    .iter()
                    .filter(|(_, c)| f(c))
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
            };
            vec![
                Cell::bold(name(*h)),
                Cell::plain(set(pick(&|c| c.credential && c.gateway))),
                Cell::plain(set(pick(&|c| c.credential && !c.gateway))),
                Cell::plain(set(pick(&|c| !c.credential && c.gateway))),
                Cell::flag(set(pick(&|c| c.asymmetric)), palette::WARN),
                Cell::flag(set(pick(&|c| c.orphaned)), palette::BAD),
            ]
        })
        .collect::<Vec<_>>();
    layout.table(&Table {
        caption: Some(format!("Peering per holder ({} rows)", rows.len())),
        columns: columns(&[
            ("Holder", 2.2),
            ("Credential + gateway for", 2.4),
            ("Credential only for", 2.0),
            ("Gateway only for", 2.0),
            ("Asymmetric towards", 2.0),
            ("Orphaned targets", 2.0),
        ]),
        header: true,
        rows,
        size: 6.8,
    });
}
