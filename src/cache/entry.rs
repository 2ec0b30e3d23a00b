//! One cache entry: an access token with the times that decide whether it
//! may be reused, and the JSON form it has on disk.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Version of the entry file format. An entry of another version is
/// treated as damaged and replaced.
const FORMAT: u32 = 1;

/// Upper bound of the reuse margin in seconds: a token is replaced once
/// less than the smaller of this and a tenth of its lifetime remains.
pub const MAX_MARGIN: u64 = 60;

/// An access token kept for reuse.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Name of the credential the token belongs to, shown by `cache list`
    /// and matched by `cache clear <name>`.
    pub credential: String,
    /// The token endpoint that issued the token.
    pub token_endpoint: String,
    /// When the token was received, in seconds since the Unix epoch.
    pub obtained_at: u64,
    /// When the token expires, in seconds since the Unix epoch. `None`
    /// means no source gave an expiry, so the token is reused until the
    /// API rejects it.
    pub expires_at: Option<u64>,
    /// The token itself.
    pub access_token: Secret<String>,
    /// The `instance_url` of the reply, kept for a credential whose API URL
    /// comes from the token reply.
    pub instance_url: Option<String>,
}

/// The file form of an entry. It implements no Debug, so the token cannot
/// reach a log line through it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: u32,
    key: String,
    credential: String,
    token_endpoint: String,
    obtained_at: u64,
    expires_at: Option<u64>,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance_url: Option<String>,
}

impl Entry {
    /// Returns the reuse margin in seconds: a tenth of the lifetime, at
    /// most `MAX_MARGIN` seconds. An entry without an expiry has none.
    pub fn margin(&self) -> u64 {
        let Some(expires_at) = self.expires_at else { return 0 };
        (expires_at.saturating_sub(self.obtained_at) / 10).min(MAX_MARGIN)
    }

    /// Tells whether the token may still be sent at `now`: more than the
    /// margin of its lifetime remains, or its expiry is unknown.
    pub fn is_fresh(&self, now: u64) -> bool {
        match self.expires_at {
            None => true,
            Some(expires_at) => expires_at > now.saturating_add(self.margin()),
        }
    }

    /// Serialises the entry for the file of cache key `key`.
    pub fn to_bytes(&self, key: &str) -> Vec<u8> {
        let stored = Stored {
            format: FORMAT,
            key: key.to_string(),
            credential: self.credential.clone(),
            token_endpoint: self.token_endpoint.clone(),
            obtained_at: self.obtained_at,
            expires_at: self.expires_at,
            access_token: self.access_token.expose().clone(),
            instance_url: self.instance_url.clone(),
        };
        serde_json::to_vec(&stored).expect("an entry of strings and integers always serialises")
    }

    /// Parses the file of cache key `key`.
    ///
    /// Fails with a reason that never contains the token when the text is
    /// not an entry of this format, or belongs to another key.
    pub fn from_bytes(bytes: &[u8], key: &str) -> Result<Entry, String> {
        // serde_json's message may quote the input, so it is not shown.
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| {
            format!("it is not a valid cache entry (JSON error at line {})", e.line())
        })?;
        if stored.format != FORMAT {
            return Err(format!("it has format {}, expected {FORMAT}", stored.format));
        }
        if stored.key != key {
            return Err("it was written for another cache key".to_string());
        }
        if stored.access_token.is_empty() {
            return Err("its access token is empty".to_string());
        }
        if let Err(problem) = crate::http::check_bearer_token(&stored.access_token) {
            return Err(format!("its access token {problem}"));
        }
        Ok(Entry {
            credential: stored.credential,
            token_endpoint: stored.token_endpoint,
            obtained_at: stored.obtained_at,
            expires_at: stored.expires_at,
            access_token: Secret::new(stored.access_token),
            instance_url: stored.instance_url,
        })
    }
}

/// Decides when a token received at `now` expires: after `expires_in`
/// from the reply, else at the `exp` claim when the token is a JWT, else
/// after the credential's `token_lifetime`. Returns `None` when none of
/// them is known.
pub fn expires_at(
    expires_in: Option<u64>,
    access_token: &str,
    token_lifetime: Option<u64>,
    now: u64,
) -> Option<u64> {
    if let Some(seconds) = expires_in {
        return Some(now.saturating_add(seconds));
    }
    if let Some(exp) = jwt_expiry(access_token) {
        log::debug!("the access token is a JWT whose exp claim sets its expiry");
        return Some(exp);
    }
    token_lifetime.map(|seconds| now.saturating_add(seconds))
}

