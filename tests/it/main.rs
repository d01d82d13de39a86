//! Integration tests: one binary driving the real `meshproof` (see `harness`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod harness;

mod architecture;
mod collect;
mod crash;
mod deploy;
mod diff;
mod ergonomics;
mod findings_certs;
mod findings_mesh;
mod git;
mod python_verifier;
mod redaction;
mod tamper;
mod waivers;
mod who_added;
