//! X.509 certificates and chains as the CA checks see them: PEM bundles parsed with
//! `x509-parser`, key strength, and chain building with signature verification.
//!
//! The redacted evidence keeps the PEM text of every certificate bundle; this module turns it
//! into owned [`Certificate`]s and answers "which anchor of this bundle signs this certificate,
//! through which intermediates?" ([`verify_chain`]). Issuers are found by exact subject/issuer
//! name (DER) match, as OpenSSL does, and every candidate signature is verified.
//!
//! It deliberately does not check name constraints, key usage or path length, nor revocation:
//! the mesh CA checks report expiry, weak crypto and broken anchoring, and leave full RFC 5280
//! path validation to the TLS stacks. Signature algorithms that `ring` cannot verify (P-521,
//! RSA-PSS with SHA-1, Ed448) yield [`Signature::Unsupported`], never a pass.
//!
//! Main types: [`Certificate`], [`Bundle`], [`ChainVerdict`], [`Error`].

use x509_parser::oid_registry::{OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate, X509Error};
use x509_parser::public_key::PublicKey;

use crate::model::{Digest, Timestamp, sha256};

/// Largest PEM text parsed (a CA bundle is a few kilobytes).
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;
/// Longest chain followed from a certificate to an anchor.
pub const MAX_CHAIN_DEPTH: usize = 8;

/// A certificate that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text holds no `CERTIFICATE` PEM block.
    #[error("no PEM certificate in the bundle")]
    Empty,
    /// The text exceeds [`MAX_BUNDLE_BYTES`].
    #[error("bundle of {size} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Size of the text.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A PEM block could not be decoded.
    #[error("PEM block {index} is not valid PEM ({reason})")]
    Pem {
        /// Zero-based block index.
        index: usize,
        /// What the decoder said.
        reason: String,
    },
    /// A `CERTIFICATE` block is not a valid X.509 certificate.
    #[error("certificate {index} is not valid X.509 ({reason})")]
    Certificate {
        /// Zero-based index among the certificate blocks.
        index: usize,
        /// What the parser said.
        reason: String,
    },
}

/// Public key algorithm of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyAlgorithm {
    /// RSA (`rsaEncryption`).
    Rsa,
    /// Elliptic curve (`id-ecPublicKey`).
    Ec,
    /// Ed25519.
    Ed25519,
    /// Anything else (DSA, GOST, Ed448, unknown OIDs).
    Other,
}

impl KeyAlgorithm {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::Ec => "EC",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Other => "other",
        }
    }
}

/// One parsed certificate, owned (the DER is kept for signature verification).
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    /// Subject DN as text (`O=Acme Corp, CN=Intermediate CA, L=us-east-1`).
    pub subject: String,
    /// Issuer DN as text.
    pub issuer: String,
    /// Serial, lower-case hex without colons.
    pub serial: String,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// Key algorithm.
    pub key_algorithm: KeyAlgorithm,
    /// Key size in bits (RSA modulus length, EC curve size); `None` when unknown.
    pub key_bits: Option<u32>,
    /// EC curve name (`P-256`) or dotted OID.
    pub curve: Option<String>,
    /// Signature algorithm short name (`sha256WithRSAEncryption`, `ecdsa-with-SHA384`).
    pub signature_algorithm: String,
    /// basicConstraints `cA`; `None` when the extension is absent.
    pub basic_constraints_ca: Option<bool>,
    /// SHA-256 of the DER (the certificate's identity).
    pub sha256: Digest,
    /// SHA-256 of the SubjectPublicKeyInfo DER (the key's identity).
    pub spki_sha256: Digest,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("serial", &self.serial)
            .field("sha256", &self.sha256.to_hex())
            .finish_non_exhaustive()
    }
}

/// The outcome of checking one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// The issuer's key verifies the signature.
    Valid,
    /// The signature does not verify with the issuer's key (or `ring` rejects the key, e.g.
    /// RSA below 2048 bits with SHA-2).
    Invalid,
    /// The signature algorithm cannot be verified here (named).
    Unsupported(String),
}

