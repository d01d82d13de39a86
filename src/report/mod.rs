//! Findings and answers → report documents.
//!
//! [`model::Report`] is the document every renderer takes; renderers turn it into bytes and never
//! read the store. [`build`] is the only part that reads the store (through its public API) and
//! [`frameworks`] loads the control catalogues.
//!
//! Renderers, each `render(&Report) -> Result<Vec<u8>, RenderError>`: [`json`], [`csv`],
//! [`markdown`], [`pdf`], [`html`], [`oscal`]; [`Format`] names them and [`render`] dispatches.

pub mod build;
pub mod bundle;
pub mod csv;
pub mod frameworks;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod oscal;
pub mod pdf;

/// An output format of `meshproof report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// PDF ([`pdf`]).
    Pdf,
    /// HTML ([`html`]).
    Html,
    /// CSV ([`csv`]).
    Csv,
    /// JSON ([`json`]).
    Json,
    /// Markdown ([`markdown`]).
    Markdown,
    /// OSCAL assessment results ([`oscal`]).
    Oscal,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::Pdf,
        Format::Html,
        Format::Csv,
        Format::Json,
        Format::Markdown,
        Format::Oscal,
    ];

    /// The `--format` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Oscal => "oscal",
        }
    }

    /// The file name extension (`oscal.json` for OSCAL).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Oscal => "oscal.json",
            other => other.as_str(),
        }
    }
}

/// Renders `report` in `format`.
pub fn render(report: &model::Report, format: Format) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Pdf => pdf::render(report),
        Format::Html => html::render(report),
        Format::Csv => csv::render(report),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Oscal => oscal::render(report),
    }
}

/// A rendered report, or why not.
pub type Rendered = Result<Vec<u8>, RenderError>;

/// Renders `report` in each of `formats`, on as many threads as the machine has cores (at most
/// one per format; each takes the next format not yet taken, in the order given, so a caller puts
/// the slowest first). The renderers only read the document; the results are in the order of
/// `formats` and do not depend on the threads' timing.
pub fn render_many(report: &model::Report, formats: &[Format]) -> Vec<Rendered> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(formats.len());
    let mut done: Vec<(usize, Rendered)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&format) = formats.get(i) else { break mine };
                        mine.push((i, render(report, format)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, rendered)| rendered).collect()
}

/// A renderer could not produce its format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// This build does not render the format yet.
    #[error("{format} reports are not available yet")]
    Unsupported {
        /// The format.
        format: &'static str,
    },
    /// Rendering failed.
    #[error("cannot render the {format} report: {reason}")]
    Failed {
        /// The format.
        format: &'static str,
        /// Why.
        reason: String,
    },
}
