//! Parsing JSON text into `serde_json::Value` with each object's members built in one go.
//!
//! serde_json's own `Value` visitor inserts members into the object's B-tree one at a time (a
//! search from the root per member); [`JsonTree`] collects an object's members first and builds
//! the map from them (`Map::from_iter`: a stable sort by key, then a bulk build; a repeated key
//! keeps its last value, as insertion does). The result is the same `Value` serde_json builds,
//! a test compares the two on generated documents. Depth limits and error positions are the
//! deserializer's, unchanged.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A parsed JSON value (see the module documentation).
pub struct JsonTree(pub Value);

impl<'de> Deserialize<'de> for JsonTree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonTree, D::Error> {
        deserializer.deserialize_any(TreeVisitor).map(JsonTree)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(JsonTree(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::new();
        while let Some((key, JsonTree(value))) = map.next_entry::<String, JsonTree>()? {
            members.push((key, value));
        }
        Ok(Value::Object(members.into_iter().collect::<Map<String, Value>>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated JSON texts: nested objects with repeated, unordered, escaped and non-ASCII keys,
    /// numbers of every kind, strings with escapes, empty containers.
    fn documents() -> Vec<String> {
        let keys = [
            "\"b\"",
            "\"a\"",
            "\"a\"",
            "\"\"",
            "\"z\\u0000\"",
            "\"\\u00e9t\\u00e9\"",
            "\"\u{10348}\"",
            "\"\u{e000}\"",
            "\"kind\"",
            "\"metadata\"",
            "\"A\"",
            "\"a b\"",
            "\"\\\"q\\\"\"",
        ];
        let scalars = [
            "0",
            "-0",
            "1",
            "-1",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "-2.5e-7",
            "1e300",
            "0.1",
            "123456789012345678901234567890",
            "true",
            "false",
            "null",
            "\"\"",
            "\"x\\ny\\t\\\\ \\u00e9 \\ud83d\\ude00\"",
            "[]",
            "{}",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut out = Vec::new();
        for _ in 0..400 {
            out.push(value(&mut next, &keys, &scalars, 0));
        }
        out
    }

    fn value(next: &mut impl FnMut(usize) -> usize, keys: &[&str], scalars: &[&str], depth: usize) -> String {
        match if depth > 4 { 2 } else { next(3) } {
            0 => {
                let members: Vec<String> = (0..next(9))
                    .map(|_| format!("{}: {}", keys[next(keys.len())], value(next, keys, scalars, depth + 1)))
                    .collect();
                format!("{{{}}}", members.join(", "))
            }
            1 => {
                let items: Vec<String> = (0..next(5)).map(|_| value(next, keys, scalars, depth + 1)).collect();
                format!("[{}]", items.join(","))
            }
            _ => scalars[next(scalars.len())].to_string(),
        }
    }

    #[test]
    fn builds_the_same_values_as_serde_json() {
        let docs = documents();
        assert!(
            docs.iter()
                .any(|d| d.contains("\"a\": ") && d.matches("\"a\": ").count() > 1)
        );
        for text in &docs {
            let ours = serde_json::from_str::<JsonTree>(text).map(|t| t.0).ok();
            let theirs = serde_json::from_str::<Value>(text).ok();
            assert_eq!(ours, theirs, "{text}");
            // Equal as values and in every detail their text shows (number forms included).
            assert_eq!(ours.map(|v| v.to_string()), theirs.map(|v| v.to_string()), "{text}");
        }
    }

    #[test]
    fn errors_and_depth_limits_are_the_deserializers() {
        for text in ["{\"a\": [1, 2", "{\"a\" 1}", "[1e999]", "{\"a\":1,}", &"[".repeat(200)] {
            let ours = serde_json::from_str::<JsonTree>(text)
                .err()
                .map(|e| (e.line(), e.column(), e.classify()));
            let theirs = serde_json::from_str::<Value>(text)
                .err()
                .map(|e| (e.line(), e.column(), e.classify()));
            assert!(ours.is_some(), "{text}");
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
