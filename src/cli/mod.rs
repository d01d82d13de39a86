//! The command line: the only module that knows clap, anyhow, tracing-subscriber and the clock.
//!
//! [`args`] holds what was typed (clap derive only); [`commands`] has one file per subcommand and
//! calls the library with plain values; [`exit`] maps outcomes to exit codes; [`output`] renders
//! tables, JSON, YAML and CSV on stdout.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod args;
pub mod commands;
pub mod exit;
pub mod gen_mesh;
pub mod output;
pub mod progress;
pub mod settings;
pub mod waiver_file;

use std::io::IsTerminal as _;

use clap::Parser as _;

pub use exit::ExitStatus;

/// Parses the command line, sets up logging, runs the command and returns the exit status.
pub fn main() -> ExitStatus {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
            let _ = e.print();
            return code;
        }
    };
    init_logging(&cli.global);
    match commands::run(cli) {
        Ok(status) => status,
        Err(err) => {
            if exit::is_broken_pipe(&err) {
                return ExitStatus::Success;
            }
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitStatus::Error
        }
    }
}

fn init_logging(global: &args::Global) {
    use tracing_subscriber::EnvFilter;
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = std::env::var("MESHPROOF_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("meshproof={default},warn")));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match global.log_format {
        args::LogFormat::Json => builder.json().try_init(),
        args::LogFormat::Text => builder.with_ansi(ansi).without_time().try_init(),
    };
}
