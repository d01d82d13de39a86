//! A validating JSON reader that builds no value tree: one flat "tape" of nodes that point into
//! the text, for the dump collector's fast path (see [`super::kube_dump`]).
//!
//! `kubectl get -o json` prints a `List` of hundreds of objects per file; building a
//! `serde_json::Value` per object (a map and a `String` per member) and dropping it again was
//! most of an offline collect's CPU. The tape is filled in one pass without allocating (its node
//! vector is reused), answers the few field lookups the collector needs, hands back the text of
//! any one value (for the full path) and writes a value's canonical JSON (RFC 8785, as
//! [`crate::model::write_canonical`]) with named members left out.
//!
//! It reads a strict subset of what serde_json accepts and refuses everything else (handing its
//! node vector back), so a caller falls back to serde_json and gets its reading (and its error
//! messages): one JSON value
//! and nothing after it; integers of at most 18 digits (no `-0`); fractions without exponents and
//! with at most 18 integer digits; strings without raw control characters; escapes other than
//! surrogates (`\uD800`–`\uDFFF`); nesting under 100 levels. Escaped strings and fractions are
//! kept on the tape but not written: [`Tape::write_canonical`] declines them (serde_json's own
//! unescaping and float parsing are what the evidence is defined by).

use crate::model::member_order;

/// Deepest nesting read (serde_json stops at 128).
const MAX_DEPTH: usize = 100;
/// Longest integer kept as its text (any 18-digit integer fits an `i64`).
const MAX_DIGITS: usize = 18;

/// One node. Offsets are byte offsets into the text; `end` is the index of the node after a
/// container's last member or item. An object's members follow it as key, value, key, value …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// An object: nodes up to `end`, text `start..stop`.
    Object {
        /// Index of the node after the object.
        end: u32,
        /// Offset of `{`.
        start: u32,
        /// Offset after `}`.
        stop: u32,
    },
    /// An array: nodes up to `end`, text `start..stop`.
    Array {
        /// Index of the node after the array.
        end: u32,
        /// Offset of `[`.
        start: u32,
        /// Offset after `]`.
        stop: u32,
    },
    /// A member name or a string: the text between the quotes.
    Str {
        /// Offset after the opening quote.
        start: u32,
        /// Length in bytes.
        len: u32,
        /// Whether the text holds escapes (it is then not the string's value).
        escaped: bool,
    },
    /// An integer of at most 18 digits, written as read.
    Int {
        /// Offset.
        start: u32,
        /// Length in bytes.
        len: u32,
    },
    /// A number with a fraction.
    Fraction,
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A parsed JSON text.
#[derive(Debug)]
pub struct Tape<'a> {
    text: &'a str,
    nodes: Vec<Node>,
}

/// One value on a tape.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'t, 'a> {
    tape: &'t Tape<'a>,
    index: usize,
}

impl<'a> Tape<'a> {
    /// Parses `text` (one JSON value, whitespace around it) into `nodes` (cleared first). `Err`
    /// hands the vector back when the text is outside the subset this reader takes.
    pub fn parse(text: &'a str, mut nodes: Vec<Node>) -> Result<Tape<'a>, Vec<Node>> {
        nodes.clear();
        if u32::try_from(text.len()).is_err() {
            return Err(nodes);
        }
        let mut parser = Parser {
            bytes: text.as_bytes(),
            at: 0,
            nodes,
        };
        let parsed = parser.value(0).is_some() && {
            parser.skip_space();
            parser.at == parser.bytes.len()
        };
        if parsed {
            Ok(Tape {
                text,
                nodes: parser.nodes,
            })
        } else {
            Err(parser.nodes)
        }
    }

    /// The node vector, for the next parse.
    pub fn into_nodes(self) -> Vec<Node> {
        self.nodes
    }

    /// The top-level value.
    pub fn root(&self) -> Cursor<'_, 'a> {
        Cursor { tape: self, index: 0 }
    }

    fn node(&self, index: usize) -> Node {
        self.nodes.get(index).copied().unwrap_or(Node::Null)
    }

    fn slice(&self, start: u32, len: u32) -> &'a str {
        let start = start as usize;
        self.text.get(start..start + len as usize).unwrap_or("")
    }

    /// The index of the node after the value at `index`.
    fn next(&self, index: usize) -> usize {
        match self.node(index) {
            Node::Object { end, .. } | Node::Array { end, .. } => end as usize,
            _ => index + 1,
        }
    }
}

