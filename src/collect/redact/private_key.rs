//! Private keys reduced to facts: format, algorithm, size, curve and the SHA-256 of the public
//! key (SubjectPublicKeyInfo DER) derived from the private key itself.
//!
//! RSA: the SPKI is rebuilt from the PKCS#1 modulus and exponent (parsed directly, so 1024-bit
//! keys work too). EC: from the public point the SEC1 structure carries (the point is not
//! recomputed; when absent the hash is `None`). Ed25519: from the seed via ed25519-dalek.
//! OpenSSH keys: from the public key blob in the (unencrypted) file header. Encrypted keys yield
//! only their format. No key bytes are kept, returned, formatted or logged.

use serde_json::{Value, json};

use super::der::{self, CONTEXT_0, CONTEXT_1, CONTEXT_1_PRIMITIVE, INTEGER, OCTET_STRING, OID, Reader, SEQUENCE, Spki};
use super::pem::Block;

/// What a private key is, without the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KeyFacts {
    /// `pkcs1`, `pkcs8`, `sec1`, `encrypted`, `openssh` or `unknown`.
    pub format: &'static str,
    /// `rsa`, `ec`, `ed25519` or `unknown`.
    pub algorithm: &'static str,
    /// Key size in bits.
    pub bits: Option<u32>,
    /// Named curve (EC).
    pub curve: Option<&'static str>,
    /// Hex SHA-256 of the derived SPKI DER.
    pub public_key_sha256: Option<String>,
}

impl KeyFacts {
    fn unknown(format: &'static str, algorithm: &'static str) -> Self {
        KeyFacts {
            format,
            algorithm,
            bits: None,
            curve: None,
            public_key_sha256: None,
        }
    }

    fn from_spki(format: &'static str, spki: Spki) -> Self {
        let algorithm = match spki.facts.algorithm {
            "other" => "unknown",
            a => a,
        };
        KeyFacts {
            format,
            algorithm,
            bits: spki.facts.bits,
            curve: spki.facts.curve,
            public_key_sha256: Some(spki.sha256.to_hex()),
        }
    }

    /// The `key` object of a redacted private key (see the module docs of `redact`).
    pub fn to_json(&self, matches_certificate: Option<&str>, matches: Option<bool>) -> Value {
        json!({
            "format": self.format,
            "algorithm": self.algorithm,
            "bits": self.bits,
            "curve": self.curve,
            "public_key_sha256": self.public_key_sha256,
            "matches_certificate": matches_certificate,
            "matches": matches,
        })
    }

    /// `[redacted private key: rsa 2048, public_key_sha256=<hex>]`.
    pub fn description(&self) -> String {
        let size = match (self.curve, self.bits) {
            (Some(curve), _) => format!(" {curve}"),
            (None, Some(bits)) => format!(" {bits}"),
            (None, None) => String::new(),
        };
        let hash = self.public_key_sha256.as_deref().unwrap_or("unknown");
        format!(
            "[redacted private key: {}{size}, public_key_sha256={hash}]",
            self.algorithm
        )
    }
}

/// Facts of a PEM private-key block (any label containing `PRIVATE KEY`).
pub(super) fn from_pem_block(block: &Block<'_>) -> KeyFacts {
    let hinted = match block.label {
        "RSA PRIVATE KEY" => ("pkcs1", "rsa"),
        "EC PRIVATE KEY" => ("sec1", "ec"),
        "PRIVATE KEY" => ("pkcs8", "unknown"),
        "ENCRYPTED PRIVATE KEY" => ("encrypted", "unknown"),
        "OPENSSH PRIVATE KEY" => ("openssh", "unknown"),
        _ => ("unknown", "unknown"),
    };
    if block.has_encrypted_header() {
        return KeyFacts::unknown("encrypted", hinted.1);
    }
    let Some(der) = block.decode() else {
        return KeyFacts::unknown(hinted.0, hinted.1);
    };
    let parsed = match hinted.0 {
        "pkcs1" => pkcs1(&der),
        "sec1" => sec1(&der, "sec1", None),
        "pkcs8" => pkcs8(&der),
        "encrypted" => return KeyFacts::unknown("encrypted", "unknown"),
        "openssh" => openssh(&der),
        _ => from_der(&der),
    };
    parsed.unwrap_or_else(|| KeyFacts::unknown(hinted.0, hinted.1))
}

/// Facts of a DER private key (PKCS#8, PKCS#1 or SEC1); `None` when it is none of them.
pub(super) fn from_der(der: &[u8]) -> Option<KeyFacts> {
    if der.first() != Some(&SEQUENCE) {
        return None;
    }
    pkcs8(der).or_else(|| pkcs1(der)).or_else(|| sec1(der, "sec1", None))
}

/// PKCS#1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv.
fn pkcs1(der: &[u8]) -> Option<KeyFacts> {
    pkcs1_spki(der).map(|spki| KeyFacts::from_spki("pkcs1", spki))
}

