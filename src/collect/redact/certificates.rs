//! Certificate facts: what an X.509 certificate says, as JSON, without verifying signatures.
//!
//! Used for Secret data, kubeconfig CA and client certificates, and by analyses through
//! [`certificate_facts`]. The PEM itself is public and kept by the caller where needed;
//! signature checks happen in the analyses. Parse errors name the block index, never its bytes.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::prelude::FromDer;

use super::der::spki_facts;
use super::pem::{self, Block};
use crate::model::sha256;

/// The certificates of a PEM text: facts, errors, and the SPKI hashes (hex) per certificate.
pub(super) struct Bundle {
    /// One CERT object per parsed certificate, in order.
    pub certificates: Vec<Value>,
    /// One `{"block","error"}` object per block that could not be read.
    pub errors: Vec<Value>,
    /// `spki_sha256` of every parsed certificate.
    pub spki_hashes: Vec<String>,
}

impl Bundle {
    /// `{"certificates":[...],"errors":[...]}`.
    pub fn to_json(&self) -> Value {
        json!({"certificates": self.certificates, "errors": self.errors})
    }
}

/// Facts of every certificate in a PEM bundle: `{"certificates":[CERT...],"errors":[...]}`.
///
/// Blocks that are not certificates are skipped (private keys too: they are never read here).
/// A bundle without PEM certificate blocks yields an error entry, never a panic.
pub fn certificate_facts(pem: &[u8]) -> Value {
    let text = String::from_utf8_lossy(pem);
    let found = pem::blocks(&text);
    let bundle = from_blocks(&found);
    if bundle.certificates.is_empty() && bundle.errors.is_empty() {
        return json!({"certificates": [], "errors": [{"block": null, "error": "no PEM certificate found"}]});
    }
    bundle.to_json()
}

/// The certificates among `blocks`.
pub(super) fn from_blocks(blocks: &[Block<'_>]) -> Bundle {
    let mut bundle = Bundle {
        certificates: Vec::new(),
        errors: Vec::new(),
        spki_hashes: Vec::new(),
    };
    for (index, block) in blocks.iter().enumerate().filter(|(_, b)| b.is_certificate()) {
        let result = if block.complete {
            block.decode().ok_or("not valid base64").and_then(|der| from_der(&der))
        } else {
            Err("truncated PEM block")
        };
        match result {
            Ok((facts, spki)) => {
                bundle.certificates.push(facts);
                bundle.spki_hashes.push(spki);
            }
            Err(error) => bundle.errors.push(json!({"block": index, "error": error})),
        }
    }
    bundle
}

/// Facts of one DER certificate and its SPKI hash (hex).
pub(super) fn from_der(der: &[u8]) -> Result<(Value, String), &'static str> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|_| "not a valid X.509 certificate")?;
    if !rest.is_empty() {
        return Err("trailing bytes after certificate");
    }
    let spki_raw = cert.public_key().raw;
    let spki_sha256 = sha256(spki_raw).to_hex();
    let key = spki_facts(spki_raw);

    let (is_ca, path_len) = match cert.basic_constraints() {
        Ok(Some(bc)) => (bc.value.ca, bc.value.path_len_constraint),
        _ => (false, None),
    };
    let mut key_usage = Vec::new();
    if let Ok(Some(ku)) = cert.key_usage() {
        let ku = ku.value;
        let flags = [
            (ku.digital_signature(), "digitalSignature"),
            (ku.non_repudiation(), "nonRepudiation"),
            (ku.key_encipherment(), "keyEncipherment"),
            (ku.data_encipherment(), "dataEncipherment"),
            (ku.key_agreement(), "keyAgreement"),
            (ku.key_cert_sign(), "keyCertSign"),
            (ku.crl_sign(), "cRLSign"),
            (ku.encipher_only(), "encipherOnly"),
            (ku.decipher_only(), "decipherOnly"),
        ];
        key_usage.extend(flags.iter().filter(|(set, _)| *set).map(|(_, name)| *name));
    }
    let mut extended_key_usage: Vec<String> = Vec::new();
    if let Ok(Some(eku)) = cert.extended_key_usage() {
        let eku = eku.value;
        let flags = [
            (eku.any, "any"),
            (eku.server_auth, "serverAuth"),
            (eku.client_auth, "clientAuth"),
            (eku.code_signing, "codeSigning"),
            (eku.email_protection, "emailProtection"),
            (eku.time_stamping, "timeStamping"),
            (eku.ocsp_signing, "OCSPSigning"),
        ];
        extended_key_usage.extend(flags.iter().filter(|(set, _)| *set).map(|(_, n)| (*n).to_string()));
        extended_key_usage.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    }
    let (mut ski, mut aki) = (None, None);
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(hex::encode(k.0)),
            ParsedExtension::AuthorityKeyIdentifier(a) => aki = a.key_identifier.as_ref().map(|k| hex::encode(k.0)),
            _ => {}
        }
    }
    let (mut dns, mut uri, mut ip) = (Vec::new(), Vec::new(), Vec::new());
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => dns.push((*d).to_string()),
                GeneralName::URI(u) => uri.push((*u).to_string()),
                GeneralName::IPAddress(bytes) => ip.push(ip_text(bytes)),
                _ => {}
            }
        }
    }
    let trust_domains: BTreeSet<String> = uri
        .iter()
        .filter_map(|u| u.strip_prefix("spiffe://"))
        .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
        .collect();
    let signature_algorithm = oid2sn(&cert.signature_algorithm.algorithm, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| cert.signature_algorithm.algorithm.to_id_string());
    let validity = cert.validity();
    let facts = json!({
        "subject": cert.subject().to_string(),
        "issuer": cert.issuer().to_string(),
        "serial": serial_hex(cert.raw_serial()),
        "not_before": rfc3339(validity.not_before.timestamp()),
        "not_after": rfc3339(validity.not_after.timestamp()),
        "key": {"algorithm": key.algorithm, "bits": key.bits, "curve": key.curve},
        "signature_algorithm": signature_algorithm,
        "is_ca": is_ca,
        "path_len": path_len,
        "key_usage": key_usage,
        "extended_key_usage": extended_key_usage,
        "ski": ski,
        "aki": aki,
        "san": {"dns": dns, "uri": uri, "ip": ip},
        "spiffe_trust_domains": trust_domains,
        "self_issued": cert.subject().as_raw() == cert.issuer().as_raw(),
        "sha256": sha256(der).to_hex(),
        "spki_sha256": spki_sha256,
        "der_size": der.len(),
    });
    Ok((facts, spki_sha256))
}

/// Serial as lower-case hex without colons or DER sign padding.
fn serial_hex(raw: &[u8]) -> String {
    let skip = raw
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(raw.len().saturating_sub(1));
    hex::encode(raw.get(skip..).unwrap_or(raw))
}

/// RFC 3339 UTC with seconds and `Z`.
fn rfc3339(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| timestamp.to_string())
}

fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        IpAddr::V4(Ipv4Addr::from(v4)).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        IpAddr::V6(Ipv6Addr::from(v6)).to_string()
    } else {
        hex::encode(bytes)
    }
}
