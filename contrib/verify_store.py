#!/usr/bin/env python3
"""Independent verifier for meshproof evidence stores (formats "meshproof-evidence/2" and /1).

Standard library only. Re-checks, streaming and in constant memory:

* every body in `bodies`: SHA-256(data) == hash;
* every record in `records`, in seq order: contiguous seq from 0, prev_hash == previous record's
  hash (genesis: 32 zero bytes), hash == SHA-256(prev_hash || canonical header), body present,
  and (format 2) the derived object_kind column agrees with the record's kind and subject;
* the RFC 6962 Merkle frontier, and every `checkpoint` record: tree size == its seq, root (hex in
  the body, base64 in the note) == Merkle root of records 0..seq-1, origin, key string and key id,
  the presence of a signature line by that key;
* the head and frontier kept in `meta`;
* the published checkpoint note (default `<store>.checkpoint`) against the chain (truncation).

NOT checked: Ed25519 signatures (Python's standard library has no Ed25519). Use
`meshproof verify --pubkey KEY` or `--export-signature DIR` plus the printed `openssl pkeyutl`
command. The format is specified in docs/evidence-format.md.

Exit status: 0 intact, 1 tampered (first bad record named), 2 could not run.
"""

import argparse
import base64
import hashlib
import json
import os
import sqlite3
import sys

FORMAT = "meshproof-evidence/2"
FORMAT_1 = "meshproof-evidence/1"  # records without the object_kind column
GENESIS = bytes(32)
HEADER_VERSION = 1
ALG_ED25519 = 0x01
EMDASH_PREFIX = "\u2014 "
MAX_BAD_BODIES = 1024
SIG_NOTE = ("Ed25519 signatures were NOT verified (Python's standard library has no Ed25519); "
            "run `meshproof verify --pubkey KEY` or check with openssl (see --export-signature)")


class CannotRun(Exception):
    """Verification could not run (exit 2)."""


class Tampered(Exception):
    """A checkpoint-level problem (message only; the caller knows the seq)."""


# ---------------------------------------------------------------- canonical JSON (RFC 8785)

def _es_number(f):
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if f == 0:
        return "0"
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError("non-finite number")
    sign = "-" if f < 0 else ""
    r = repr(abs(f))  # shortest round-trip digits
    mant, _, exp = r.partition("e")
    exp = int(exp) if exp else 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # decimal exponent n such that value = 0.digits * 10^n
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    n = len(ip) + exp - lead_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + es
    return sign + s


def _string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o == 0x08:
            out.append("\\b")
        elif o == 0x0C:
            out.append("\\f")
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical_json(value):
    """RFC 8785 canonical text, with meshproof's deviation: integers are written exactly."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _es_number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(_string(k) + ":" + canonical_json(value[k]) for k in keys) + "}"
    raise TypeError("not JSON: %r" % type(value))


def header_bytes(seq, scan, collected_at, source, kind, subject, body_hash):
    """Canonical bytes of a record header (src/model/record.rs)."""
    return canonical_json({
        "v": HEADER_VERSION, "seq": seq, "scan": scan, "collected_at": collected_at,
        "source": source, "kind": kind, "subject": subject, "body": body_hash.hex(),
    }).encode("utf-8")


def header_bytes_json_dumps(seq, scan, collected_at, source, kind, subject, body_hash):
    """The same via json.dumps; equal to header_bytes for every header (see the format doc)."""
    return json.dumps({
        "v": HEADER_VERSION, "seq": seq, "scan": scan, "collected_at": collected_at,
        "source": source, "kind": kind, "subject": subject, "body": body_hash.hex(),
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_json(data):
    def no_constants(name):
        raise ValueError("not JSON: " + name)
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")
    return json.loads(data, parse_constant=no_constants)


# ---------------------------------------------------------------- Merkle (RFC 6962)

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """Roots of the perfect subtrees, left to right, with heights: O(log n) memory."""

    def __init__(self):
        self.size = 0
        self.nodes = []  # [(height, digest)]

    def push(self, record_hash):
        node = (0, leaf_hash(record_hash))
        while self.nodes and self.nodes[-1][0] == node[0]:
            height, left = self.nodes.pop()
            node = (height + 1, node_hash(left, node[1]))
        self.nodes.append(node)
        self.size += 1

    def root(self):
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        acc = self.nodes[-1][1]
        for _, left in reversed(self.nodes[:-1]):
            acc = node_hash(left, acc)
        return acc


# ---------------------------------------------------------------- keys and notes (C2SP)

def b64decode_strict(text):
    """Standard base64 with padding, canonical (as the Rust `base64` STANDARD engine)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def key_id(name, public):
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


