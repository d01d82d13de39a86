//! The auditor's evidence bundle: `meshproof export --bundle OUT` and `meshproof verify --bundle`.
//!
//! A bundle is a directory (or the same as a `.tar.gz`) an auditor can check without trusting the
//! operator:
//!
//! | file | what |
//! |---|---|
//! | `store/meshproof.db` | a consistent copy of the evidence store |
//! | `checkpoint.txt` | the signed checkpoint note every proof is against |
//! | `public-key.txt` | the key that signed it (note format; pin it independently) |
//! | `reports/<framework>.{pdf,html,json,csv,md}`, `reports/<framework>.oscal.json` | the reports |
//! | `proofs.json` | every record a finding cites, with its RFC 6962 audit path to the checkpoint root |
//! | `README.md` | how to verify, with the binary or with Python |
//! | `MANIFEST` | `sha256  path` of every other file, sorted |
//!
//! Verification checks the manifest, the checkpoint signature, every inclusion proof, that each
//! proved record is the store's record at that position, and the bundled store in full.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Report;
use super::{Format, RenderError, render_many};
use crate::model::{Digest, sha256};
use crate::store::merkle::{Prover, root_from_inclusion_proof};
use crate::store::note::{NoteVerifier, verify_checkpoint};
use crate::store::{Store, verify};

/// Bundle errors (could not build or could not run the verification).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File I/O.
    #[error("{what} {path}")]
    Io {
        /// What we were doing.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A renderer failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The store has no checkpoint to prove against.
    #[error("the store has no signed checkpoint yet (collect a complete scan first)")]
    NoCheckpoint,
    /// The output exists already.
    #[error("{0} already exists; choose a new bundle path")]
    Exists(PathBuf),
    /// Not a bundle.
    #[error("{path} is not a meshproof bundle: {reason}")]
    NotABundle {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// One proved record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProof {
    /// Sequence number = leaf index.
    pub seq: u64,
    /// The record hash (the Merkle leaf data).
    pub hash: String,
    /// RFC 6962 audit path, leaf to root, hex.
    pub audit_path: Vec<String>,
}

/// `proofs.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proofs {
    /// Tree size of the checkpoint the proofs are against.
    pub tree_size: u64,
    /// Its Merkle root, hex.
    pub root: String,
    /// Every record a finding of the reports cites.
    pub records: Vec<RecordProof>,
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Io { what, path, source }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("cannot create directory", parent))?;
    }
    std::fs::write(path, bytes).map_err(io("cannot write", path))
}

/// Writes a bundle directory at `dir` for `reports` (one per framework, `(id, report)`), built
/// from `store`. `dir` must not exist.
pub fn export_dir(store: &Store, reports: &[(String, Report)], dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        return Err(Error::Exists(dir.to_path_buf()));
    }
    let checkpoint = store.latest_checkpoint()?.ok_or(Error::NoCheckpoint)?;
    let body = checkpoint.body.unwrap_or_default();
    let field = |k: &str| {
        body.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (note, key, root) = (field("note"), field("key"), field("root"));
    let tree_size = body
        .get("tree_size")
        .and_then(serde_json::Value::as_u64)
        .ok_or(Error::NoCheckpoint)?;

    let store_dir = dir.join("store");
    std::fs::create_dir_all(&store_dir).map_err(io("cannot create directory", &store_dir))?;
    store.snapshot_to(&store_dir.join("meshproof.db"))?;
    write(&dir.join("checkpoint.txt"), note.as_bytes())?;
    write(&dir.join("public-key.txt"), format!("{key}\n").as_bytes())?;

    let mut cited = BTreeSet::new();
    for (id, report) in reports {
        for (format, bytes) in Format::ALL.iter().zip(render_many(report, &Format::ALL)) {
            write(&dir.join(format!("reports/{id}.{}", format.extension())), &bytes?)?;
        }
        for finding in &report.findings {
            cited.extend(finding.evidence.iter().map(|e| e.seq).filter(|s| *s < tree_size));
        }
    }
    let leaves = store.record_hashes(tree_size)?;
    let mut prover = Prover::new(&leaves);
    let records = cited
        .into_iter()
        .filter_map(|seq| {
            let index = usize::try_from(seq).ok()?;
            let hash = leaves.get(index)?;
            Some(RecordProof {
                seq,
                hash: hash.to_hex(),
                audit_path: prover.proof(index).iter().map(Digest::to_hex).collect(),
            })
        })
        .collect();
    let proofs = Proofs {
        tree_size,
        root,
        records,
    };
    let mut json = serde_json::to_vec_pretty(&proofs).unwrap_or_default();
    json.push(b'\n');
    write(&dir.join("proofs.json"), &json)?;
    write(&dir.join("README.md"), README.as_bytes())?;
    write_manifest(dir)
}

