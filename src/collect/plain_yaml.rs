//! A fast reader for the plain block-YAML subset almost every Kubernetes manifest is written in.
//!
//! [`parse`] reads block mappings and block sequences (a sequence may sit at its key's
//! indentation, as `kubectl` writes it), plain keys, plain scalars that are clearly strings or
//! small integers, `true`/`false`/`null`, quoted strings without escapes, one-line flow sequences
//! of such scalars, `{}` and `[]`, comment lines and `---` separators. Anything else — anchors,
//! aliases, tags, block scalars (`|`, `>`), multi-line or escaped strings, flow mappings, tabs,
//! non-ASCII text, duplicate keys, words whose type differs between YAML versions (`yes`, `on`,
//! `~`, `.inf`, `0x1F`, `010`, dates) — makes it return `None`, and the caller uses the full parser
//! (serde-saphyr, [`super::document`]). When it returns documents they equal what the full parser
//! returns for the same text: tests compare both on every manifest of the repository's fixtures
//! and on generated documents full of the cases above.
//!
//! It exists for speed: the full parser builds `serde_json` values through serde's event machinery
//! at ~15 MB/s, this reader at well over 100 MB/s, and git history reads tens of thousands of small
//! manifests.

use serde_json::{Map, Value};

/// Nesting deeper than this is left to the full parser.
const MAX_DEPTH: usize = 64;

/// The documents of `text` (empty ones left out), or `None` when `text` is outside the subset.
pub fn parse(text: &str) -> Option<Vec<Value>> {
    if text.bytes().any(|b| (b < 0x20 && b != b'\n') || b >= 0x7f) {
        return None;
    }
    let mut docs = Vec::new();
    let mut lines = Vec::new();
    for raw in text.split('\n') {
        if let Some(rest) = raw.strip_prefix("---") {
            if !rest.trim_end_matches(' ').is_empty() {
                return None;
            }
            document(&mut lines, &mut docs)?;
            continue;
        }
        if raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        let text = raw.trim_end_matches(' ');
        let content = text.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        lines.push(Line {
            indent: text.len() - content.len(),
            text: content,
        });
    }
    document(&mut lines, &mut docs)?;
    Some(docs)
}

/// One line with content: its indentation and its text without the indentation.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// Parses the collected lines as one document (pushed unless empty) and clears them.
fn document(lines: &mut Vec<Line<'_>>, docs: &mut Vec<Value>) -> Option<()> {
    let Some(first) = lines.first().copied() else {
        return Some(());
    };
    let mut reader = Reader {
        lines: lines.as_mut_slice(),
        pos: 0,
        depth: 0,
    };
    let value = reader.block(first.indent)?;
    // Every block stops at a line of another indentation; a line deeper than the value before it
    // (a continuation or an error) is therefore left over, and left to the full parser.
    if reader.pos != reader.lines.len() {
        return None;
    }
    docs.push(value);
    lines.clear();
    Some(())
}

struct Reader<'l, 'a> {
    lines: &'l mut [Line<'a>],
    pos: usize,
    depth: usize,
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

