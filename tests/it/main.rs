//! Integration tests: one binary driving the real `meshproof` (see `harness`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod harness;

mod collect;
mod crash;
mod git;
mod tamper;
