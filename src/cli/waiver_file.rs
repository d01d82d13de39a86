//! Reading a `waivers.toml` file for `collect --waivers` and `findings --waivers`: the bytes are
//! hashed as read, then parsed and validated by [`crate::analyze::waivers`].

use std::path::Path;

use anyhow::Context as _;

use crate::analyze::{self, waivers};
use crate::model::sha256;

/// Reads, hashes and validates a waiver file; every problem is listed at once.
pub fn load(path: &Path) -> anyhow::Result<waivers::WaiverFile> {
    let bytes = std::fs::read(path).with_context(|| format!("reading waiver file {}", path.display()))?;
    let text = String::from_utf8(bytes.clone())
        .with_context(|| format!("waiver file {} is not UTF-8 text", path.display()))?;
    let list = waivers::parse(&text, |id| analyze::check(id).map(|c| c.id)).with_context(|| {
        format!(
            "waiver file {} is invalid; fix it and run again (format: sample-evidence/waivers.toml)",
            path.display()
        )
    })?;
    Ok(waivers::WaiverFile {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        sha256: sha256(&bytes).to_hex(),
        waivers: list,
    })
}
