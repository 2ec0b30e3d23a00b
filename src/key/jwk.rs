//! Private keys written as a JWK (RFC 7517) or chosen from a JWKS: RSA,
//! EC (P-256, P-384), OKP (Ed25519) and oct (HMAC) keys. Each is turned
//! into the DER form that the PEM and DER parser already checks, so a JWK
//! key passes the same validation as a key file.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::Origin;
use super::PrivateKey;
use super::source::{KeyDefaults, LoadedKey};
use crate::error::Error;

/// DER of the P-256 curve OID 1.2.840.10045.3.1.7.
const OID_P256_DER: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the P-384 curve OID 1.3.132.0.34.
const OID_P384_DER: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
/// The PKCS#8 v1 prefix of an Ed25519 key, up to the 32-byte seed.
const ED25519_PKCS8_PREFIX: &[u8] = &[
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Loads the private key of a JWK, or of the JWKS member that `key_id`
/// selects. The JWK's `kid` and `alg`, when present, become defaults.
pub fn load(value: &Value, key_id: Option<&str>, origin: &Origin) -> Result<LoadedKey, Error> {
    let jwk = select(value, key_id, origin)?;
    let text = |field: &str| jwk.get(field).and_then(Value::as_str).map(str::to_string);
    check_intended_use(jwk, origin)?;
    let key = match text("kty").as_deref() {
        Some("RSA") => rsa(jwk, origin)?,
        Some("EC") => ec(jwk, origin)?,
        Some("OKP") => okp(jwk, origin)?,
        Some("oct") => PrivateKey::hmac(member(jwk, "k", origin)?),
        Some(other) => {
            return Err(Error::config(format!(
                "JWK {origin} has kty \"{other}\"; supported: RSA, EC, OKP, oct"
            )));
        }
        None => return Err(Error::config(format!("JWK {origin} has no `kty` member"))),
    };
    let defaults =
        KeyDefaults { key_id: text("kid"), algorithm: text("alg"), ..Default::default() };
    Ok(LoadedKey { key, defaults })
}

/// Rejects a JWK that RFC 7517 marks for another use than signing: `use`
/// other than `sig`, or `key_ops` without `sign`.
fn check_intended_use(jwk: &Value, origin: &Origin) -> Result<(), Error> {
    if let Some(intended) = jwk.get("use").and_then(Value::as_str)
        && intended != "sig"
    {
        return Err(Error::config(format!(
            "JWK {origin} has use \"{intended}\", so it is meant for encryption, not signing"
        ))
        .with_hint("use the JWK with use \"sig\" that was issued for signing"));
    }
    if let Some(operations) = jwk.get("key_ops").and_then(Value::as_array)
        && !operations.iter().any(|operation| operation.as_str() == Some("sign"))
    {
        return Err(Error::config(format!(
            "JWK {origin} has key_ops without \"sign\", so it is not meant for signing"
        ))
        .with_hint("use the JWK whose key_ops include \"sign\""));
    }
    Ok(())
}

/// Picks the JWK: the value itself, or the JWKS member whose `kid` is
/// `key_id`, or the only member when `key_id` is unset.
fn select<'a>(value: &'a Value, key_id: Option<&str>, origin: &Origin) -> Result<&'a Value, Error> {
    let Some(keys) = value.get("keys") else {
        return Ok(value);
    };
    let keys = keys.as_array().ok_or_else(|| {
        Error::config(format!("JWKS {origin} has a `keys` member that is not an array"))
    })?;
    let kids: Vec<&str> =
        keys.iter().map(|k| k.get("kid").and_then(Value::as_str).unwrap_or("(no kid)")).collect();
    match (key_id, keys.as_slice()) {
        (None, [only]) => Ok(only),
        (None, _) => {
            Err(Error::config(format!("JWKS {origin} has {} keys and key_id is unset", keys.len()))
                .with_hint(format!("set key_id to one of: {}", kids.join(", "))))
        }
        (Some(wanted), _) => keys
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(wanted))
            .ok_or_else(|| {
                Error::config(format!("JWKS {origin} has no key with kid \"{wanted}\""))
                    .with_hint(format!("the kids in the set are: {}", kids.join(", ")))
            }),
    }
}

