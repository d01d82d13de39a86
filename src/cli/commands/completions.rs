//! `meshproof completions SHELL`: a completion script generated from the clap definition.

use clap::CommandFactory as _;

use super::ExitStatus;
use crate::cli::args::{Cli, CompletionsArgs};

pub(super) fn run(args: CompletionsArgs) -> anyhow::Result<ExitStatus> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "meshproof", &mut out);
    crate::cli::output::print(&String::from_utf8(out)?)?;
    Ok(ExitStatus::Success)
}
