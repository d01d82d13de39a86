//! Integration tests: one binary driving the real `meshproof` (see `harness`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../support/apiserver.rs"]
mod apiserver;
mod harness;

mod architecture;
mod bundle;
mod collect;
mod crash;
mod deploy;
mod diff;
mod ergonomics;
mod findings_certs;
mod findings_mesh;
mod git;
mod live;
mod python_verifier;
mod redaction;
mod report;
mod report_html;
mod report_oscal;
mod report_sample;
mod scan;
mod tamper;
mod waivers;
mod who_added;
