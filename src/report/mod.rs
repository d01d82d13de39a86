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
