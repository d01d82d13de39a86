//! Page layout on top of printpdf's low-level operations: a cursor that flows paragraphs,
//! headings and tables down A4 pages, breaking pages where needed.
//!
//! Coordinates here are points measured from the top-left corner (y grows downwards); they are
//! flipped to PDF's bottom-left origin only when an operation is emitted. Nothing is ever cut:
//! lines wrap at spaces, tokens wider than a line (hashes, URLs) break at `/ - : . , =` or, failing
//! that, between characters, and table rows taller than a page continue on the next page under a
//! repeated header row. Main type: [`Layout`].

use printpdf::{Color, Line, LinePoint, Op, PaintMode, Point, Pt, Rect, Rgb, TextItem};

use super::fonts::{Fonts, Weight};

/// A4 width in points.
pub(super) const PAGE_W: f32 = 595.276;
/// A4 height in points.
pub(super) const PAGE_H: f32 = 841.89;
/// Left margin.
pub(super) const LEFT: f32 = 50.0;
/// Right edge of the text area.
pub(super) const RIGHT: f32 = PAGE_W - 50.0;
/// Width of the text area.
pub(super) const CONTENT_W: f32 = RIGHT - LEFT;
/// Top of the text area.
pub(super) const TOP: f32 = 54.0;
/// Bottom of the text area (the footer sits below).
pub(super) const BOTTOM: f32 = PAGE_H - 54.0;

/// An RGB colour, components 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rgb3(pub f32, pub f32, pub f32);

impl Rgb3 {
    fn color(self) -> Color {
        Color::Rgb(Rgb::new(self.0, self.1, self.2, None))
    }
}

/// The palette.
pub(super) mod palette {
    use super::Rgb3;
    /// Body text.
    pub const TEXT: Rgb3 = Rgb3(0.1, 0.1, 0.12);
    /// Secondary text.
    pub const MUTED: Rgb3 = Rgb3(0.38, 0.4, 0.45);
    /// Rules and grid lines.
    pub const RULE: Rgb3 = Rgb3(0.78, 0.8, 0.84);
    /// Alternate table rows.
    pub const ZEBRA: Rgb3 = Rgb3(0.95, 0.96, 0.975);
    /// Table header background and headings.
    pub const ACCENT: Rgb3 = Rgb3(0.13, 0.24, 0.42);
    /// White.
    pub const WHITE: Rgb3 = Rgb3(1.0, 1.0, 1.0);
    /// Satisfied, valid.
    pub const GOOD: Rgb3 = Rgb3(0.12, 0.55, 0.3);
    /// Expiring, asymmetric, medium.
    pub const WARN: Rgb3 = Rgb3(0.93, 0.6, 0.08);
    /// Expired, not satisfied, critical.
    pub const BAD: Rgb3 = Rgb3(0.8, 0.15, 0.15);
    /// Neutral fill (valid bars, credential cells).
    pub const BLUE: Rgb3 = Rgb3(0.3, 0.52, 0.82);
}

/// Font, size and colour of a run of text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Style {
    /// Face.
    pub weight: Weight,
    /// Size in points.
    pub size: f32,
    /// Colour.
    pub color: Rgb3,
}

impl Style {
    /// Body text.
    pub const BODY: Style = Style {
        weight: Weight::Regular,
        size: 9.5,
        color: palette::TEXT,
    };
    /// Small print: notes, captions.
    pub const SMALL: Style = Style {
        weight: Weight::Regular,
        size: 7.5,
        color: palette::MUTED,
    };
    /// Bold body text.
    pub const STRONG: Style = Style {
        weight: Weight::Bold,
        size: 9.5,
        color: palette::TEXT,
    };

    /// The same style in another colour.
    pub fn colored(self, color: Rgb3) -> Style {
        Style { color, ..self }
    }

    /// Line height for this size.
    pub fn line_height(self) -> f32 {
        self.size * 1.38
    }
}

