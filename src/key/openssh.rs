//! Reading the OpenSSH private key format (`BEGIN OPENSSH PRIVATE KEY`),
//! which `ssh-keygen` writes by default.
//!
//! Unencrypted Ed25519 and ECDSA P-256 and P-384 keys are rebuilt as
//! PKCS#8 from their raw parts. RSA keys, encrypted keys and key types that
//! JWS cannot use fail with a message that names the type and the
//! `ssh-keygen` command that converts a copy.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair,
};
use pkcs8::ObjectIdentifier;

use super::Origin;
use super::{NEW_EC_KEY, OID_P256, OID_P384, OID_P521, PrivateKey, unusable};
use crate::error::Error;

/// The bytes every OpenSSH private key starts with, after base64 decoding.
const MAGIC: &[u8] = b"openssh-key-v1\0";

/// Parses the decoded body of an `OPENSSH PRIVATE KEY` PEM block.
pub(super) fn parse(body: &[u8], origin: &Origin) -> Result<PrivateKey, Error> {
    let corrupt = || {
        Error::config(format!("key {origin} is a damaged OpenSSH private key")).with_hint(format!(
            "check it with: {}",
            origin.run(|file| format!("ssh-keygen -y -f {file}"))
        ))
    };
    let mut reader = Reader(body.strip_prefix(MAGIC).ok_or_else(corrupt)?);
    let cipher = reader.string().ok_or_else(corrupt)?;
    if cipher != b"none" {
        return Err(encrypted(origin));
    }
    let _kdf = reader.string().ok_or_else(corrupt)?;
    let _kdf_options = reader.string().ok_or_else(corrupt)?;
    if reader.u32() != Some(1) {
        return Err(unusable(
            origin,
            "an OpenSSH file that does not hold exactly one key",
            format!(
                "export the key you mean: {} lists it",
                origin.run(|file| format!("ssh-keygen -y -f {file}"))
            ),
        ));
    }
    let _public = reader.string().ok_or_else(corrupt)?;
    let mut private = Reader(reader.string().ok_or_else(corrupt)?);
    let (first, second) = (private.u32(), private.u32());
    if first.is_none() || first != second {
        return Err(corrupt());
    }
    let key_type = private.string().ok_or_else(corrupt)?;
    key_from_parts(key_type, &mut private, origin)?.ok_or_else(corrupt)
}

/// Builds the key of `key_type` from the rest of the private section.
/// Returns `Ok(None)` when the section ends early.
fn key_from_parts(
    key_type: &[u8],
    private: &mut Reader,
    origin: &Origin,
) -> Result<Option<PrivateKey>, Error> {
    match key_type {
        b"ssh-ed25519" => ed25519(private, origin),
        b"ecdsa-sha2-nistp256" => {
            ecdsa(private, &ECDSA_P256_SHA256_FIXED_SIGNING, OID_P256, origin)
        }
        b"ecdsa-sha2-nistp384" => {
            ecdsa(private, &ECDSA_P384_SHA384_FIXED_SIGNING, OID_P384, origin)
        }
        b"ecdsa-sha2-nistp521" => Err(super::unsupported_curve(OID_P521, origin)),
        b"ssh-rsa" => Err(unusable(
            origin,
            "an OpenSSH RSA private key",
            format!(
                "convert a copy to PKCS#8: {}",
                origin.run(|file| format!(
                    "install -m 600 {file} key.pem && ssh-keygen -p -N '' -m PKCS8 -f key.pem"
                ))
            ),
        )),
        other => Err(unsupported_type(&String::from_utf8_lossy(other), origin)),
    }
}

/// Builds an Ed25519 key from its public key and its 64-byte private
/// part, which is the 32-byte seed followed by the public key.
fn ed25519(private: &mut Reader, origin: &Origin) -> Result<Option<PrivateKey>, Error> {
    let (Some(public), Some(secret)) = (private.string(), private.string()) else {
        return Ok(None);
    };
    let invalid = || Error::config(format!("Ed25519 key {origin} is invalid"));
    let seed = secret.get(..32).ok_or_else(invalid)?;
    let pair = Ed25519KeyPair::from_seed_and_public_key(seed, public).map_err(|_| invalid())?;
    let pkcs8 = pair.to_pkcs8v1().map_err(|_| invalid())?;
    super::ed25519_from_pkcs8(pkcs8.as_ref(), origin).map(Some)
}

