//! The tape's fast path against the full path (serde_json values, `selection::admit`, redaction):
//! the same records, byte for byte, for any document.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

const FILE: &str = "dump/objects.json";

/// What a cluster emits after reading `text`: source, kind, subject and body of each record.
type Emitted = Vec<(String, &'static str, String, String)>;

fn emitted(c: ClusterCollection) -> Emitted {
    let mut sink = Preparing(Vec::new());
    let _ = c.emit(&mut sink);
    sink.0
        .into_iter()
        .map(|p| {
            let body = String::from_utf8(p.canonical).unwrap_or_default();
            (p.source, p.kind, p.subject, body)
        })
        .collect()
}

/// The records of `text` read the way `read_file` reads it (tape first), and the records of the
/// full path alone.
fn both_ways(text: &str) -> (Emitted, Emitted) {
    let root = Path::new("/dump");
    let mut fast = ClusterCollection::new("c1", root, Buffers::default());
    match Tape::parse(text, Vec::new()) {
        Ok(tape) if fast.add_tape(&tape, FILE) => {}
        _ => fast.add_documents(parse_text(text), FILE),
    }
    let mut full = ClusterCollection::new("c1", root, Buffers::default());
    full.add_documents(parse_text(text), FILE);
    (emitted(fast), emitted(full))
}

fn object(api_version: &str, kind: &str, namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": api_version, "kind": kind,
        "metadata": {
            "name": name, "namespace": namespace, "uid": "0000002a-0001-4a5b-8c6d-7e8f9a0b1c2d",
            "resourceVersion": "100042", "creationTimestamp": "2026-06-02T09:14:03Z",
            "labels": {"app.kubernetes.io/name": "svc-1"},
            "managedFields": [{"manager": "helm", "operation": "Update", "time": "2026-06-02T09:14:03Z",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
        },
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]
    })
}

const JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmlzdGlvLXN5c3RlbTppc3Rpby1yZWFkZXIifQ.c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1zdG9yZWQ";

/// Strings planted in objects: plain, escaped, credentials, near misses.
fn planted() -> Vec<Value> {
    vec![
        json!("plain value"),
        json!(JWT),
        json!(format!("Bearer {JWT}")),
        json!("-----BEGIN PRIVATE KEY----- MC4CAQAwBQYDK2VwBCIEIBWB -----END PRIVATE KEY-----"),
        json!("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w"),
        json!("line one\nline two <&>"),
        json!("clusters: [] users: [{name: a, user: {token: abc}}]"),
        json!(1.25),
        json!(-7),
        json!({"nested": ["a", {"deeper": JWT}]}),
        json!("a".repeat(39)),
    ]
}

/// Objects of every way in: kept and skipped kinds, Secrets, lists' items without kind, audit
/// events, malformed documents, duplicates with other content, last-applied annotations.
fn pool() -> Vec<Value> {
    let mut last_applied = object("rbac.authorization.k8s.io/v1", "Role", "team-1", "applied");
    last_applied["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration":
            json!({"apiVersion": "v1", "kind": "Secret", "data": {"token": "c2VjcmV0"}}).to_string()
    });
    let mut no_kind = object("v1", "ServiceAccount", "team-1", "filled");
    if let Some(o) = no_kind.as_object_mut() {
        o.remove("kind");
        o.remove("apiVersion");
    }
    let mut changed = object("rbac.authorization.k8s.io/v1", "Role", "team-1", "role-a");
    changed["rules"] = json!([]);
    changed["metadata"]["resourceVersion"] = json!("100041");
    vec![
        object("rbac.authorization.k8s.io/v1", "Role", "team-1", "role-a"),
        changed,
        object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "crb"),
        object("security.istio.io/v1", "AuthorizationPolicy", "istio-system", "allow"),
        object("v1", "Pod", "team-1", "pod"),
        object("v1", "ConfigMap", "istio-system", "istio"),
        object("v1", "ConfigMap", "istio-system", "unrelated"),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts", "namespace": "istio-system"},
               "data": {"token": "ZXlKaGJHY2lPaUpTVXpJMU5pSjkuZXlKemRXSWlPaUo0SW4wLnNpZw==", "x": "eA=="}}),
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"name": "t"},
               "status": {"token": JWT}}),
        json!({"apiVersion": "audit.k8s.io/v1", "kind": "Event", "auditID": "a1", "verb": "create", "stage": "ResponseComplete",
               "stageTimestamp": "2026-06-02T09:14:03.000000Z", "user": {"username": "alice"}}),
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "gloo-mesh"}, "reason": "Added"}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}),
        json!({"kind": "Namespace", "metadata": {"name": "no-api-version"}}),
        json!("not an object"),
        json!([1, 2]),
        json!({"apiVersion": "v1", "kind": "List", "items": [object("v1", "Namespace", "", "inner")]}),
        last_applied,
        no_kind,
    ]
}