/// Decodes a base64url member, which must be present.
fn member(jwk: &Value, field: &str, origin: &Origin) -> Result<Vec<u8>, Error> {
    let Some(text) = jwk.get(field).and_then(Value::as_str) else {
        let problem = if field == "d" || field == "k" {
            format!("has no `{field}` member, so it is a public key; signing needs the private key")
        } else {
            format!("has no `{field}` member")
        };
        return Err(Error::config(format!("JWK {origin} {problem}")));
    };
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|e| {
        Error::config(format!("JWK {origin} has a `{field}` that is not base64url ({e})"))
    })
}

/// Builds a PKCS#1 `RSAPrivateKey` from the JWK members.
fn rsa(jwk: &Value, origin: &Origin) -> Result<PrivateKey, Error> {
    if jwk.get("d").is_some() && jwk.get("p").is_none() {
        return Err(Error::config(format!(
            "RSA JWK {origin} has no `p`, `q`, `dp`, `dq` and `qi` members, which the signer needs"
        ))
        .with_hint("export the JWK with all of its private members"));
    }
    let modulus = member(jwk, "n", origin)?;
    let mut body = der_uint(&[0]);
    body.extend(der_uint(&modulus));
    for field in ["e", "d", "p", "q", "dp", "dq", "qi"] {
        body.extend(der_uint(&member(jwk, field, origin)?));
    }
    let bits = modulus.iter().skip_while(|b| **b == 0).count() * 8;
    super::rsa_from_pkcs1(der_tlv(0x30, &body), false, origin).map_err(|error| {
        // A key below the minimum size has its own message.
        if bits < super::MIN_RSA_BITS {
            return error;
        }
        Error::config(format!(
            "RSA JWK {origin} is invalid: its members n, e, d, p, q, dp, dq and qi are not \
             the parts of one key"
        ))
        .with_hint("export the JWK again from the key it belongs to")
    })
}

/// Builds a SEC1 `ECPrivateKey` with its curve and public point.
fn ec(jwk: &Value, origin: &Origin) -> Result<PrivateKey, Error> {
    let (curve, size) = match jwk.get("crv").and_then(Value::as_str) {
        Some("P-256") => (OID_P256_DER, 32),
        Some("P-384") => (OID_P384_DER, 48),
        other => {
            return Err(Error::config(format!(
                "EC JWK {origin} has crv {}; namedcred signs with P-256 (ES256) and P-384 (ES384)",
                other.map_or("(none)".to_string(), |c| format!("\"{c}\""))
            )));
        }
    };
    let d = left_pad(member(jwk, "d", origin)?, size);
    let mut point = vec![0x04];
    point.extend(left_pad(member(jwk, "x", origin)?, size));
    point.extend(left_pad(member(jwk, "y", origin)?, size));
    let mut bit_string = vec![0x00];
    bit_string.extend(point);

    let mut body = der_uint(&[1]);
    body.extend(der_tlv(0x04, &d));
    body.extend(der_tlv(0xa0, curve));
    let private_only = der_tlv(0x30, &body);
    body.extend(der_tlv(0xa1, &der_tlv(0x03, &bit_string)));
    super::ec_from_sec1(&der_tlv(0x30, &body), None, origin).map_err(|_| {
        // Without the public point the key is rebuilt from `d` alone, so
        // when that loads, the point is what is wrong.
        if super::ec_from_sec1(&private_only, None, origin).is_err() {
            let curve = if size == 32 { "P-256" } else { "P-384" };
            return Error::config(format!(
                "EC JWK {origin} is invalid: its `d` is not a private key on {curve}"
            ))
            .with_hint("export the JWK again from the key it belongs to");
        }
        mismatch("EC", "`x` and `y`", origin)
    })
}

