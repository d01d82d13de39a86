//! The fixed wording of the PDF report: section titles and introductions.
//!
//! The text lives in `report-templates/pdf/sections.toml` so it can be edited without touching
//! the layout code; it is compiled in with `include_str!`, so rendering reads no files. Facts
//! never come from here, only from the [`Report`](crate::report::model::Report) document.

use serde::Deserialize;

use super::pdf_error;
use crate::report::RenderError;

/// The template file, compiled in.
const SECTIONS_TOML: &str = include_str!("../../../report-templates/pdf/sections.toml");

/// Title and introduction of one section.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct SectionText {
    /// Heading.
    pub title: String,
    /// Paragraph printed under the heading.
    pub intro: String,
}

/// The inventory section has a second introduction for the peering matrix.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct InventoryText {
    /// Heading.
    pub title: String,
    /// Paragraph printed under the heading.
    pub intro: String,
    /// Paragraph printed above the peering matrix.
    pub peering_intro: String,
}

/// Every text of the report, as in `sections.toml`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Texts {
    /// Title of the table of contents.
    pub contents_title: String,
    /// Left part of every page footer.
    pub footer_prefix: String,
    /// Printed instead of an empty table.
    pub empty_table: String,
    /// Section 1.
    pub cover: SectionText,
    /// Section 2.
    pub integrity: SectionText,
    /// Section 3.
    pub summary: SectionText,
    /// Section 4.
    pub who_added: SectionText,
    /// Section 5.
    pub inventory: InventoryText,
    /// Section 6.
    pub certificates: SectionText,
    /// Section 7.
    pub credentials: SectionText,
    /// Section 8.
    pub controls: SectionText,
    /// Section 9.
    pub gaps: SectionText,
    /// Section 10.
    pub timeline: SectionText,
    /// Section 11.
    pub methodology: SectionText,
    /// Appendix A.
    pub findings: SectionText,
    /// Appendix B (only when the report carries changes).
    pub changes: SectionText,
}

impl Texts {
    /// Parses the compiled-in template.
    pub fn load() -> Result<Texts, RenderError> {
        toml::from_str(SECTIONS_TOML).map_err(|e| pdf_error(format!("report-templates/pdf/sections.toml: {e}")))
    }
}
