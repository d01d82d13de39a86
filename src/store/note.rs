//! Ed25519 keys and C2SP signed notes / tlog checkpoints.
//!
//! Key strings follow the Go `golang.org/x/mod/sumdb/note` format that C2SP signed-note
//! references: a verifier key is `<name>+<hex key id>+<base64(0x01 ‖ public key)>`, a signer
//! key `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>`. The key id is the first four
//! bytes of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`. A checkpoint note is
//! `<origin>\n<tree size>\n<base64 root>\n`, then a blank line and
//! `— <name> <base64(key id ‖ signature)>\n`, the signature covering the text before the blank
//! line. The key name is the log origin: `meshproof/<first 16 hex of SHA-256(public key)>`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::model::{Digest, sha256};

const ALG_ED25519: u8 = 0x01;

/// Key and note errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("cannot access signing key file {path}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The key text is not in the expected format.
    #[error("{what} is not a valid Ed25519 note key ({reason})")]
    Format {
        /// Which key.
        what: String,
        /// Why.
        reason: &'static str,
    },
    /// No randomness for a new key.
    #[error("cannot get randomness for a new signing key: {0}")]
    Random(String),
}

/// A verifying key with its note name and key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    /// Key name (= checkpoint origin).
    pub name: String,
    /// Four-byte key id.
    pub key_id: [u8; 4],
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

/// The signing key of a store. Its `Debug` never shows the key.
pub struct Signer {
    key: SigningKey,
    verifier: NoteVerifier,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.verifier.name)
            .finish_non_exhaustive()
    }
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut buf = Vec::with_capacity(name.len() + 34);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(ALG_ED25519);
    buf.extend_from_slice(public);
    let d = sha256(&buf);
    [d.0[0], d.0[1], d.0[2], d.0[3]]
}

/// The default key name (= origin) for a public key.
pub fn default_name(public: &VerifyingKey) -> String {
    format!("meshproof/{}", &sha256(public.as_bytes()).to_hex()[..16])
}

impl NoteVerifier {
    fn new(name: String, key: VerifyingKey) -> NoteVerifier {
        let key_id = key_id(&name, key.as_bytes());
        NoteVerifier { name, key_id, key }
    }

    /// `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
    pub fn to_note_string(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex::encode(self.key_id), B64.encode(raw))
    }

    /// SHA-256 of the raw public key, the fingerprint reports show.
    pub fn fingerprint(&self) -> Digest {
        sha256(self.key.as_bytes())
    }

    /// Parses a verifier key string (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<NoteVerifier, KeyError> {
        let err = |reason| KeyError::Format {
            what: "public key".into(),
            reason,
        };
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("expected <name>+<key id>+<key>"));
        };
        let raw = B64.decode(b64).map_err(|_| err("key is not base64"))?;
        let [ALG_ED25519, rest @ ..] = raw.as_slice() else {
            return Err(err("not an Ed25519 key"));
        };
        let bytes: [u8; 32] = rest.try_into().map_err(|_| err("wrong key length"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| err("invalid Ed25519 point"))?;
        let verifier = NoteVerifier::new(name.to_string(), key);
        if hex::encode(verifier.key_id) != id_hex.to_ascii_lowercase() {
            return Err(err("key id does not match name and key"));
        }
        Ok(verifier)
    }
}

impl Signer {
    /// A signer from a 32-byte seed, named after its public key.
    pub fn from_seed(seed: [u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key();
        let verifier = NoteVerifier::new(default_name(&public), public);
        Signer { key, verifier }
    }

    /// Reads the key at `path`, or creates it (mode 0600) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Signer, KeyError> {
        match fs::read_to_string(path) {
            Ok(text) => Signer::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Signer::create(path),
            Err(source) => Err(KeyError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Reads an existing key file.
    pub fn load(path: &Path) -> Result<Signer, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Signer::parse(&text, path)
    }

    fn create(path: &Path) -> Result<Signer, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        let signer = Signer::from_seed(seed);
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        file.write_all(signer.to_private_string().as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(signer)
    }

    fn parse(text: &str, path: &Path) -> Result<Signer, KeyError> {
        let err = |reason| KeyError::Format {
            what: format!("signing key file {}", path.display()),
            reason,
        };
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(err("missing PRIVATE+KEY+ prefix"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(_id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("expected PRIVATE+KEY+<name>+<key id>+<key>"));
        };
        let raw = B64.decode(b64).map_err(|_| err("key is not base64"))?;
        let [ALG_ED25519, rest @ ..] = raw.as_slice() else {
            return Err(err("not an Ed25519 key"));
        };
        let seed: [u8; 32] = rest.try_into().map_err(|_| err("wrong key length"))?;
        let key = SigningKey::from_bytes(&seed);
        let verifier = NoteVerifier::new(name.to_string(), key.verifying_key());
        Ok(Signer { key, verifier })
    }

    fn to_private_string(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        let v = &self.verifier;
        format!("PRIVATE+KEY+{}+{}+{}", v.name, hex::encode(v.key_id), B64.encode(raw))
    }

    /// The public half.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Signs a checkpoint for `origin`, `size` and `root`, returning the whole signed note.
    pub fn sign_checkpoint(&self, size: u64, root: &Digest) -> String {
        let text = checkpoint_text(&self.verifier.name, size, root);
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.verifier.key_id.to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.verifier.name, B64.encode(blob))
    }
}

/// The signed text of a checkpoint: origin, tree size, base64 root, each on its own line.
pub fn checkpoint_text(origin: &str, size: u64, root: &Digest) -> String {
    format!("{origin}\n{size}\n{}\n", B64.encode(root.as_bytes()))
}

/// A tree size as C2SP writes it: ASCII decimal digits, no sign, no leading zeros.
pub fn parse_tree_size(text: &str) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let no_leading_zero = text == "0" || !text.starts_with('0');
    if digits_only && no_leading_zero {
        text.parse().ok()
    } else {
        None
    }
}

/// A parsed checkpoint note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin (first line).
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Merkle root.
    pub root: Digest,
}