/// Builds the error for a JWK whose public members belong to another key
/// than its private member `d`.
fn mismatch(kty: &str, public: &str, origin: &Origin) -> Error {
    Error::config(format!(
        "{kty} JWK {origin} is invalid: its public part ({public}) does not match its \
         private part (`d`)"
    ))
    .with_hint("export the JWK again from the key it belongs to")
}

/// Builds a PKCS#8 Ed25519 key from an OKP JWK.
fn okp(jwk: &Value, origin: &Origin) -> Result<PrivateKey, Error> {
    match jwk.get("crv").and_then(Value::as_str) {
        Some("Ed25519") => {}
        other => {
            return Err(Error::config(format!(
                "OKP JWK {origin} has crv {}; namedcred signs with Ed25519 only",
                other.map_or("(none)".to_string(), |c| format!("\"{c}\""))
            )));
        }
    }
    let seed = member(jwk, "d", origin)?;
    if seed.len() != 32 {
        return Err(Error::config(format!("Ed25519 JWK {origin} has a `d` that is not 32 bytes")));
    }
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend(seed);
    let key = super::ed25519_from_pkcs8(&der, origin)?;
    // RFC 8037 requires `x`; a JWK without a 32-byte one is still signed
    // with, because the public key follows from `d`.
    let public = jwk.get("x").and_then(Value::as_str).map(|x| URL_SAFE_NO_PAD.decode(x));
    if let Some(Ok(public)) = public.filter(|x| x.as_ref().is_ok_and(|x| x.len() == 32)) {
        let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(&der)
            .map_err(|_| Error::config(format!("Ed25519 JWK {origin} is invalid")))?;
        if aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref() != public.as_slice() {
            return Err(mismatch("OKP", "`x`", origin));
        }
    }
    Ok(key)
}

/// Pads a big-endian number with leading zeros to `size` bytes.
fn left_pad(bytes: Vec<u8>, size: usize) -> Vec<u8> {
    if bytes.len() >= size {
        return bytes;
    }
    let mut padded = vec![0; size - bytes.len()];
    padded.extend(bytes);
    padded
}

/// Encodes a big-endian unsigned number as a DER INTEGER.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len().saturating_sub(1));
    let mut value = bytes[start.min(bytes.len())..].to_vec();
    if value.is_empty() {
        value.push(0);
    }
    if value[0] & 0x80 != 0 {
        value.insert(0, 0);
    }
    der_tlv(0x02, &value)
}

/// Encodes one DER tag, length and value.
fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = value.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integers_are_minimal_and_positive() {
        assert_eq!(der_uint(&[0]), vec![0x02, 0x01, 0x00]);
        assert_eq!(der_uint(&[0, 0, 5]), vec![0x02, 0x01, 0x05]);
        assert_eq!(der_uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
    }

    #[test]
    fn long_lengths_use_several_bytes() {
        let value = vec![0u8; 300];
        let encoded = der_tlv(0x04, &value);
        assert_eq!(&encoded[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(encoded.len(), 304);
    }

    #[test]
    fn jwks_without_key_id_lists_kids() {
        let set = serde_json::json!({"keys": [{"kid": "a"}, {"kid": "b"}]});
        let error = select(&set, None, &Origin::file("test")).unwrap_err();
        assert!(error.hint.unwrap().contains("a, b"));
        let error = select(&set, Some("c"), &Origin::file("test")).unwrap_err();
        assert!(error.message.contains("\"c\""), "{}", error.message);
    }

    #[test]
    fn public_jwk_rejected() {
        let public = serde_json::json!({"kty": "oct"});
        let error = load(&public, None, &Origin::file("test")).unwrap_err();
        assert!(error.message.contains("public key"), "{}", error.message);
    }
}
