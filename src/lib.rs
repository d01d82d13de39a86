//! meshproof: tamper-evident audit evidence for multi-cluster Istio Ambient meshes.
//!
//! Data flows one way, and the module tree shows it:
//!
//! | module      | role                                                                 |
//! |-------------|----------------------------------------------------------------------|
//! | [`model`]   | shared nouns without I/O: digests, timestamps, observations, records |
//! | [`collect`] | sources → observations: kubectl dumps, audit logs; redaction at read |
//! | [`store`]   | the append-only, hash-chained, Merkle-checkpointed SQLite store      |
//! | [`analyze`] | records → findings: one analyzer per question, stable check codes    |
//! | [`query`]   | answers from one scan's evidence: who added each cluster, timeline   |
//! | [`report`]  | store + findings → the report document, catalogues and renderers     |
//! | [`cli`]     | the only module that knows clap, anyhow, tracing-subscriber, clocks  |
//!
//! A module may use [`model`] and the stages to its left, never stages to its right:
//! collectors write to a [`model::RecordSink`], so `collect` does not depend on `store`.
//!
//! ```no_run
//! use meshproof::{collect::kube_dump, model::Timestamp, store::{Store, Signer}};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut store = Store::open("meshproof.db".as_ref())?;
//! let signer = Signer::load_or_create("meshproof.db.key".as_ref())?;
//! let at: Timestamp = "2026-12-01T00:00:00Z".parse()?;
//! let mut scan = store.begin_scan(at, serde_json::json!({"from": "sample-evidence/mesh"}))?;
//! let summary = kube_dump::collect("sample-evidence/mesh".as_ref(), &kube_dump::Options::default(), &mut scan)?;
//! scan.finish(&signer)?;
//! # let _ = summary; Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod analyze;
pub mod cli;
pub mod collect;
pub mod model;
pub mod query;
pub mod report;
pub mod store;