class Verifier:
    def __init__(self, name, kid, public):
        self.name, self.key_id, self.public = name, kid, public

    def __eq__(self, other):
        return (self.name, self.key_id, self.public) == (other.name, other.key_id, other.public)

    def note_string(self):
        return "%s+%s+%s" % (self.name, self.key_id.hex(),
                             base64.b64encode(bytes([ALG_ED25519]) + self.public).decode("ascii"))

    def fingerprint(self):
        return hashlib.sha256(self.public).hexdigest()

    @staticmethod
    def parse(text):
        """`<name>+<hex key id>+<base64(0x01 || public key)>`; raises Tampered with Rust's wording."""
        def err(reason):
            return Tampered("public key is not a valid Ed25519 note key (%s)" % reason)
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise err("expected <name>+<key id>+<key>")
        name, id_hex, b64 = parts
        raw = b64decode_strict(b64)
        if raw is None:
            raise err("key is not base64")
        if not raw or raw[0] != ALG_ED25519:
            raise err("not an Ed25519 key")
        if len(raw) != 33:
            raise err("wrong key length")
        public = raw[1:]
        # (Rust also rejects a 32-byte string that is not a valid curve point; not checked here.)
        kid = key_id(name, public)
        if kid.hex() != id_hex.lower():
            raise err("key id does not match name and key")
        return Verifier(name, kid, public)


def split_lines(text):
    """Rust `str::lines`: split on \\n, drop one trailing \\r per line, no final empty line."""
    if text == "":
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def parse_rust_u64(s):
    """Rust `u64::from_str`: ASCII digits with an optional leading '+'."""
    t = s[1:] if s.startswith("+") else s
    if not t or not all("0" <= c <= "9" for c in t):
        return None
    v = int(t)
    return v if v < 2 ** 64 else None


def check_note(note, verifier):
    """Structural part of `verify_checkpoint`: returns (origin, size, root, signed_text, sig)."""
    if "\n\n" not in note:
        raise Tampered("malformed checkpoint note: no blank line before signatures")
    text, sigs = note.split("\n\n", 1)
    text = text + "\n"
    lines = split_lines(text)
    if len(lines) < 3:
        raise Tampered("malformed checkpoint note: fewer than three lines")
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    size = parse_rust_u64(size_s)
    if size is None:
        raise Tampered("malformed checkpoint note: tree size is not a number")
    root = b64decode_strict(root_s)
    if root is None or len(root) != 32:
        raise Tampered("malformed checkpoint note: root is not a base64 SHA-256")
    for line in split_lines(sigs):
        if not line.startswith(EMDASH_PREFIX):
            continue
        rest = line[len(EMDASH_PREFIX):]
        if " " not in rest:
            continue
        name, b64 = rest.split(" ", 1)
        if name != verifier.name:
            continue
        blob = b64decode_strict(b64)
        if blob is None or len(blob) < 4 or blob[:4] != verifier.key_id:
            continue
        if len(blob) != 68:
            raise Tampered("checkpoint signature by %s does not verify" % name)
        return origin, size, root, text.encode("utf-8"), blob[4:]
    raise Tampered("checkpoint is not signed by key %s" % verifier.note_string())


# ---------------------------------------------------------------- the store

