//! `meshproof key public|generate`.

use std::path::Path;

use anyhow::Context as _;

use super::ExitStatus;
use crate::cli::output;
use crate::store::Signer;

pub(super) fn public(key: &Path) -> anyhow::Result<ExitStatus> {
    if !key.exists() {
        anyhow::bail!(
            "no signing key at {}: the first `meshproof collect` creates it, `meshproof key generate` makes one now, \
             or pass --key FILE",
            key.display()
        );
    }
    let signer = Signer::load(key).with_context(|| format!("loading signing key {}", key.display()))?;
    output::print(&format!("{}\n", signer.verifier().to_note_string()))?;
    Ok(ExitStatus::Success)
}

pub(super) fn generate(key: &Path) -> anyhow::Result<ExitStatus> {
    if key.exists() {
        anyhow::bail!("{} already exists; refusing to replace a signing key", key.display());
    }
    let signer = Signer::load_or_create(key).with_context(|| format!("creating signing key {}", key.display()))?;
    output::print(&format!("{}\n", signer.verifier().to_note_string()))?;
    Ok(ExitStatus::Success)
}
