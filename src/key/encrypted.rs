//! Decrypting encrypted PKCS#8 keys (`BEGIN ENCRYPTED PRIVATE KEY`).
//!
//! PBES2 loads with PBKDF2 (HMAC-SHA1, -SHA224, -SHA256, -SHA384 or
//! -SHA512) or scrypt, and AES-CBC or DES-EDE3-CBC. The older PBES1
//! schemes, from PKCS#5 v1.5 and from PKCS#12, fail with a message that
//! names the scheme and the command that re-encrypts the key with PBES2.

use pkcs8::ObjectIdentifier;
use pkcs8::der::asn1::AnyRef;
use pkcs8::der::{Decode, SliceReader};
use pkcs8::pkcs5::Error as Pkcs5Error;
use pkcs8::spki::AlgorithmIdentifierRef;

use super::Origin;
use super::PrivateKey;
use crate::error::Error;
use crate::secret::Secret;

/// The arc under which PKCS#5 v1.5 names its PBES1 schemes
/// (1.2.840.113549.1.5.1 to .11); PBES2 is .13 under the same arc.
const PKCS5_ARC: &str = "1.2.840.113549.1.5.";
/// The arc under which PKCS#12 names its password-based schemes, such as
/// pbeWithSHAAnd3-KeyTripleDES-CBC (1.2.840.113549.1.12.1.3).
const PKCS12_PBE_ARC: &str = "1.2.840.113549.1.12.1.";
/// The PBES2 scheme OID.
const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

/// The variable name that hints use when no `key_passphrase_env` is set.
const PASSPHRASE_PLACEHOLDER: &str = "KEY_PASSPHRASE";

/// Decrypts an encrypted PKCS#8 key with the passphrase and parses the
/// result. `passphrase` contains the name of the variable it came from, for
/// messages.
pub(super) fn decrypt(
    der: &[u8],
    origin: &Origin,
    passphrase: Option<&(&str, Secret<String>)>,
) -> Result<PrivateKey, Error> {
    let variable = passphrase.map_or(PASSPHRASE_PLACEHOLDER, |(variable, _)| variable);
    if let Some(error) = unsupported_scheme(der, origin, variable) {
        return Err(error);
    }
    let Some((variable, passphrase)) = passphrase else {
        return Err(Error::config(format!(
            "key {origin} is an encrypted PKCS#8 key and no passphrase is set"
        ))
        .with_hint(
            "set key_passphrase_env to the name of a variable that contains the passphrase",
        ));
    };
    let wrong = || {
        Error::config(format!(
            "cannot decrypt key {origin}: the passphrase in {variable} is wrong, \
             or the key is damaged"
        ))
    };
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der).map_err(|e| {
        // PBES2 parameters that do not parse most often name a cipher or
        // PRF that the pkcs5 crate lacks, such as Camellia.
        if scheme_oid(der) == Some(OID_PBES2) {
            let scheme = format!("a PBES2 cipher or PRF that namedcred does not support ({e})");
            return unusable_scheme(origin, &scheme, variable, false);
        }
        Error::config(format!("key {origin} is not a valid encrypted PKCS#8 key: {e}"))
    })?;
    let document = info.decrypt(passphrase.expose().as_bytes()).map_err(|e| match e {
        pkcs8::Error::EncryptedPrivateKey(
            Pkcs5Error::UnsupportedAlgorithm { .. } | Pkcs5Error::NoPbes1CryptSupport,
        ) => unusable_scheme(
            origin,
            "an encryption scheme that namedcred does not support",
            variable,
            false,
        ),
        _ => wrong(),
    })?;
    // A wrong passphrase can decrypt to bytes with valid padding by chance,
    // so a parse failure after decryption also points at the passphrase.
    super::parse(document.as_bytes(), origin).map_err(|_| wrong())
}

/// Names a PBES1 scheme, which the pkcs5 crate cannot decrypt, before any
/// passphrase is asked for. Returns `None` for PBES2 and for DER that
/// does not parse this far.
fn unsupported_scheme(der: &[u8], origin: &Origin, variable: &str) -> Option<Error> {
    let oid = scheme_oid(der)?;
    if oid == OID_PBES2 {
        return None;
    }
    let text = oid.to_string();
    if text.starts_with(PKCS12_PBE_ARC) {
        return Some(unusable_scheme(
            origin,
            &format!("PKCS#12-style PBES1 encryption ({text}), as `openssl pkcs8 -v1` writes"),
            variable,
            false,
        ));
    }
    if text.starts_with(PKCS5_ARC) {
        return Some(unusable_scheme(
            origin,
            &format!("PKCS#5 v1.5 PBES1 encryption ({text}) with DES or RC2"),
            variable,
            true,
        ));
    }
    None
}

/// Tells whether `der` is an `EncryptedPrivateKeyInfo` with a PBES1 or
/// PBES2 scheme, as `openssl pkcs8 -topk8 -outform DER` writes it.
pub(super) fn is_encrypted_der(der: &[u8]) -> bool {
    let Some(oid) = scheme_oid(der) else {
        return false;
    };
    let text = oid.to_string();
    text.starts_with(PKCS5_ARC) || text.starts_with(PKCS12_PBE_ARC)
}

/// Reads the OID of the encryption algorithm of an
/// `EncryptedPrivateKeyInfo`, without parsing its parameters.
fn scheme_oid(der: &[u8]) -> Option<ObjectIdentifier> {
    let outer = AnyRef::from_der(der).ok()?;
    let mut reader = SliceReader::new(outer.value()).ok()?;
    let algorithm = AlgorithmIdentifierRef::decode(&mut reader).ok()?;
    Some(algorithm.oid)
}

/// Builds the error for an encryption scheme that cannot be decrypted,
/// with the command that re-encrypts the key with PBES2. Schemes based on
/// DES or RC2 need OpenSSL 3's legacy provider to decrypt.
fn unusable_scheme(origin: &Origin, scheme: &str, variable: &str, legacy: bool) -> Error {
    let provider = if legacy { " -provider legacy -provider default" } else { "" };
    Error::config(format!("key {origin} is an encrypted PKCS#8 key with {scheme}")).with_hint(
        format!(
            "re-encrypt it with PBES2 and AES: {}",
            origin.run(|file| format!(
                "openssl pkcs8{provider} -in {file} -passin env:{variable} | openssl pkcs8 \
                 -topk8 -v2 aes-256-cbc -passout env:{variable} -out key.pem"
            ))
        ),
    )
}