def open_store(path):
    if not os.path.exists(path):
        raise CannotRun("evidence store %s does not exist" % path)
    try:
        conn = sqlite3.connect("file:%s?mode=ro" % _uri_path(path), uri=True)
        conn.text_factory = bytes
        has_meta = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()[0]
    except sqlite3.Error as e:
        raise CannotRun("%s is not a meshproof evidence store (not an SQLite database: %s)" % (path, e))
    if not has_meta:
        raise CannotRun("%s is not a meshproof evidence store (no meta table)" % path)
    row = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
    fmt = _text(row[0]) if row else None
    if fmt not in (FORMAT, FORMAT_1):
        raise CannotRun("%s is not a meshproof evidence store (unknown format %r, expected %s)"
                        % (path, fmt, FORMAT))
    return conn, fmt == FORMAT


def object_kind(kind, subject):
    """The object_kind column of a record: the third '/' segment of a k8s.object subject
    (a missing '/' keeps the text whole at the first two steps, a missing third gives "")."""
    if kind != "k8s.object":
        return None
    rest = subject
    for _ in range(2):
        i = rest.find("/")
        rest = rest[i + 1:] if i >= 0 else rest
    i = rest.find("/")
    return rest[:i] if i >= 0 else ""


def _uri_path(path):
    from urllib.parse import quote
    return quote(os.path.abspath(path))


def _text(v):
    """A TEXT column as Rust reads it: lossy UTF-8; other types as `<Type value>`."""
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", errors="replace")
    return v


def _text_col(v, typ):
    typ = _text(typ)
    if typ == "text":
        return bytes(v).decode("utf-8", errors="replace")
    return "<%s value>" % {"integer": "Integer", "real": "Real", "blob": "Blob", "null": "Null"}.get(typ, typ)


def meta(conn, key):
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return _text(row[0]) if row else None


def read_published(path, explicit):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except FileNotFoundError:
        if explicit:
            raise CannotRun("cannot read checkpoint %s" % path)
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise CannotRun("cannot read checkpoint %s: %s" % (path, e))
    lines = split_lines(text)
    if len(lines) >= 3:
        size = parse_rust_u64(lines[1])
        root = b64decode_strict(lines[2])
        if size is not None and root is not None and len(root) == 32:
            return {"origin": lines[0], "size": size, "root": root, "text": text}
    raise CannotRun("%s is not a checkpoint note" % path)


def body_json(conn, body_hash):
    row = conn.execute("SELECT data FROM bodies WHERE hash=?", (body_hash,)).fetchone()
    if row is None:
        return None
    try:
        return parse_json(row[0] if isinstance(row[0], (bytes, bytearray)) else str(row[0]))
    except (ValueError, UnicodeDecodeError):
        return None


def check_checkpoint(body, seq, frontier, pinned):
    """Mirror of `check_checkpoint` in src/store/verify.rs, minus the Ed25519 verification."""
    if not isinstance(body, dict):
        raise Tampered("checkpoint body is not JSON")

    def field(k):
        if k not in body:
            raise Tampered("checkpoint body lacks %s" % k)
        return body[k]
    size = field("tree_size")
    if not (isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2 ** 64):
        raise Tampered("checkpoint tree_size is not a number")
    note = field("note")
    if not isinstance(note, str):
        raise Tampered("checkpoint note is not text")
    key_text = field("key")
    if not isinstance(key_text, str):
        raise Tampered("checkpoint key is not text")
    recorded = Verifier.parse(key_text)
    if pinned is not None and pinned != recorded:
        raise Tampered("checkpoint is signed by key %s (%s), not by the pinned key %s"
                       % (recorded.note_string(), recorded.fingerprint(), pinned.note_string()))
    origin, cp_size, cp_root, signed_text, sig = check_note(note, recorded)
    if size != seq or cp_size != seq:
        raise Tampered("checkpoint claims tree size %d but sits at record %d" % (cp_size, seq))
    root = frontier.root()
    if cp_root != root or field("root") != root.hex():
        raise Tampered("checkpoint root %s does not match the recomputed Merkle root %s"
                       % (cp_root.hex(), root.hex()))
    if field("origin") != origin:
        raise Tampered("checkpoint origin differs from its signed note")
    return recorded, size, root, signed_text, sig


