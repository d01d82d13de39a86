//! Findings and answers → report documents.
//!
//! [`model::Report`] is the document every renderer takes; renderers turn it into bytes and never
//! read the store. Renderers: [`pdf`], [`html`], [`oscal`] (and JSON, CSV, Markdown with the
//! builder).

pub mod html;
pub mod model;
pub mod oscal;
pub mod pdf;

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
