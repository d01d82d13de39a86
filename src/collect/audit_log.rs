//! API-server audit logs (`audit.k8s.io/v1` `Event`, one JSON object per line, plain or gzip).
//!
//! Only what tells who changed mesh trust state is kept, one `audit.event` record per `auditID`
//! (its stages merged; `RequestReceived` + `ResponseComplete` become one record): writes
//! (create/update/patch/delete/deletecollection) on Gloo/Solo registrations and policies, Secrets in
//! the mesh namespaces, RBAC objects, `serviceaccounts/token`, Istio security policies, Gateways and
//! the mesh config map, impersonation, including refused (4xx) attempts. Read noise
//! (get/list/watch) is counted per (user, resource) in one `audit.summary` record per file.
//! Request and response bodies pass through the same redaction as collected objects.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::redact;
use super::selection::SECRET_NAMESPACES;
use crate::model::{Observation, RecordSink, SinkError, kinds};

/// Resources whose writes are trust-relevant wherever they are.
const TRUST_RESOURCES: &[&str] = &[
    "kubernetesclusters",
    "roottrustpolicies",
    "workspaces",
    "workspacesettings",
    "accesspolicies",
    "segments",
    "clusterroles",
    "clusterrolebindings",
    "roles",
    "rolebindings",
    "authorizationpolicies",
    "peerauthentications",
    "gateways",
];

const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const READ_VERBS: &[&str] = &["get", "list", "watch"];

/// Whether an audit event is trust-relevant (kept as evidence).
pub fn is_trust_relevant(event: &Value) -> bool {
    let verb = event.get("verb").and_then(Value::as_str).unwrap_or_default();
    let obj = event.get("objectRef");
    let field = |k: &str| obj.and_then(|o| o.get(k)).and_then(Value::as_str).unwrap_or_default();
    let (resource, namespace, name, sub) = (
        field("resource"),
        field("namespace"),
        field("name"),
        field("subresource"),
    );
    if verb == "impersonate" {
        return true;
    }
    if !WRITE_VERBS.contains(&verb) {
        return false;
    }
    match resource {
        r if TRUST_RESOURCES.contains(&r) => true,
        "secrets" => SECRET_NAMESPACES.contains(&namespace),
        "serviceaccounts" => sub == "token",
        "configmaps" => {
            namespace == super::selection::ISTIO_NAMESPACE
                && super::selection::is_mesh_configmap(name)
                && name != "istio-ca-root-cert"
        }
        _ => false,
    }
}

fn stage_rank(stage: &str) -> u8 {
    match stage {
        "RequestReceived" => 0,
        "ResponseStarted" => 1,
        "ResponseComplete" => 2,
        "Panic" => 3,
        _ => 0,
    }
}

