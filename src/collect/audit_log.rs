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
use crate::model::{Observation, RecordSink, SinkError, kinds, pointer};

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
    trust_relevant(
        verb,
        field("resource"),
        field("namespace"),
        field("name"),
        field("subresource"),
    )
}

/// [`is_trust_relevant`] on the fields it reads (`""` for absent or non-string ones).
fn trust_relevant(verb: &str, resource: &str, namespace: &str, name: &str, sub: &str) -> bool {
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
        && let Some(ts) = pointer(event, "/metadata/creationTimestamp")
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

/// Counts one read of `resource` by `user` (allocating only for a new pair).
fn count_read(counts: &mut BTreeMap<String, BTreeMap<String, u64>>, user: &str, resource: &str) {
    let per_user = match counts.get_mut(user) {
        Some(m) => m,
        None => counts.entry(user.to_string()).or_default(),
    };
    match per_user.get_mut(resource) {
        Some(n) => *n += 1,
        None => {
            per_user.insert(resource.to_string(), 1);
        }
    }
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
    has_audit_event_fields(v.get("kind").and_then(Value::as_str), |member| v.get(member).is_some())
}

/// [`is_audit_event`] for readers without a `Value`: the object's `kind` string, and whether it
/// has a member of a given name.
pub fn has_audit_event_fields(kind: Option<&str>, has: impl Fn(&str) -> bool) -> bool {
    kind == Some("Event") && has("auditID") && has("verb")
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
            self.add_text(&mut summary, line_no, text);
        }
        self.files.push((file.to_string(), summary));
        Ok(())
    }

    /// One line of text: read noise and other writes are classified from the few fields the
    /// filter needs (see [`peek`]), without building the event's JSON tree; only kept events and
    /// lines the quick read cannot classify are parsed whole.
    fn add_text(&mut self, summary: &mut FileSummary, line: usize, text: &[u8]) {
        let Ok(text) = std::str::from_utf8(text) else {
            summary.bad_lines.push(line);
            return;
        };
        if let Some(p) = peek::read(text)
            && p.is_audit_event()
        {
            let verb = p.verb.as_str();
            let obj = &p.object_ref;
            if !trust_relevant(
                verb,
                obj.resource.as_str(),
                obj.namespace.as_str(),
                obj.name.as_str(),
                obj.subresource.as_str(),
            ) {
                summary.events += 1;
                if READ_VERBS.contains(&verb) {
                    summary.reads += 1;
                    let user = match &p.impersonated_user.username {
                        peek::Field::Absent => &p.user.username,
                        other => other,
                    };
                    let user = match user {
                        peek::Field::Str(s) => s.as_ref(),
                        _ => "<unknown>",
                    };
                    let resource = match &obj.resource {
                        peek::Field::Str(s) => s.as_ref(),
                        _ => "<non-resource>",
                    };
                    count_read(&mut summary.read_counts, user, resource);
                } else {
                    summary.other += 1;
                }
                return;
            }
        }
        match serde_json::from_str::<Value>(text) {
            Ok(event) => self.add_line(summary, line, &event),
            Err(_) => summary.bad_lines.push(line),
        }
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
                let user = pointer(event, "/impersonatedUser/username")
                    .or_else(|| pointer(event, "/user/username"))
                    .and_then(Value::as_str)
                    .unwrap_or("<unknown>");
                let resource = pointer(event, "/objectRef/resource")
                    .and_then(Value::as_str)
                    .unwrap_or("<non-resource>");
                count_read(&mut summary.read_counts, user, resource);
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

/// A quick read of the fields the audit filter needs, borrowing from the line's text.
///
/// The whole line is still checked as JSON exactly as `serde_json::Value` parsing checks it
/// (every value goes through `deserialize_any`, so numbers out of range, bad escapes and nesting
/// deeper than serde_json's limit fail alike), but nothing is allocated for the fields skipped.
/// Duplicate members keep the last one, as a `Value` does. `None` means "parse it whole".
mod peek {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    /// One member's value: absent, a string, or something else.
    #[derive(Debug, Default, PartialEq)]
    pub(super) enum Field<'a> {
        /// Not there.
        #[default]
        Absent,
        /// A string.
        Str(Cow<'a, str>),
        /// Any other JSON value.
        Other,
    }

    impl Field<'_> {
        /// The string, `""` when absent or not a string (as `as_str().unwrap_or_default()`).
        pub(super) fn as_str(&self) -> &str {
            match self {
                Field::Str(s) => s,
                _ => "",
            }
        }
    }

    /// The members read from `objectRef`, `user` and `impersonatedUser` (all `Absent` when the
    /// value is not an object).
    #[derive(Debug, Default)]
    pub(super) struct Sub<'a> {
        pub resource: Field<'a>,
        pub namespace: Field<'a>,
        pub name: Field<'a>,
        pub subresource: Field<'a>,
        pub username: Field<'a>,
    }

    /// The top-level members the filter reads.
    #[derive(Debug, Default)]
    pub(super) struct Peek<'a> {
        pub kind: Field<'a>,
        pub audit_id: Field<'a>,
        pub verb: Field<'a>,
        pub object_ref: Sub<'a>,
        pub user: Sub<'a>,
        pub impersonated_user: Sub<'a>,
    }

    impl Peek<'_> {
        /// As [`super::is_audit_event`].
        pub(super) fn is_audit_event(&self) -> bool {
            matches!(&self.kind, Field::Str(k) if k == "Event")
                && self.audit_id != Field::Absent
                && self.verb != Field::Absent
        }
    }

    /// Reads one JSON text (an object; anything else is `None`).
    pub(super) fn read(text: &str) -> Option<Peek<'_>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let peek = Peek::deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(peek)
    }

    /// A member name, unescaped.
    struct Key<'a>(Cow<'a, str>);

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a member name")
                }
                fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(s)))
                }
                fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(s.to_string())))
                }
                fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(s)))
                }
            }
            d.deserialize_str(V)
        }
    }

    /// Any JSON value, checked and dropped.
    struct Skip;

    struct SkipVisitor;

    impl<'de> Visitor<'de> for SkipVisitor {
        type Value = Skip;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_unit<E>(self) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_none<E>(self) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
            while seq.next_element::<Skip>()?.is_some() {}
            Ok(Skip)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
            while map.next_entry::<Skip, Skip>()?.is_some() {}
            Ok(Skip)
        }
    }

    impl<'de> Deserialize<'de> for Skip {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(SkipVisitor)
        }
    }

    impl<'de> Deserialize<'de> for Field<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Field<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Field<'de>, E> {
                    Ok(Field::Str(Cow::Borrowed(s)))
                }
                fn visit_str<E>(self, s: &str) -> Result<Field<'de>, E> {
                    Ok(Field::Str(Cow::Owned(s.to_string())))
                }
                fn visit_string<E>(self, s: String) -> Result<Field<'de>, E> {
                    Ok(Field::Str(Cow::Owned(s)))
                }
                fn visit_bool<E>(self, _: bool) -> Result<Field<'de>, E> {
                    Ok(Field::Other)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Field<'de>, E> {
                    Ok(Field::Other)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Field<'de>, E> {
                    Ok(Field::Other)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Field<'de>, E> {
                    Ok(Field::Other)
                }
                fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                    Ok(Field::Other)
                }
                fn visit_none<E>(self) -> Result<Field<'de>, E> {
                    Ok(Field::Other)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
                    SkipVisitor.visit_seq(seq).map(|_| Field::Other)
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
                    SkipVisitor.visit_map(map).map(|_| Field::Other)
                }
            }
            d.deserialize_any(V)
        }
    }

    impl<'de> Deserialize<'de> for Sub<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Sub<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sub<'de>, A::Error> {
                    let mut s = Sub::default();
                    while let Some(key) = map.next_key::<Key<'de>>()? {
                        let slot = match key.0.as_ref() {
                            "resource" => &mut s.resource,
                            "namespace" => &mut s.namespace,
                            "name" => &mut s.name,
                            "subresource" => &mut s.subresource,
                            "username" => &mut s.username,
                            _ => {
                                map.next_value::<Skip>()?;
                                continue;
                            }
                        };
                        *slot = map.next_value()?;
                    }
                    Ok(s)
                }
                fn visit_bool<E>(self, _: bool) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_i64<E>(self, _: i64) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_u64<E>(self, _: u64) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_f64<E>(self, _: f64) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_str<E>(self, _: &str) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_unit<E>(self) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_none<E>(self) -> Result<Sub<'de>, E> {
                    Ok(Sub::default())
                }
                fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Sub<'de>, A::Error> {
                    SkipVisitor.visit_seq(seq).map(|_| Sub::default())
                }
            }
            d.deserialize_any(V)
        }
    }

    impl<'de> Deserialize<'de> for Peek<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Peek<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Peek<'de>, A::Error> {
                    let mut p = Peek::default();
                    while let Some(key) = map.next_key::<Key<'de>>()? {
                        match key.0.as_ref() {
                            "kind" => p.kind = map.next_value()?,
                            "auditID" => p.audit_id = map.next_value()?,
                            "verb" => p.verb = map.next_value()?,
                            "objectRef" => p.object_ref = map.next_value()?,
                            "user" => p.user = map.next_value()?,
                            "impersonatedUser" => p.impersonated_user = map.next_value()?,
                            _ => {
                                map.next_value::<Skip>()?;
                            }
                        }
                    }
                    Ok(p)
                }
            }
            d.deserialize_any(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `lines` through the quick path and through whole-`Value` parsing; both must agree.
    fn both_ways(lines: &[&[u8]]) -> (Value, Value) {
        let mut quick = AuditLog::default();
        let mut whole = AuditLog::default();
        let (mut a, mut b) = (FileSummary::default(), FileSummary::default());
        for (i, line) in lines.iter().enumerate() {
            quick.add_text(&mut a, i + 1, line);
            match serde_json::from_slice::<Value>(line) {
                Ok(event) => whole.add_line(&mut b, i + 1, &event),
                Err(_) => b.bad_lines.push(i + 1),
            }
        }
        let as_json = |log: AuditLog, s: FileSummary| json!({"events": log.events, "summary": serde_json::to_value(s).unwrap_or_default()});
        (as_json(quick, a), as_json(whole, b))
    }

    #[test]
    fn quick_filter_agrees_with_whole_parsing() {
        let lines: Vec<&[u8]> = vec![
            br#"{"kind":"Event","auditID":"a1","verb":"get","stage":"ResponseComplete","user":{"username":"alice"},"objectRef":{"resource":"pods","namespace":"x"}}"#,
            br#"{"kind":"Event","auditID":"a2","verb":"list","user":{"username":"alice"},"impersonatedUser":{"username":"bob"}}"#,
            br#"{"kind":"Event","auditID":"a3","verb":"watch","user":{"username":"alice"},"impersonatedUser":{"username":null},"objectRef":{"resource":7}}"#,
            br#"{"kind":"Event","auditID":"a4","verb":"get","user":"alice","impersonatedUser":[1],"objectRef":["pods"]}"#,
            br#"{"kind":"Event","auditID":"a5","verb":"create","objectRef":{"resource":"rolebindings","namespace":"x","name":"rb"},"user":{"username":"carol"}}"#,
            br#"{"kind":"Event","auditID":"a6","verb":"get","verb":"patch","objectRef":{"resource":"pods"},"objectRef":{"resource":"accesspolicies"}}"#,
            br#"{"kind":"Event","auditID":"a7","ver\u0062":"delete","objectRef":{"resourc\u0065":"secrets","namespace":"istio-system","name":"cacerts"}}"#,
            br#"{"kind":"Event","auditID":"a8","verb":"update","objectRef":{"resource":"configmaps","namespace":"default","name":"x"}}"#,
            br#"{"kind":"Event","auditID":"a9","verb":"get","extra":1e400}"#,
            br#"{"kind":"Event","auditID":"a10","verb":"get","extra":"\ud800"}"#,
            br#"{"kind":"Event","auditID":"a11","verb":"get"} trailing"#,
            br#"["Event","a12","get"]"#,
            br#"{"kind":"Event","verb":"get"}"#,
            br#"{"kind":"Event","auditID":null,"verb":7}"#,
            br#"{"kind":"Other","auditID":"a13","verb":"get"}"#,
            b"{\"kind\":\"Event\",\"auditID\":\"a14\",\"verb\":\"get\",\"x\":\"\xff\"}",
            br#"{"kind":"Event","auditID":"a15","verb":"impersonate","user":{"username":"dave"}}"#,
            br#"{"kind":"Event","auditID":"a16","verb":"create","objectRef":{"resource":"serviceaccounts","subresource":"token","name":"sa"}}"#,
            br#"{"kind":"Event","auditID":"a17","verb":"get","user":{"username":"al\"ice"},"objectRef":{"resource":"po\nds"}}"#,
            br#"{"kind":"Event","auditID":"a18","verb":"get","deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
            b"",
            b"not json",
        ];
        let (quick, whole) = both_ways(&lines);
        assert_eq!(quick, whole);
        // The fixture exercises every outcome.
        let summary = &quick["summary"];
        assert!(summary["reads"].as_u64().is_some_and(|n| n >= 3), "{summary}");
        assert!(summary["kept"].as_u64().is_some_and(|n| n >= 4), "{summary}");
        assert!(summary["other"].as_u64().is_some_and(|n| n >= 1), "{summary}");
        assert!(
            summary["bad_lines"].as_array().is_some_and(|b| b.len() >= 6),
            "{summary}"
        );
    }
}