def body_pass(conn):
    """Re-hash every body in storage order; returns (count, bytes, bad[(hash, what)])."""
    count = nbytes = 0
    bad = []
    for stored, data in conn.execute("SELECT hash, data FROM bodies ORDER BY id"):
        data = bytes(data) if isinstance(data, (bytes, bytearray)) else b""
        count += 1
        nbytes += len(data)
        actual = hashlib.sha256(data).digest()
        if isinstance(stored, (bytes, bytearray)) and len(stored) == 32:
            stored = bytes(stored)
            if stored != actual and len(bad) < MAX_BAD_BODIES:
                bad.append((stored, "body %s was modified (its content hashes to %s)"
                            % (stored.hex(), actual.hex())))
        elif len(bad) < MAX_BAD_BODIES:
            bad.append((actual, "a body's stored hash is not 32 bytes"))
    return count, nbytes, bad


def stored_frontier_matches(text, frontier):
    try:
        v = json.loads(text)
        nodes = [(int(h), bytes.fromhex(d)) for h, d in v["nodes"]]
        ok = (isinstance(v["size"], int) and v["size"] == frontier.size
              and all(isinstance(h, int) and h >= 0 for h, _ in v["nodes"]))
        return ok and nodes == frontier.nodes
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


def verify(path, checkpoint_path=None, pinned=None, export_dir=None, check_canonical=False):
    conn, has_object_kind = open_store(path)
    explicit = checkpoint_path is not None
    published = read_published(checkpoint_path or path + ".checkpoint", explicit)
    report = {
        "store": path, "intact": True, "problem": None, "records": 0, "bodies": 0,
        "body_bytes": 0, "checkpoints": 0, "signatures_verified": False,
        "incomplete_scans": [], "head": None, "checkpoint_size": None, "checkpoint_root": None,
        "key": None, "key_fingerprint": None, "key_pinned": pinned is not None, "notes": [],
    }
    problem = None
    frontier = Frontier()
    head = GENESIS
    expected = 0
    published_root = None
    published_record_note = None
    store_key = None
    last_sig = None
    started, finished = set(), set()
    json_dumps_mismatch = 0
    sql = ("SELECT r.seq, r.scan, r.collected_at, typeof(r.collected_at), r.source, typeof(r.source),"
           " r.kind, typeof(r.kind), r.subject, typeof(r.subject), r.body_hash, r.prev_hash, r.hash,"
           " EXISTS (SELECT 1 FROM bodies b WHERE b.hash = r.body_hash), "
           + ("r.object_kind, typeof(r.object_kind)" if has_object_kind else "NULL, 'null'")
           + " FROM records r ORDER BY r.seq")
    cur = conn.cursor()
    cur.arraysize = 256
    for row in cur.execute(sql):
        seq = row[0]
        if published is not None and published["size"] == frontier.size:
            published_root = frontier.root()
        if seq != expected:
            if seq > expected:
                what = "record %d is missing (the next record is %d)" % (expected, seq)
            else:
                what = "unexpected record number %d after %d" % (seq, max(expected - 1, 0))
            problem = {"seq": expected, "what": what}
            break
        scan = row[1]
        body_hash, prev, rhash = row[10], row[11], row[12]
        digests = [bytes(d) if isinstance(d, (bytes, bytearray)) and len(d) == 32 else None
                   for d in (body_hash, prev, rhash)]
        if not (isinstance(scan, int) and scan >= 0) or None in digests:
            problem = {"seq": seq, "what": "a header column has the wrong type or length"}
            break
        body_hash, prev, rhash = digests
        collected_at = _text_col(row[2], row[3])
        source = _text_col(row[4], row[5])
        kind = _text_col(row[6], row[7])
        subject = _text_col(row[8], row[9])
        if prev != head:
            problem = {"seq": seq, "what": "chain broken: previous-hash %s does not equal record %d's hash %s"
                       % (prev.hex(), seq - 1, head.hex())}
            break
        hb = header_bytes(seq, scan, collected_at, source, kind, subject, body_hash)
        if hb != header_bytes_json_dumps(seq, scan, collected_at, source, kind, subject, body_hash):
            json_dumps_mismatch += 1
        computed = hashlib.sha256(head + hb).digest()
        if computed != rhash:
            problem = {"seq": seq, "what": "record header was modified: stored hash %s, recomputed %s"
                       % (rhash.hex(), computed.hex())}
            break
        if has_object_kind:
            expected_kind = object_kind(kind, subject)
            stored_type = _text(row[15])
            if expected_kind is None:
                agrees = stored_type == "null"
            else:
                agrees = stored_type == "text" and bytes(row[14]) == expected_kind.encode("utf-8")
            if not agrees:
                problem = {"seq": seq, "what": "the object_kind column does not match the record's kind and subject"
                           " (expected %s)" % ("NULL" if expected_kind is None else json.dumps(expected_kind, ensure_ascii=False))}
                break
        if not row[13]:
            problem = {"seq": seq, "what": "body %s is missing" % body_hash.hex()}
            break
        if kind == "scan.started":
            started.add(scan)
        elif kind == "scan.finished":
            finished.add(scan)
        elif kind == "checkpoint":
            if published is not None and published["size"] == seq:
                try:
                    published_record_note = body_json(conn, body_hash).get("note")
                except Exception:  # noqa: BLE001 - a broken body is reported by check_checkpoint below
                    published_record_note = None
            try:
                verifier, size, root, signed_text, sig = check_checkpoint(
                    body_json(conn, body_hash), seq, frontier, pinned)
            except Tampered as t:
                problem = {"seq": seq, "what": str(t)}
                break
            report["checkpoints"] += 1
            report["checkpoint_size"] = size
            report["checkpoint_root"] = root.hex()
            if store_key is not None and store_key != verifier:
                report["notes"].append("the checkpoint at record %d is signed by another key than earlier "
                                       "checkpoints (%s)" % (seq, verifier.note_string()))
            report["key"] = verifier.note_string()
            report["key_fingerprint"] = verifier.fingerprint()
            store_key = verifier
            last_sig = (size, verifier, signed_text, sig)
        frontier.push(rhash)
        head = rhash
        expected += 1
    if published is not None and published["size"] == frontier.size and problem is None:
        published_root = frontier.root()
    report["records"] = expected
    report["head"] = head.hex() if expected > 0 else None

    count, nbytes, bad = body_pass(conn)
    report["bodies"], report["body_bytes"] = count, nbytes
    if bad:
        seqs = []
        for h, _ in bad:
            r = conn.execute("SELECT min(seq) FROM records WHERE body_hash = ?", (h,)).fetchone()
            if r and r[0] is not None:
                seqs.append(r[0])
        first_seq = min(seqs) if seqs else None
        what = bad[0][1] if first_seq is not None else bad[0][1] + "; no record references it"
        p = {"seq": first_seq, "what": what}
        inf = float("inf")
        if problem is None or not ((problem["seq"] if problem["seq"] is not None else inf)
                                   <= (first_seq if first_seq is not None else inf)):
            problem = p

    if problem is None and expected > 0:
        want_seq = str(expected - 1)
        head_seq, head_hash = meta(conn, "head_seq"), meta(conn, "head_hash")
        if head_seq != want_seq or head_hash != head.hex():
            problem = {"seq": expected - 1, "what":
                       "the store's recorded head (record %s, %s) does not match the chain's last record "
                       "(%s, %s): records were removed or added"
                       % (head_seq or "", head_hash or "", want_seq, head.hex())}
        elif meta(conn, "merkle_frontier") is not None and not stored_frontier_matches(meta(conn, "merkle_frontier"), frontier):
            problem = {"seq": expected - 1, "what": "the stored Merkle frontier does not match the chain"}
    if problem is None and published is not None:
        if expected <= published["size"]:
            problem = {"seq": expected, "what":
                       "store truncated: the published checkpoint sits at record %d but the store holds %d records"
                       % (published["size"], expected)}
        elif published_root != published["root"]:
            problem = {"seq": max(published["size"] - 1, 0), "what":
                       "the published checkpoint's root for %d records does not match the store's records"
                       % published["size"]}
        elif published_record_note != published["text"]:
            problem = {"seq": published["size"], "what":
                       "the checkpoint record at %d differs from the published checkpoint note" % published["size"]}

    report["incomplete_scans"] = sorted(s for s in started if s not in finished)
    if report["checkpoint_size"] is not None:
        uncovered = max(expected - (report["checkpoint_size"] + 1), 0)
        if uncovered:
            report["notes"].append("%d record(s) after the last checkpoint are not yet covered by a "
                                   "signature (incomplete scan)" % uncovered)
    if published is None and expected > 0:
        report["notes"].append("no published checkpoint to compare with (%s missing); truncation of whole "
                               "scans is only detected against a kept checkpoint" % (path + ".checkpoint"))
    if json_dumps_mismatch:
        report["notes"].append("%d header(s) where json.dumps differs from RFC 8785 canonical form"
                               % json_dumps_mismatch)
    if check_canonical:
        n = noncanonical_bodies(conn)
        report["notes"].append("%d bod(y/ies) not stored in canonical JSON form" % n if n
                               else "every body is stored in canonical JSON form")
    report["notes"].append(SIG_NOTE)
    report["problem"] = problem
    report["intact"] = problem is None
    if export_dir and last_sig is not None:
        export_signature(export_dir, *last_sig, report=report)
    return conn, report


