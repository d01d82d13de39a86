//! Reading one dump file into JSON values: plain or gzip, JSON, JSON lines or multi-document
//! YAML, with size limits and error messages that name a location but never echo content.

use std::io::Read as _;
use std::path::Path;

use serde_json::Value;

/// Why a file could not be read as documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Larger than the limit.
    #[error("file is {size} bytes, over the {limit}-byte limit (raise --max-file-size to read it)")]
    TooLarge {
        /// File size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Binary content.
    #[error("binary file (contains NUL bytes), not a kubectl dump or audit log")]
    Binary,
    /// Not UTF-8.
    #[error("not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    /// Gzip stream broken.
    #[error("broken gzip data")]
    BadGzip,
    /// JSON syntax error.
    #[error("invalid JSON at line {line}, column {column}: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The error class, no input text.
        reason: String,
    },
    /// YAML syntax error.
    #[error("invalid YAML{location}: {reason}")]
    Yaml {
        /// ` at line L, column C`, when known.
        location: String,
        /// The error class, no input text.
        reason: String,
    },
    /// I/O failure.
    #[error("cannot read file: {0}")]
    Io(String),
}

/// The parsed content of a file.
#[derive(Debug)]
pub enum Documents {
    /// JSON or YAML documents, in order.
    Values(Vec<Value>),
    /// JSON lines: each parsed line with its 1-based line number, plus lines that failed.
    Lines {
        /// Parsed lines.
        values: Vec<(usize, Value)>,
        /// Line numbers that were not valid JSON.
        bad_lines: Vec<usize>,
    },
}

/// Reads `path` (at most `limit` bytes, also after decompression) into documents.
pub fn read_documents(path: &Path, limit: u64) -> Result<Documents, DocumentError> {
    let mut buffer = Vec::new();
    read_into(path, limit, &mut buffer)?;
    parse_documents(&buffer)
}

/// Reads `path` into `buffer` (cleared first), decompressed when it is gzip, at most `limit`
/// bytes also after decompression; a caller reading many files reuses one allocation rather than
/// mapping fresh memory for each.
pub fn read_into(path: &Path, limit: u64, buffer: &mut Vec<u8>) -> Result<(), DocumentError> {
    let io = |e: std::io::Error| DocumentError::Io(e.kind().to_string());
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(DocumentError::TooLarge { size, limit });
    }
    buffer.clear();
    // A file that grows while it is read is cut at the limit (and then refused below).
    (&mut file).take(limit + 1).read_to_end(buffer).map_err(io)?;
    if buffer.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(buffer.as_slice())
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|_| DocumentError::BadGzip)?;
        *buffer = out;
    }
    if buffer.len() as u64 > limit {
        return Err(DocumentError::TooLarge {
            size: buffer.len() as u64,
            limit,
        });
    }
    Ok(())
}

/// The items of a `…List` document with `apiVersion` and `kind` filled in from the list where they
/// are missing, as `kubectl get -o json` prints them (the API server leaves them out of the items of
/// built-in lists). A generic `List` fills nothing. A document that is not a list is handed back.
pub fn into_list_items(mut doc: Value) -> Result<Vec<Value>, Value> {
    let Some(kind) = doc.get("kind").and_then(Value::as_str).filter(|k| k.ends_with("List")) else {
        return Err(doc);
    };
    let kind = kind.to_string();
    let api_version = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1")
        .to_string();
    let Some(Value::Array(mut items)) = doc.get_mut("items").filter(|i| i.is_array()).map(Value::take) else {
        return Err(doc);
    };
    for item in &mut items {
        fill_list_item(item, &kind, &api_version);
    }
    Ok(items)
}

/// Fills in an item's `kind` and `apiVersion` where it lacks them, from a `…List` of `list_kind`
/// and `list_api_version` (see [`into_list_items`]).
pub fn fill_list_item(item: &mut Value, list_kind: &str, list_api_version: &str) {
    let item_kind = list_kind.trim_end_matches("List");
    if item_kind.is_empty() || list_kind == "List" {
        return;
    }
    if let Some(o) = item.as_object_mut() {
        o.entry("kind").or_insert_with(|| Value::from(item_kind));
        o.entry("apiVersion").or_insert_with(|| Value::from(list_api_version));
    }
}

/// Parses bytes already in memory.
pub fn parse_documents(bytes: &[u8]) -> Result<Documents, DocumentError> {
    parse_text(text_of(bytes)?)
}

/// The text of a file's bytes: UTF-8 without NUL bytes, a byte-order mark left out.
pub fn text_of(bytes: &[u8]) -> Result<&str, DocumentError> {
    if bytes.contains(&0) {
        return Err(DocumentError::Binary);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DocumentError::NotUtf8(e.valid_up_to()))?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Parses a file's text (see [`text_of`]): JSON, JSON lines or YAML.
pub fn parse_text(text: &str) -> Result<Documents, DocumentError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(Documents::Values(Vec::new()));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return parse_json(text);
    }
    parse_yaml(text)
}

/// A serde_json error as a [`DocumentError`]: its location and class, no input text.
pub(crate) fn json_error(e: &serde_json::Error) -> DocumentError {
    let reason = match e.classify() {
        serde_json::error::Category::Eof => "unexpected end of input (truncated?)",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    };
    DocumentError::Json {
        line: e.line(),
        column: e.column(),
        reason: reason.into(),
    }
}

fn parse_json(text: &str) -> Result<Documents, DocumentError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let first = match stream.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            // A broken first line of a JSON-lines file: fall back to line mode.
            if text.lines().filter(|l| !l.trim().is_empty()).count() > 1 && looks_like_json_lines(text) {
                return Ok(json_lines(text));
            }
            return Err(json_error(&e));
        }
        None => return Ok(Documents::Values(Vec::new())),
    };
    match stream.next() {
        None => Ok(Documents::Values(vec![first])),
        Some(_) => Ok(json_lines(text)),
    }
}