/// One entry of the table of contents and the document outline.
#[derive(Debug, Clone)]
pub(super) struct TocEntry {
    /// "1", "2", … or "A".
    pub number: String,
    /// Section title.
    pub title: String,
    /// Zero-based page index.
    pub page: usize,
}

/// A table column: title and share of the text width.
#[derive(Debug, Clone)]
pub(super) struct Column {
    /// Header text.
    pub title: String,
    /// Relative width (normalised over all columns).
    pub share: f32,
}

/// Builds a column list from `(title, share)` pairs.
pub(super) fn columns(spec: &[(&str, f32)]) -> Vec<Column> {
    spec.iter()
        .map(|(title, share)| Column {
            title: (*title).to_string(),
            share: *share,
        })
        .collect()
}

/// One table cell: text (may contain `\n`) and its style.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    /// Text; `\n` starts a new line inside the cell.
    pub text: String,
    /// Face.
    pub weight: Weight,
    /// Colour.
    pub color: Rgb3,
}

impl Cell {
    /// Regular text.
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            weight: Weight::Regular,
            color: palette::TEXT,
        }
    }
    /// Bold text.
    pub fn bold(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            weight: Weight::Bold,
            color: palette::TEXT,
        }
    }
    /// Bold coloured text (statuses, severities).
    pub fn flag(text: impl Into<String>, color: Rgb3) -> Cell {
        Cell {
            text: text.into(),
            weight: Weight::Bold,
            color,
        }
    }
}

/// A table: caption (repeated with "(continued)" on later pages), columns, rows.
#[derive(Debug, Clone)]
pub(super) struct Table {
    /// Printed above the table and above each continuation.
    pub caption: Option<String>,
    /// Columns; the header row repeats on every page the table spans.
    pub columns: Vec<Column>,
    /// Whether to draw the header row (key–value tables have none).
    pub header: bool,
    /// Rows of cells, one per column.
    pub rows: Vec<Vec<Cell>>,
    /// Font size of cells.
    pub size: f32,
}

/// A page being laid out, or a finished one.
type Page = Vec<Op>;

/// The flowing layout: finished pages, the current page and the cursor.
pub(super) struct Layout<'f> {
    /// The faces, for measuring.
    pub fonts: &'f Fonts,
    done: Vec<Page>,
    current: Page,
    y: f32,
    /// Sections started so far, for the table of contents.
    pub toc: Vec<TocEntry>,
}

