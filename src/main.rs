//! meshproof command-line entry point: parse, run, map the result to an exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(meshproof::cli::main().code())
}