/// Reads the `exp` claim of a token shaped like a JWT. The signature is
/// not checked, because the value only decides when to ask for a new
/// token, and the API still checks the token itself.
fn jwt_expiry(token: &str) -> Option<u64> {
    let mut segments = token.split('.');
    let (_header, payload) = (segments.next()?, segments.next()?);
    segments.next()?;
    if segments.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    exp.as_u64().or_else(|| exp.as_f64().filter(|f| *f >= 0.0 && f.is_finite()).map(|f| f as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abc123";

    fn entry(obtained_at: u64, expires_at: Option<u64>) -> Entry {
        Entry {
            credential: "warehouse".to_string(),
            token_endpoint: "https://auth.example.com/token".to_string(),
            obtained_at,
            expires_at,
            access_token: Secret::new("token-value".to_string()),
            instance_url: None,
        }
    }

    fn jwt_with(payload: &str) -> String {
        format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn margin_is_tenth_of_lifetime_up_to_a_minute() {
        assert_eq!(entry(1000, Some(1100)).margin(), 10);
        assert_eq!(entry(1000, Some(1000 + 3600)).margin(), MAX_MARGIN);
        assert_eq!(entry(1000, Some(1002)).margin(), 0);
        assert_eq!(entry(1000, None).margin(), 0);
    }

    #[test]
    fn fresh_until_margin_reached() {
        let one_hour = entry(1000, Some(4600));
        assert!(one_hour.is_fresh(4539));
        assert!(!one_hour.is_fresh(4540));
        assert!(!one_hour.is_fresh(5000));
        let short = entry(1000, Some(1100));
        assert!(short.is_fresh(1089));
        assert!(!short.is_fresh(1090));
    }

    #[test]
    fn zero_lifetime_never_fresh() {
        assert!(!entry(1000, Some(1000)).is_fresh(1000));
    }

    #[test]
    fn unknown_expiry_always_fresh() {
        assert!(entry(1000, None).is_fresh(u64::MAX));
    }

    #[test]
    fn bytes_round_trip() {
        let original = entry(1000, Some(4600));
        let parsed = Entry::from_bytes(&original.to_bytes(KEY), KEY).unwrap();
        assert_eq!(parsed.credential, "warehouse");
        assert_eq!(parsed.token_endpoint, "https://auth.example.com/token");
        assert_eq!(parsed.obtained_at, 1000);
        assert_eq!(parsed.expires_at, Some(4600));
        assert_eq!(parsed.access_token.expose(), "token-value");
    }

    #[test]
    fn damaged_bytes_rejected_without_token() {
        let bytes = entry(1000, None).to_bytes(KEY);
        let truncated = &bytes[..bytes.len() / 2];
        let reason = Entry::from_bytes(truncated, KEY).unwrap_err();
        assert!(!reason.contains("token-value"), "{reason}");
        assert!(Entry::from_bytes(b"\x00\xffgarbage", KEY).is_err());
        assert!(Entry::from_bytes(b"", KEY).is_err());
    }

    #[test]
    fn unsendable_token_rejected_without_token() {
        for token in ["AT\r\nX-Evil: 1", "a b", "t\u{fc}ken", "\u{7f}"] {
            let mut original = entry(1000, None);
            original.access_token = Secret::new(token.to_string());
            let reason = Entry::from_bytes(&original.to_bytes(KEY), KEY).unwrap_err();
            assert!(reason.contains("cannot carry"), "{token:?}: {reason}");
            assert!(!reason.contains("X-Evil"), "{reason}");
        }
    }

    #[test]
    fn other_key_or_format_rejected() {
        let bytes = entry(1000, None).to_bytes(KEY);
        assert!(Entry::from_bytes(&bytes, "other").unwrap_err().contains("another cache key"));
        let text = String::from_utf8(bytes).unwrap().replace("\"format\":1", "\"format\":9");
        assert!(Entry::from_bytes(text.as_bytes(), KEY).unwrap_err().contains("format 9"));
    }

    #[test]
    fn expiry_prefers_expires_in() {
        let token = jwt_with(r#"{"exp":5000}"#);
        assert_eq!(expires_at(Some(60), &token, Some(900), 1000), Some(1060));
    }

    #[test]
    fn expiry_from_jwt_exp_claim() {
        assert_eq!(expires_at(None, &jwt_with(r#"{"exp":5000}"#), Some(900), 1000), Some(5000));
        assert_eq!(expires_at(None, &jwt_with(r#"{"exp":5000.7}"#), None, 1000), Some(5000));
    }

    #[test]
    fn expiry_from_token_lifetime_for_opaque_tokens() {
        assert_eq!(expires_at(None, "opaque-token", Some(900), 1000), Some(1900));
        assert_eq!(expires_at(None, &jwt_with(r#"{"sub":"x"}"#), Some(900), 1000), Some(1900));
        assert_eq!(expires_at(None, "a.b.c", Some(900), 1000), Some(1900));
    }

    #[test]
    fn expiry_unknown_without_any_source() {
        assert_eq!(expires_at(None, "opaque-token", None, 1000), None);
        assert_eq!(expires_at(None, &jwt_with(r#"{"exp":"soon"}"#), None, 1000), None);
        assert_eq!(expires_at(None, &jwt_with(r#"{"exp":-5}"#), None, 1000), None);
    }
}