impl Certificate {
    /// Parses one DER certificate (`index` names it in errors).
    pub fn from_der(der: &[u8], index: usize) -> Result<Certificate, Error> {
        let fail = |reason: String| Error::Certificate { index, reason };
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| fail(e.to_string()))?;
        if !rest.is_empty() {
            return Err(fail(format!("{} trailing bytes", rest.len())));
        }
        let time = |t: i64| Timestamp::from_unix(t).ok_or_else(|| fail(format!("time {t} out of range")));
        let not_before = time(cert.validity().not_before.timestamp())?;
        let not_after = time(cert.validity().not_after.timestamp())?;
        let basic_constraints_ca = cert
            .basic_constraints()
            .map_err(|e| fail(format!("basicConstraints: {e}")))?
            .map(|bc| bc.value.ca);
        let spki = cert.public_key();
        let (key_algorithm, key_bits, curve) = key_facts(&cert);
        Ok(Certificate {
            der: der.to_vec(),
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: serial_hex(cert.raw_serial()),
            not_before,
            not_after,
            key_algorithm,
            key_bits,
            curve,
            signature_algorithm: algorithm_name(&cert.signature_algorithm.algorithm),
            basic_constraints_ca,
            sha256: sha256(der),
            spki_sha256: sha256(spki.raw),
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Subject and issuer names are equal (a root, or a self-issued re-key).
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }

    /// basicConstraints with `cA` TRUE.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints_ca == Some(true)
    }

    /// Whether `issuer`'s subject is this certificate's issuer name.
    pub fn is_named_issuer(&self, issuer: &Certificate) -> bool {
        self.issuer_raw == issuer.subject_raw
    }

    /// Whether `issuer`'s key verifies this certificate's signature (names are not compared).
    pub fn verify_signed_by(&self, issuer: &Certificate) -> Signature {
        let (Ok((_, child)), Ok((_, parent))) = (
            X509Certificate::from_der(&self.der),
            X509Certificate::from_der(&issuer.der),
        ) else {
            return Signature::Invalid;
        };
        match child.verify_signature(Some(parent.public_key())) {
            Ok(()) => Signature::Valid,
            Err(X509Error::SignatureUnsupportedAlgorithm) => Signature::Unsupported(self.signature_algorithm.clone()),
            Err(_) => Signature::Invalid,
        }
    }

    /// Policy weaknesses: RSA < 2048 bits, EC < 256 bits, SHA-1/MD5/MD2/MD4 signatures.
    /// Ed25519 and unknown algorithms are not reported (nothing below policy is known).
    pub fn weaknesses(&self) -> Vec<String> {
        let mut out = Vec::new();
        match (self.key_algorithm, self.key_bits) {
            (KeyAlgorithm::Rsa, Some(bits)) if bits < 2048 => {
                out.push(format!("RSA {bits}-bit key (policy: at least 2048)"));
            }
            (KeyAlgorithm::Ec, Some(bits)) if bits < 256 => {
                let curve = self.curve.as_deref().unwrap_or("unknown curve");
                out.push(format!("EC {bits}-bit key on {curve} (policy: at least 256)"));
            }
            _ => {}
        }
        let alg = self.signature_algorithm.to_ascii_lowercase();
        if ["sha1", "sha-1", "md5", "md2", "md4"].iter().any(|w| alg.contains(w)) {
            out.push(format!(
                "signature algorithm {} (SHA-1/MD5 are broken)",
                self.signature_algorithm
            ));
        }
        out
    }

    /// `` `subject` (serial …) `` for messages.
    pub fn label(&self) -> String {
        format!("`{}` (serial {})", self.subject, self.serial)
    }
}

/// The certificates of one PEM text, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// Certificates in file order.
    pub certificates: Vec<Certificate>,
    /// Unreadable blocks (or [`Error::Empty`]).
    pub errors: Vec<Error>,
}

