//! Minting JWTs: the claim set, the header, and the signature.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::credential::{Audience, JwtSpec};
use crate::error::Error;
use crate::secret::Secret;

/// Random bytes in every `jti`: 128 bits, so that two tokens never share one.
const JTI_BYTES: usize = 16;

/// The claim set of one token. Times are integer seconds since the Unix
/// epoch, so the local time zone never changes them.
#[derive(Debug, Serialize)]
pub struct Claims<'a> {
    /// Issuer.
    pub iss: &'a str,
    /// Subject, when the credential sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<&'a str>,
    /// Audience, when the credential sets one or the protocol implies it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<&'a Audience>,
    /// Issued-at time: now, less the clock skew.
    pub iat: u64,
    /// Not-before time, equal to `iat`, when the credential sets `not_before`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expiry time: now plus the lifetime. The clock skew does not move it,
    /// so a provider's limit on `exp` is checked against the lifetime.
    pub exp: u64,
    /// Unique token id.
    pub jti: &'a str,
    /// Extra claims from the credential.
    #[serde(flatten)]
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
}

/// Builds the claim set for a token issued at `now` with the given `jti`.
pub fn claims<'a>(spec: &'a JwtSpec, now: u64, jti: &'a str) -> Claims<'a> {
    let iat = now.saturating_sub(spec.clock_skew);
    Claims {
        iss: &spec.issuer,
        sub: spec.subject.as_deref(),
        aud: spec.audience.as_ref(),
        iat,
        nbf: spec.not_before.then_some(iat),
        exp: now.saturating_add(spec.lifetime),
        jti,
        extra: &spec.extra_claims,
    }
}

/// Builds the JOSE header: `alg`, then `typ`, `kid`, `x5t` and `x5t#S256`
/// when set, then the extra parameters.
pub fn header(spec: &JwtSpec) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("alg".to_string(), Value::from(format!("{:?}", spec.key.algorithm)));
    let optional = [
        ("typ", &spec.header.typ),
        ("kid", &spec.key.key_id),
        ("x5t", &spec.header.x5t),
        ("x5t#S256", &spec.header.x5t_s256),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            header.insert(name.to_string(), Value::from(value.as_str()));
        }
    }
    for (name, value) in &spec.header.extra {
        header.insert(name.clone(), value.clone());
    }
    header
}

/// Mints a token that is issued now and carries a fresh random `jti`.
pub fn mint(spec: &JwtSpec) -> Result<Secret<String>, Error> {
    mint_at(spec, now(), &new_jti())
}

/// Mints a token with a fixed issue time and `jti`.
pub fn mint_at(spec: &JwtSpec, now: u64, jti: &str) -> Result<Secret<String>, Error> {
    let encode = |value: serde_json::Result<Vec<u8>>| {
        value
            .map(|json| URL_SAFE_NO_PAD.encode(json))
            .map_err(|e| Error::config(format!("the token cannot be written as JSON: {e}")))
    };
    let header_json = serde_json::to_vec(&header(spec));
    let claims_json = serde_json::to_vec(&claims(spec, now, jti));
    if log::log_enabled!(log::Level::Trace)
        && let (Ok(h), Ok(c)) = (&header_json, &claims_json)
    {
        // The header and claims are what `token --decode` prints; the
        // signature, which makes them a usable token, is never logged.
        log::trace!("signing header {}", String::from_utf8_lossy(h));
        // An aud taken from a token endpoint URL may carry a secret query.
        let claims = crate::redact::text::secret_values(&String::from_utf8_lossy(c));
        log::trace!("signing claims {claims}");
    }
    let header = encode(header_json)?;
    let claims = encode(claims_json)?;
    let message = format!("{header}.{claims}");
    let signature = spec.key.sign(message.as_bytes()).map_err(|e| {
        Error::config(format!(
            "signing with {:?} and the {} key failed: {e}",
            spec.key.algorithm,
            spec.key.kind.describe()
        ))
    })?;
    Ok(Secret::new(format!("{message}.{signature}")))
}

