//! PDF renderer: the [`Report`] document as an A4 PDF for auditors.
//!
//! [`render`] lays out all sections of the document in order (cover, evidence integrity, executive
//! summary, who-added, inventory with the peering matrix, certificates with the expiry chart,
//! credentials, control-by-control results, collection gaps, trust-change timeline, methodology)
//! plus Appendix A listing every finding, with a table of contents, "page X of Y" footers and a
//! document outline. It returns bytes and does nothing else: no files, no clock (creation and
//! modification dates are the document's `as_of`), no system fonts (DejaVu Sans is compiled in
//! and subset).
//!
//! Determinism: the same document gives the same bytes, in one process or across processes.
//! printpdf draws resource names and the trailer `/ID` from a process-wide counter; this renderer
//! names fonts and outline entries itself and replaces `/ID` with a digest of the document.
//!
//! Deliberately left out: hyperlinks inside the document (the outline and the contents page give
//! page numbers instead), PDF/A conformance, and scripts other than those DejaVu Sans covers
//! (characters it lacks print as U+FFFD). Submodules: [`layout`](self) flows text and tables,
//! `charts` draws the two vector charts, `sections` writes the content, `text` holds the
//! wording from `report-templates/pdf/sections.toml`.

mod charts;
mod fonts;
mod layout;
mod sections;
#[cfg(test)]
mod tests;
mod text;

use lopdf::{Object, StringFormat};
use printpdf::{Mm, PageAnnotId, PageAnnotation, PdfDocument, PdfPage, PdfSaveOptions};

use self::fonts::{Fonts, Weight};
use self::layout::{LEFT, Layout, PAGE_H, RIGHT, Rgb3, Style, TocEntry, palette, push_line, push_text};
use super::RenderError;
use super::model::Report;
use crate::model::sha256;

/// The error every failure of this renderer maps to.
fn pdf_error(reason: String) -> RenderError {
    RenderError::Failed { format: "pdf", reason }
}

/// Renders `report` as an A4 PDF.
///
/// # Errors
/// [`RenderError::Failed`] when the document's `as_of` is not an RFC 3339 time, when the
/// compiled-in font or template cannot be parsed, or when the PDF cannot be written.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let texts = text::Texts::load()?;
    let fonts = Fonts::load()?;
    let as_of = charts::parse_time(&report.cover.as_of)
        .ok_or_else(|| pdf_error(format!("as-of time is not RFC 3339: {:?}", report.cover.as_of)))?;

    let mut layout = Layout::new(&fonts);
    let contents_page = sections::write(&mut layout, report, &texts, as_of);
    let toc = layout.toc.clone();
    let mut pages = layout.into_pages();
    if let Some(ops) = pages.get_mut(contents_page) {
        contents(ops, &fonts, &texts.contents_title, &toc);
    }
    let footer = format!(
        "{} · scan {} · as of {}",
        texts.footer_prefix, report.cover.scan, report.cover.as_of
    );
    let total = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        page_footer(ops, &fonts, &footer, i + 1, total);
    }

    let mut doc = PdfDocument::new(&report.title);
    let date = pdf_date(as_of);
    let info = &mut doc.metadata.info;
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    info.author = report.cover.organisation.clone().unwrap_or_default();
    info.creator = report.cover.generator.clone();
    info.producer = "meshproof PDF renderer (printpdf 0.12)".to_string();
    info.subject = format!(
        "Mesh trust evidence, scan {}, as of {}",
        report.cover.scan, report.cover.as_of
    );
    info.keywords = report.frameworks.iter().map(|f| f.name.clone()).collect();
    for (id, font) in fonts.resources() {
        doc.resources.fonts.map.insert(id, font);
    }
    for (i, entry) in toc.iter().enumerate() {
        doc.bookmarks.map.insert(
            PageAnnotId(format!("S{i:03}")),
            PageAnnotation {
                name: format!("{} {}", entry.number, entry.title),
                page: entry.page + 1,
            },
        );
    }
    doc.pages = pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops))
        .collect();

    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    pdf.trailer.set("ID", document_id(report)?);
    compress_streams(&mut pdf)?;
    let mut bytes = Vec::new();
    pdf.save_to(&mut bytes)
        .map_err(|e| pdf_error(format!("cannot write the PDF: {e}")))?;
    Ok(bytes)
}

/// Deflates every stream that has no filter yet, split over the machine's cores, at zlib's
/// default level (`lopdf`'s `compress` uses the best level, one stream at a time: a 200-cluster
/// report spent a second there for a file 3% smaller). The output is deterministic.
fn compress_streams(pdf: &mut lopdf::Document) -> Result<(), RenderError> {
    let mut streams: Vec<&mut lopdf::Stream> = pdf
        .objects
        .values_mut()
        .filter_map(|o| o.as_stream_mut().ok())
        .filter(|s| s.dict.get(b"Filter").is_err())
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let per_thread = streams.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = streams
            .chunks_mut(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter_mut().try_for_each(|s| deflate(s))))
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(pdf_error("a compression thread panicked".into())))
        })
    })
}

