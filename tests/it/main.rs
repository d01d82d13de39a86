//! Integration tests: one binary driving the real `meshproof` (see `harness`).

mod harness;

mod collect;
mod crash;
mod tamper;