impl<'t, 'a> Cursor<'t, 'a> {
    /// The value's text (containers only; empty for scalars).
    pub fn text(&self) -> &'a str {
        match self.tape.node(self.index) {
            Node::Object { start, stop, .. } | Node::Array { start, stop, .. } => self.tape.slice(start, stop - start),
            _ => "",
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self.tape.node(self.index), Node::Object { .. })
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self.tape.node(self.index), Node::Array { .. })
    }

    /// Whether this is a string.
    pub fn is_string(&self) -> bool {
        matches!(self.tape.node(self.index), Node::Str { .. })
    }

    /// The string's value, `None` for other values and for strings with escapes.
    pub fn plain_str(&self) -> Option<&'a str> {
        match self.tape.node(self.index) {
            Node::Str {
                start,
                len,
                escaped: false,
            } => Some(self.tape.slice(start, len)),
            _ => None,
        }
    }

    /// Whether the object has a member name with escapes (lookups by name cannot be trusted).
    pub fn has_escaped_names(&self) -> bool {
        self.members_raw().any(|(key, _)| key.is_none())
    }

    /// The member called `name` (the last one, as serde_json keeps it); `None` for other values.
    /// Names with escapes never match: check [`Cursor::has_escaped_names`] first.
    pub fn get(&self, name: &str) -> Option<Cursor<'t, 'a>> {
        self.members_raw()
            .filter(|(key, _)| *key == Some(name))
            .last()
            .map(|(_, value)| value)
    }

    /// The items of an array (nothing for other values).
    pub fn items(&self) -> impl Iterator<Item = Cursor<'t, 'a>> + use<'t, 'a> {
        let tape = self.tape;
        let (first, end) = match tape.node(self.index) {
            Node::Array { end, .. } => (self.index + 1, end as usize),
            _ => (0, 0),
        };
        std::iter::successors(Some(first), move |&i| Some(tape.next(i)))
            .take_while(move |&i| i < end)
            .map(move |index| Cursor { tape, index })
    }

    /// Members as (name unless escaped, value); nothing for other values.
    fn members_raw(&self) -> impl Iterator<Item = (Option<&'a str>, Cursor<'t, 'a>)> + use<'t, 'a> {
        let tape = self.tape;
        let (first, end) = match tape.node(self.index) {
            Node::Object { end, .. } => (self.index + 1, end as usize),
            _ => (0, 0),
        };
        std::iter::successors(Some(first), move |&i| Some(tape.next(i + 1)))
            .take_while(move |&i| i < end)
            .map(move |key| {
                let name = Cursor { tape, index: key }.plain_str();
                (name, Cursor { tape, index: key + 1 })
            })
    }

    /// Appends the value's canonical JSON to `out`, leaving out the members that `omit` names
    /// (paths of member names, `*` for every item of an array: `["metadata", "managedFields",
    /// "*", "fieldsV1"]`). `false`, with `out` as it was, when the value holds an escaped string
    /// or name or a fraction, which this writer does not read.
    pub fn write_canonical(&self, omit: &[&str], out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let mut members = Vec::new();
        let done = self.write(omit, out, &mut members);
        if !done {
            out.truncate(start);
        }
        done
    }

    fn write(&self, omit: &[&str], out: &mut Vec<u8>, scratch: &mut Vec<(&'a str, usize)>) -> bool {
        let tape = self.tape;
        match tape.node(self.index) {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Int { start, len } => out.extend_from_slice(tape.slice(start, len).as_bytes()),
            Node::Fraction | Node::Str { escaped: true, .. } => return false,
            Node::Str { start, len, .. } => {
                out.push(b'"');
                out.extend_from_slice(tape.slice(start, len).as_bytes());
                out.push(b'"');
            }
            Node::Array { .. } => {
                let inner = match omit.split_first() {
                    Some((&"*", rest)) => rest,
                    _ => &[],
                };
                out.push(b'[');
                for (i, item) in self.items().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if !item.write(inner, out, scratch) {
                        return false;
                    }
                }
                out.push(b']');
            }
            Node::Object { .. } => {
                let first = scratch.len();
                for (name, value) in self.members_raw() {
                    let Some(name) = name else { return false };
                    scratch.push((name, value.index));
                }
                // Sorted by name, the last of equal names kept (the sort is stable).
                if let Some(members) = scratch.get_mut(first..) {
                    members.sort_by(|a, b| member_order(a.0, b.0));
                }
                out.push(b'{');
                let mut written = 0;
                for j in first..scratch.len() {
                    let Some(&(name, index)) = scratch.get(j) else { break };
                    if scratch.get(j + 1).is_some_and(|next| next.0 == name)
                        || (omit.len() == 1 && omit.first() == Some(&name))
                    {
                        continue;
                    }
                    let inner = match omit.split_first() {
                        Some((&head, rest)) if head == name => rest,
                        _ => &[],
                    };
                    if written > 0 {
                        out.push(b',');
                    }
                    written += 1;
                    out.push(b'"');
                    out.extend_from_slice(name.as_bytes());
                    out.extend_from_slice(b"\":");
                    if !(Cursor { tape, index }).write(inner, out, scratch) {
                        return false;
                    }
                }
                out.push(b'}');
                scratch.truncate(first);
            }
        }
        true
    }
}