def noncanonical_bodies(conn):
    n = 0
    for (data,) in conn.execute("SELECT data FROM bodies ORDER BY id"):
        try:
            ok = canonical_json(parse_json(data)).encode("utf-8") == bytes(data)
        except (ValueError, TypeError, UnicodeDecodeError):
            ok = False
        n += not ok
    return n


SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")


def export_signature(directory, size, verifier, signed_text, sig, report):
    """Write the last checkpoint's signed text, signature and public key for `openssl pkeyutl`."""
    os.makedirs(directory, exist_ok=True)
    msg = os.path.join(directory, "checkpoint-%d.txt" % size)
    sigf = os.path.join(directory, "checkpoint-%d.sig" % size)
    pem = os.path.join(directory, "pubkey.pem")
    with open(msg, "wb") as f:
        f.write(signed_text)
    with open(sigf, "wb") as f:
        f.write(sig)
    der = SPKI_ED25519_PREFIX + verifier.public
    with open(pem, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n"
                % base64.b64encode(der).decode("ascii"))
    report["notes"].append("check the signature of checkpoint %d with: openssl pkeyutl -verify -pubin "
                           "-inkey %s -rawin -in %s -sigfile %s  (compare the key %s with the one you pinned)"
                           % (size, pem, msg, sigf, verifier.note_string()))