impl Bundle {
    /// Parses every `CERTIFICATE` block of `pem` (other labels, e.g. keys, are skipped unread).
    pub fn parse(pem: &str) -> Bundle {
        let mut bundle = Bundle::default();
        if pem.len() > MAX_BUNDLE_BYTES {
            bundle.errors.push(Error::TooLarge {
                size: pem.len(),
                max: MAX_BUNDLE_BYTES,
            });
            return bundle;
        }
        let mut index = 0;
        for (block, item) in Pem::iter_from_buffer(pem.as_bytes()).enumerate() {
            match item {
                Ok(p) if p.label == "CERTIFICATE" => {
                    match Certificate::from_der(&p.contents, index) {
                        Ok(c) => bundle.certificates.push(c),
                        Err(e) => bundle.errors.push(e),
                    }
                    index += 1;
                }
                Ok(_) => {}
                Err(e) => {
                    bundle.errors.push(Error::Pem {
                        index: block,
                        reason: e.to_string(),
                    });
                    break;
                }
            }
        }
        if bundle.certificates.is_empty() && bundle.errors.is_empty() {
            bundle.errors.push(Error::Empty);
        }
        bundle
    }

    /// Whether the bundle holds a certificate with this DER digest.
    pub fn contains(&self, sha256: &Digest) -> bool {
        self.certificates.iter().any(|c| &c.sha256 == sha256)
    }
}

/// Why a certificate does not chain to an anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// No anchor or intermediate carries the issuer name.
    IssuerNotFound {
        /// The issuer name that was looked for.
        issuer: String,
    },
    /// A certificate with the issuer's name exists but its key does not verify the signature.
    BadSignature {
        /// The certificate whose signature failed.
        subject: String,
        /// The would-be issuer.
        issuer: String,
    },
    /// The signature algorithm cannot be verified.
    Unsupported {
        /// The certificate whose signature could not be checked.
        subject: String,
        /// Its signature algorithm.
        algorithm: String,
    },
    /// The chain is longer than [`MAX_CHAIN_DEPTH`] or loops.
    TooLong,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::IssuerNotFound { issuer } => {
                write!(f, "no certificate of the bundle is its issuer `{issuer}`")
            }
            ChainBreak::BadSignature { subject, issuer } => {
                write!(
                    f,
                    "the signature of `{subject}` does not verify with the key of `{issuer}`"
                )
            }
            ChainBreak::Unsupported { subject, algorithm } => write!(
                f,
                "unsupported signature algorithm {algorithm} on `{subject}`: the chain could not be verified"
            ),
            ChainBreak::TooLong => write!(f, "the chain is longer than {MAX_CHAIN_DEPTH} certificates or loops"),
        }
    }
}

/// How a certificate relates to a set of trust anchors at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerdict {
    /// The index (into the anchors) of the root it chains to, or why it does not.
    pub anchor: Result<usize, ChainBreak>,
    /// Certificates of the path (leaf, intermediates used, anchor) not valid at the time.
    pub outside_validity: Vec<String>,
}

impl ChainVerdict {
    /// Chains to an anchor and every certificate of the path is valid at the time.
    pub fn is_valid(&self) -> bool {
        self.anchor.is_ok() && self.outside_validity.is_empty()
    }
}