const README: &str = "# meshproof evidence bundle

This bundle lets you check the reports in `reports/` against the evidence they cite, without
trusting whoever made it.

1. Pin the key. Compare `public-key.txt` with the key the operator published out of band.
2. With the meshproof binary: `meshproof verify --bundle <this directory or .tar.gz> --pubkey <pinned key file>`.
   It checks every file against `MANIFEST`, the checkpoint signature, every Merkle inclusion proof
   in `proofs.json`, and the bundled store record by record.
3. Without it: `sha256sum -c MANIFEST` (the format is `sha256  path`), then
   `python3 verify_store.py store/meshproof.db --checkpoint checkpoint.txt` (from the meshproof
   repository's `contrib/`, standard library only; it recomputes every hash and Merkle root but
   does not check Ed25519 signatures — use `openssl pkeyutl` as its README explains).

Every finding in the reports cites records as `#seq` with the record hash; `proofs.json` gives each
cited record's RFC 6962 audit path to the root of `checkpoint.txt` (leaf = SHA-256(0x00 ‖ record
hash), node = SHA-256(0x01 ‖ left ‖ right)). `docs/evidence-format.md` in the meshproof repository
specifies every byte.
";

fn files_below(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io("cannot read directory", &d))? {
            let path = entry.map_err(io("cannot read directory", &d))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    let mut rel: Vec<PathBuf> = out
        .iter()
        .filter_map(|p| p.strip_prefix(dir).ok().map(Path::to_path_buf))
        .collect();
    rel.sort();
    Ok(rel)
}

fn manifest_text(dir: &Path) -> Result<String, Error> {
    let mut text = String::new();
    for rel in files_below(dir)? {
        let name = rel.to_string_lossy().replace('\\', "/");
        if name == "MANIFEST" {
            continue;
        }
        let path = dir.join(&rel);
        let bytes = std::fs::read(&path).map_err(io("cannot read", &path))?;
        text.push_str(&format!("{}  {name}\n", sha256(&bytes)));
    }
    Ok(text)
}

fn write_manifest(dir: &Path) -> Result<(), Error> {
    let text = manifest_text(dir)?;
    write(&dir.join("MANIFEST"), text.as_bytes())
}

/// Packs a bundle directory into a deterministic `.tar.gz` (sorted entries, fixed mtime).
pub fn pack(dir: &Path, out: &Path, mtime: u64) -> Result<(), Error> {
    let file = std::fs::File::create(out).map_err(io("cannot create", out))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for rel in files_below(dir)? {
        let path = dir.join(&rel);
        let bytes = std::fs::read(&path).map_err(io("cannot read", &path))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, &rel, bytes.as_slice())
            .map_err(io("cannot write", out))?;
    }
    let gz = tar.into_inner().map_err(io("cannot write", out))?;
    gz.finish().map_err(io("cannot write", out))?;
    Ok(())
}

/// Unpacks a `.tar.gz` bundle into `into` (entries must stay inside it).
pub fn unpack(archive: &Path, into: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(into).map_err(io("cannot create directory", into))?;
    let file = std::fs::File::open(archive).map_err(io("cannot open", archive))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let entries = tar.entries().map_err(io("cannot read", archive))?;
    for entry in entries {
        let mut entry = entry.map_err(io("cannot read", archive))?;
        // `unpack_in` refuses paths that would escape `into`.
        let inside = entry.unpack_in(into).map_err(io("cannot unpack", archive))?;
        if !inside {
            return Err(Error::NotABundle {
                path: archive.to_path_buf(),
                reason: "an entry points outside the bundle".into(),
            });
        }
    }
    Ok(())
}

/// What `verify --bundle` found.
#[derive(Debug, Clone, Serialize)]
pub struct BundleReport {
    /// True when everything checks out.
    pub intact: bool,
    /// Every problem found (empty when intact).
    pub problems: Vec<String>,
    /// Files checked against the manifest.
    pub files: u64,
    /// Inclusion proofs checked.
    pub proofs: u64,
    /// Tree size and root of the checkpoint.
    pub checkpoint: Option<(u64, String)>,
    /// The key that signed it, and whether it was pinned.
    pub key: Option<String>,
    /// Whether the key was pinned with `--pubkey`.
    pub key_pinned: bool,
    /// The bundled store's own verification.
    pub store: Option<verify::Report>,
}