# ---------------------------------------------------------------- snapshot state

def state_digest(items):
    h = hashlib.sha256()
    for subject, body_hash in items:
        h.update(subject.encode("utf-8") + b"\t" + body_hash.hex().encode("ascii") + b"\n")
    return h.hexdigest()


def rebuild_state(conn, scan):
    """Mirror of `Store::snapshot_state`: returns (subjects, digest, manifest digest)."""
    chain = []
    s = scan
    while s is not None:
        row = conn.execute("SELECT body_hash FROM records WHERE scan=? AND kind='scan.manifest'"
                           " AND kind <> 'k8s.object'", (s,)).fetchone()  # the term lets SQLite use the index
        if row is None:
            raise CannotRun("scan %d has no scan.manifest (no such scan, or incomplete)" % s)
        manifest = body_json(conn, bytes(row[0]))
        if not isinstance(manifest, dict):
            raise CannotRun("scan %d: manifest body is missing or not JSON" % s)
        chain.append((s, manifest))
        b = manifest.get("base_scan")
        s = b if isinstance(b, int) and not isinstance(b, bool) and 0 <= b < s else None
    state = {}
    for s, manifest in reversed(chain):
        removed = manifest.get("removed")
        for subject in removed if isinstance(removed, list) else []:
            if isinstance(subject, str):
                state.pop(subject, None)
        for subject, body_hash in conn.execute(
                "SELECT subject, body_hash FROM records WHERE scan=? AND kind='k8s.object' ORDER BY seq", (s,)):
            state[_text(subject)] = bytes(body_hash)
    got = state_digest((k, state[k]) for k in sorted(state, key=lambda k: k.encode("utf-8")))
    want = chain[0][1].get("state")
    return len(state), got, want if isinstance(want, str) else ""


