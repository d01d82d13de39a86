//! meshproof command-line entry point.
fn main() {}
