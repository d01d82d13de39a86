//! Findings and answers → report documents. [`model`] is the document every renderer takes.
//!
//! (Builder, framework catalogues and renderers land with the reports issue.)

pub mod model;