impl<'a> Reader<'_, 'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// The block (mapping or sequence) starting at the current line, indented by `indent`.
    fn block(&mut self, indent: usize) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let line = self.peek()?;
        let value = if is_item(line.text) {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        };
        self.depth -= 1;
        value
    }

    /// The value of a key or item with nothing after its `:` or `-`: a deeper block, a sequence
    /// at the key's own indentation (`same_indent_sequence`), or null.
    fn nested(&mut self, indent: usize, same_indent_sequence: bool) -> Option<Value> {
        match self.peek() {
            Some(l) if l.indent > indent => self.block(l.indent),
            Some(l) if same_indent_sequence && l.indent == indent && is_item(l.text) => self.block(indent),
            _ => Some(Value::Null),
        }
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek().filter(|l| l.indent == indent && is_item(l.text)) {
            let after_dash = &line.text[1..];
            let rest = after_dash.trim_start_matches(' ');
            if rest.is_empty() {
                self.pos += 1;
                items.push(self.nested(indent, false)?);
            } else if is_item(rest) {
                return None;
            } else if split_key(rest).is_some() {
                // A mapping that starts on the dash's line, indented where its first key is.
                let inner = indent + 1 + (after_dash.len() - rest.len());
                self.lines[self.pos] = Line {
                    indent: inner,
                    text: rest,
                };
                items.push(self.block(inner)?);
            } else {
                items.push(scalar(rest, false)?);
                self.pos += 1;
            }
        }
        Some(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.peek().filter(|l| l.indent == indent) {
            let (key, rest) = split_key(line.text)?;
            if map.contains_key(key) {
                return None;
            }
            self.pos += 1;
            let value = if rest.is_empty() {
                self.nested(indent, true)?
            } else {
                scalar(rest, false)?
            };
            map.insert(key.to_string(), value);
        }
        Some(Value::Object(map))
    }
}

/// `key: rest` or `key:` with a plain key; `None` when the line is not such a key.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let (key, rest) = (&text[..colon], &text[colon + 1..]);
    if !(rest.is_empty() || rest.starts_with(' ')) || !is_plain_key(key) {
        return None;
    }
    Some((key, rest.trim_start_matches(' ')))
}

fn is_plain_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
        && !is_ambiguous_word(key)
}

/// Words some YAML version or schema reads as something other than a string.
fn is_ambiguous_word(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "inf", "infinity", "nan",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// A scalar or one-line flow sequence (`in_flow`: an element of one).
fn scalar(text: &str, in_flow: bool) -> Option<Value> {
    let first = text.as_bytes()[0];
    match first {
        b'"' | b'\'' => {
            let quote = first as char;
            let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
            if inner.contains(quote) || (quote == '"' && inner.contains('\\')) {
                return None;
            }
            Some(Value::String(inner.to_string()))
        }
        b'[' if !in_flow => flow_sequence(text),
        b'{' if !in_flow && text == "{}" => Some(Value::Object(Map::new())),
        b'0'..=b'9' => integer(text).or_else(|| digit_led_string(text, in_flow)),
        b'-' | b'+' | b'.' => integer(text),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@'
        | b'`' | b'~' => None,
        _ => plain_word(text, in_flow),
    }
}

/// A plain scalar that starts with a letter (or is a string that starts with a digit).
fn plain_word(text: &str, in_flow: bool) -> Option<Value> {
    if text.contains(['#', '[', ']', '{', '}']) || text.contains(": ") || text.ends_with(':') {
        return None;
    }
    if in_flow && text.contains([':', ',', '"', '\'']) {
        return None;
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ if is_ambiguous_word(text) => None,
        _ => Some(Value::String(text.to_string())),
    }
}

/// A plain scalar that starts with a digit but is a string in every YAML schema, such as a uid
/// (`8402e2ea-2316-…`, `0fcd9acf-…`): it has a letter that no number or timestamp has — those
/// are written with digits, `.+-_:`, spaces and `e E t T z Z` (`1e5`, `2001-12-14t21:59:43Z`,
/// `190:20:30`) — and is not `0x`, `0o` or `0b` followed by nothing but (hex) digits and `_`.
fn digit_led_string(text: &str, in_flow: bool) -> Option<Value> {
    let has_word_letter = text.bytes().any(|b| b.is_ascii_alphabetic() && !b"eEtTzZ".contains(&b));
    let radix_int = text.starts_with('0')
        && text.as_bytes().get(1).is_some_and(|b| b"xXoObB".contains(b))
        && text.bytes().skip(2).all(|b| b.is_ascii_hexdigit() || b == b'_');
    if radix_int || !has_word_letter {
        return None;
    }
    plain_word(text, in_flow)
}

/// `0`, or an integer of at most 15 digits without a leading zero, optionally negative.
fn integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit());
    let canonical = text == "0" || (plain && !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse::<i64>().ok().map(Value::from)
}