fn pkcs1_spki(der: &[u8]) -> Option<Spki> {
    let mut outer = Reader::new(der);
    let mut key = Reader::new(outer.expect(SEQUENCE)?);
    let version = key.expect(INTEGER)?;
    if version != [0] && version != [1] {
        return None;
    }
    let modulus = key.expect(INTEGER)?;
    let exponent = key.expect(INTEGER)?;
    // A private key has at least the private exponent after these.
    key.expect(INTEGER)?;
    Some(der::rsa_spki(modulus, exponent))
}

/// SEC1 ECPrivateKey: version 1, private key, [0] curve, [1] public point.
fn sec1(der: &[u8], format: &'static str, outer_curve: Option<&[u8]>) -> Option<KeyFacts> {
    let mut outer = Reader::new(der);
    let mut key = Reader::new(outer.expect(SEQUENCE)?);
    if key.expect(INTEGER)? != [1] {
        return None;
    }
    key.expect(OCTET_STRING)?;
    let inner_curve = key.optional(CONTEXT_0).and_then(|p| Reader::new(p).expect(OID));
    let point = key
        .optional(CONTEXT_1)
        .and_then(|p| Reader::new(p).expect(der::BIT_STRING));
    let curve_oid = outer_curve.or(inner_curve);
    let named = curve_oid.and_then(der::curve_of);
    match (curve_oid, point.and_then(|p| p.get(1..))) {
        (Some(oid), Some(point)) if !point.is_empty() => Some(KeyFacts::from_spki(format, der::ec_spki(oid, point))),
        _ => Some(KeyFacts {
            format,
            algorithm: "ec",
            bits: named.map(|c| c.1),
            curve: named.map(|c| c.0),
            public_key_sha256: None,
        }),
    }
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey.
fn pkcs8(der: &[u8]) -> Option<KeyFacts> {
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.expect(SEQUENCE)?);
    let version = info.expect(INTEGER)?;
    if version != [0] && version != [1] {
        return None;
    }
    let mut algorithm = Reader::new(info.expect(SEQUENCE)?);
    let oid = algorithm.expect(OID)?;
    let private = info.expect(OCTET_STRING)?;
    if oid == der::OID_RSA || oid == der::OID_RSA_PSS {
        return Some(match pkcs1_spki(private) {
            Some(spki) => KeyFacts::from_spki("pkcs8", spki),
            None => KeyFacts::unknown("pkcs8", "rsa"),
        });
    }
    if oid == der::OID_EC_PUBLIC_KEY {
        let curve = algorithm.optional(OID);
        return sec1(private, "pkcs8", curve).or(Some(KeyFacts::unknown("pkcs8", "ec")));
    }
    if oid == der::OID_ED25519 {
        let seed = Reader::new(private)
            .expect(OCTET_STRING)
            .and_then(|s| <[u8; 32]>::try_from(s).ok());
        return Some(match seed {
            Some(seed) => {
                let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
                KeyFacts::from_spki("pkcs8", der::ed25519_spki(&public))
            }
            None => KeyFacts::unknown("pkcs8", "ed25519"),
        });
    }
    // Skip optional attributes and public key so the structure is at least well-formed.
    info.optional(CONTEXT_0);
    info.optional(CONTEXT_1_PRIMITIVE);
    Some(KeyFacts::unknown("pkcs8", "unknown"))
}

/// OpenSSH `openssh-key-v1`: facts from the public key blob of the header.
fn openssh(bytes: &[u8]) -> Option<KeyFacts> {
    let mut r = bytes.strip_prefix(b"openssh-key-v1\0")?;
    let _cipher = ssh_string(&mut r)?;
    let _kdf = ssh_string(&mut r)?;
    let _kdf_options = ssh_string(&mut r)?;
    let _count = ssh_u32(&mut r)?;
    let mut blob = ssh_string(&mut r)?;
    let key_type = ssh_string(&mut blob)?;
    let spki = match key_type {
        b"ssh-ed25519" => der::ed25519_spki(&<[u8; 32]>::try_from(ssh_string(&mut blob)?).ok()?),
        b"ssh-rsa" => {
            let exponent = ssh_string(&mut blob)?;
            let modulus = ssh_string(&mut blob)?;
            der::rsa_spki(modulus, exponent)
        }
        b"ecdsa-sha2-nistp256" | b"ecdsa-sha2-nistp384" | b"ecdsa-sha2-nistp521" => {
            let curve = match ssh_string(&mut blob)? {
                b"nistp256" => "P-256",
                b"nistp384" => "P-384",
                _ => "P-521",
            };
            der::ec_spki(der::curve_oid(curve)?, ssh_string(&mut blob)?)
        }
        _ => return Some(KeyFacts::unknown("openssh", "unknown")),
    };
    Some(KeyFacts::from_spki("openssh", spki))
}

fn ssh_u32(r: &mut &[u8]) -> Option<u32> {
    let (head, rest) = r.split_at_checked(4)?;
    *r = rest;
    Some(u32::from_be_bytes(head.try_into().ok()?))
}

fn ssh_string<'a>(r: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(ssh_u32(r)?).ok()?;
    let (head, rest) = r.split_at_checked(len)?;
    *r = rest;
    Some(head)
}