impl<'f> Layout<'f> {
    /// An empty document with its first page started.
    pub fn new(fonts: &'f Fonts) -> Layout<'f> {
        Layout {
            fonts,
            done: Vec::new(),
            current: Vec::new(),
            y: TOP,
            toc: Vec::new(),
        }
    }

    /// Zero-based index of the current page.
    pub fn page_index(&self) -> usize {
        self.done.len()
    }

    /// Distance of the cursor from the top edge.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// Moves the cursor down.
    pub fn advance(&mut self, dy: f32) {
        self.y += dy;
    }

    /// Whether the cursor is at the top of a page.
    pub fn at_page_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    /// Space left on the current page.
    pub fn remaining(&self) -> f32 {
        BOTTOM - self.y
    }

    /// Ends the current page and starts the next one.
    pub fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.current));
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one.
    pub fn ensure(&mut self, height: f32) {
        if height > self.remaining() && !self.at_page_top() {
            self.new_page();
        }
    }

    /// Ends the layout: every page, the current one included.
    pub fn into_pages(mut self) -> Vec<Page> {
        if !self.current.is_empty() || self.done.is_empty() {
            self.done.push(std::mem::take(&mut self.current));
        }
        self.done
    }

    /// Wraps `text` to `width` points; see the module documentation for the rules.
    pub fn wrap(&self, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
        wrap(self.fonts, text, weight, size, width)
    }

    /// Draws one line of text with its baseline at `baseline` (from the top).
    pub fn text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        let shown = self.fonts.printable(text);
        push_text(&mut self.current, self.fonts, x, baseline, style, &shown);
    }

    /// Text width in points.
    pub fn width(&self, style: Style, text: &str) -> f32 {
        self.fonts.width(style.weight, text, style.size)
    }

    /// A filled rectangle; `y` is its top edge.
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb3) {
        push_rect(&mut self.current, x, y, w, h, color);
    }

    /// A straight line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), color: Rgb3, width: f32) {
        push_line(&mut self.current, from, to, color, width);
    }

    /// A level-1 heading: starts a new page and registers a table-of-contents entry.
    pub fn section(&mut self, number: &str, title: &str) {
        if !self.at_page_top() {
            self.new_page();
        }
        self.toc.push(TocEntry {
            number: number.to_string(),
            title: title.to_string(),
            page: self.page_index(),
        });
        let style = Style {
            weight: Weight::Bold,
            size: 16.0,
            color: palette::ACCENT,
        };
        let heading = if number.chars().all(char::is_alphabetic) {
            format!("Appendix {number}: {title}")
        } else {
            format!("{number}  {title}")
        };
        for line in self.wrap(&heading, style.weight, style.size, CONTENT_W) {
            let lh = style.line_height();
            self.text(LEFT, self.y + style.size, style, &line);
            self.y += lh;
        }
        self.y += 2.0;
        self.line((LEFT, self.y), (RIGHT, self.y), palette::ACCENT, 1.2);
        self.y += 10.0;
    }

    /// A level-2 heading, kept on the same page as the `keep` points that follow it.
    pub fn subheading(&mut self, title: &str, keep: f32) {
        let style = Style {
            weight: Weight::Bold,
            size: 11.5,
            color: palette::ACCENT,
        };
        let lines = self.wrap(title, style.weight, style.size, CONTENT_W);
        let lh = style.line_height();
        self.y += 6.0;
        self.ensure(lh * lines.len() as f32 + 4.0 + keep);
        for line in lines {
            self.text(LEFT, self.y + style.size, style, &line);
            self.y += lh;
        }
        self.y += 4.0;
    }

    /// A wrapped paragraph, indented by `indent` points, followed by `after` points of space.
    pub fn paragraph(&mut self, text: &str, style: Style, indent: f32, after: f32) {
        let lh = style.line_height();
        for line in self.wrap(text, style.weight, style.size, CONTENT_W - indent) {
            self.ensure(lh);
            self.text(LEFT + indent, self.y + style.size, style, &line);
            self.y += lh;
        }
        self.y += after;
    }

    /// A bulleted item with a hanging indent.
    pub fn bullet(&mut self, text: &str, style: Style) {
        let lh = style.line_height();
        let lines = self.wrap(text, style.weight, style.size, CONTENT_W - 14.0);
        self.ensure(lh * lines.len().min(2) as f32);
        for (i, line) in lines.iter().enumerate() {
            self.ensure(lh);
            if i == 0 {
                self.text(LEFT + 3.0, self.y + style.size, style, "•");
            }
            self.text(LEFT + 14.0, self.y + style.size, style, line);
            self.y += lh;
        }
        self.y += 2.0;
    }

    /// A caption line above a table or chart.
    fn caption(&mut self, caption: &str, continued: bool) {
        let style = Style {
            weight: Weight::Bold,
            size: 8.5,
            color: palette::MUTED,
        };
        let text = if continued {
            format!("{caption} (continued)")
        } else {
            caption.to_string()
        };
        for line in self.wrap(&text, style.weight, style.size, CONTENT_W) {
            self.text(LEFT, self.y + style.size, style, &line);
            self.y += style.line_height();
        }
        self.y += 2.0;
    }

    /// Lays out a table, repeating the caption and header row on every page it spans.
    pub fn table(&mut self, table: &Table) {
        let total: f32 = table
            .columns
            .iter()
            .map(|c| c.share.max(0.0))
            .sum::<f32>()
            .max(f32::MIN_POSITIVE);
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|c| c.share.max(0.0) / total * CONTENT_W)
            .collect();
        let pad = 2.6;
        let size = table.size;
        let lh = size * 1.3;
        let header_lines: Vec<Vec<String>> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.wrap(&c.title, Weight::Bold, size, w - 2.0 * pad))
            .collect();
        let header_h = if table.header {
            header_lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * lh + 2.0 * pad
        } else {
            0.0
        };
        let caption_h = table.caption.as_ref().map_or(0.0, |_| 8.5 * 1.38 + 2.0);
        let wrapped: Vec<Vec<Vec<String>>> = table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&widths)
                    .map(|(cell, w)| self.wrap(&cell.text, cell.weight, size, w - 2.0 * pad))
                    .collect()
            })
            .collect();
        let first_h = wrapped.first().map_or(lh, |r| row_lines(r).min(3) as f32 * lh) + 2.0 * pad;
        self.ensure(caption_h + header_h + first_h);
        let start_header = |layout: &mut Layout<'_>, continued: bool| {
            if let Some(c) = &table.caption {
                layout.caption(c, continued);
            }
            if table.header {
                layout.header_row(&widths, &header_lines, header_h, pad, lh, size);
            }
        };
        start_header(self, false);
        let page_room = BOTTOM - TOP - caption_h - header_h;
        for (index, (row, lines)) in table.rows.iter().zip(&wrapped).enumerate() {
            let n = row_lines(lines);
            let row_h = n as f32 * lh + 2.0 * pad;
            if row_h > self.remaining() && row_h <= page_room {
                self.new_page();
                start_header(self, true);
            }
            // Rows taller than a page continue on the next one; `fresh` guarantees progress.
            let (mut from, mut fresh) = (0, false);
            while from < n {
                let fit = ((self.remaining() - 2.0 * pad) / lh).floor().max(0.0) as usize;
                if fit < 2.min(n - from) && !fresh {
                    self.new_page();
                    start_header(self, true);
                    fresh = true;
                    continue;
                }
                let to = n.min(from + fit.max(1));
                self.draw_row(row, lines, &widths, (from, to), index, pad, lh, size);
                from = to;
                fresh = false;
                if from < n {
                    self.new_page();
                    start_header(self, true);
                    fresh = true;
                }
            }
        }
        self.y += 8.0;
    }

    #[allow(clippy::too_many_arguments)]
    fn header_row(&mut self, widths: &[f32], lines: &[Vec<String>], h: f32, pad: f32, lh: f32, size: f32) {
        self.fill_rect(LEFT, self.y, CONTENT_W, h, palette::ACCENT);
        let style = Style {
            weight: Weight::Bold,
            size,
            color: palette::WHITE,
        };
        let mut x = LEFT;
        for (w, cell) in widths.iter().zip(lines) {
            for (k, line) in cell.iter().enumerate() {
                self.text(x + pad, self.y + pad + k as f32 * lh + size, style, line);
            }
            x += w;
        }
        self.y += h;
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_row(
        &mut self,
        row: &[Cell],
        lines: &[Vec<String>],
        widths: &[f32],
        (from, to): (usize, usize),
        index: usize,
        pad: f32,
        lh: f32,
        size: f32,
    ) {
        let h = (to - from) as f32 * lh + 2.0 * pad;
        if index % 2 == 1 {
            self.fill_rect(LEFT, self.y, CONTENT_W, h, palette::ZEBRA);
        }
        let mut x = LEFT;
        for ((cell, cell_lines), w) in row.iter().zip(lines).zip(widths) {
            let style = Style {
                weight: cell.weight,
                size,
                color: cell.color,
            };
            for (k, line) in cell_lines.iter().enumerate().skip(from).take(to - from) {
                self.text(x + pad, self.y + pad + (k - from) as f32 * lh + size, style, line);
            }
            x += w;
        }
        self.y += h;
        self.line((LEFT, self.y), (RIGHT, self.y), palette::RULE, 0.4);
    }
}

