//! Exit statuses: 0 ok, 1 tampering found (or findings at `--fail-on`), 2 could not run,
//! 3 partial collection (gaps recorded).

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Completed; nothing at or above the failure threshold.
    Success,
    /// `verify` found tampering, or findings reached `--fail-on`.
    Failure,
    /// The command could not run.
    Error,
    /// Collection completed with gaps.
    Partial,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
            ExitStatus::Partial => 3,
        }
    }
}

/// Whether an error comes from writing to a closed pipe (`meshproof … | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
