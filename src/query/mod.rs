//! Answers built from one scan's [`EvidenceSet`](crate::model::EvidenceSet), shared by the CLI and
//! reports.
//!
//! - [`who_added`]: for each cluster in the mesh, when it was added, by whom, under which trust
//!   domain, and by which method;
//! - [`timeline`]: every trust-relevant event (audit log, git history, object timestamps) in time
//!   order, filterable by cluster, subject and time window;
//! - [`diff`]: what changed in mesh trust state between two scans.
//!
//! Queries are pure: no I/O, no clock. The evaluation time is an argument (`--as-of`). Every
//! answer cites the records it came from as `{seq, hash}` ([`RecordRef`](crate::model::RecordRef)).
//! [`audit`] and [`git`] read the bodies of `audit.event` and `git.commit` records; they do not
//! decide anything.

pub mod audit;
pub mod diff;
pub mod git;
pub mod mesh;
pub mod timeline;
pub mod who_added;

pub use timeline::{Filter, TimelineEvent, timeline};
pub use who_added::{Settings, WhoAddedRow, who_added};