fn looks_like_json_lines(text: &str) -> bool {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .skip(1)
        .take(3)
        .all(|l| l.trim_start().starts_with('{'))
}

fn json_lines(text: &str) -> Documents {
    let mut values = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => values.push((i + 1, v)),
            Err(_) => bad_lines.push(i + 1),
        }
    }
    Documents::Lines { values, bad_lines }
}

/// YAML documents: the plain subset by the fast reader, everything else by serde-saphyr.
fn parse_yaml(text: &str) -> Result<Documents, DocumentError> {
    match super::plain_yaml::parse(text) {
        Some(docs) => Ok(Documents::Values(docs)),
        None => full_yaml(text).map(Documents::Values),
    }
}

/// YAML documents by serde-saphyr (empty documents left out).
pub(crate) fn full_yaml(text: &str) -> Result<Vec<Value>, DocumentError> {
    let options = serde_saphyr::options! { strict_booleans: true, leading_zero_numbers_as_strings: true };
    match serde_saphyr::from_multiple_with_options::<Value>(text, options) {
        Ok(docs) => Ok(docs.into_iter().filter(|d| !d.is_null()).collect()),
        Err(e) => {
            let location = e
                .location()
                .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                .unwrap_or_default();
            // Keep the error's wording up to the first quote or colon-snippet, never input text.
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("syntax error");
            let reason: String = first
                .split(['"', '\'', '`'])
                .next()
                .unwrap_or("syntax error")
                .chars()
                .take(120)
                .collect();
            let reason = reason.trim().trim_start_matches("error:").trim();
            let reason = match reason.split_once(": ") {
                Some((prefix, rest)) if prefix.starts_with("line ") => rest,
                _ => reason,
            };
            Err(DocumentError::Yaml {
                location,
                reason: reason.trim_end_matches(':').to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(d: Documents) -> Vec<Value> {
        match d {
            Documents::Values(v) => v,
            Documents::Lines { values, .. } => values.into_iter().map(|(_, v)| v).collect(),
        }
    }

    /// A file read into `buffer` (as the dump collector reads them) and parsed.
    fn read_with(path: &Path, limit: u64, buffer: &mut Vec<u8>) -> Result<Documents, DocumentError> {
        read_into(path, limit, buffer)?;
        parse_documents(buffer)
    }

    #[test]
    fn gzip_files_are_limited_after_decompression_and_the_buffer_is_reused() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let text = format!("{{\"kind\":\"List\",\"items\":[],\"pad\":\"{}\"}}", "x".repeat(4000));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap_or_default();
        let zipped = gz.finish().unwrap_or_default();
        assert!(zipped.len() < 1000, "{}", zipped.len());
        let gz_path = dir.path().join("list.json.gz");
        let plain_path = dir.path().join("list.json");
        std::fs::write(&gz_path, &zipped).unwrap_or_default();
        std::fs::write(&plain_path, r#"{"kind":"List","items":[]}"#).unwrap_or_default();
        let mut buffer = Vec::new();
        // Small on disk, over the limit once decompressed.
        assert_eq!(
            read_with(&gz_path, 2000, &mut buffer).err(),
            Some(DocumentError::TooLarge {
                size: 2001,
                limit: 2000
            })
        );
        let docs = read_with(&gz_path, 10_000, &mut buffer).map(values).unwrap_or_default();
        assert_eq!(
            docs.first()
                .and_then(|d| d.get("pad"))
                .and_then(Value::as_str)
                .map(str::len),
            Some(4000)
        );
        // The next file read into the same buffer is read alone.
        let docs = read_with(&plain_path, 10_000, &mut buffer)
            .map(values)
            .unwrap_or_default();
        assert_eq!(docs, vec![serde_json::json!({"kind": "List", "items": []})]);
        assert_eq!(
            read_with(&plain_path, 10, &mut buffer).err(),
            Some(DocumentError::TooLarge { size: 26, limit: 10 })
        );
    }

    #[test]
    fn reads_json_yaml_multidoc_and_lines() {
        let one = parse_documents(br#"{"kind":"List","items":[]}"#)
            .map(values)
            .unwrap_or_default();
        assert_eq!(one.len(), 1);
        let multi = parse_documents(b"a: 1\n---\nb: yes\n---\n")
            .map(values)
            .unwrap_or_default();
        assert_eq!(
            multi,
            vec![serde_json::json!({"a": 1}), serde_json::json!({"b": "yes"})]
        );
        let lines = parse_documents(b"{\"a\":1}\n{\"a\":2}\n{broken\n{\"a\":3}\n").ok();
        match lines {
            Some(Documents::Lines { values, bad_lines }) => {
                assert_eq!(values.len(), 3);
                assert_eq!(bad_lines, vec![3]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_input_is_an_error_without_content() {
        let secret = "c2VjcmV0LXRva2VuLXZhbHVl";
        let text = format!("apiVersion: v1\nkind: Secret\ndata:\n  token: \"{secret}\n  x: [\n");
        let err = parse_documents(text.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("invalid YAML"), "{err}");
        assert!(!err.contains(secret), "{err}");
        let err = parse_documents(format!("{{\"token\": \"{secret}").as_bytes())
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("truncated") && !e.contains(secret)));
        assert_eq!(parse_documents(b"\x00\x01\x02").err(), Some(DocumentError::Binary));
        assert!(matches!(
            parse_documents(b"a: \xff\xfe"),
            Err(DocumentError::NotUtf8(3))
        ));
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
                    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
                    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
        assert!(parse_documents(bomb.as_bytes()).is_err());
    }
}