/// Why a note did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not a well-formed note.
    #[error("malformed checkpoint note: {0}")]
    Malformed(&'static str),
    /// No signature line by the expected key.
    #[error("checkpoint is not signed by key {0}")]
    NotSignedBy(String),
    /// The signature does not verify.
    #[error("checkpoint signature by {0} does not verify")]
    BadSignature(String),
}

/// Parses a checkpoint note and verifies its signature by `verifier`.
pub fn verify_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, NoteError> {
    let (text, sigs) = note
        .split_once("\n\n")
        .ok_or(NoteError::Malformed("no blank line before signatures"))?;
    let text = format!("{text}\n");
    let mut lines = text.lines();
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(NoteError::Malformed("fewer than three lines"));
    };
    let size = parse_tree_size(size).ok_or(NoteError::Malformed("tree size is not a decimal without leading zeros"))?;
    let root = B64
        .decode(root)
        .ok()
        .and_then(|b| Digest::from_slice(&b))
        .ok_or(NoteError::Malformed("root is not a base64 SHA-256"))?;
    for line in sigs.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            continue;
        };
        let Some((name, b64)) = rest.split_once(' ') else {
            continue;
        };
        if name != verifier.name {
            continue;
        }
        let Ok(blob) = B64.decode(b64) else { continue };
        let Some((id, sig)) = blob.split_first_chunk::<4>() else {
            continue;
        };
        if *id != verifier.key_id {
            continue;
        }
        let sig = Signature::from_slice(sig).map_err(|_| NoteError::BadSignature(name.to_string()))?;
        verifier
            .key
            .verify_strict(text.as_bytes(), &sig)
            .map_err(|_| NoteError::BadSignature(name.to_string()))?;
        return Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        });
    }
    Err(NoteError::NotSignedBy(verifier.to_note_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trip_and_tamper_detection() {
        let signer = Signer::from_seed([7u8; 32]);
        let root = sha256(b"root");
        let note = signer.sign_checkpoint(42, &root);
        assert!(note.starts_with(&format!("{}\n42\n", signer.verifier().name)));
        let cp = verify_checkpoint(&note, signer.verifier()).ok();
        assert_eq!(cp.map(|c| (c.size, c.root)), Some((42, root)));

        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            verify_checkpoint(&tampered, signer.verifier()),
            Err(NoteError::BadSignature(_))
        ));
        let other = Signer::from_seed([8u8; 32]);
        assert!(matches!(
            verify_checkpoint(&note, other.verifier()),
            Err(NoteError::NotSignedBy(_))
        ));
    }

    #[test]
    fn verifier_string_round_trips_and_checks_key_id() {
        let signer = Signer::from_seed([1u8; 32]);
        let s = signer.verifier().to_note_string();
        assert_eq!(NoteVerifier::parse(&s).ok().as_ref(), Some(signer.verifier()));
        let broken = s.replacen('+', "x+", 1);
        // Base64 key material may itself contain '+': the name ends at the first one.
        for seed in 0..40u8 {
            let v = Signer::from_seed([seed; 32]).verifier().clone();
            assert_eq!(NoteVerifier::parse(&v.to_note_string()).ok(), Some(v));
        }
        assert!(NoteVerifier::parse(&broken).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("k");
        let a = Signer::load_or_create(&path).unwrap_or_else(|e| unreachable!("{e}"));
        let b = Signer::load_or_create(&path).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(a.verifier(), b.verifier());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
        assert!(!format!("{a:?}").contains(&hex::encode(a.key.as_bytes())));
    }
}
