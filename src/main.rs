//! meshproof command-line entry point: parse, run, map the result to an exit code.

fn main() -> std::process::ExitCode {
    // One TLS crypto provider for the whole process (kube-client's rustls setup needs it).
    let _ = rustls::crypto::ring::default_provider().install_default();
    std::process::ExitCode::from(meshproof::cli::main().code())
}
