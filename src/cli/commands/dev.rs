//! `meshproof dev …`: developer tools (hidden).

use super::ExitStatus;
use crate::cli::args::GenMeshArgs;

pub(super) fn gen_mesh(_args: GenMeshArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("not yet")
}
