//! RSA signing with the key pair that aws-lc parsed when the key was
//! loaded.
//!
//! aws-lc checks an RSA key whenever it parses one, and for a 2048-bit key
//! that check costs about a quarter of a signature (counted with callgrind).
//! jsonwebtoken 12 parses the key again for every signature, so signing here
//! keeps one parse and one check per run.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, RsaEncoding};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;

/// Returns the RSA padding and digest of a JWS algorithm, or `None` for an
/// algorithm that is not RSA.
pub fn padding(algorithm: Algorithm) -> Option<&'static dyn RsaEncoding> {
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

/// Signs `message` and returns the signature in base64url without padding,
/// the form of a JWS signature.
pub fn sign(
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
            let ours = sign(&pair(), padding(algorithm).unwrap(), b"header.claims").unwrap();
            let theirs = jsonwebtoken::crypto::sign(b"header.claims", &reference, algorithm);
            assert_eq!(ours, theirs.unwrap(), "{algorithm:?}");
        }
    }

    #[test]
    fn pss_signature_verifies() {
        let public = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        for algorithm in [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
            let ours = sign(&pair(), padding(algorithm).unwrap(), b"header.claims").unwrap();
            let valid = jsonwebtoken::crypto::verify(&ours, b"header.claims", &public, algorithm);
            assert!(valid.unwrap(), "{algorithm:?}");
        }
    }

    #[test]
    fn other_algorithms_have_no_padding() {
        for algorithm in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256] {
            assert!(padding(algorithm).is_none(), "{algorithm:?}");
        }
    }
}
