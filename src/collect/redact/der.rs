//! A minimal DER reader and writer for key structures, and the SubjectPublicKeyInfo (SPKI) built
//! from them.
//!
//! Only what key reduction needs: definite lengths, low tag numbers, no partial parsing of
//! unknown structures. Every read returns `None` on malformed input; nothing here keeps, logs
//! or formats the bytes it reads. Main items: [`Reader`], [`tlv`], [`Spki`], [`spki_facts`].

use crate::model::{Digest, sha256};

/// DER tag of SEQUENCE.
pub(super) const SEQUENCE: u8 = 0x30;
/// DER tag of INTEGER.
pub(super) const INTEGER: u8 = 0x02;
/// DER tag of BIT STRING.
pub(super) const BIT_STRING: u8 = 0x03;
/// DER tag of OCTET STRING.
pub(super) const OCTET_STRING: u8 = 0x04;
/// DER tag of NULL.
pub(super) const NULL: u8 = 0x05;
/// DER tag of OBJECT IDENTIFIER.
pub(super) const OID: u8 = 0x06;
/// `[0]` constructed (explicit tagging).
pub(super) const CONTEXT_0: u8 = 0xa0;
/// `[1]` constructed (explicit tagging).
pub(super) const CONTEXT_1: u8 = 0xa1;
/// `[1]` primitive (implicit tagging, PKCS#8 v2 public key).
pub(super) const CONTEXT_1_PRIMITIVE: u8 = 0x81;

/// rsaEncryption, 1.2.840.113549.1.1.1.
pub(super) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// RSASSA-PSS, 1.2.840.113549.1.1.10.
pub(super) const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// id-ecPublicKey, 1.2.840.10045.2.1.
pub(super) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// Ed25519, 1.3.101.112.
pub(super) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Named curves: OID content bytes, name, size in bits.
const CURVES: &[(&[u8], &str, u32)] = &[
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], "P-256", 256),
    (&[0x2b, 0x81, 0x04, 0x00, 0x22], "P-384", 384),
    (&[0x2b, 0x81, 0x04, 0x00, 0x23], "P-521", 521),
    (&[0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1", 256),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01], "P-192", 192),
    (&[0x2b, 0x81, 0x04, 0x00, 0x21], "P-224", 224),
];

/// The curve name and size of a named-curve OID (content bytes).
pub(super) fn curve_of(oid: &[u8]) -> Option<(&'static str, u32)> {
    CURVES
        .iter()
        .find(|(o, _, _)| *o == oid)
        .map(|(_, name, bits)| (*name, *bits))
}

/// The OID content bytes of a named curve.
pub(super) fn curve_oid(name: &str) -> Option<&'static [u8]> {
    CURVES.iter().find(|(_, n, _)| *n == name).map(|(o, _, _)| *o)
}

/// One DER element: its tag and content.
pub(super) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
}

/// Reads consecutive DER elements from a byte slice.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Whether every byte was read.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element.
    pub fn read(&mut self) -> Option<Tlv<'a>> {
        let (&tag, after_tag) = self.rest.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // high tag numbers are never used by key structures
        }
        let (&first, mut after_len) = after_tag.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None; // indefinite or absurd length
            }
            let (len_bytes, rest) = after_len.split_at_checked(n)?;
            after_len = rest;
            len_bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        let (content, rest) = after_len.split_at_checked(len)?;
        self.rest = rest;
        Some(Tlv { tag, content })
    }

    /// Reads the next element and checks its tag.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        let tlv = self.read()?;
        (tlv.tag == tag).then_some(tlv.content)
    }

    /// Reads the next element only when it has `tag`.
    pub fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag)
        } else {
            None
        }
    }
}

/// Encodes one DER element.
pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// An unsigned integer as minimal DER INTEGER content (leading zeros stripped, one added when
/// the high bit is set).
pub(super) fn unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let digits = bytes.get(skip..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|b| *b >= 0x80) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