# ---------------------------------------------------------------- CLI

def render(r):
    out = []
    p = r["problem"]
    if p is None:
        out.append("INTACT: every body, record hash, Merkle root and checkpoint note checks out "
                   "(signatures not verified)")
    else:
        at = " at record %d" % p["seq"] if p["seq"] is not None else ""
        out.append("TAMPERED%s: %s" % (at, p["what"]))
    out.append("store:       %s" % r["store"])
    out.append("records:     %d checked" % r["records"])
    out.append("bodies:      %d re-hashed (%d bytes)" % (r["bodies"], r["body_bytes"]))
    if r["head"]:
        out.append("head:        %s" % r["head"])
    if r["checkpoint_size"] is not None:
        out.append("checkpoint:  tree size %d, root %s (%d checked, signatures NOT verified)"
                   % (r["checkpoint_size"], r["checkpoint_root"], r["checkpoints"]))
    if r["key"]:
        out.append("signed by:   %s\n             fingerprint %s (%s)"
                   % (r["key"], r["key_fingerprint"], "pinned" if r["key_pinned"] else "not pinned"))
    if r["incomplete_scans"]:
        out.append("incomplete:  scan(s) %s (interrupted; no scan.finished)"
                   % ", ".join(str(s) for s in r["incomplete_scans"]))
    for n in r["notes"]:
        out.append("note:        %s" % n)
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Verify a meshproof evidence store without meshproof.")
    ap.add_argument("store")
    ap.add_argument("--checkpoint", metavar="FILE", help="published checkpoint note (default <store>.checkpoint)")
    ap.add_argument("--pubkey", metavar="FILE",
                    help="require every checkpoint to name this key (note format); signatures are still not verified")
    ap.add_argument("--json", action="store_true", help="JSON report")
    ap.add_argument("--rebuild-state", metavar="SCAN", type=int,
                    help="also rebuild SCAN's snapshot state and check it against its manifest")
    ap.add_argument("--export-signature", metavar="DIR",
                    help="write the last checkpoint's signed text, signature and public key for openssl")
    ap.add_argument("--check-canonical-bodies", action="store_true",
                    help="also report bodies whose bytes are not canonical JSON (a note, not tampering)")
    args = ap.parse_args(argv)
    try:
        pinned = None
        if args.pubkey:
            try:
                with open(args.pubkey, encoding="utf-8") as f:
                    pinned = Verifier.parse(f.read())
            except (OSError, Tampered) as e:
                raise CannotRun("public key %s: %s" % (args.pubkey, e))
        conn, report = verify(args.store, args.checkpoint, pinned, args.export_signature,
                              args.check_canonical_bodies)
        state = None
        if args.rebuild_state is not None:
            n, got, want = rebuild_state(conn, args.rebuild_state)
            state = {"scan": args.rebuild_state, "subjects": n, "state": got, "manifest_state": want,
                     "matches": got == want}
            report["state"] = state
    except CannotRun as e:
        sys.stderr.write("error: %s\n" % e)
        return 2
    except sqlite3.Error as e:
        sys.stderr.write("error: %s: %s\n" % (args.store, e))
        return 2
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write(render(report))
        if state is not None:
            sys.stdout.write("state:       scan %d: %d subject(s), digest %s (%s)\n" % (
                state["scan"], state["subjects"], state["state"],
                "matches its manifest" if state["matches"]
                else "DIFFERS from its manifest's %s" % state["manifest_state"]))
    if not report["intact"] or (state is not None and not state["matches"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
