//! Sources → observations. Every collector redacts at read time, before anything is hashed or
//! stored, and writes to a [`crate::model::RecordSink`]; none of them knows the store.
//!
//! - [`kube_dump`]: kubectl-style dumps on disk (`DIR/<cluster>/**`), including audit logs;
//! - [`git_history`]: GitOps repositories: commits that touch manifests of kept kinds;
//! - [`kube_live`]: the Kubernetes API of one or more clusters (kubeconfig contexts, in-cluster);
//! - [`audit_log`]: API-server audit events: filtering, stage merging, read-noise counts;
//! - [`document`]: one file → JSON values (JSON, JSON lines, YAML, gzip) with size limits;
//! - [`json_tape`]: a JSON reader without value trees, for the dump collector's fast path;
//! - [`plain_yaml`]: a fast reader for the plain block-YAML subset manifests are written in;
//! - [`selection`]: which Kubernetes objects are kept, shared by every Kubernetes collector;
//! - [`redact`]: reduces private keys, bearer tokens and kubeconfigs to non-secret facts.

pub mod audit_log;
pub mod document;
pub mod git_history;
pub mod json_tape;
pub mod kube_dump;
pub mod kube_live;
pub mod plain_yaml;
pub mod redact;
pub mod selection;