/// `[a, "b", 1]` on one line.
fn flow_sequence(text: &str) -> Option<Value> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?.trim_matches(' ');
    if inner.is_empty() {
        return Some(Value::Array(Vec::new()));
    }
    inner
        .split(',')
        .map(|element| {
            let element = element.trim_matches(' ');
            if element.is_empty() {
                None
            } else {
                scalar(element, true)
            }
        })
        .collect::<Option<Vec<_>>>()
        .map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_manifest_with_kubectl_style_sequences() {
        let text = "# policy\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: p-1\n  namespace: payments\n  labels:\n    app.kubernetes.io/instance: mesh\nspec:\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals:\n        - cluster.local/ns/a/sa/b\n    to:\n    -   operation:\n          methods: [\"GET\", 'POST', x]\n          ports: [80, 443]\n          paths: []\n  selector: {}\n  empty:\n  count: -12\n  enabled: true\n---\n\n---\n- a\n-\n  - b\n";
        let docs = parse(text).expect("in the subset");
        assert_eq!(
            docs,
            vec![
                json!({
                    "apiVersion": "security.istio.io/v1",
                    "kind": "AuthorizationPolicy",
                    "metadata": {"name": "p-1", "namespace": "payments", "labels": {"app.kubernetes.io/instance": "mesh"}},
                    "spec": {
                        "action": "ALLOW",
                        "rules": [{
                            "from": [{"source": {"principals": ["cluster.local/ns/a/sa/b"]}}],
                            "to": [{"operation": {"methods": ["GET", "POST", "x"], "ports": [80, 443], "paths": []}}],
                        }],
                        "selector": {},
                        "empty": null,
                        "count": -12,
                        "enabled": true,
                    },
                }),
                json!(["a", ["b"]]),
            ]
        );
    }

    #[test]
    fn reads_uids_and_other_strings_that_start_with_a_digit() {
        for word in [
            "8402e2ea-2316-9864-10ec-accf21fd423c",
            "0fcd9acf-f631-1d0a-1f9e-cc153d76cacd",
            "0bbe5679-4d96-282f-0c05-4981aa6e5872",
            "0x1F-2",
            "64Mi",
            "500m",
            "1.2.3-rc1",
            "9 lives",
        ] {
            let text = format!("metadata:\n  uid: {word}\n  list: [{word}, x]\n");
            assert!(agrees(&text), "{text}");
        }
        for word in [
            "1e5",
            "0xFF",
            "0o17",
            "0b1",
            "0X1a",
            "2002-12-14",
            "2001-12-14t21:59:43Z",
            "10.0.0.1",
            "190:20:30",
        ] {
            assert!(parse(&format!("a: {word}\n")).is_none(), "{word}");
        }
    }

    #[test]
    fn leaves_everything_else_to_the_full_parser() {
        for text in [
            "a: yes\n",
            "a: ~\n",
            "a: 010\n",
            "a: 1.5\n",
            "a: 0x1F\n",
            "a: .inf\n",
            "a: 2024-01-01\n",
            "a: True\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: \"esc\\n\"\n",
            "a: 'it''s'\n",
            "a: {b: 1}\n",
            "a: [[1]]\n",
            "a: b # comment\n",
            "a: b\n  continued\n",
            "a: 1\na: 2\n",
            "\"quoted\": 1\n",
            "a:\tb\n",
            "a: caf\u{e9}\n",
            "a: b: c\n",
            "- - a\n",
            "scalar document\n",
            "--- !tag\na: 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "a:\n    b: 1\n  c: 2\n",
            "a: 1\n- b\n",
            "a: 1\r\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    /// What the full parser makes of `text`.
    fn full(text: &str) -> Option<Vec<Value>> {
        crate::collect::document::full_yaml(text).ok()
    }

    /// Whenever the fast reader answers, the full parser answers the same.
    fn agrees(text: &str) -> bool {
        match parse(text) {
            None => false,
            Some(fast) => {
                assert_eq!(Some(fast), full(text), "fast and full readers differ on {text:?}");
                true
            }
        }
    }

    fn corpus() -> Vec<(std::path::PathBuf, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![
            root.join("sample-evidence/mesh"),
            root.join("tests/fixtures"),
            root.join("deploy"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    files.push((path, text));
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn agrees_with_the_full_parser_on_every_manifest_of_the_repository() {
        let files = corpus();
        let accepted = files.iter().filter(|(_, text)| agrees(text)).count();
        // Most manifests are in the subset (else the fast path would be pointless).
        assert!(accepted * 2 > files.len(), "{accepted} of {} files read", files.len());
    }

    #[test]
    fn agrees_with_the_full_parser_on_damaged_manifests() {
        // Every line of the smaller manifests deleted, indented one more or one less, or cut in half.
        let mut accepted = 0;
        for (_, text) in corpus().iter().filter(|(_, t)| t.lines().count() <= 120) {
            let lines: Vec<&str> = text.lines().collect();
            for i in 0..lines.len() {
                let line = lines[i];
                let edits = [
                    String::new(),
                    format!(" {line}"),
                    line.strip_prefix(' ').unwrap_or(line).to_string(),
                    line[..line.len() / 2].to_string(),
                    format!("{line} # note"),
                    format!("{line}:"),
                ];
                for edit in edits {
                    let mut changed = lines.clone();
                    changed[i] = &edit;
                    accepted += usize::from(agrees(&changed.join("\n")));
                }
            }
        }
        assert!(accepted > 100, "{accepted}");
    }

    /// A generated YAML tree, rendered in varied styles.
    #[derive(Debug, Clone)]
    enum Node {
        Scalar(&'static str),
        Map(Vec<(&'static str, Node)>),
        Seq(Vec<Node>),
    }

    const KEYS: &[&str] = &["a", "name", "app.kubernetes.io/name", "_x", "k-1", "spec"];
    const ODD_KEYS: &[&str] = &[
        "on", "yes", "null", "True", "1a", "a b", "\"q\"", "<<", "a:b", "-a", "y", "x ",
    ];
    const SCALARS: &[&str] = &[
        "v1",
        "ALLOW",
        "cluster.local/ns/a/sa/b",
        "/api/*",
        "a b",
        "0",
        "7",
        "-3",
        "true",
        "false",
        "null",
        "\"\"",
        "''",
        "\"a # b\"",
        "'a \"b\" c'",
        "[]",
        "{}",
        "[a, 1, \"b\"]",
        "[a,b]",
        "[ ]",
        "http://x:80/y",
        "a#c",
        "it's",
        "say \"hi\"",
        "a:b",
        "a  b",
        "8402e2ea-2316-9864-10ec-accf21fd423c",
        "5527ebb7-9c4b-8372-d39c-1de453deee49",
        "0fcd9acf-f631-1d0a-1f9e-cc153d76cacd",
        "0bbe5679-4d96-282f-0c05-4981aa6e5872",
        "0xdead-beef",
        "0abc",
        "00ff",
        "1a",
        "3abc",
        "9 lives",
        "1.2.3-rc1",
        "1_000abc",
        "2x",
        "1b",
        "10.0.0.1/8 via gw",
        "64Mi",
        "500m",
    ];
    const ODD_SCALARS: &[&str] = &[
        "010",
        "1.5",
        "1e3",
        "0x1F",
        "+1",
        "-0",
        ".5",
        ".inf",
        "-.inf",
        ".nan",
        "inf",
        "nan",
        "NaN",
        "Infinity",
        "True",
        "FALSE",
        "yes",
        "No",
        "on",
        "Off",
        "y",
        "n",
        "Null",
        "~",
        "\"a\\tb\"",
        "'it''s'",
        "[a, [b]]",
        "{a: 1}",
        "[a: 1]",
        "&anchor x",
        "*alias",
        "!!str 5",
        "!custom x",
        "|",
        ">-",
        "a: b",
        "a #c",
        "#c",
        "- x",
        "-",
        "? x",
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2002-12-14T00:00:00Z",
        "190:20:30.15",
        "6.8523015e+5",
        "1E5",
        "10.0.0.1",
        "1.2.3",
        "0b101",
        "0o17",
        "0xFF",
        "0b1",
        "0X1a",
        "0O7",
        "0x1F_FF",
        "0b1_0",
        "1e",
        "3-4",
        "1 # c",
        "1a: b",
        "1a,b",
        "12:30",
        "1_000",
        "123456789012345678901",
        "9007199254740993",
        "@x",
        "`x`",
        "%x",
        "a,b",
        "a]",
        "x:",
        "'",
        "\"",
    ];

    fn node() -> impl proptest::strategy::Strategy<Value = Node> {
        use proptest::prelude::*;
        let leaf = prop_oneof![8 => proptest::sample::select(SCALARS), 1 => proptest::sample::select(ODD_SCALARS)]
            .prop_map(Node::Scalar);
        let key = prop_oneof![12 => proptest::sample::select(KEYS), 1 => proptest::sample::select(ODD_KEYS)];
        leaf.prop_recursive(4, 24, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec((key.clone(), inner.clone()), 0..4).prop_map(Node::Map),
                proptest::collection::vec(inner, 0..4).prop_map(Node::Seq),
            ]
        })
    }

    /// Renders `node` as the value after `key:` or `-` (`pending` holds that prefix).
    fn render(node: &Node, indent: usize, style: (usize, bool, bool), out: &mut String, pending: &str) {
        let (width, same_indent_seq, inline_map) = style;
        let pad = " ".repeat(indent);
        match node {
            Node::Scalar(s) => out.push_str(&format!("{pad}{pending} {s}\n").replace(" \n", "\n")),
            Node::Map(entries) if entries.is_empty() => out.push_str(&format!("{pad}{pending} {{}}\n")),
            Node::Seq(items) if items.is_empty() => out.push_str(&format!("{pad}{pending} []\n")),
            Node::Map(entries) => {
                let mut child = indent + width;
                if pending.starts_with('-') && inline_map {
                    // `- key: value` with the rest of the mapping under the key.
                    out.push_str(&format!("{pad}- "));
                    child = indent + 2;
                    for (i, (k, v)) in entries.iter().enumerate() {
                        let mut line = String::new();
                        render(v, child, style, &mut line, &format!("{k}:"));
                        if i == 0 {
                            line.drain(..child);
                        }
                        out.push_str(&line);
                    }
                    return;
                }
                if !pending.is_empty() {
                    out.push_str(&format!("{pad}{pending}\n"));
                } else {
                    child = indent;
                }
                for (k, v) in entries {
                    render(v, child, style, out, &format!("{k}:"));
                }
            }
            Node::Seq(items) => {
                let mut child = indent + width;
                if !pending.is_empty() {
                    out.push_str(&format!("{pad}{pending}\n"));
                    if same_indent_seq && pending.ends_with(':') {
                        child = indent;
                    }
                } else {
                    child = indent;
                }
                for item in items {
                    render(item, child, style, out, "-");
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn agrees_with_the_full_parser_on_generated_documents(
            docs in proptest::collection::vec(node(), 1..3),
            width in 1usize..4,
            same_indent_seq: bool,
            inline_map: bool,
            separator in proptest::sample::select(&["---\n", "--- \n", "---\n# c\n", "\n---\n\n"][..]),
        ) {
            let mut text = String::new();
            for doc in &docs {
                text.push_str(separator);
                render(doc, 0, (width, same_indent_seq, inline_map), &mut text, "");
            }
            agrees(&text);
        }
    }
}
