//! oscal renderer (lands with the reports issue).

use super::RenderError;
use super::model::Report;

/// Renders `report` as oscal.
pub fn render(_report: &Report) -> Result<Vec<u8>, RenderError> {
    Err(RenderError::Unsupported { format: "oscal" })
}