/// Lines of the tallest cell of a row (at least one).
fn row_lines(cells: &[Vec<String>]) -> usize {
    cells.iter().map(Vec::len).max().unwrap_or(1).max(1)
}

/// Emits one run of text.
pub(super) fn push_text(ops: &mut Vec<Op>, fonts: &Fonts, x: f32, baseline: f32, style: Style, text: &str) {
    if text.is_empty() {
        return;
    }
    ops.extend([
        Op::StartTextSection,
        Op::SetFont {
            font: fonts.handle(style.weight),
            size: Pt(style.size),
        },
        Op::SetFillColor {
            col: style.color.color(),
        },
        Op::SetTextCursor {
            pos: point(x, baseline),
        },
        Op::ShowText {
            items: vec![TextItem::Text(text.to_string())],
        },
        Op::EndTextSection,
    ]);
}

/// Emits a filled rectangle whose top-left corner is `(x, y)`.
pub(super) fn push_rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, color: Rgb3) {
    let mut rect = Rect::from_xywh(Pt(x), Pt(PAGE_H - y - h), Pt(w), Pt(h));
    rect.mode = Some(PaintMode::Fill);
    ops.push(Op::SetFillColor { col: color.color() });
    ops.push(Op::DrawRectangle { rectangle: rect });
}