/// Builds an ECDSA key from the curve name, the public point and the
/// private scalar, which OpenSSH stores as an mpint.
fn ecdsa(
    private: &mut Reader,
    algorithm: &'static EcdsaSigningAlgorithm,
    curve: ObjectIdentifier,
    origin: &Origin,
) -> Result<Option<PrivateKey>, Error> {
    let (Some(_name), Some(point), Some(scalar)) =
        (private.string(), private.string(), private.string())
    else {
        return Ok(None);
    };
    let width = if curve == OID_P256 { 32 } else { 48 };
    let invalid = || Error::config(format!("ECDSA key {origin} is invalid"));
    let scalar = fixed_width(scalar, width).ok_or_else(invalid)?;
    let pair = EcdsaKeyPair::from_private_key_and_public_key(algorithm, &scalar, point)
        .map_err(|_| invalid())?;
    let pkcs8 = pair.to_pkcs8v1().map_err(|_| invalid())?;
    super::ec_normalise(pkcs8.as_ref(), Some(curve), origin).map(Some)
}

/// Turns an mpint's big-endian bytes into exactly `width` bytes: the sign
/// byte an mpint may lead with goes, and short values are padded with
/// zeros. Returns `None` for a value too long for the curve.
fn fixed_width(mpint: &[u8], width: usize) -> Option<Vec<u8>> {
    let start = mpint.iter().position(|&b| b != 0).unwrap_or(mpint.len());
    let digits = &mpint[start..];
    if digits.len() > width {
        return None;
    }
    let mut padded = vec![0u8; width - digits.len()];
    padded.extend_from_slice(digits);
    Some(padded)
}

/// Builds the error for an OpenSSH key protected by a passphrase.
fn encrypted(origin: &Origin) -> Error {
    unusable(
        origin,
        "an encrypted OpenSSH private key",
        format!(
            "write a copy without the passphrase and point the credential at it: {}",
            origin.run(|file| format!("install -m 600 {file} key && ssh-keygen -p -N '' -f key"))
        ),
    )
}

/// Builds the error for an OpenSSH key type that JWS has no algorithm for.
fn unsupported_type(key_type: &str, origin: &Origin) -> Error {
    let form = if key_type.starts_with("sk-") {
        format!("an OpenSSH {key_type} key, whose private part stays on a security key")
    } else if key_type == "ssh-dss" {
        "an OpenSSH DSA key, which JWS does not support".to_string()
    } else {
        format!("an OpenSSH key of type \"{key_type}\", which namedcred cannot sign with")
    };
    unusable(origin, &form, format!("generate a supported key: {NEW_EC_KEY}"))
}

/// Reads the length-prefixed fields of the OpenSSH format.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// Reads a big-endian 32-bit integer.
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    /// Reads a string: a 32-bit length, then that many bytes.
    fn string(&mut self) -> Option<&'a [u8]> {
        let length = usize::try_from(self.u32()?).ok()?;
        if length > self.0.len() {
            return None;
        }
        let (value, rest) = self.0.split_at(length);
        self.0 = rest;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpint_to_fixed_width() {
        assert_eq!(fixed_width(&[0, 0x80, 1], 3), Some(vec![0, 0x80, 1]));
        assert_eq!(fixed_width(&[0x00, 0xff, 0x01], 2), Some(vec![0xff, 0x01]));
        assert_eq!(fixed_width(&[7], 3), Some(vec![0, 0, 7]));
        assert_eq!(fixed_width(&[1, 2, 3], 2), None);
    }

    #[test]
    fn reader_refuses_lengths_past_the_end() {
        let mut reader = Reader(&[0, 0, 0, 5, b'a', b'b']);
        assert_eq!(reader.string(), None);
        let mut reader = Reader(&[0, 0, 0, 2, b'a', b'b', 0]);
        assert_eq!(reader.string(), Some(&b"ab"[..]));
        assert_eq!(reader.u32(), None);
    }

    #[test]
    fn truncated_key_is_named_damaged() {
        let error = parse(b"openssh-key-v1\0\0\0\0\x04no", &Origin::file("k")).unwrap_err();
        assert!(error.message.contains("damaged OpenSSH"), "{}", error.message);
        assert!(parse(b"not openssh", &Origin::file("k")).is_err());
    }
}
