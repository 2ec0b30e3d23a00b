//! Recognising what a key file holds when it is not a private key that
//! namedcred reads: keystores, public keys, certificate requests, keys
//! encoded once more for a secret store, and text in UTF-16.
//!
//! Each recognised form gets a message that names it and a hint with the
//! one-line command that turns it into a form that loads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::Origin;
use super::{NEW_EC_KEY, unusable};
use crate::error::Error;

/// Returns the text of a file written in UTF-16 with a byte order mark,
/// as Windows PowerShell 5 writes redirected output, or `None` for any
/// other file.
pub(super) fn utf16_text(bytes: &[u8]) -> Option<String> {
    let (body, little_endian) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) }
    });
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

/// Names a file that is neither PEM nor a DER private key, when its form
/// is one that people bring by mistake.
pub(super) fn identify(bytes: &[u8], text: &str, origin: &Origin) -> Option<Error> {
    identify_binary(bytes, origin).or_else(|| identify_text(text, origin))
}

/// Recognises keystores and DER public keys and certificates.
fn identify_binary(bytes: &[u8], origin: &Origin) -> Option<Error> {
    if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE; 4]) {
        return Some(unusable(
            origin,
            "a Java keystore (JKS or JCEKS)",
            format!(
                "export the key: {}",
                origin.run_on_file(|file| format!(
                    "keytool -importkeystore -srckeystore {file} -destkeystore key.p12 \
                     -deststoretype PKCS12 && openssl pkcs12 -in key.p12 -nocerts -nodes \
                     -out key.pem"
                ))
            ),
        ));
    }
    if is_pkcs12(bytes) {
        return Some(unusable(
            origin,
            "a PKCS#12 file (.p12 or .pfx)",
            format!(
                "extract the key: {} (add -legacy for files that use RC2)",
                origin
                    .run(|file| format!("openssl pkcs12 -in {file} -nocerts -nodes -out key.pem"))
            ),
        ));
    }
    if pkcs8::spki::SubjectPublicKeyInfoRef::try_from(bytes).is_ok() {
        return Some(public_key(origin, "a DER public key"));
    }
    if is_certificate(bytes) {
        return Some(unusable(
            origin,
            "a DER certificate; signing needs the private key",
            format!(
                "point the credential at the private key that the certificate was issued \
                 for; {} prints its public key to compare",
                origin.run(|file| format!("openssl x509 -inform DER -in {file} -noout -pubkey"))
            ),
        ));
    }
    None
}

/// Returns whether `der` starts like a PKCS#12 PFX: a SEQUENCE holding
/// version 3 and then PKCS#7 content.
fn is_pkcs12(der: &[u8]) -> bool {
    const DATA_OID: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
    let after_header = match der {
        [0x30, 0x82, _, _, rest @ ..] => rest,
        [0x30, 0x81, _, rest @ ..] => rest,
        _ => return false,
    };
    after_header.starts_with(&[0x02, 0x01, 0x03])
        && after_header.windows(DATA_OID.len()).take(16).any(|w| w == DATA_OID)
}

/// Returns whether `der` starts like an X.509 certificate: a SEQUENCE
/// whose first element is a SEQUENCE that opens with an explicit version.
fn is_certificate(der: &[u8]) -> bool {
    matches!(der, [0x30, 0x82, _, _, 0x30, 0x82, _, _, 0xA0, 0x03, 0x02, 0x01, 0..=2, ..])
}

/// Recognises OpenSSH public keys and keys encoded in base64 once more.
fn identify_text(text: &str, origin: &Origin) -> Option<Error> {
    let trimmed = text.trim();
    let ssh_types = ["ssh-ed25519 ", "ssh-rsa ", "ssh-dss ", "ecdsa-sha2-", "sk-"];
    if ssh_types.iter().any(|t| trimmed.starts_with(t)) {
        return Some(unusable(
            origin,
            "an OpenSSH public key (a .pub file); signing needs the private key",
            format!(
                "point the credential at the private key, usually the same path without \
                 .pub; {} shows which key this is",
                origin.run(|file| format!("ssh-keygen -l -f {file}"))
            ),
        ));
    }
    let compact: String = trimmed.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let decoded = STANDARD.decode(compact.as_bytes()).ok()?;
    if String::from_utf8_lossy(&decoded).contains("-----BEGIN ") {
        return Some(unusable(
            origin,
            "a PEM key encoded in base64 once more, as secret stores hold it",
            format!("decode it: {}", origin.run(|file| format!("base64 -d {file} > key.pem"))),
        ));
    }
    if is_pkcs12(&decoded) {
        return Some(unusable(
            origin,
            "a PKCS#12 file (.pfx) encoded in base64, as Azure Key Vault returns a \
             certificate's secret",
            format!(
                "decode it and extract the key: {} && openssl pkcs12 -in key.pfx -nocerts \
                 -nodes -out key.pem",
                origin.run(|file| format!("base64 -d {file} > key.pfx"))
            ),
        ));
    }
    super::parse_der(&decoded, None, origin).ok()?;
    Some(unusable(
        origin,
        "the base64 body of a private key without its -----BEGIN and -----END lines",
        format!(
            "decode it to DER, which loads as it is: {}",
            origin.run(|file| format!("base64 -d {file} > key.der"))
        ),
    ))
}

