//! Public keys derived from a signing key, in the forms providers ask for
//! when a credential is registered: a JWK and a SubjectPublicKeyInfo DER.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{KeyKind, SigningKey};
use crate::error::Error;

/// The public half of a key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The JWK members that describe the key itself (`kty`, `crv`, `n`,
    /// `e`, `x`, `y`), each a string.
    members: Vec<(&'static str, String)>,
    /// The DER of the X.509 SubjectPublicKeyInfo.
    spki_der: Vec<u8>,
}

impl SigningKey {
    /// Derives the public key. Fails for an HMAC secret, which has none.
    pub fn public_key(&self) -> Result<PublicKey, Error> {
        let der = self.der.expose();
        let invalid = |_| Error::config(format!("the {} key is invalid", self.kind.describe()));
        match self.kind {
            KeyKind::Rsa { .. } | KeyKind::RsaPss { .. } => {
                let pair = aws_lc_rs::rsa::KeyPair::from_der(der).map_err(invalid)?;
                rsa_public(pair.public_key())
            }
            KeyKind::P256 => ec_public(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", der),
            KeyKind::P384 => ec_public(&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", der),
            KeyKind::Ed25519 => {
                let pair = Ed25519KeyPair::from_pkcs8(der).map_err(invalid)?;
                let public = pair.public_key();
                let spki = public.as_der().map_err(|_| encoding_failed(self.kind))?;
                Ok(PublicKey {
                    members: vec![
                        ("crv", "Ed25519".to_string()),
                        ("kty", "OKP".to_string()),
                        ("x", URL_SAFE_NO_PAD.encode(public.as_ref())),
                    ],
                    spki_der: spki.as_ref().to_vec(),
                })
            }
            KeyKind::Hmac => {
                Err(Error::usage("an HMAC secret is symmetric and has no public key to publish"))
            }
        }
    }

    /// Returns the public key as a JWK with `kid`, `alg` and `use: "sig"`.
    ///
    /// The `kid` is the credential's `key_id`, or the RFC 7638 thumbprint
    /// of the key when the credential sets none.
    pub fn public_jwk(&self) -> Result<Value, Error> {
        let public = self.public_key()?;
        let mut jwk = Map::new();
        for (name, value) in &public.members {
            jwk.insert((*name).to_string(), json!(value));
        }
        let kid = self.key_id.clone().unwrap_or_else(|| public.thumbprint());
        jwk.insert("kid".to_string(), json!(kid));
        jwk.insert("alg".to_string(), json!(format!("{:?}", self.algorithm)));
        jwk.insert("use".to_string(), json!("sig"));
        Ok(Value::Object(jwk))
    }

    /// Returns the DER of the public key's X.509 SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self.public_key()?.spki_der)
    }
}

impl PublicKey {
    /// Returns the RFC 7638 JWK thumbprint: the base64url SHA-256 of the
    /// required members in lexicographic order, without whitespace.
    pub fn thumbprint(&self) -> String {
        // The members are already stored in lexicographic order, and their
        // values are base64url or fixed names that need no JSON escaping.
        let body: Vec<String> =
            self.members.iter().map(|(name, value)| format!("\"{name}\":\"{value}\"")).collect();
        let canonical = format!("{{{}}}", body.join(","));
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        URL_SAFE_NO_PAD.encode(digest.as_ref())
    }
}

/// Builds the public key of an RSA key pair.
fn rsa_public(public: &aws_lc_rs::rsa::PublicKey) -> Result<PublicKey, Error> {
    let spki =
        public.as_der().map_err(|_| Error::config("the RSA public key cannot be encoded"))?;
    Ok(PublicKey {
        members: vec![
            ("e", URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero())),
            ("kty", "RSA".to_string()),
            ("n", URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero())),
        ],
        spki_der: spki.as_ref().to_vec(),
    })
}