fn deflate(stream: &mut lopdf::Stream) -> Result<(), RenderError> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(&stream.content)
        .and_then(|()| encoder.finish())
        .map_err(|e| pdf_error(format!("cannot compress a PDF stream: {e}")))?;
    if compressed.len() + 19 < stream.content.len() {
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(compressed);
    }
    Ok(())
}

/// The trailer `/ID`: both halves are the first 16 bytes of the SHA-256 of the document's JSON
/// form (hex), so it identifies the content and never changes between renders.
fn document_id(report: &Report) -> Result<Object, RenderError> {
    let json = serde_json::to_vec(report).map_err(|e| pdf_error(format!("cannot encode the document: {e}")))?;
    let hex = sha256(&json).to_hex();
    let id = hex.get(..32).unwrap_or(&hex).as_bytes().to_vec();
    Ok(Object::Array(vec![
        Object::String(id.clone(), StringFormat::Literal),
        Object::String(id, StringFormat::Literal),
    ]))
}

/// `as_of` in printpdf's date type (UTC).
fn pdf_date(t: chrono::DateTime<chrono::Utc>) -> printpdf::OffsetDateTime {
    use chrono::{Datelike, Timelike};
    printpdf::date::DateTime {
        date: printpdf::date::Date {
            year: t.year(),
            month: u8::try_from(t.month()).unwrap_or(1),
            day: u8::try_from(t.day()).unwrap_or(1),
        },
        time: printpdf::date::Time {
            hour: u8::try_from(t.hour()).unwrap_or(0),
            minute: u8::try_from(t.minute()).unwrap_or(0),
            second: u8::try_from(t.second()).unwrap_or(0),
            millisecond: 0,
        },
        offset: printpdf::date::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    }
}

/// Draws the table of contents: number, title, dot leader, page number.
fn contents(ops: &mut Vec<printpdf::Op>, fonts: &Fonts, title: &str, toc: &[TocEntry]) {
    let heading = Style {
        weight: Weight::Bold,
        size: 16.0,
        color: palette::ACCENT,
    };
    let mut y = layout::TOP + heading.size;
    push_text(ops, fonts, LEFT, y, heading, title);
    y += 8.0;
    push_line(ops, (LEFT, y), (RIGHT, y), palette::ACCENT, 1.2);
    y += 22.0;
    let style = Style {
        weight: Weight::Regular,
        size: 11.0,
        color: palette::TEXT,
    };
    let dot = fonts.char_width(Weight::Regular, '.', style.size).max(0.5);
    for entry in toc {
        let page = (entry.page + 1).to_string();
        let page_w = fonts.width(Weight::Regular, &page, style.size);
        push_text(ops, fonts, LEFT, y, style, &entry.number);
        let title_x = LEFT + 26.0;
        let title_w = fonts.width(Weight::Regular, &entry.title, style.size);
        push_text(ops, fonts, title_x, y, style, &entry.title);
        let from = title_x + title_w + 6.0;
        let to = RIGHT - page_w - 6.0;
        if to > from {
            let dots = ".".repeat(((to - from) / dot) as usize);
            let dots_w = fonts.width(Weight::Regular, &dots, style.size);
            push_text(ops, fonts, to - dots_w, y, style.colored(palette::RULE), &dots);
        }
        push_text(ops, fonts, RIGHT - page_w, y, style, &page);
        y += 20.0;
    }
}

/// The footer line: report identity on the left, "page X of Y" on the right.
fn page_footer(ops: &mut Vec<printpdf::Op>, fonts: &Fonts, left: &str, page: usize, total: usize) {
    let style = Style {
        weight: Weight::Regular,
        size: 7.5,
        color: palette::MUTED,
    };
    let y = PAGE_H - 34.0;
    push_line(ops, (LEFT, y - 10.0), (RIGHT, y - 10.0), Rgb3(0.85, 0.86, 0.88), 0.5);
    let right = format!("page {page} of {total}");
    let right_w = fonts.width(style.weight, &right, style.size);
    let left = fonts.printable(left);
    let mut shown = left.clone();
    // The left part is informational and repeated on every page; never let it run into the page
    // number (the full text is on the cover).
    while fonts.width(style.weight, &shown, style.size) > RIGHT - LEFT - right_w - 12.0 && shown.pop().is_some() {}
    if shown.len() < left.len() {
        shown.push('…');
    }
    push_text(ops, fonts, LEFT, y, style, &shown);
    push_text(ops, fonts, RIGHT - right_w, y, style, &right);
}