/// Size in bits of an unsigned big-endian integer.
pub(super) fn bit_length(bytes: &[u8]) -> u32 {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let digits = bytes.get(skip..).unwrap_or(&[]);
    match digits.first() {
        None => 0,
        Some(first) => (digits.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

/// What a public key is, without the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PublicKeyFacts {
    /// `rsa`, `ec`, `ed25519` or `other`.
    pub algorithm: &'static str,
    /// Key size in bits (RSA modulus size, curve size); `None` when unknown.
    pub bits: Option<u32>,
    /// Named curve (EC only).
    pub curve: Option<&'static str>,
}

/// A SubjectPublicKeyInfo derived from a private key, and its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spki {
    /// SHA-256 of the SPKI DER.
    pub sha256: Digest,
    /// Algorithm, size and curve.
    pub facts: PublicKeyFacts,
}

/// The SPKI of an RSA public key from its modulus and public exponent.
pub(super) fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Spki {
    let mut key = tlv(INTEGER, &unsigned_integer(modulus));
    key.extend_from_slice(&tlv(INTEGER, &unsigned_integer(exponent)));
    let key = tlv(SEQUENCE, &key);
    let mut algorithm = tlv(OID, OID_RSA);
    algorithm.extend_from_slice(&tlv(NULL, &[]));
    let facts = PublicKeyFacts {
        algorithm: "rsa",
        bits: Some(bit_length(modulus)),
        curve: None,
    };
    build_spki(&tlv(SEQUENCE, &algorithm), &key, facts)
}

/// The SPKI of an EC public point on a named curve.
pub(super) fn ec_spki(curve_oid_bytes: &[u8], point: &[u8]) -> Spki {
    let mut algorithm = tlv(OID, OID_EC_PUBLIC_KEY);
    algorithm.extend_from_slice(&tlv(OID, curve_oid_bytes));
    let (curve, bits) = match curve_of(curve_oid_bytes) {
        Some((name, bits)) => (Some(name), Some(bits)),
        None => (None, None),
    };
    build_spki(
        &tlv(SEQUENCE, &algorithm),
        point,
        PublicKeyFacts {
            algorithm: "ec",
            bits,
            curve,
        },
    )
}

/// The SPKI of an Ed25519 public key.
pub(super) fn ed25519_spki(public: &[u8; 32]) -> Spki {
    let algorithm = tlv(SEQUENCE, &tlv(OID, OID_ED25519));
    build_spki(
        &algorithm,
        public,
        PublicKeyFacts {
            algorithm: "ed25519",
            bits: Some(256),
            curve: None,
        },
    )
}

fn build_spki(algorithm: &[u8], key: &[u8], facts: PublicKeyFacts) -> Spki {
    let mut bits = Vec::with_capacity(key.len() + 1);
    bits.push(0);
    bits.extend_from_slice(key);
    let mut body = algorithm.to_vec();
    body.extend_from_slice(&tlv(BIT_STRING, &bits));
    Spki {
        sha256: sha256(&tlv(SEQUENCE, &body)),
        facts,
    }
}

/// Facts of an SPKI given as DER (as found in a certificate).
pub(super) fn spki_facts(spki: &[u8]) -> PublicKeyFacts {
    let other = PublicKeyFacts {
        algorithm: "other",
        bits: None,
        curve: None,
    };
    let parse = || -> Option<PublicKeyFacts> {
        let mut outer = Reader::new(Reader::new(spki).expect(SEQUENCE)?);
        let mut algorithm = Reader::new(outer.expect(SEQUENCE)?);
        let oid = algorithm.expect(OID)?;
        let key = outer.expect(BIT_STRING)?;
        let key = key.get(1..)?; // unused-bits octet
        if oid == OID_RSA || oid == OID_RSA_PSS {
            let mut rsa = Reader::new(Reader::new(key).expect(SEQUENCE)?);
            let modulus = rsa.expect(INTEGER)?;
            Some(PublicKeyFacts {
                algorithm: "rsa",
                bits: Some(bit_length(modulus)),
                curve: None,
            })
        } else if oid == OID_EC_PUBLIC_KEY {
            // The curve comes from the parameters OID, never from the point size.
            let named = algorithm.optional(OID).and_then(curve_of);
            Some(PublicKeyFacts {
                algorithm: "ec",
                bits: named.map(|c| c.1),
                curve: named.map(|c| c.0),
            })
        } else if oid == OID_ED25519 {
            Some(PublicKeyFacts {
                algorithm: "ed25519",
                bits: Some(256),
                curve: None,
            })
        } else {
            None
        }
    };
    parse().unwrap_or(other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_lengths() {
        let long = vec![7u8; 300];
        let enc = tlv(OCTET_STRING, &long);
        assert_eq!(enc.get(..4), Some(&[0x04, 0x82, 0x01, 0x2c][..]));
        let mut r = Reader::new(&enc);
        assert_eq!(r.expect(OCTET_STRING).map(<[u8]>::len), Some(300));
        assert!(r.is_empty());
        // Truncated and indefinite lengths are refused.
        assert!(Reader::new(&enc[..100]).read().is_none());
        assert!(Reader::new(&[0x30, 0x80, 0, 0]).read().is_none());
        assert!(Reader::new(&[0x30]).read().is_none());
    }

    #[test]
    fn integers_and_bit_lengths() {
        assert_eq!(unsigned_integer(&[0, 0, 0x80]), vec![0, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0x7f]), vec![0x7f]);
        assert_eq!(unsigned_integer(&[]), vec![0]);
        assert_eq!(bit_length(&[0x00, 0x7f, 0xff]), 15);
        assert_eq!(bit_length(&[0x80, 0x00]), 16);
        assert_eq!(bit_length(&[]), 0);
    }
}