fn document(items: Vec<Value>, list_kind: &str) -> Value {
    json!({"apiVersion": "v1", "kind": list_kind, "metadata": {"resourceVersion": ""}, "items": items})
}

fn assert_same(text: &str) -> Emitted {
    let (fast, full) = both_ways(text);
    assert_eq!(fast, full, "{text}");
    fast
}

#[test]
fn every_pool_object_gives_the_same_records_both_ways() {
    for item in pool() {
        for list_kind in ["List", "ServiceAccountList"] {
            let list = document(vec![item.clone(), item.clone()], list_kind);
            for text in [serde_json::to_string_pretty(&list), serde_json::to_string(&list)] {
                assert_same(&text.unwrap_or_default());
            }
        }
        assert_same(&serde_json::to_string_pretty(&item).unwrap_or_default());
    }
    // Lists the tape leaves whole to the full path.
    let audit_list = json!({"apiVersion": "audit.k8s.io/v1", "kind": "EventList", "items": [pool().get(9).cloned()]});
    let records = assert_same(&audit_list.to_string());
    assert!(records.iter().any(|r| r.3.contains("\"events\":1")), "{records:?}");
    assert_same(r#"{"kind":"RoleList","items":[1,{"kind":"Role"}]}"#);
    // Escaped member names, which serde_json reads as the plain ones (the last one wins): a
    // ConfigMap that is a Secret, a Role under two names, in a list and alone.
    let escaped = [
        r#"{"apiVersion":"v1","kind":"ConfigMap","k\u0069nd":"Secret","metadata":{"name":"x","namespace":"istio-system"},"data":{"token":"ZXlKaGJHY2lPaUpJVXpJMU5pSjkuZXlKemRXSWlPaUo0SW4wLnNpZw=="}}"#,
        r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"a","n\u0061me":"b","namespace":"team-1"}}"#,
    ];
    for object in escaped {
        let records = assert_same(object);
        assert!(records.iter().any(|r| r.1 == "k8s.object"), "{records:?}");
        assert_same(&format!(r#"{{"apiVersion":"v1","kind":"List","items":[{object}]}}"#));
    }
    assert_same(r#"{"kind":"Ro\u006ceList","items":[]}"#);
}

#[test]
fn plain_objects_take_the_fast_path_and_credentials_do_not() {
    let plain = object("rbac.authorization.k8s.io/v1", "Role", "team-1", "r");
    let mut with_token = plain.clone();
    with_token["metadata"]["labels"]["x"] = json!(JWT);
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "istio-system"}});
    let skipped = object("v1", "Pod", "team-1", "p");
    let root = Path::new("/dump");
    for (value, fast) in [(plain, true), (with_token, false), (secret, false), (skipped, true)] {
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let tape = Tape::parse(&text, Vec::new()).unwrap_or_else(|_| panic!("refused {text}"));
        let mut c = ClusterCollection::new("c1", root, Buffers::default());
        assert_eq!(c.add_tape_object(tape.root(), FILE, 1), fast, "{text}");
    }
    // The token went the full way: redacted, its signature nowhere.
    let mut with_token = object("rbac.authorization.k8s.io/v1", "Role", "team-1", "r");
    with_token["metadata"]["labels"]["x"] = json!(JWT);
    let records = assert_same(&serde_json::to_string_pretty(&document(vec![with_token], "List")).unwrap_or_default());
    let signature = JWT.rsplit('.').next().unwrap_or_default();
    assert!(records.iter().all(|r| !r.3.contains(signature)), "{records:?}");
    assert!(
        records.iter().any(|r| r.3.contains("[redacted token: sha256=")),
        "{records:?}"
    );
}

proptest! {
    /// Lists of pool objects with planted strings in labels, annotations and specs, in any order
    /// (duplicates included), pretty or compact: the same records both ways.
    #[test]
    fn random_lists_give_the_same_records_both_ways(
        picks in prop::collection::vec((0usize..18, 0usize..11, 0usize..4), 1..12),
        pretty in any::<bool>(),
        list_kind in prop::sample::select(vec!["List", "RoleList", "SecretList"]),
    ) {
        let pool = pool();
        let planted = planted();
        let items: Vec<Value> = picks
            .into_iter()
            .map(|(i, p, place)| {
                let mut item = pool.get(i % pool.len()).cloned().unwrap_or_default();
                let value = planted.get(p).cloned().unwrap_or_default();
                if item.get("metadata").is_some_and(Value::is_object) {
                    match place {
                        0 => item["metadata"]["labels"] = json!({"planted": value}),
                        1 => item["metadata"]["annotations"] = json!({"note": value}),
                        2 => item["spec"] = json!({"value": value}),
                        _ => {}
                    }
                }
                item
            })
            .collect();
        let list = document(items, list_kind);
        let text = if pretty { serde_json::to_string_pretty(&list) } else { serde_json::to_string(&list) };
        let text = text.unwrap_or_default();
        let (fast, full) = both_ways(&text);
        prop_assert_eq!(fast, full);
    }
}
