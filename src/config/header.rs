//! Validation of the JOSE header and time fields: `typ`,
//! `[credentials.<name>.jwt_headers]`, `cert_path` with `cert_thumbprint`,
//! `clock_skew` and `not_before`.

use std::path::Path;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::duration;
use super::raw::RawCredential;
use super::resolve::{expand_path, field_error, toml_to_json};
use crate::credential::HeaderSpec;
use crate::error::Error;
use crate::key::SigningKey;

/// Header parameters that other fields set, with the field to use.
const RESERVED_HEADERS: [(&str, &str); 5] = [
    ("alg", "set `algorithm` instead"),
    ("kid", "set `key_id` instead"),
    ("typ", "set `typ` instead"),
    ("x5t", "set `cert_path` instead"),
    ("x5t#S256", "set `cert_path` instead"),
];

/// Builds the header parameters besides `alg` and `kid`.
pub fn resolve_header(
    name: &str,
    raw: &RawCredential,
    base_dir: &Path,
    key: &SigningKey,
) -> Result<HeaderSpec, Error> {
    let typ = match raw.typ.as_deref() {
        None => Some("JWT".to_string()),
        // An empty `typ` leaves the parameter out, for servers that reject
        // any typ they do not expect.
        Some("") => None,
        Some(text) => Some(text.to_string()),
    };
    let mut header = HeaderSpec { typ, ..HeaderSpec::default() };
    add_thumbprints(name, raw, base_dir, key, &mut header)?;
    for (parameter, value) in raw.jwt_headers.iter().flatten() {
        let field = format!("jwt_headers.{parameter}");
        if let Some((_, fix)) = RESERVED_HEADERS.iter().find(|(p, _)| p == parameter) {
            return Err(field_error(
                name,
                &field,
                format!("would replace a header parameter; {fix}"),
            ));
        }
        let json = toml_to_json(value).map_err(|p| field_error(name, &field, p))?;
        header.extra.insert(parameter.clone(), json);
    }
    Ok(header)
}

/// Adds `x5t` and/or `x5t#S256` computed from the certificate in
/// `cert_path`, as `cert_thumbprint` selects. The certificate must hold
/// the public key of the signing key, because a server matches the
/// thumbprint to the certificate it verifies the signature with.
fn add_thumbprints(
    name: &str,
    raw: &RawCredential,
    base_dir: &Path,
    key: &SigningKey,
    header: &mut HeaderSpec,
) -> Result<(), Error> {
    let Some(path) = raw.cert_path.as_deref() else {
        if raw.cert_thumbprint.is_some() {
            return Err(field_error(name, "cert_thumbprint", "needs `cert_path`".to_string()));
        }
        return Ok(());
    };
    let (sha1, sha256) = match raw.cert_thumbprint.as_deref().unwrap_or("x5t#S256") {
        "x5t#S256" => (false, true),
        "x5t" => (true, false),
        "both" => (true, true),
        other => {
            return Err(field_error(
                name,
                "cert_thumbprint",
                format!("\"{other}\" is not valid; use \"x5t#S256\", \"x5t\" or \"both\""),
            ));
        }
    };
    let path = expand_path(path, base_dir);
    let der = read_certificate(&path).map_err(|p| field_error(name, "cert_path", p))?;
    check_certificate_key(&der, key).map_err(|p| {
        field_error(name, "cert_path", format!("{} {p}", path.display()))
            .with_hint("give the certificate issued for this credential's key")
    })?;
    let thumbprint = |algorithm| URL_SAFE_NO_PAD.encode(digest::digest(algorithm, &der).as_ref());
    if sha1 {
        header.x5t = Some(thumbprint(&digest::SHA1_FOR_LEGACY_USE_ONLY));
    }
    if sha256 {
        header.x5t_s256 = Some(thumbprint(&digest::SHA256));
    }
    Ok(())
}

/// Checks that the certificate's public key is the public half of `key`.
/// Returns the problem otherwise, as the end of a sentence about the file.
fn check_certificate_key(der: &[u8], key: &SigningKey) -> Result<(), String> {
    use x509_cert::der::Decode;
    use x509_cert::spki::SubjectPublicKeyInfoRef;

    let certificate = x509_cert::Certificate::from_der(der)
        .map_err(|e| format!("is not a valid X.509 certificate ({e})"))?;
    let in_certificate = certificate.tbs_certificate.subject_public_key_info.subject_public_key;
    let spki = key.public_key_der().map_err(|_| {
        "is set, but an HMAC secret has no public key to put in a certificate".to_string()
    })?;
    let of_key = SubjectPublicKeyInfoRef::from_der(&spki)
        .map_err(|e| format!("cannot be compared with the key ({e})"))?;
    // The key bits are compared, not the whole SubjectPublicKeyInfo, so
    // that an RSA-PSS certificate matches the same key written as plain RSA.
    if in_certificate.raw_bytes() == of_key.subject_public_key.raw_bytes() {
        Ok(())
    } else {
        Err(format!(
            "holds the public key of another key pair, not of the {} signing key",
            key.kind.describe()
        ))
    }
}

/// Reads the DER of the first certificate in a PEM file.
fn read_certificate(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let normalised = text.replace("\r\n", "\n");
    let blocks = pem::parse_many(normalised.trim())
        .map_err(|e| format!("{shown} has a malformed PEM block: {e}"))?;
    blocks
        .into_iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .ok_or_else(|| format!("{shown} contains no -----BEGIN CERTIFICATE----- block"))
}

/// Resolves `clock_skew` in seconds, 0 when unset.
pub fn resolve_clock_skew(name: &str, raw: &RawCredential) -> Result<u64, Error> {
    match &raw.clock_skew {
        None => Ok(0),
        Some(value) => duration::seconds(value, duration::CLOCK_SKEW)
            .map_err(|p| field_error(name, "clock_skew", p)),
    }
}
