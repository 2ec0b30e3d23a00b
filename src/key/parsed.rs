//! Signing with the key pair that aws-lc parsed when the key was loaded.
//!
//! aws-lc checks a key whenever it parses one. For a 2048-bit RSA key that
//! check costs about a quarter of a signature, and for a P-256 key about
//! two thirds of one (counted with callgrind). jsonwebtoken 12 parses the
//! key again for every signature, so signing here keeps one parse and one
//! check per run.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaEncoding};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;

/// A private key as aws-lc parsed and checked it.
pub enum ParsedKey {
    /// An RSA key, for RS* and PS* algorithms.
    Rsa(KeyPair),
    /// A P-256 or P-384 key, already bound to ES256 or ES384.
    Ecdsa(EcdsaKeyPair),
}

impl ParsedKey {
    /// Signs `message` with `algorithm` and returns the signature in
    /// base64url without padding, or `None` when this key cannot sign
    /// with `algorithm`, so that the caller signs another way.
    pub fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Option<Result<String, String>> {
        match self {
            ParsedKey::Rsa(pair) => padding(algorithm).map(|p| sign_rsa(pair, p, message)),
            ParsedKey::Ecdsa(pair) => {
                let expected = match algorithm {
                    Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    _ => return None,
                };
                (pair.algorithm() == expected).then(|| sign_ecdsa(pair, message))
            }
        }
    }
}

/// Signs with an ECDSA key in the fixed-length form that JWS uses.
fn sign_ecdsa(pair: &EcdsaKeyPair, message: &[u8]) -> Result<String, String> {
    let signature = pair
        .sign(&SystemRandom::new(), message)
        .map_err(|_| "aws-lc could not sign with the EC key".to_string())?;
    Ok(URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

/// Returns the RSA padding and digest of a JWS algorithm, or `None` for an
/// algorithm that is not RSA.
fn padding(algorithm: Algorithm) -> Option<&'static dyn RsaEncoding> {
    let padding: &'static dyn RsaEncoding = match algorithm {
        Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        _ => return None,
    };
    Some(padding)
}

/// Signs with an RSA key and returns the signature in base64url without
/// padding, the form of a JWS signature.
fn sign_rsa(
    pair: &KeyPair,
    padding: &'static dyn RsaEncoding,
    message: &[u8],
) -> Result<String, String> {
    let mut signature = vec![0u8; pair.public_modulus_len()];
    pair.sign(padding, &SystemRandom::new(), message, &mut signature)
        .map_err(|_| "aws-lc could not sign with the RSA key".to_string())?;
    Ok(URL_SAFE_NO_PAD.encode(signature))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

    use super::*;

    const PKCS8: &str = include_str!("../../tests/fixtures/rsa2048-pkcs8.pem");
    const PUBLIC: &str = include_str!("../../tests/fixtures/rsa2048-public.pem");

    fn pair() -> KeyPair {
        let der = pem::parse(PKCS8).unwrap().into_contents();
        KeyPair::from_pkcs8(&der).unwrap()
    }

    #[test]
    fn pkcs1_signature_matches_jsonwebtoken() {
        // PKCS#1 v1.5 signatures are deterministic, so both signers must
        // produce the same bytes.
        let reference = EncodingKey::from_rsa_pem(PKCS8.as_bytes()).unwrap();
        for algorithm in [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512] {
            let ours = sign_rsa(&pair(), padding(algorithm).unwrap(), b"header.claims").unwrap();
            let theirs = jsonwebtoken::crypto::sign(b"header.claims", &reference, algorithm);
            assert_eq!(ours, theirs.unwrap(), "{algorithm:?}");
        }
    }

    #[test]
    fn pss_signature_verifies() {
        let public = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        for algorithm in [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
            let ours = sign_rsa(&pair(), padding(algorithm).unwrap(), b"header.claims").unwrap();
            let valid = jsonwebtoken::crypto::verify(&ours, b"header.claims", &public, algorithm);
            assert!(valid.unwrap(), "{algorithm:?}");
        }
    }

    fn ec_pair() -> EcdsaKeyPair {
        let pem = include_str!("../../tests/fixtures/ec-p256-pkcs8.pem");
        let der = pem::parse(pem).unwrap().into_contents();
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der).unwrap()
    }

    #[test]
    fn ecdsa_signature_verifies() {
        let public_pem = include_str!("../../tests/fixtures/ec-p256-public.pem");
        let public = DecodingKey::from_ec_pem(public_pem.as_bytes()).unwrap();
        let key = ParsedKey::Ecdsa(ec_pair());
        let ours = key.sign(Algorithm::ES256, b"header.claims").unwrap().unwrap();
        let valid =
            jsonwebtoken::crypto::verify(&ours, b"header.claims", &public, Algorithm::ES256);
        assert!(valid.unwrap());
    }

    #[test]
    fn ecdsa_key_declines_other_algorithms() {
        let key = ParsedKey::Ecdsa(ec_pair());
        for algorithm in [Algorithm::ES384, Algorithm::RS256, Algorithm::EdDSA] {
            assert!(key.sign(algorithm, b"x").is_none(), "{algorithm:?}");
        }
    }

    #[test]
    fn other_algorithms_have_no_padding() {
        for algorithm in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256] {
            assert!(padding(algorithm).is_none(), "{algorithm:?}");
        }
    }
}
