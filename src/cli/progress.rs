//! Progress on stderr while `collect` runs: one bar over the clusters (the current cluster and its
//! record count) and one line for the phase (reading dumps, walking git, writing the chain).
//!
//! Drawn only when stderr is a terminal and `-q` is not given; never on stdout. It needs no hooks
//! in the collectors: [`ProgressSink`] wraps the scan's [`RecordSink`] and watches the sources of
//! the observations going by (`k8s/<cluster>`, `audit/<cluster>`, `git/<repo>`). No colours are
//! used, so there is nothing for `NO_COLOR` to turn off.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::{Observation, Prepared, RecordSink, SinkError};

/// The bars of one `collect` run (all hidden when progress is off).
pub struct Progress {
    _multi: MultiProgress,
    phase: ProgressBar,
    clusters: ProgressBar,
    current: Option<String>,
    records: u64,
}

impl Progress {
    /// Bars for `clusters` clusters; hidden unless `enabled` and stderr is a terminal.
    pub fn new(enabled: bool, clusters: usize) -> Progress {
        let visible = enabled && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr_with_hz(8)
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let phase = multi.add(ProgressBar::new_spinner());
        phase.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let bar = multi.add(ProgressBar::new(clusters as u64));
        bar.set_style(
            ProgressStyle::with_template("  clusters [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        if visible {
            phase.enable_steady_tick(Duration::from_millis(120));
        }
        if clusters == 0 {
            bar.finish_and_clear();
        }
        Progress {
            _multi: multi,
            phase,
            clusters: bar,
            current: None,
            records: 0,
        }
    }

    /// Starts a phase (`reading dumps`, `walking git history`, `writing the hash chain`).
    pub fn phase(&self, message: &str) {
        self.phase.set_message(message.to_string());
    }

    fn saw(&mut self, source: &str) {
        let Some((kind, name)) = source.split_once('/') else {
            return;
        };
        if kind == "git" {
            self.phase.set_message(format!("walking git history of {name}"));
            return;
        }
        if kind != "k8s" && kind != "audit" || name == "_" {
            return;
        }
        if self.current.as_deref() != Some(name) {
            if self.current.is_some() {
                self.clusters.inc(1);
            }
            self.current = Some(name.to_string());
            self.records = 0;
        }
        self.records += 1;
        if self.records % 64 == 1 {
            self.clusters.set_message(format!("{name}: {} records", self.records));
        }
    }

    /// Marks the dump phase done.
    pub fn clusters_done(&mut self) {
        if self.current.take().is_some() {
            self.clusters.inc(1);
        }
        self.clusters.finish_and_clear();
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.clusters.finish_and_clear();
        self.phase.finish_and_clear();
    }

    /// Wraps `sink` so observations going by advance the bars.
    pub fn sink<'a>(&'a mut self, sink: &'a mut dyn RecordSink) -> ProgressSink<'a> {
        ProgressSink {
            inner: sink,
            progress: self,
        }
    }
}

/// A [`RecordSink`] that forwards everything and advances the bars.
pub struct ProgressSink<'a> {
    inner: &'a mut dyn RecordSink,
    progress: &'a mut Progress,
}

impl RecordSink for ProgressSink<'_> {
    fn observe(&mut self, observation: Observation) -> Result<(), SinkError> {
        self.progress.saw(&observation.source);
        self.inner.observe(observation)
    }

    fn observe_prepared(&mut self, prepared: Prepared) -> Result<(), SinkError> {
        self.progress.saw(&prepared.source);
        self.inner.observe_prepared(prepared)
    }

    fn declare_cluster(&mut self, cluster: &str) -> Result<(), SinkError> {
        self.inner.declare_cluster(cluster)
    }
}