/// Builds the path from `leaf` through `intermediates` to one of `anchors`, verifying every
/// signature, and checks the validity period of each certificate on it at `at`.
///
/// A leaf that is itself one of the anchors (same DER) is anchored by itself. Issuers are found
/// by exact name match; among several candidates the first whose key verifies wins.
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[Certificate],
    at: Timestamp,
) -> ChainVerdict {
    let mut path: Vec<&Certificate> = vec![leaf];
    let mut failure: Option<ChainBreak> = None;
    let mut current = leaf;
    let anchor = 'walk: loop {
        if let Some(i) = anchors.iter().position(|a| a.sha256 == current.sha256) {
            break 'walk Ok(i);
        }
        if path.len() > MAX_CHAIN_DEPTH {
            break 'walk Err(ChainBreak::TooLong);
        }
        for (i, a) in anchors.iter().enumerate() {
            if current.is_named_issuer(a) {
                match current.verify_signed_by(a) {
                    Signature::Valid => {
                        path.push(a);
                        break 'walk Ok(i);
                    }
                    Signature::Invalid => {
                        failure.get_or_insert(ChainBreak::BadSignature {
                            subject: current.subject.clone(),
                            issuer: a.subject.clone(),
                        });
                    }
                    Signature::Unsupported(algorithm) => {
                        failure = Some(ChainBreak::Unsupported {
                            subject: current.subject.clone(),
                            algorithm,
                        });
                    }
                }
            }
        }
        let next = intermediates.iter().find(|c| {
            current.is_named_issuer(c)
                && !c.is_self_issued()
                && !path.iter().any(|p| p.sha256 == c.sha256)
                && match current.verify_signed_by(c) {
                    Signature::Valid => true,
                    Signature::Invalid => {
                        failure.get_or_insert(ChainBreak::BadSignature {
                            subject: current.subject.clone(),
                            issuer: c.subject.clone(),
                        });
                        false
                    }
                    Signature::Unsupported(algorithm) => {
                        failure = Some(ChainBreak::Unsupported {
                            subject: current.subject.clone(),
                            algorithm,
                        });
                        false
                    }
                }
        });
        match next {
            Some(c) => {
                path.push(c);
                current = c;
            }
            None => {
                break 'walk Err(failure.take().unwrap_or_else(|| ChainBreak::IssuerNotFound {
                    issuer: current.issuer.clone(),
                }));
            }
        }
    };
    let outside_validity = path
        .iter()
        .filter(|c| at < c.not_before || at > c.not_after)
        .map(|c| c.subject.clone())
        .collect();
    ChainVerdict {
        anchor,
        outside_validity,
    }
}

fn serial_hex(raw: &[u8]) -> String {
    let trimmed = match raw.iter().position(|&b| b != 0) {
        Some(i) => raw.get(i..).unwrap_or_default(),
        None => raw.get(raw.len().saturating_sub(1)..).unwrap_or_default(),
    };
    hex::encode(trimmed)
}

fn algorithm_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

/// Bit length of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> u32 {
    let Some(start) = bytes.iter().position(|&b| b != 0) else {
        return 0;
    };
    let significant = bytes.get(start..).unwrap_or_default();
    let first = significant.first().copied().unwrap_or(0);
    let len = u32::try_from(significant.len()).unwrap_or(u32::MAX);
    len.saturating_sub(1)
        .saturating_mul(8)
        .saturating_add(8 - first.leading_zeros())
}

fn key_facts(cert: &X509Certificate<'_>) -> (KeyAlgorithm, Option<u32>, Option<String>) {
    let spki = cert.public_key();
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let oid = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
        let named = oid.as_ref().map(|o| o.to_id_string()).map(|id| match id.as_str() {
            "1.2.840.10045.3.1.1" => ("P-192".to_string(), Some(192)),
            "1.3.132.0.33" => ("P-224".to_string(), Some(224)),
            "1.2.840.10045.3.1.7" => ("P-256".to_string(), Some(256)),
            "1.3.132.0.10" => ("secp256k1".to_string(), Some(256)),
            "1.3.132.0.34" => ("P-384".to_string(), Some(384)),
            "1.3.132.0.35" => ("P-521".to_string(), Some(521)),
            _ => (id, None),
        });
        let point_bits = match spki.parsed() {
            // Uncompressed point: 0x04 || X || Y.
            Ok(PublicKey::EC(p)) => u32::try_from(p.data().len().saturating_sub(1) / 2 * 8).ok(),
            _ => None,
        };
        let (curve, bits) = match named {
            Some((name, bits)) => (Some(name), bits.or(point_bits)),
            None => (None, point_bits),
        };
        return (KeyAlgorithm::Ec, bits, curve);
    }
    if *alg == OID_PKCS1_RSAENCRYPTION {
        let bits = match spki.parsed() {
            Ok(PublicKey::RSA(k)) => Some(bit_length(k.modulus)),
            _ => None,
        };
        return (KeyAlgorithm::Rsa, bits, None);
    }
    if *alg == OID_SIG_ED25519 {
        return (KeyAlgorithm::Ed25519, Some(256), None);
    }
    (KeyAlgorithm::Other, None, None)
}