/// Keeps the fields that matter and redacts bodies.
fn reduce(event: &Value) -> Value {
    let mut out = Map::new();
    for key in [
        "auditID",
        "level",
        "stage",
        "verb",
        "requestURI",
        "impersonatedUser",
        "sourceIPs",
        "userAgent",
        "objectRef",
        "requestReceivedTimestamp",
        "stageTimestamp",
        "timestamp",
    ] {
        if let Some(v) = event.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if out.get("requestReceivedTimestamp").is_none()
        && let Some(ts) = event.pointer("/metadata/creationTimestamp")
    {
        out.insert("requestReceivedTimestamp".into(), ts.clone());
    }
    if let Some(user) = event.get("user") {
        let mut u = Map::new();
        for key in ["username", "uid", "groups"] {
            if let Some(v) = user.get(key) {
                u.insert(key.into(), v.clone());
            }
        }
        if let Some(Value::Object(extra)) = user.get("extra") {
            let kept: Map<String, Value> = extra
                .iter()
                .filter(|(k, _)| k.starts_with("authentication.kubernetes.io/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                u.insert("extra".into(), Value::Object(kept));
            }
        }
        out.insert("user".into(), Value::Object(u));
    }
    if let Some(status) = event.get("responseStatus") {
        let mut s = Map::new();
        for key in ["code", "status", "reason", "message"] {
            if let Some(v) = status.get(key) {
                s.insert(key.into(), v.clone());
            }
        }
        out.insert("responseStatus".into(), Value::Object(s));
    }
    if let Some(Value::Object(ann)) = event.get("annotations") {
        out.insert("annotations".into(), Value::Object(ann.clone()));
    }
    for key in ["requestObject", "responseObject"] {
        if let Some(v) = event.get(key) {
            let mut v = v.clone();
            redact::redact_object(&mut v);
            out.insert(key.into(), v);
        }
    }
    let mut value = Value::Object(out);
    redact::scrub(&mut value);
    value
}

/// Per-file reading outcome.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct FileSummary {
    /// Lines holding an audit event.
    pub events: u64,
    /// Trust-relevant events (before merging stages).
    pub kept: u64,
    /// Read events counted, not stored.
    pub reads: u64,
    /// Other writes, counted, not stored.
    pub other: u64,
    /// Lines that were not valid JSON or not an audit event.
    pub bad_lines: Vec<usize>,
    /// Read noise per user and resource.
    pub read_counts: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Accumulates one cluster's audit events across files.
#[derive(Debug, Default)]
pub struct AuditLog {
    events: BTreeMap<String, Value>,
    /// Summaries per file, in reading order.
    pub files: Vec<(String, FileSummary)>,
}

/// Whether a JSON value is an audit event.
pub fn is_audit_event(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Event") && v.get("auditID").is_some() && v.get("verb").is_some()
}

impl AuditLog {
    /// Adds the lines of one file.
    pub fn add_file(&mut self, file: &str, lines: Vec<(usize, Value)>, bad_lines: Vec<usize>) {
        let mut summary = FileSummary {
            bad_lines,
            ..FileSummary::default()
        };
        for (line, event) in lines {
            self.add_line(&mut summary, line, &event);
        }
        summary.bad_lines.sort_unstable();
        self.files.push((file.to_string(), summary));
    }

    /// Reads one audit log file line by line (plain or gzip), without holding it in memory:
    /// `--audit-log CLUSTER=FILE` for live collections, however large the file.
    pub fn add_stream(&mut self, file: &str, reader: impl std::io::Read) -> std::io::Result<()> {
        use std::io::BufRead as _;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
        let mut magic = [0u8; 2];
        let gzip = {
            let head = reader.fill_buf()?;
            magic.iter_mut().zip(head).for_each(|(m, h)| *m = *h);
            head.len() >= 2 && magic == [0x1f, 0x8b]
        };
        let mut lines: Box<dyn std::io::BufRead> = if gzip {
            Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                flate2::read::MultiGzDecoder::new(reader),
            ))
        } else {
            Box::new(reader)
        };
        let mut summary = FileSummary::default();
        let mut buf = Vec::with_capacity(4096);
        let mut line_no = 0usize;
        loop {
            buf.clear();
            if lines.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            line_no += 1;
            let text = buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(text) {
                Ok(event) => self.add_line(&mut summary, line_no, &event),
                Err(_) => summary.bad_lines.push(line_no),
            }
        }
        self.files.push((file.to_string(), summary));
        Ok(())
    }

    fn add_line(&mut self, summary: &mut FileSummary, line: usize, event: &Value) {
        {
            if !is_audit_event(event) {
                summary.bad_lines.push(line);
                return;
            }
            summary.events += 1;
            let verb = event.get("verb").and_then(Value::as_str).unwrap_or_default();
            if is_trust_relevant(event) {
                summary.kept += 1;
                self.merge(reduce(event));
            } else if READ_VERBS.contains(&verb) {
                summary.reads += 1;
                let user = event
                    .pointer("/impersonatedUser/username")
                    .or_else(|| event.pointer("/user/username"))
                    .and_then(Value::as_str)
                    .unwrap_or("<unknown>");
                let resource = event
                    .pointer("/objectRef/resource")
                    .and_then(Value::as_str)
                    .unwrap_or("<non-resource>");
                *summary
                    .read_counts
                    .entry(user.to_string())
                    .or_default()
                    .entry(resource.to_string())
                    .or_default() += 1;
            } else {
                summary.other += 1;
            }
        }
    }

    fn merge(&mut self, event: Value) {
        let Some(id) = event.get("auditID").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let stage = event
            .get("stage")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match self.events.get_mut(&id) {
            None => {
                let mut e = event;
                if let Some(o) = e.as_object_mut() {
                    o.insert("stages".into(), json!([stage]));
                }
                self.events.insert(id, e);
            }
            Some(existing) => {
                let mut stages: Vec<String> = existing
                    .get("stages")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                if !stages.contains(&stage) {
                    stages.push(stage.clone());
                }
                stages.sort_by_key(|s| stage_rank(s));
                let old_rank = stage_rank(existing.get("stage").and_then(Value::as_str).unwrap_or_default());
                if stage_rank(&stage) > old_rank {
                    *existing = event;
                }
                if let Some(o) = existing.as_object_mut() {
                    o.insert("stages".into(), json!(stages));
                }
            }
        }
    }

    /// The merged events, by auditID.
    pub fn into_events(self) -> (BTreeMap<String, Value>, Vec<(String, FileSummary)>) {
        (self.events, self.files)
    }

    /// Hands the merged events and per-file summaries of `cluster` to `sink`; returns how many
    /// events it emitted.
    pub fn emit(self, cluster: &str, sink: &mut dyn RecordSink) -> Result<u64, SinkError> {
        let source = format!("audit/{cluster}");
        let count = self.events.len() as u64;
        for (id, mut event) in self.events {
            if let Some(o) = event.as_object_mut() {
                o.insert("cluster".into(), json!(cluster));
            }
            sink.observe(Observation {
                source: source.clone(),
                kind: kinds::AUDIT_EVENT,
                subject: format!("{cluster}/audit/{id}"),
                body: event,
            })?;
        }
        for (file, summary) in self.files {
            if !summary.bad_lines.is_empty() {
                let shown: Vec<usize> = summary.bad_lines.iter().copied().take(100).collect();
                sink.observe(Observation {
                    source: source.clone(),
                    kind: kinds::COLLECTION_GAP,
                    subject: format!("{cluster}/gap/audit/{file}"),
                    body: json!({
                        "cluster": cluster, "file": file, "lines": shown,
                        "reason": format!("{} malformed line(s) in audit log skipped", summary.bad_lines.len()),
                    }),
                })?;
            }
            sink.observe(Observation {
                source: source.clone(),
                kind: kinds::AUDIT_SUMMARY,
                subject: format!("{cluster}/audit-summary/{file}"),
                body: json!({"cluster": cluster, "file": file, "summary": summary}),
            })?;
        }
        Ok(count)
    }
}

/// Collects the audit log files of `cluster` (`--audit-log CLUSTER=FILE`, rotated files of one
/// log may be given together: events spanning or repeated across files merge by auditID),
/// streaming each; returns (events kept, gaps recorded).
pub fn collect_files(
    cluster: &str,
    paths: &[std::path::PathBuf],
    sink: &mut dyn RecordSink,
) -> Result<(u64, u64), SinkError> {
    let mut log = AuditLog::default();
    let mut gaps = 0;
    for path in paths {
        let name = path.display().to_string();
        if let Err(e) = std::fs::File::open(path).and_then(|f| log.add_stream(&name, f)) {
            gaps += 1;
            sink.observe(Observation {
                source: format!("audit/{cluster}"),
                kind: kinds::COLLECTION_GAP,
                subject: format!("{cluster}/gap/audit/{name}"),
                body: json!({"cluster": cluster, "file": name, "reason": format!("cannot read audit log: {}", e.kind())}),
            })?;
        }
    }
    gaps += log.files.iter().filter(|(_, s)| !s.bad_lines.is_empty()).count() as u64;
    Ok((log.emit(cluster, sink)?, gaps))
}