/// Explains a JSON document that is neither a JWK, a JWKS nor a Google
/// service account key: an AWS KMS public key, a document that has a PEM
/// private key in one of its members, or anything else.
pub(super) fn json_document(value: &Value, origin: &Origin) -> Error {
    if value.get("KeyId").is_some() && value.get("PublicKey").is_some() {
        return unusable(
            origin,
            "an AWS KMS public key, as `aws kms get-public-key` prints it; KMS never \
             exports the private key",
            format!("namedcred signs with a local private key; generate one: {NEW_EC_KEY}"),
        );
    }
    if let Some(path) = pem_member(value, String::new(), 0) {
        return unusable(
            origin,
            &format!("a JSON document with a PEM private key in its member {path}"),
            format!(
                "read the member with key_command = {}",
                toml::Value::String(origin.run(|file| format!("jq -r '{path}' {file}")))
            ),
        );
    }
    Error::config(format!(
        "key {origin} is JSON but neither a JWK, a JWKS nor a Google service account key"
    ))
    .with_hint("a JWK has a `kty` member, a JWKS a `keys` array")
}

/// Returns the jq path of the first string member that is a PEM private
/// key, looking at most four levels deep, as secret stores nest it
/// (`.data.private_key`, `.SecretString`, `.value`).
fn pem_member(value: &Value, path: String, depth: usize) -> Option<String> {
    let is_pem = |text: &str| text.contains("-----BEGIN ") && text.contains("PRIVATE KEY-----");
    match value {
        Value::String(text) if is_pem(text) => {
            Some(if path.is_empty() { ".".into() } else { path })
        }
        Value::Object(members) if depth < 4 => members.iter().find_map(|(name, member)| {
            let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            let step = if plain { format!(".{name}") } else { format!(".{name:?}") };
            pem_member(member, format!("{path}{step}"), depth + 1)
        }),
        Value::Array(items) if depth < 4 => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| pem_member(item, format!("{path}[{i}]"), depth + 1)),
        _ => None,
    }
}

/// Explains a PEM block type that is not a private key and that the
/// caller has no message of its own for.
pub(super) fn pem_tag(tag: &str, origin: &Origin) -> Option<Error> {
    let error = match tag {
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => unusable(
            origin,
            "a certificate signing request; signing needs the private key",
            format!(
                "point the credential at the private key the request was made with; \
                 {} prints its public key to compare",
                origin.run(|file| format!("openssl req -in {file} -noout -pubkey"))
            ),
        ),
        "SSH2 ENCRYPTED PRIVATE KEY" => unusable(
            origin,
            "an SSH2 (RFC 4716, ssh.com) private key",
            format!(
                "convert an unencrypted one: {}",
                origin.run(|file| format!("ssh-keygen -i -f {file} > key"))
            ),
        ),
        "PGP PRIVATE KEY BLOCK" => unusable(
            origin,
            "an OpenPGP private key, which JWS cannot use",
            format!("generate a supported key: {NEW_EC_KEY}"),
        ),
        _ => return None,
    };
    Some(error)
}

/// Builds the error for a public key where the private key belongs.
pub(super) fn public_key(origin: &Origin, form: &str) -> Error {
    unusable(
        origin,
        &format!("{form}; signing needs the private key"),
        "point the credential at the private key that belongs to it; \
         openssl pkey -in PRIVATE_KEY -pubout prints a private key's public key to compare",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_either_byte_order_decodes() {
        assert_eq!(utf16_text(b"\xFF\xFEA\0B\0").as_deref(), Some("AB"));
        assert_eq!(utf16_text(b"\xFE\xFF\0A\0B").as_deref(), Some("AB"));
        assert_eq!(utf16_text(b"AB"), None);
    }

    #[test]
    fn plain_text_is_not_identified() {
        assert!(identify(b"not a key at all", "not a key at all", &Origin::file("k")).is_none());
        assert!(identify(b"c2VjcmV0", "c2VjcmV0", &Origin::file("k")).is_none());
    }

    #[test]
    fn unknown_pem_tag_is_left_to_the_caller() {
        assert!(pem_tag("X509 CRL", &Origin::file("k")).is_none());
        let error = pem_tag("CERTIFICATE REQUEST", &Origin::file("k")).unwrap();
        assert!(error.message.contains("signing request"), "{}", error.message);
    }
}
