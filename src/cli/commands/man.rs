//! `meshproof man`: the man page (roff), generated from the clap definition, on stdout.
//!
//! The page is clap_mangen's page for `meshproof` (global options, the command list) followed by
//! one section per visible subcommand with its options and its worked examples, so it cannot
//! drift from `--help`.

use clap::CommandFactory as _;

use super::ExitStatus;
use crate::cli::args::Cli;

pub(super) fn run() -> anyhow::Result<ExitStatus> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    let mut text = String::from_utf8(out)?;
    let mut subs: Vec<(String, &clap::Command)> = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.has_subcommands() {
            for inner in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
                subs.push((format!("{} {}", sub.get_name(), inner.get_name()), inner));
            }
        } else {
            subs.push((sub.get_name().to_string(), sub));
        }
    }
    for (name, sub) in subs {
        text.push_str(&section(&name, sub));
    }
    crate::cli::output::print(&text)?;
    Ok(ExitStatus::Success)
}

fn section(name: &str, sub: &clap::Command) -> String {
    let mut s = format!(".SH \"MESHPROOF {}\"\n", escape(&name.to_uppercase()));
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        s.push_str(&format!(".PP\n{}\n", escape(&about.to_string())));
    }
    for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && !a.is_global_set()) {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let flag = match (arg.get_short(), arg.get_long()) {
            (Some(c), Some(l)) => format!("\\-{c}, \\-\\-{l}"),
            (None, Some(l)) => format!("\\-\\-{l}"),
            (Some(c), None) => format!("\\-{c}"),
            (None, None) => format!("<{}>", id.to_uppercase()),
        };
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        s.push_str(&format!(".TP\n\\fB{flag}\\fR\n{}\n", escape(&help)));
    }
    if let Some(after) = sub.get_after_help() {
        s.push_str(&format!(".PP\n.nf\n{}\n.fi\n", escape(&after.to_string())));
    }
    s
}

/// Escapes backslashes and lines that would start a roff request.
fn escape(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e").replace('-', "\\-");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
