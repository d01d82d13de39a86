//! Integration tests: one binary driving the real `meshproof`.
mod python_verifier;
