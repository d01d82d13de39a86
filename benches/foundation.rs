//! Foundation benchmarks.
fn main() {}