/// Builds the public key of an ECDSA key pair from its PKCS#8 DER.
fn ec_public(
    algorithm: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm,
    curve: &'static str,
    pkcs8: &[u8],
) -> Result<PublicKey, Error> {
    let invalid = || Error::config(format!("the EC {curve} key is invalid"));
    let pair = EcdsaKeyPair::from_pkcs8(algorithm, pkcs8).map_err(|_| invalid())?;
    let public = pair.public_key();
    let spki = public.as_der().map_err(|_| invalid())?;
    // The uncompressed SEC1 point is 0x04 followed by x and y, each as
    // long as the field.
    let point = public.as_ref();
    let coordinates = point.strip_prefix(&[0x04]).ok_or_else(invalid)?;
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    Ok(PublicKey {
        members: vec![
            ("crv", curve.to_string()),
            ("kty", "EC".to_string()),
            ("x", URL_SAFE_NO_PAD.encode(x)),
            ("y", URL_SAFE_NO_PAD.encode(y)),
        ],
        spki_der: spki.as_ref().to_vec(),
    })
}

/// Builds the error for a public key that cannot be encoded.
fn encoding_failed(kind: KeyKind) -> Error {
    Error::config(format!("the {} public key cannot be encoded", kind.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Origin;
    use crate::key::{PrivateKey, parse};

    fn fixture(name: &str) -> Vec<u8> {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        std::fs::read(path).unwrap()
    }

    fn signing_key(name: &str) -> SigningKey {
        SigningKey::new(parse(&fixture(name), &Origin::file(name)).unwrap(), None, None).unwrap()
    }

    /// Returns the SPKI DER of a PEM public key fixture.
    fn spki_fixture(name: &str) -> Vec<u8> {
        pem::parse(fixture(name)).unwrap().contents().to_vec()
    }

    #[test]
    fn public_key_der_matches_openssl() {
        let cases = [
            ("rsa2048-pkcs1.pem", "rsa2048-public.pem"),
            ("ec-p256-pkcs8.pem", "ec-p256-public.pem"),
            ("ed25519-pkcs8.pem", "ed25519-public.pem"),
        ];
        for (private, public) in cases {
            assert_eq!(
                signing_key(private).public_key_der().unwrap(),
                spki_fixture(public),
                "{private}"
            );
        }
    }

    #[test]
    fn rsa_thumbprint_matches_rfc_7638_example() {
        // The key and thumbprint of RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = PublicKey {
            members: vec![
                ("e", "AQAB".to_string()),
                ("kty", "RSA".to_string()),
                ("n", n.to_string()),
            ],
            spki_der: Vec::new(),
        };
        assert_eq!(key.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn jwk_members_by_key_type() {
        let rsa = signing_key("rsa2048-pkcs8.pem").public_jwk().unwrap();
        assert_eq!(rsa["kty"], "RSA");
        assert_eq!(rsa["e"], "AQAB");
        assert_eq!(rsa["alg"], "RS256");
        assert_eq!(rsa["use"], "sig");
        let ec = signing_key("ec-p384-pkcs8.pem").public_jwk().unwrap();
        assert_eq!(ec["crv"], "P-384");
        assert_eq!(URL_SAFE_NO_PAD.decode(ec["x"].as_str().unwrap()).unwrap().len(), 48);
        assert_eq!(URL_SAFE_NO_PAD.decode(ec["y"].as_str().unwrap()).unwrap().len(), 48);
        let ed = signing_key("ed25519-pkcs8.pem").public_jwk().unwrap();
        assert_eq!(ed["kty"], "OKP");
        assert_eq!(ed["alg"], "EdDSA");
    }

    #[test]
    fn kid_is_key_id_or_thumbprint() {
        let key = signing_key("ec-p256-pkcs8.pem");
        let thumbprint = key.public_key().unwrap().thumbprint();
        assert_eq!(key.public_jwk().unwrap()["kid"], thumbprint);
        let named = SigningKey::new(
            parse(&fixture("ec-p256-pkcs8.pem"), &Origin::file("k")).unwrap(),
            None,
            Some("key-1".to_string()),
        )
        .unwrap();
        assert_eq!(named.public_jwk().unwrap()["kid"], "key-1");
    }

    #[test]
    fn hmac_has_no_public_key() {
        let key = SigningKey::new(PrivateKey::hmac(b"secret".to_vec()), None, None).unwrap();
        assert!(key.public_jwk().is_err());
    }
}
