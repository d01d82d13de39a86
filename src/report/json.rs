//! The JSON report: the [`Report`] document itself, pretty-printed.
//!
//! Key order is the field order of the model types (no maps), and every list is sorted by the
//! builder, so the bytes depend only on the store and `--as-of`. The schema is
//! `docs/report-schema.json`. Nothing is filtered or truncated.

use super::RenderError;
use super::model::Report;

/// Pretty JSON with a trailing newline.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut out = serde_json::to_vec_pretty(report).map_err(|e| RenderError::Failed {
        format: "json",
        reason: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}