/// Verifies a bundle directory (`pinned`: the independently obtained key, if any).
pub fn verify_dir(dir: &Path, pinned: Option<&NoteVerifier>) -> Result<BundleReport, Error> {
    let not_bundle = |reason: &str| Error::NotABundle {
        path: dir.to_path_buf(),
        reason: reason.into(),
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST")).map_err(|_| not_bundle("no MANIFEST"))?;
    let mut report = BundleReport {
        intact: true,
        problems: Vec::new(),
        files: 0,
        proofs: 0,
        checkpoint: None,
        key: None,
        key_pinned: pinned.is_some(),
        store: None,
    };
    // 1. Every file matches the manifest, and nothing is added.
    let actual = manifest_text(dir)?;
    let entries = |text: &str| -> std::collections::BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| l.split_once("  ").map(|(h, p)| (p.to_string(), h.to_string())))
            .collect()
    };
    let (listed, present) = (entries(&manifest), entries(&actual));
    report.files = listed.len() as u64;
    for (path, hash) in &listed {
        match present.get(path) {
            None => report
                .problems
                .push(format!("{path} is listed in MANIFEST but missing")),
            Some(h) if h != hash => report
                .problems
                .push(format!("{path} was modified (its SHA-256 is not the one in MANIFEST)")),
            Some(_) => {}
        }
    }
    for path in present.keys().filter(|p| !listed.contains_key(*p)) {
        report.problems.push(format!("{path} is not listed in MANIFEST"));
    }
    // 2. The checkpoint is signed by the (pinned) key.
    let key_text = std::fs::read_to_string(dir.join("public-key.txt")).map_err(|_| not_bundle("no public-key.txt"))?;
    let bundled_key = NoteVerifier::parse(&key_text).map_err(|e| not_bundle(&e.to_string()))?;
    if let Some(p) = pinned
        && p != &bundled_key
    {
        report.problems.push(format!(
            "the bundle's key {} is not the pinned key {}",
            bundled_key.to_note_string(),
            p.to_note_string()
        ));
    }
    let key = pinned.unwrap_or(&bundled_key);
    report.key = Some(key.to_note_string());
    let note = std::fs::read_to_string(dir.join("checkpoint.txt")).map_err(|_| not_bundle("no checkpoint.txt"))?;
    let checkpoint = match verify_checkpoint(&note, key) {
        Ok(c) => Some(c),
        Err(e) => {
            report.problems.push(format!("checkpoint.txt: {e}"));
            None
        }
    };
    // 3. Every inclusion proof leads to the checkpoint's root, and names the store's record.
    let proofs: Proofs = std::fs::read(dir.join("proofs.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| not_bundle("proofs.json is missing or not valid"))?;
    let store_path = dir.join("store/meshproof.db");
    if let Some(cp) = &checkpoint {
        report.checkpoint = Some((cp.size, cp.root.to_hex()));
        if proofs.tree_size != cp.size || proofs.root != cp.root.to_hex() {
            report
                .problems
                .push("proofs.json is not against the signed checkpoint".into());
        }
        let store = Store::open_existing(&store_path)?;
        for p in &proofs.records {
            report.proofs += 1;
            let hash: Option<Digest> = p.hash.parse().ok();
            let path: Option<Vec<Digest>> = p.audit_path.iter().map(|h| h.parse().ok()).collect();
            let root = match (hash, path) {
                (Some(h), Some(path)) => root_from_inclusion_proof(&h, p.seq, cp.size, &path),
                _ => None,
            };
            if root != Some(cp.root) {
                report.problems.push(format!(
                    "the inclusion proof of record {} does not lead to the checkpoint root",
                    p.seq
                ));
            }
            let stored = store.record(p.seq, false)?.map(|r| r.hash.to_hex());
            if stored.as_deref() != Some(p.hash.as_str()) {
                report.problems.push(format!(
                    "record {} in the bundled store is not the proved record",
                    p.seq
                ));
            }
        }
    }
    // 4. The bundled store verifies in full against the same checkpoint and key.
    let options = verify::Options {
        pinned: Some(key.clone()),
        checkpoint: Some(dir.join("checkpoint.txt")),
    };
    let store_report = verify::verify(&store_path, &options)?;
    if let Some(p) = &store_report.problem {
        let at = p.seq.map(|s| format!(" at record {s}")).unwrap_or_default();
        report.problems.push(format!("bundled store{at}: {}", p.what));
    }
    report.store = Some(store_report);
    report.intact = report.problems.is_empty();
    Ok(report)
}
