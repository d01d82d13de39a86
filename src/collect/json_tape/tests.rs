use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::model::to_canonical_vec;

fn parse(text: &str) -> Option<Tape<'_>> {
    Tape::parse(text, Vec::new()).ok()
}

/// The tape's canonical JSON of the whole text, `None` when it declines.
fn canonical(text: &str, omit: &[&str]) -> Option<String> {
    let tape = parse(text)?;
    let mut out = Vec::new();
    tape.root()
        .write_canonical(omit, &mut out)
        .then(|| String::from_utf8(out).unwrap_or_default())
}

fn serde_canonical(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    String::from_utf8(to_canonical_vec(&value)).ok()
}

/// What the tape accepts, serde_json accepts; what it writes is what serde_json's value gives.
fn check_agrees(text: &str) {
    let Some(tape) = parse(text) else { return };
    assert!(
        serde_json::from_str::<Value>(text).is_ok(),
        "the tape read what serde_json refuses: {text:?}"
    );
    let mut out = Vec::new();
    if tape.root().write_canonical(&[], &mut out) {
        assert_eq!(String::from_utf8(out).ok(), serde_canonical(text), "{text:?}");
    } else {
        assert!(out.is_empty());
    }
}

#[test]
fn reads_and_writes_what_serde_json_does() {
    let cases = [
        r#"{"b":1,"a":[true,false,null,"x",{"d":-12,"c":0}],"e":{}}"#,
        " \n\t{ \"k\" : [ ] , \"j\" : \"\" }\r\n",
        r#"{"a":1,"a":2,"b":{"x":1},"b":{"y":2}}"#,
        r#"{"é":1,"e":2,"\u0065f":3,"z":4,"":5}"#,
        "{\"\u{e000}\":1,\"\u{10000}\":2,\"\u{ffff}\":3,\"a\":4}",
        r#"{"n":123456789012345678,"m":-123456789012345678}"#,
        r#"{"f":1.5,"g":-0.25}"#,
        r#"{"s":"tab\there \"quoted\" \\ \/ \u00e9 \u0000"}"#,
        r#"[1,[2,[3,[4]]],{"a":{"b":{"c":[]}}}]"#,
        r#""just a string""#,
        "42",
        "null",
    ];
    for text in cases {
        assert!(parse(text).is_some(), "refused {text:?}");
        check_agrees(text);
    }
    assert_eq!(
        canonical(r#"{"a":1,"a":2,"b":{"x":1},"b":{"y":2}}"#, &[]).as_deref(),
        Some(r#"{"a":2,"b":{"y":2}}"#)
    );
    assert_eq!(
        canonical("{\"\u{e000}\":1,\"\u{10000}\":2,\"a\":4}", &[]).as_deref(),
        Some("{\"a\":4,\"\u{10000}\":2,\"\u{e000}\":1}")
    );
    // Escapes and fractions are read but not written: serde_json's reading defines them.
    assert_eq!(canonical(r#"{"f":1.5}"#, &[]), None);
    assert_eq!(canonical(r#"{"s":"a\nb"}"#, &[]), None);
    assert_eq!(canonical(r#"{"a\u0062":1}"#, &[]), None);
}

#[test]
fn refuses_what_it_does_not_read_exactly() {
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let refused = [
        "",
        "   ",
        r#"{"a":1,}"#,
        r#"[1,2,]"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        r#"{"a":01}"#,
        r#"{"a":-0}"#,
        r#"{"a":1e5}"#,
        r#"{"a":1.5E-3}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":+1}"#,
        r#"{"a":1234567890123456789}"#,
        "{\"a\":\"raw\ttab\"}",
        r#"{"a":"\ud83d\ude00"}"#,
        r#"{"a":"\udc00"}"#,
        r#"{"a":"\x41"}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":"unterminated}"#,
        r#"{"a":tru}"#,
        r#"{"a":1} {"b":2}"#,
        "{\"a\":1}\n{\"b\":2}\n",
        r#"{"a":1} x"#,
        "{\"a\":[1,2}",
        &deep,
    ];
    for text in refused {
        assert!(parse(text).is_none(), "read {text:?}");
    }
    let nested = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&nested).is_some());
}

#[test]
fn lookups_spans_and_omitted_members() {
    let text = r#"{"kind":"RoleList","apiVersion":"v1","items":[
        {"kind":"Role","metadata":{"name":"a","managedFields":[{"manager":"helm","fieldsV1":{"f:x":{}}},"odd",{"fieldsV1":1}],"fieldsV1":"kept"}},
        {"kind":"Role","kind":"Other","k\u0069nd":"escaped"}
    ]}"#;
    let tape = parse(text).unwrap_or_else(|| panic!("refused"));
    let root = tape.root();
    assert!(root.is_object() && !root.has_escaped_names());
    assert_eq!(root.get("kind").and_then(|k| k.plain_str()), Some("RoleList"));
    assert!(root.get("missing").is_none());
    let items: Vec<Cursor> = root.get("items").map(|i| i.items().collect()).unwrap_or_default();
    assert_eq!(items.len(), 2);
    // Each item's text is the item: serde_json reads it to the same value.
    let whole: Value = serde_json::from_str(text).unwrap_or_default();
    for (i, item) in items.iter().enumerate() {
        let alone: Value = serde_json::from_str(item.text()).unwrap_or_default();
        assert_eq!(Some(&alone), whole.pointer(&format!("/items/{i}")));
    }
    // The last of two equal names, as serde_json keeps it; escaped names never match.
    let second = items.get(1).copied();
    assert_eq!(
        second.and_then(|i| i.get("kind")).and_then(|k| k.plain_str()),
        Some("Other")
    );
    assert!(second.is_some_and(|i| i.has_escaped_names()));
    // managedFields' field sets are left out, nothing else named fieldsV1.
    let mut out = Vec::new();
    let first = items.first().copied().unwrap_or(root);
    assert!(first.write_canonical(&["metadata", "managedFields", "*", "fieldsV1"], &mut out));
    let mut expected = whole.pointer("/items/0").cloned().unwrap_or_default();
    if let Some(Value::Array(fields)) = expected.pointer_mut("/metadata/managedFields") {
        for entry in fields.iter_mut().filter_map(Value::as_object_mut) {
            entry.remove("fieldsV1");
        }
    }
    assert_eq!(out, to_canonical_vec(&expected));
    assert!(String::from_utf8_lossy(&out).contains(r#""fieldsV1":"kept""#));
}

#[test]
fn a_node_vector_is_reused() {
    let tape = parse(r#"{"a":[1,2,3]}"#).unwrap_or_else(|| panic!("refused"));
    let nodes = tape.into_nodes();
    let capacity = nodes.capacity();
    assert!(capacity >= 5);
    let tape = Tape::parse(r#"{"b":2}"#, nodes).unwrap_or_else(|_| panic!("refused"));
    assert_eq!(tape.root().get("b").map(|b| b.text()), Some(""));
    let nodes = tape.into_nodes();
    assert_eq!((nodes.len(), nodes.capacity()), (3, capacity));
    // A refused text hands the vector back too.
    let nodes = Tape::parse("{", nodes).err().unwrap_or_default();
    assert_eq!(nodes.capacity(), capacity);
}

fn json_value() -> impl Strategy<Value = Value> {
    let name = prop::sample::select(vec!["a", "b", "kind", "é", "\u{e000}", "\u{10000}", "x y", "", "A"]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000_000_000i64..1_000_000_000_000).prop_map(Value::from),
        any::<u32>().prop_map(|n| Value::from(f64::from(n) / 8.0)),
        "[a-z \\t\"\\\\/é\u{e000}\u{10000}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((name.clone(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    /// serde_json's own printing of any value (compact and pretty): the tape reads it, and writes
    /// the same canonical JSON whenever it writes at all — always when there are no escapes or
    /// fractions.
    #[test]
    fn agrees_with_serde_json_on_its_printed_values(value in json_value()) {
        for text in [serde_json::to_string(&value), serde_json::to_string_pretty(&value)] {
            let text = text.unwrap_or_default();
            check_agrees(&text);
            let plain = !text.contains('\\') && !text.contains('.');
            if plain {
                prop_assert_eq!(canonical(&text, &[]), Some(String::from_utf8(to_canonical_vec(&value)).unwrap_or_default()));
            }
        }
    }

    /// Random texts near JSON: whatever the tape reads, serde_json reads the same way.
    #[test]
    fn never_reads_what_serde_json_refuses(pieces in prop::collection::vec(
        prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", "\"", "\"a\"", "\"b\":", " ", "\n", "0", "1", "-", ".", "e", "2",
            "true", "nul", "null", "\\", "\\u0041", "\\ud800", "\\n", "é", "\t",
        ]),
        0..24,
    )) {
        check_agrees(&pieces.concat());
    }
}

#[test]
fn reads_a_kubectl_list_as_serde_json_does() {
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "r", "namespace": "team-1", "uid": "0000002a-0001-4a5b-8c6d-7e8f9a0b1c2d",
                      "labels": {"app.kubernetes.io/name": "svc"}, "creationTimestamp": "2026-06-02T09:14:03Z",
                      "managedFields": [{"manager": "helm", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080}]}]}}
    ]});
    let text = serde_json::to_string_pretty(&list).unwrap_or_default();
    assert_eq!(canonical(&text, &[]), serde_canonical(&text));
}
