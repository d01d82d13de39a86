//! Lenient typed reads of JSON bodies, with strings borrowed from the text.
//!
//! Analyses that pass over many objects read a few fields as small typed structs
//! ([`Evidence::read`](super::Evidence::read)) instead of parsing whole `Value` trees, which cost
//! about ten times their text. These wrappers make such a read as forgiving as a `Value` walk
//! (`pointer(..).and_then(Value::as_str)`): a field of an unexpected JSON type reads as absent or
//! empty instead of failing the whole read. Only a string with escapes fails (it cannot be
//! borrowed from the text); `Evidence::read` then reads the parsed body, where every string can be
//! borrowed.
//!
//! Main types: [`Text`], [`Number`], [`Obj`], [`List`], [`Labels`].

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Implements the visitor methods of the JSON types a wrapper does not take, each consuming the
/// value and giving `$default`.
macro_rules! otherwise {
    ($default:expr; $($kind:ident),*) => {
        $(otherwise!(@one $default; $kind);)*
    };
    (@one $default:expr; scalars) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@one $default:expr; strings) => {
        fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
    (@one $default:expr; seqs) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
    (@one $default:expr; maps) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
}

fn any_value(f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str("any JSON value")
}

/// A string, or nothing for any other JSON value.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a>(Option<&'a str>);

impl<'a> Text<'a> {
    /// The string, when the value was one.
    pub fn get(self) -> Option<&'a str> {
        self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                any_value(f)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(v)))
            }
            fn visit_str<E: Error>(self, _: &str) -> Result<Self::Value, E> {
                Err(E::custom("a string with escapes cannot be borrowed"))
            }
            otherwise!(Text(None); scalars, seqs, maps);
        }
        d.deserialize_any(V)
    }
}

/// A non-negative integer, or nothing for any other JSON value.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Number(Option<u64>);

impl Number {
    /// The number, when the value was a non-negative integer.
    pub fn get(self) -> Option<u64> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                any_value(f)
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Number(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Number(u64::try_from(v).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Number(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Number(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Number(None))
            }
            otherwise!(Number(None); strings, seqs, maps);
        }
        d.deserialize_any(V)
    }
}

/// An object read as `T`, or `T::default()` for any other JSON value.
#[derive(Debug, Default)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                any_value(f)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Obj)
            }
            otherwise!(Obj::default(); scalars, strings, seqs);
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A list, or empty for any other JSON value.
#[derive(Debug)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                any_value(f)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(List(out))
            }
            otherwise!(List::default(); scalars, strings, maps);
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The string-valued entries of an object (labels, annotations); none for any other JSON value.
#[derive(Debug, Default)]
pub struct Labels<'a>(BTreeMap<&'a str, &'a str>);

impl<'a> Labels<'a> {
    /// The value of `key`, when it is a string.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).copied()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Labels<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                any_value(f)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<&'de str, Text<'de>>()? {
                    if let Some(v) = v.get() {
                        out.insert(k, v);
                    }
                }
                Ok(Labels(out))
            }
            otherwise!(Labels::default(); scalars, strings, seqs);
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe<'a> {
        #[serde(borrow)]
        name: Text<'a>,
        code: Number,
        #[serde(borrow)]
        items: List<Text<'a>>,
        #[serde(borrow)]
        inner: Obj<Inner<'a>>,
        #[serde(borrow)]
        labels: Labels<'a>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Inner<'a> {
        #[serde(borrow)]
        kind: Text<'a>,
    }

    #[test]
    fn every_json_type_reads_without_failing_the_whole_value() {
        let well = r#"{"name":"a","code":403,"items":["x",1,"y"],"inner":{"kind":"k"},"labels":{"l":"v","n":2}}"#;
        let p: Probe<'_> = serde_json::from_str(well).expect("reads");
        assert_eq!(
            (p.name.get(), p.code.get(), p.inner.0.kind.get()),
            (Some("a"), Some(403), Some("k"))
        );
        let items: Vec<_> = p.items.0.iter().filter_map(|t| t.get()).collect();
        assert_eq!(items, ["x", "y"]);
        assert_eq!((p.labels.get("l"), p.labels.get("n")), (Some("v"), None));

        let odd = r#"{"name":{"a":[1]},"code":"403","items":{"x":1},"inner":[1,2],"labels":"l=v","extra":null}"#;
        let p: Probe<'_> = serde_json::from_str(odd).expect("reads");
        assert_eq!((p.name.get(), p.code.get(), p.inner.0.kind.get()), (None, None, None));
        assert!(p.items.0.is_empty() && p.labels.get("l").is_none());
        assert_eq!(
            serde_json::from_str::<Probe<'_>>(r#"{"code":-1}"#)
                .expect("reads")
                .code
                .get(),
            None
        );

        // Escapes cannot be borrowed from text, but can from a parsed value.
        assert!(serde_json::from_str::<Probe<'_>>(r#"{"name":"a\"b"}"#).is_err());
        let value: serde_json::Value = serde_json::from_str(r#"{"name":"a\"b"}"#).expect("json");
        assert_eq!(Probe::deserialize(&value).expect("reads").name.get(), Some("a\"b"));
    }
}
