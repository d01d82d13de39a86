//! `meshproof key public`.

use std::path::Path;

use anyhow::Context as _;

use super::ExitStatus;
use crate::cli::output;
use crate::store::Signer;

pub(super) fn public(key: &Path) -> anyhow::Result<ExitStatus> {
    let signer = Signer::load_or_create(key)
        .with_context(|| format!("loading signing key {}", key.display()))?;
    output::print(&format!("{}\n", signer.verifier().to_note_string()))?;
    Ok(ExitStatus::Success)
}