/// Emits a straight line.
pub(super) fn push_line(ops: &mut Vec<Op>, from: (f32, f32), to: (f32, f32), color: Rgb3, width: f32) {
    ops.push(Op::SetOutlineColor { col: color.color() });
    ops.push(Op::SetOutlineThickness { pt: Pt(width) });
    ops.push(Op::DrawLine {
        line: Line {
            points: vec![
                LinePoint {
                    p: point(from.0, from.1),
                    bezier: false,
                },
                LinePoint {
                    p: point(to.0, to.1),
                    bezier: false,
                },
            ],
            is_closed: false,
        },
    });
}

/// A point given from the top-left corner, in PDF coordinates.
fn point(x: f32, y_from_top: f32) -> Point {
    Point {
        x: Pt(x),
        y: Pt(PAGE_H - y_from_top),
    }
}

/// Greedy word wrap with measured glyph widths. `\n` starts a new line; a word wider than the
/// line is broken after `/ - : . , = _` where possible, otherwise between characters.
pub(super) fn wrap(fonts: &Fonts, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
    let text = fonts.printable(text);
    let width = width.max(size);
    let space = fonts.char_width(weight, ' ', size);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0f32;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let word_w = fonts.width(weight, word, size);
            let sep = if line.is_empty() { 0.0 } else { space };
            if line_w + sep + word_w <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += sep + word_w;
                continue;
            }
            if word_w <= width {
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                line.push_str(word);
                line_w = word_w;
                continue;
            }
            // A token wider than the line: pack its pieces, continuing the current line.
            if !line.is_empty() {
                line.push(' ');
                line_w += space;
            }
            for piece in pieces(word) {
                let piece_w = fonts.width(weight, piece, size);
                if line_w + piece_w <= width {
                    line.push_str(piece);
                    line_w += piece_w;
                    continue;
                }
                if piece_w <= width {
                    out.push(std::mem::take(&mut line).trim_end().to_string());
                    line.push_str(piece);
                    line_w = piece_w;
                    continue;
                }
                for c in piece.chars() {
                    let cw = fonts.char_width(weight, c, size);
                    if line_w + cw > width && !line.trim().is_empty() {
                        out.push(std::mem::take(&mut line).trim_end().to_string());
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Splits a token after break-friendly characters: `a/b-c` → `a/`, `b-`, `c`.
fn pieces(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if matches!(c, '/' | '-' | ':' | '.' | ',' | '=' | '_' | '@') {
            let end = i + c.len_utf8();
            if let Some(p) = word.get(start..end) {
                out.push(p);
            }
            start = end;
        }
    }
    if let Some(rest) = word.get(start..)
        && !rest.is_empty()
    {
        out.push(rest);
    }
    out
}