/// Returns the current time in whole seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Returns a new random `jti`: 128 random bits, base64url without padding.
pub fn new_jti() -> String {
    let mut bytes = [0u8; JTI_BYTES];
    aws_lc_rs::rand::fill(&mut bytes).expect("the operating system random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::HeaderSpec;
    use crate::key::{PrivateKey, SigningKey};

    fn spec(audience: Option<Audience>) -> JwtSpec {
        let mut extra = serde_json::Map::new();
        extra.insert("tenant".to_string(), serde_json::json!("t1"));
        JwtSpec {
            issuer: "issuer-1".to_string(),
            subject: Some("subject-1".to_string()),
            audience,
            lifetime: 300,
            extra_claims: extra,
            key: SigningKey::new(
                PrivateKey::hmac(b"test-secret".to_vec()),
                None,
                Some("kid-1".to_string()),
            )
            .unwrap(),
            header: HeaderSpec::default(),
            clock_skew: 0,
            not_before: false,
        }
    }

    fn decode_segment(segment: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    #[test]
    fn claims_with_fixed_clock() {
        let spec = spec(Some(Audience::One("aud-1".to_string())));
        let json = serde_json::to_value(claims(&spec, 1_700_000_000, "jti-1")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "iss": "issuer-1", "sub": "subject-1", "aud": "aud-1",
                "iat": 1_700_000_000u64, "exp": 1_700_000_300u64,
                "jti": "jti-1", "tenant": "t1"
            })
        );
    }

    #[test]
    fn audience_list_is_array_and_absent_audience_omitted() {
        let many = spec(Some(Audience::Many(vec!["a".into(), "b".into()])));
        let json = serde_json::to_value(claims(&many, 0, "j")).unwrap();
        assert_eq!(json["aud"], serde_json::json!(["a", "b"]));
        let none = spec(None);
        let json = serde_json::to_value(claims(&none, 0, "j")).unwrap();
        assert!(json.get("aud").is_none());
    }

    #[test]
    fn minted_token_has_header_and_integer_times() {
        let spec = spec(None);
        let token = mint_at(&spec, 1_700_000_000, "jti-1").unwrap();
        let parts: Vec<&str> = token.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode_segment(parts[0]);
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["kid"], "kid-1");
        let claims = decode_segment(parts[1]);
        assert!(claims["iat"].is_u64());
        assert!(claims["exp"].is_u64());
    }

    #[test]
    fn clock_skew_backdates_iat_and_nbf_only() {
        let mut spec = spec(None);
        spec.clock_skew = 60;
        spec.not_before = true;
        let json = serde_json::to_value(claims(&spec, 1_000, "j")).unwrap();
        assert_eq!(json["iat"], 940);
        assert_eq!(json["nbf"], 940);
        assert_eq!(json["exp"], 1_300);
        spec.not_before = false;
        let json = serde_json::to_value(claims(&spec, 1_000, "j")).unwrap();
        assert!(json.get("nbf").is_none());
    }

    #[test]
    fn header_parameters_in_token() {
        let mut spec = spec(None);
        spec.header.typ = None;
        spec.header.x5t_s256 = Some("thumb".to_string());
        spec.header.extra.insert("ctx".to_string(), serde_json::json!({"a": 1}));
        let token = mint_at(&spec, 0, "j").unwrap();
        let header = decode_segment(token.expose().split('.').next().unwrap());
        assert!(header.get("typ").is_none());
        assert_eq!(header["x5t#S256"], "thumb");
        assert_eq!(header["ctx"], serde_json::json!({"a": 1}));
        assert_eq!(header["kid"], "kid-1");
    }

    #[test]
    fn jti_is_random_and_long_enough() {
        let first = new_jti();
        let second = new_jti();
        assert_ne!(first, second);
        assert_eq!(URL_SAFE_NO_PAD.decode(&first).unwrap().len(), JTI_BYTES);
    }

    #[test]
    fn pkcs1_and_pkcs8_forms_of_one_rsa_key_sign_identical_tokens() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let token_with = |file: &str| {
            let key = crate::key::load_file(&fixtures.join(file)).unwrap();
            let mut spec = spec(Some(Audience::One("aud-1".to_string())));
            spec.key = SigningKey::new(key, Some(jsonwebtoken::Algorithm::RS256), None).unwrap();
            mint_at(&spec, 1_700_000_000, "fixed-jti").unwrap().expose().clone()
        };
        let pkcs8 = token_with("rsa2048-pkcs8.pem");
        assert!(pkcs8.starts_with("eyJhbGciOiJSUzI1NiI"), "{pkcs8}");
        assert_eq!(token_with("rsa2048-pkcs1.pem"), pkcs8);
        assert_eq!(token_with("rsa2048-pkcs1.der"), pkcs8);
        assert_eq!(token_with("rsa2048.der"), pkcs8);
        assert_ne!(token_with("rsa3072-pkcs8.pem"), pkcs8);
    }
}
