//! meshproof command-line entry point: parse, run, map the result to an exit code.

/// mimalloc instead of glibc's allocator: collecting builds and drops millions of small JSON
/// values on several threads, where glibc's arenas cost about half the collect time (foundation
/// bench: offline collect 4.65 s -> 2.05 s, append 122k -> 155k records/s; docs/performance.md).
/// Its `override` feature (Cargo.toml) makes it serve C `malloc` too: libgit2 and zlib allocate
/// per object read (git history collect 3.5–4.0 s -> 2.8–3.2 s for three runs of the bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // One TLS crypto provider for the whole process (kube-client's rustls setup needs it).
    let _ = rustls::crypto::ring::default_provider().install_default();
    std::process::ExitCode::from(meshproof::cli::main().code())
}
