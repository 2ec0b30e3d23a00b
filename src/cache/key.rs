//! The cache key: a SHA-256 digest over everything that decides which
//! access token the token endpoint issues, so that any change to the
//! credential misses the cache instead of reusing an old token.

use aws_lc_rs::digest;

use crate::credential::{Credential, ExchangeSpec};
use crate::{exchange, token};

/// Prefix of the digested text, so that a change of this layout gives new
/// keys instead of colliding with old ones.
const DOMAIN: &[u8] = b"namedcred token cache key 1\n";

/// Returns the cache key of the credential's access tokens as 64
/// lowercase hex digits.
///
/// The digest covers the credential's name and the token endpoint. It
/// covers every form field of the token request except the assertion,
/// such as the grant type and scope. It covers the JWT header and claims
/// without the time and `jti`, the `token_lifetime`, the SHA-256
/// fingerprint of the signing key, and that of the TLS client certificate
/// when there is one. The key itself never enters the cache.
pub fn cache_key(credential: &Credential, spec: &ExchangeSpec) -> String {
    let form: Vec<(&str, &str)> = exchange::form(spec, "").into_iter().collect();
    let material = serde_json::json!({
        "credential": credential.name,
        "token_endpoint": spec.token_endpoint.as_str(),
        "form": form,
        "header": token::header(&credential.jwt),
        "claims": token::claims(&credential.jwt, 0, ""),
        "token_lifetime": spec.token_lifetime,
        "key": hex(&credential.jwt.key.fingerprint()),
        "client_cert": client_cert_fingerprint(credential),
    });
    let text = serde_json::to_vec(&material).expect("JSON values always serialise");

    let mut context = digest::Context::new(&digest::SHA256);
    context.update(DOMAIN);
    context.update(&text);
    hex(context.finish().as_ref())
}

/// Returns the SHA-256 digest of the TLS client certificate chain as hex,
/// because a token endpoint may bind its tokens to that certificate
/// (RFC 8705), or `None` without a client certificate.
fn client_cert_fingerprint(credential: &Credential) -> Option<String> {
    let chain = credential.tls.client_cert.as_ref()?.certs();
    let mut context = digest::Context::new(&digest::SHA256);
    for certificate in chain {
        context.update(certificate.der());
    }
    Some(hex(context.finish().as_ref()))
}

/// Writes bytes as lowercase hex digits.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tells whether `text` has the shape of a cache key.
pub fn is_key(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::Config;
    use crate::credential::Protocol;

    const SECRET_ENV: &str = "NAMEDCRED_TEST_CACHE_KEY_SECRET";
    const SAME_SECRET_ENV: &str = "NAMEDCRED_TEST_CACHE_KEY_SAME";
    const OTHER_SECRET_ENV: &str = "NAMEDCRED_TEST_CACHE_KEY_OTHER";

    /// Returns the text of a jwt-exchange credential with the base fields
    /// and `extra` appended.
    fn credential_text(name: &str, extra: &str) -> String {
        format!(
            "[credentials.{name}]\nprotocol = \"jwt-exchange\"\nurl = \"https://api.example.com\"\n\
             issuer = \"me\"\nsubject = \"svc\"\ntoken_endpoint = \"https://auth.example.com/t\"\n\
             secret_env = \"{SECRET_ENV}\"\n{extra}"
        )
    }

    /// Secrets of 64 bytes, long enough for every HMAC algorithm.
    const TEST_SECRET: &str = "cache-key-test-secret-012345678901234567890123456789012345678901";
    const OTHER_TEST_SECRET: &str =
        "cache-key-other-secret-01234567890123456789012345678901234567890";

    /// Resolves the only credential of `text` and returns its cache key.
    fn key_from(name: &str, text: &str) -> String {
        // SAFETY: tests in this module only read these variables and always
        // set the same values, so concurrent readers get whole values.
        unsafe {
            std::env::set_var(SECRET_ENV, TEST_SECRET);
            std::env::set_var(SAME_SECRET_ENV, TEST_SECRET);
            std::env::set_var(OTHER_SECRET_ENV, OTHER_TEST_SECRET);
        }
        let config = Config::parse(text, PathBuf::from("/tmp/credentials.toml")).unwrap();
        let credential = config.credential(name).unwrap();
        let Protocol::JwtExchange(spec) = &credential.protocol else { panic!("not exchange") };
        cache_key(&credential, spec)
    }

    fn key_of(name: &str, extra: &str) -> String {
        key_from(name, &credential_text(name, extra))
    }

    #[test]
    fn key_is_stable_hex() {
        let key = key_of("api", "");
        assert!(is_key(&key), "{key}");
        assert_eq!(key, key_of("api", ""));
    }

    #[test]
    fn every_token_setting_changes_key() {
        let base = key_of("api", "");
        let changes = [
            ("api", "scope = \"read\""),
            ("api", "audience = \"other\""),
            ("api", "key_id = \"k2\""),
            ("api", "algorithm = \"HS512\""),
            ("api", "token_lifetime = \"1h\""),
            ("api", "[credentials.api.claims]\ntenant = \"t2\""),
            ("other", ""),
        ];
        for (name, extra) in changes {
            assert_ne!(key_of(name, extra), base, "{name}: {extra}");
        }
    }

    #[test]
    fn endpoint_issuer_and_subject_change_key() {
        let text = credential_text("api", "");
        let base = key_from("api", &text);
        let changes = [
            ("auth.example.com/t", "auth.example.com/u"),
            ("issuer = \"me\"", "issuer = \"you\""),
            ("subject = \"svc\"", "subject = \"svc2\""),
        ];
        for (from, to) in changes {
            assert_ne!(key_from("api", &text.replace(from, to)), base, "{to}");
        }
    }

    #[test]
    fn key_fingerprint_decides_not_key_source() {
        let text = credential_text("api", "");
        let base = key_from("api", &text);
        assert_eq!(key_from("api", &text.replace(SECRET_ENV, SAME_SECRET_ENV)), base);
        assert_ne!(key_from("api", &text.replace(SECRET_ENV, OTHER_SECRET_ENV)), base);
    }

    #[test]
    fn client_certificate_changes_key() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let extra = format!(
            "client_cert = \"{fixtures}/rsa2048-cert.pem\"\n\
             client_key = \"{fixtures}/rsa2048-pkcs8.pem\""
        );
        assert_ne!(key_of("api", &extra), key_of("api", ""));
    }

    #[test]
    fn api_url_does_not_change_key() {
        let text = credential_text("api", "");
        let moved = text.replace("api.example.com", "api2.example.com");
        assert_eq!(key_from("api", &moved), key_from("api", &text));
    }

    #[test]
    fn key_shape_checked() {
        assert!(is_key(&"a".repeat(64)));
        assert!(!is_key(&"A".repeat(64)));
        assert!(!is_key("abc"));
        assert!(!is_key(&format!("{}.json", "a".repeat(59))));
    }
}