struct Parser<'b> {
    bytes: &'b [u8],
    at: usize,
    nodes: Vec<Node>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn offset(&self) -> u32 {
        // `Tape::parse` refuses texts longer than `u32::MAX`.
        self.at as u32
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Option<()> {
        self.bytes.get(self.at..)?.starts_with(word).then_some(())?;
        self.at += word.len();
        self.nodes.push(node);
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        self.skip_space();
        match self.peek()? {
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' => self.container(depth, b'}'),
            b'[' => self.container(depth, b']'),
            b'"' => self.string(),
            b't' => self.literal(b"true", Node::Bool(true)),
            b'f' => self.literal(b"false", Node::Bool(false)),
            b'n' => self.literal(b"null", Node::Null),
            _ => self.number(),
        }
    }

    fn container(&mut self, depth: usize, close: u8) -> Option<()> {
        let start = self.offset();
        let index = self.nodes.len();
        self.nodes.push(Node::Null);
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(close) {
            self.at += 1;
        } else {
            loop {
                if close == b'}' {
                    self.skip_space();
                    if self.peek() != Some(b'"') {
                        return None;
                    }
                    self.string()?;
                    self.skip_space();
                    if self.peek() != Some(b':') {
                        return None;
                    }
                    self.at += 1;
                }
                self.value(depth + 1)?;
                self.skip_space();
                match self.peek()? {
                    b',' => self.at += 1,
                    b if b == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let end = u32::try_from(self.nodes.len()).ok()?;
        let stop = self.offset();
        let node = self.nodes.get_mut(index)?;
        *node = if close == b'}' {
            Node::Object { end, start, stop }
        } else {
            Node::Array { end, start, stop }
        };
        Some(())
    }

    fn string(&mut self) -> Option<()> {
        self.at += 1;
        let start = self.offset();
        let mut escaped = false;
        loop {
            let rest = self.bytes.get(self.at..)?;
            let i = crate::model::first_escape(rest)?;
            self.at += i;
            match rest.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                _ => return None,
            }
        }
        let len = self.offset() - start;
        self.at += 1;
        self.nodes.push(Node::Str { start, len, escaped });
        Some(())
    }

    /// One escape sequence at `self.at` (the backslash); surrogate escapes are left to serde_json.
    fn escape(&mut self) -> Option<()> {
        match self.bytes.get(self.at + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 2,
            b'u' => {
                let hex = self.bytes.get(self.at + 2..self.at + 6)?;
                let hex = std::str::from_utf8(hex).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let unit = u16::from_str_radix(hex, 16).ok()?;
                if (0xD800..=0xDFFF).contains(&unit) {
                    return None;
                }
                self.at += 6;
            }
            _ => return None,
        }
        Some(())
    }

    fn digits(&mut self) -> usize {
        let from = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - from
    }

    fn number(&mut self) -> Option<()> {
        let start = self.offset();
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let first = self.peek()?;
        let digits = self.digits();
        if digits == 0 || digits > MAX_DIGITS || (first == b'0' && digits > 1) {
            return None;
        }
        let node = match self.peek() {
            Some(b'.') => {
                self.at += 1;
                if self.digits() == 0 {
                    return None;
                }
                Node::Fraction
            }
            _ if negative && first == b'0' => return None,
            _ => Node::Int {
                start,
                len: self.offset() - start,
            },
        };
        if matches!(self.peek(), Some(b'e' | b'E')) {
            return None;
        }
        self.nodes.push(node);
        Some(())
    }
}

#[cfg(test)]
mod tests;