/// Test certificate authorities made with rcgen (EC) and openssl (RSA, SHA-1, RSA-PSS, P-521).
#[cfg(test)]
pub(crate) mod test_pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SignatureAlgorithm,
        date_time_ymd,
    };

    /// A CA made by rcgen: its PEM and an issuer for signing children.
    pub struct Ca {
        pub pem: String,
        pub issuer: Issuer<'static, KeyPair>,
    }

    /// Validity as (year, month, day) pairs.
    pub type Span = ((i32, u8, u8), (i32, u8, u8));

    fn params(cn: &str, serial: u8, span: Span, ca: bool) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::OrganizationName, "Test");
        p.distinguished_name.push(DnType::CommonName, cn);
        p.serial_number = Some(rcgen::SerialNumber::from(vec![0x10, serial]));
        let ((y1, m1, d1), (y2, m2, d2)) = span;
        p.not_before = date_time_ymd(y1, m1, d1);
        p.not_after = date_time_ymd(y2, m2, d2);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        p.use_authority_key_identifier_extension = true;
        p
    }

    /// A self-signed root.
    pub fn root(cn: &str, alg: &'static SignatureAlgorithm, serial: u8, span: Span) -> Ca {
        let key = KeyPair::generate_for(alg).unwrap();
        let p = params(cn, serial, span, true);
        let cert = p.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(p, key),
        }
    }

    /// A certificate signed by `parent` (a CA when `ca`).
    pub fn child(parent: &Ca, cn: &str, alg: &'static SignatureAlgorithm, serial: u8, span: Span, ca: bool) -> Ca {
        let key = KeyPair::generate_for(alg).unwrap();
        let p = params(cn, serial, span, ca);
        let cert = p.signed_by(&key, &parent.issuer).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(p, key),
        }
    }

    /// The default span: 2026-01-01 → 2030-01-01.
    pub const SPAN: Span = ((2026, 1, 1), (2030, 1, 1));

    /// Runs openssl with `args` in `dir`; `None` when openssl is not installed.
    pub fn openssl(dir: &std::path::Path, args: &[&str]) -> Option<std::process::Output> {
        std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::test_pki::*;
    use super::*;
    use rcgen::{PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384};

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real-world/istio-sample-certs"
    );

    fn fixture(name: &str) -> Bundle {
        Bundle::parse(&std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap())
    }

    fn one(pem: &str) -> Certificate {
        let b = Bundle::parse(pem);
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        b.certificates.into_iter().next().unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn ec_chain_verifies_and_key_facts_are_read() {
        let root = root("root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let inter = child(&root, "inter", &PKCS_ECDSA_P256_SHA256, 2, SPAN, true);
        let (r, i) = (one(&root.pem), one(&inter.pem));
        assert_eq!(
            (r.key_algorithm, r.key_bits, r.curve.as_deref()),
            (KeyAlgorithm::Ec, Some(384), Some("P-384"))
        );
        assert_eq!((i.key_bits, i.curve.as_deref()), (Some(256), Some("P-256")));
        assert_eq!(i.signature_algorithm, "ecdsa-with-SHA384");
        assert_eq!(i.serial, "1002");
        assert!(r.is_self_issued() && !i.is_self_issued() && i.is_ca());
        assert!(i.weaknesses().is_empty());
        let v = verify_chain(&i, &[], std::slice::from_ref(&r), at("2027-01-01T00:00:00Z"));
        assert!(v.is_valid(), "{v:?}");
        assert_eq!(v.anchor, Ok(0));
    }

    #[test]
    fn expired_and_wrong_issuer_are_not_valid() {
        let root_a = root("root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let impostor = root("root", &PKCS_ECDSA_P384_SHA384, 9, SPAN); // same name, other key
        let other = root("other-root", &PKCS_ECDSA_P256_SHA256, 3, SPAN);
        let inter = child(
            &root_a,
            "inter",
            &PKCS_ECDSA_P256_SHA256,
            2,
            ((2026, 1, 1), (2026, 6, 1)),
            true,
        );
        let i = one(&inter.pem);
        let expired = verify_chain(&i, &[], &[one(&root_a.pem)], at("2026-12-01T00:00:00Z"));
        assert_eq!(expired.anchor, Ok(0));
        assert_eq!(expired.outside_validity, vec![i.subject.clone()]);
        assert!(!expired.is_valid());
        let forged = verify_chain(&i, &[], &[one(&impostor.pem)], at("2026-03-01T00:00:00Z"));
        assert!(
            matches!(forged.anchor, Err(ChainBreak::BadSignature { .. })),
            "{forged:?}"
        );
        let unrelated = verify_chain(&i, &[], &[one(&other.pem)], at("2026-03-01T00:00:00Z"));
        assert!(
            matches!(unrelated.anchor, Err(ChainBreak::IssuerNotFound { .. })),
            "{unrelated:?}"
        );
        // With both, the real root wins whatever the order.
        let both = verify_chain(
            &i,
            &[],
            &[one(&impostor.pem), one(&root_a.pem)],
            at("2026-03-01T00:00:00Z"),
        );
        assert_eq!(both.anchor, Ok(1));
    }

    #[test]
    fn chains_through_intermediates() {
        let root = root("root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let mid = child(&root, "mid", &PKCS_ECDSA_P384_SHA384, 2, SPAN, true);
        let leaf = child(&mid, "leaf", &PKCS_ECDSA_P256_SHA256, 3, SPAN, true);
        let v = verify_chain(
            &one(&leaf.pem),
            &[one(&mid.pem)],
            &[one(&root.pem)],
            at("2027-01-01T00:00:00Z"),
        );
        assert!(v.is_valid(), "{v:?}");
        let missing = verify_chain(&one(&leaf.pem), &[], &[one(&root.pem)], at("2027-01-01T00:00:00Z"));
        assert!(matches!(missing.anchor, Err(ChainBreak::IssuerNotFound { .. })));
    }

    #[test]
    fn istio_sample_rsa_hierarchies_and_dual_root_bundle() {
        let t = at("2026-12-01T00:00:00Z");
        let root_a = fixture("root-cert.pem").certificates;
        let root_b = fixture("root-cert-alt.pem").certificates;
        let dual = fixture("root-cert-combined.pem").certificates;
        let dup = fixture("root-cert-combined-2.pem");
        assert_eq!(dual.len(), 2);
        assert_eq!(dup.certificates.len(), 3);
        let ca = one(&std::fs::read_to_string(format!("{FIXTURES}/ca-cert.pem")).unwrap());
        let alt = one(&std::fs::read_to_string(format!("{FIXTURES}/ca-cert-alt.pem")).unwrap());
        let alt2 = one(&std::fs::read_to_string(format!("{FIXTURES}/ca-cert-alt-2.pem")).unwrap());
        assert_eq!((ca.key_algorithm, ca.key_bits), (KeyAlgorithm::Rsa, Some(2048)));
        assert_eq!(alt.key_bits, Some(4096));
        assert_eq!(ca.serial, "e37589fac1676fc1");
        assert!(verify_chain(&ca, &[], &root_a, t).is_valid());
        assert!(verify_chain(&alt, &[], &root_b, t).is_valid());
        assert!(!verify_chain(&ca, &[], &root_b, t).is_valid());
        assert!(!verify_chain(&alt, &[], &root_a, t).is_valid());
        for c in [&ca, &alt, &alt2] {
            assert!(verify_chain(c, &[], &dual, t).is_valid(), "{}", c.subject);
            assert!(verify_chain(c, &[], &dup.certificates, t).is_valid(), "{}", c.subject);
        }
        // Roots that share `CN=Root CA` are told apart by the full name and key.
        assert_ne!(dual[0].subject, dual[1].subject);
        assert_ne!(dual[0].spki_sha256, dual[1].spki_sha256);
        // Hierarchy B expires in December 2033.
        assert!(!verify_chain(&alt, &[], &dual, at("2034-01-01T00:00:00Z")).is_valid());
    }

    #[test]
    fn junk_is_an_error_never_a_panic() {
        assert_eq!(Bundle::parse("").errors, vec![Error::Empty]);
        assert_eq!(Bundle::parse("hello").errors, vec![Error::Empty]);
        let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            Bundle::parse(bad).errors.as_slice(),
            [Error::Certificate { index: 0, .. }]
        ));
        let huge = "x".repeat(MAX_BUNDLE_BYTES + 1);
        assert!(matches!(
            Bundle::parse(&huge).errors.as_slice(),
            [Error::TooLarge { .. }]
        ));
        assert_eq!(bit_length(&[0x00, 0x7f, 0xff]), 15);
        assert_eq!(bit_length(&[]), 0);
    }

    /// Makes certificates with openssl in a temp dir; `None` (and a message) without openssl.
    #[allow(clippy::print_stderr)]
    fn openssl_dir() -> Option<tempfile::TempDir> {
        let dir = tempfile::tempdir().unwrap();
        match openssl(dir.path(), &["version"]) {
            Some(o) if o.status.success() => Some(dir),
            _ => {
                eprintln!("skipped: openssl is not installed");
                None
            }
        }
    }

    fn run(dir: &std::path::Path, args: &[&str]) {
        let out = openssl(dir, args).unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn read(dir: &std::path::Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap()
    }

    #[test]
    fn sha1_signature_is_weak_and_still_verifies() {
        let Some(dir) = openssl_dir() else { return };
        let d = dir.path();
        run(
            d,
            &[
                "req",
                "-x509",
                "-sha1",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "k.pem",
                "-out",
                "c.pem",
                "-subj",
                "/CN=sha1-root",
                "-days",
                "30",
            ],
        );
        let c = one(&read(d, "c.pem"));
        assert_eq!(c.signature_algorithm, "sha1WithRSAEncryption");
        assert!(
            c.weaknesses().iter().any(|w| w.contains("SHA-1")),
            "{:?}",
            c.weaknesses()
        );
        assert_eq!(c.verify_signed_by(&c), Signature::Valid);
    }

    #[test]
    fn rsa_pss_verifies_and_p521_is_reported_unsupported() {
        let Some(dir) = openssl_dir() else { return };
        let d = dir.path();
        run(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-sha256",
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:32",
                "-nodes",
                "-keyout",
                "pk.pem",
                "-out",
                "pss.pem",
                "-subj",
                "/CN=pss-root",
                "-days",
                "30",
            ],
        );
        let pss = one(&read(d, "pss.pem"));
        assert_eq!(
            pss.verify_signed_by(&pss),
            Signature::Valid,
            "{}",
            pss.signature_algorithm
        );
        assert!(verify_chain(&pss, &[], std::slice::from_ref(&pss), pss.not_before).is_valid());

        run(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-521",
                "-sha512",
                "-nodes",
                "-keyout",
                "rk.pem",
                "-out",
                "r.pem",
                "-subj",
                "/CN=p521-root",
                "-days",
                "30",
            ],
        );
        run(
            d,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ik.pem",
                "-out",
                "i.csr",
                "-subj",
                "/CN=p521-child",
            ],
        );
        run(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "i.csr",
                "-CA",
                "r.pem",
                "-CAkey",
                "rk.pem",
                "-CAcreateserial",
                "-sha512",
                "-days",
                "10",
                "-out",
                "i.pem",
            ],
        );
        let (r, i) = (one(&read(d, "r.pem")), one(&read(d, "i.pem")));
        assert_eq!((r.key_bits, r.curve.as_deref()), (Some(521), Some("P-521")));
        let v = verify_chain(&i, &[], &[r], i.not_before);
        match v.anchor {
            Err(ChainBreak::Unsupported { algorithm, .. }) => assert_eq!(algorithm, "ecdsa-with-SHA512"),
            other => panic!("P-521 must be reported unsupported, got {other:?}"),
        }
    }

    /// Our verdict and `openssl verify -attime` agree on the same inputs.
    #[test]
    fn verdicts_agree_with_openssl_verify() {
        let Some(dir) = openssl_dir() else { return };
        let d = dir.path();
        let root_a = root("root", &PKCS_ECDSA_P384_SHA384, 1, SPAN);
        let impostor = root("root", &PKCS_ECDSA_P384_SHA384, 9, SPAN);
        let inter = child(
            &root_a,
            "inter",
            &PKCS_ECDSA_P256_SHA256,
            2,
            ((2026, 1, 1), (2026, 6, 1)),
            true,
        );
        std::fs::write(d.join("root-a.pem"), &root_a.pem).unwrap();
        std::fs::write(d.join("impostor.pem"), &impostor.pem).unwrap();
        std::fs::write(d.join("inter.pem"), &inter.pem).unwrap();
        let fixtures = std::path::Path::new(FIXTURES);
        let cases: Vec<(&str, std::path::PathBuf, std::path::PathBuf, &str)> = vec![
            (
                "valid",
                d.join("root-a.pem"),
                d.join("inter.pem"),
                "2026-03-01T00:00:00Z",
            ),
            (
                "expired",
                d.join("root-a.pem"),
                d.join("inter.pem"),
                "2026-12-01T00:00:00Z",
            ),
            (
                "wrong issuer",
                d.join("impostor.pem"),
                d.join("inter.pem"),
                "2026-03-01T00:00:00Z",
            ),
            (
                "rsa valid",
                fixtures.join("root-cert.pem"),
                fixtures.join("ca-cert.pem"),
                "2026-12-01T00:00:00Z",
            ),
            (
                "rsa other root",
                fixtures.join("root-cert-alt.pem"),
                fixtures.join("ca-cert.pem"),
                "2026-12-01T00:00:00Z",
            ),
            (
                "dual root A",
                fixtures.join("root-cert-combined.pem"),
                fixtures.join("ca-cert.pem"),
                "2026-12-01T00:00:00Z",
            ),
            (
                "dual root B",
                fixtures.join("root-cert-combined.pem"),
                fixtures.join("ca-cert-alt-2.pem"),
                "2026-12-01T00:00:00Z",
            ),
            (
                "dual root expired",
                fixtures.join("root-cert-combined.pem"),
                fixtures.join("ca-cert-alt.pem"),
                "2034-01-01T00:00:00Z",
            ),
        ];
        for (name, roots, leaf, when) in cases {
            let t = at(when);
            let unix = t.unix().to_string();
            let out = openssl(
                d,
                &[
                    "verify",
                    "-attime",
                    &unix,
                    "-CAfile",
                    roots.to_str().unwrap(),
                    leaf.to_str().unwrap(),
                ],
            )
            .unwrap();
            let theirs = out.status.success();
            let anchors = Bundle::parse(&std::fs::read_to_string(&roots).unwrap()).certificates;
            let ours = verify_chain(&one(&std::fs::read_to_string(&leaf).unwrap()), &[], &anchors, t).is_valid();
            assert_eq!(
                ours,
                theirs,
                "{name}: ours {ours}, openssl {theirs} ({})",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}
