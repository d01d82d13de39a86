//! Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for hashing.
//!
//! Rules: UTF-8; object members sorted by the UTF-16 code units of their names; no insignificant
//! whitespace; strings escape only `"`, `\` and control characters (`\b \t \n \f \r`, others as
//! `\u00xx`); non-integer numbers in the ECMAScript shortest round-trip form. One documented
//! deviation: integers outside ±2^53 are written exactly instead of being rounded to a double.

use serde_json::Value;

/// The canonical bytes of `value`.
pub fn to_canonical_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

/// Appends the canonical bytes of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json's map is ordered by UTF-8 bytes, which differs from UTF-16 order only
            // for characters above U+FFFF versus U+E000..U+FFFF (UTF-8 lead bytes 0xEE and up;
            // no other byte of UTF-8 text is that large). Written in map order in one pass; an
            // object with such a key (or out of order) is rewritten sorted.
            let start = out.len();
            out.push(b'{');
            let mut previous: Option<&String> = None;
            for (key, v) in map {
                if key.bytes().any(|b| b >= 0xEE) || previous.is_some_and(|p| p > key) {
                    out.truncate(start);
                    write_sorted_object(map, out);
                    return;
                }
                if previous.is_some() {
                    out.push(b',');
                }
                previous = Some(key);
                write_string(key, out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
    }
}

/// Appends the decimal digits of `n` (with a leading `-` when negative), without allocating.
pub(crate) fn write_integer(negative: bool, mut n: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if let Some(i) = n.as_i64() {
        write_integer(i < 0, i.unsigned_abs(), out);
    } else if let Some(u) = n.as_u64() {
        write_integer(false, u, out);
    } else if let Some(f) = n.as_f64() {
        if f == 0.0 {
            out.push(b'0');
        } else {
            let mut buf = ryu_js::Buffer::new();
            out.extend_from_slice(buf.format_finite(f).as_bytes());
        }
    }
}

/// An object whose members must be sorted first (by UTF-16 code units).
fn write_sorted_object(map: &serde_json::Map<String, Value>, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| member_order(a.0, b.0));
    out.push(b'{');
    for (i, (key, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write_canonical(v, out);
    }
    out.push(b'}');
}

/// The canonical order of member names: by UTF-16 code units. UTF-8 byte order is the same
/// unless a name holds a byte from 0xEE up (characters from U+E000, where the orders part).
pub fn member_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.bytes().chain(b.bytes()).any(|b| b >= 0xEE) {
        a.encode_utf16().cmp(b.encode_utf16())
    } else {
        a.cmp(b)
    }
}

/// Appends one canonical JSON string (quotes included).
pub fn write_canonical_str(s: &str, out: &mut Vec<u8>) {
    write_string(s, out)
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The position of the first byte that needs escaping in canonical JSON (also the first byte a
/// JSON reader must look at in a string: a quote, a backslash or a control character), eight
/// bytes at a time (SWAR: a byte of a word is flagged when it is below 0x20 or equals `"` or
/// `\\`); most strings have none.
pub fn first_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero -> its high bit is set in `zero(x)` (exact for the first such byte,
    // which is all we need: the byte-wise scan below finds it).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        if below_space | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\'))) != 0 {
            return chunk.iter().position(|&b| needs_escape(b)).map(|i| offset + i);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| needs_escape(b))
        .map(|i| offset + i)
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    while let Some(i) = first_escape(rest) {
        let (plain, tail) = rest.split_at(i);
        out.extend_from_slice(plain);
        let Some((&b, tail)) = tail.split_first() else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_as_to_string() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, 1 << 32, u64::MAX - 1, u64::MAX] {
            let mut out = b"x".to_vec();
            write_integer(false, n, &mut out);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }

    fn canon(v: &Value) -> String {
        String::from_utf8(to_canonical_vec(v)).unwrap_or_default()
    }

    #[test]
    fn the_word_scan_finds_the_same_first_escape_as_a_byte_scan() {
        let mut cases: Vec<Vec<u8>> = vec![Vec::new(), b"plain ascii text".to_vec()];
        for len in 0..20 {
            for at in 0..len {
                for special in [0u8, 0x1f, b'"', b'\\', 0x7f, 0x80, 0xff, b' ', b'!', b'#', b'[', b']'] {
                    let mut v = vec![b'a'; len];
                    v[at] = special;
                    cases.push(v.clone());
                    v.iter_mut().skip(at + 1).for_each(|b| *b = 0xe9);
                    cases.push(v);
                }
            }
        }
        for bytes in cases {
            assert_eq!(
                first_escape(&bytes),
                bytes.iter().position(|&b| needs_escape(b)),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let v: Value = serde_json::from_str(r#"{ "b": [1, 2, {"z": null, "a": true}], "a": "x" }"#).unwrap_or_default();
        assert_eq!(canon(&v), r#"{"a":"x","b":[1,2,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn rfc8785_number_vectors() {
        // From RFC 8785 appendix B (ECMAScript number serialization).
        let cases = [
            (0.0_f64, "0"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.000001, "0.000001"),
            (4.5, "4.5"),
            (-1.5e-10, "-1.5e-10"),
            (333333333.3333333, "333333333.3333333"),
        ];
        for (f, want) in cases {
            assert_eq!(canon(&json!(f)), want, "{f}");
        }
        assert_eq!(canon(&json!(9007199254740993_u64)), "9007199254740993");
        assert_eq!(canon(&json!(-42)), "-42");
    }

    #[test]
    fn integers_print_as_decimal() {
        for n in [0_i64, 7, -7, 10, -10, 1_234_567_890, i64::MAX, i64::MIN] {
            assert_eq!(canon(&json!(n)), n.to_string());
        }
        assert_eq!(canon(&json!(u64::MAX)), u64::MAX.to_string());
    }

    #[test]
    fn rfc8785_string_escapes() {
        let v = json!("\u{20ac}$\u{000F}\u{000a}A'\u{0042}\u{0022}\u{005c}\\\"/\u{7f}");
        assert_eq!(canon(&v), "\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\u{7f}\"");
    }

    #[test]
    fn rfc8785_utf16_key_order() {
        // RFC 8785 section 3.2.3 example: keys sorted by UTF-16 code units.
        let v = json!({
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1f600}": "Emoji: Grinning Face",
            "\u{0080}": "Control",
            "\u{00f6}": "Latin Small Letter O With Diaeresis"
        });
        let values: Vec<String> = {
            let s = canon(&v);
            let parsed: serde_json::Map<String, Value> = serde_json::from_str(&s).unwrap_or_default();
            let _ = parsed;
            s.split("\":\"")
                .skip(1)
                .map(|p| p.split('"').next().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(
            values,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
    }
}
