//! The JWT token exchange: the token request of the credential's grant,
//! and defensive parsing of whatever the token endpoint sends back.

use std::time::Instant;

use ureq::Agent;
use url::Url;

use crate::client::HttpClient;
use crate::credential::{Audience, Credential, ExchangeSpec, Grant};
use crate::error::Error;
use crate::redact::{self, BodyView, RequestView};
use crate::retry::Sent;
use crate::secret::Secret;
use crate::skew::ClockCheck;
use crate::{github, http, token};

pub use crate::grant::GRANT_JWT_BEARER;

/// The largest token endpoint reply that is read; a larger one is an error.
pub const MAX_REPLY_BYTES: u64 = 1024 * 1024;

/// Characters of a non-JSON or unexpected body shown in an error message.
const PREVIEW_CHARS: usize = 200;

/// A successful token endpoint reply.
pub struct TokenReply {
    /// The access token to send to the API.
    pub access_token: Secret<String>,
    /// Seconds until the access token expires, when the reply says.
    pub expires_in: Option<u64>,
    /// The RFC 8693 `issued_token_type`, when the reply has one.
    pub issued_token_type: Option<String>,
    /// The whole reply, printed by `exchange --json`.
    pub json: Secret<serde_json::Value>,
}

impl std::fmt::Debug for TokenReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenReply")
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .field("issued_token_type", &self.issued_token_type)
            .finish_non_exhaustive()
    }
}

/// Builds the form fields of the token request for the credential's grant.
pub fn form<'a>(spec: &'a ExchangeSpec, assertion: &'a str) -> Vec<(&'a str, &'a str)> {
    crate::grant::form(spec, assertion)
}

/// Signs an assertion, posts it to the token endpoint and returns the
/// access token.
///
/// Each retry after HTTP 429, 503 or a connection failure posts a newly
/// signed assertion with a fresh `jti`, because servers may remember the
/// `jti` of an assertion they have seen. Fails with an exchange error
/// (exit 7) when the endpoint rejects the grant or replies with anything
/// unusable, and with a network error (exit 6) when it cannot be reached.
pub fn exchange(
    client: &HttpClient,
    credential: &Credential,
    spec: &ExchangeSpec,
) -> Result<TokenReply, Error> {
    let endpoint = &spec.token_endpoint;
    let agent = client.agent_for(endpoint)?;
    let mut last_assertion = Secret::new(String::new());
    let started = Instant::now();
    let sent = client.retry.run(true, "token endpoint", || {
        last_assertion = token::mint(&credential.jwt)?;
        Ok(post_assertion(&agent, spec, &last_assertion))
    })?;
    let response = sent.map_err(|e| client.transport_error(e, endpoint))?;
    let status = response.status().as_u16();
    redact::log_response("the token endpoint", &response, started.elapsed());

    if (300..400).contains(&status) {
        return Err(redirect_error(endpoint, status, response.headers()));
    }
    let content_type = header_text(response.headers(), "content-type");
    let server_date = header_text(response.headers(), "date");
    let body = response.into_body().with_config().limit(MAX_REPLY_BYTES).read_to_vec().map_err(
        |e| match e {
            ureq::Error::BodyExceedsLimit(_) => Error::exchange(format!(
                "token endpoint {} sent a reply larger than {MAX_REPLY_BYTES} bytes",
                http::origin_and_path(endpoint)
            )),
            other => client.body_error(other, endpoint),
        },
    )?;
    let secrets = sent_secrets(spec, &last_assertion);
    let reply = match spec.grant {
        Grant::GithubInstallation => {
            github::parse_reply(status, content_type.as_deref(), &body, &secrets, token::now())
        }
        _ => parse_reply(status, content_type.as_deref(), &body, &secrets),
    };
    reply.map_err(|e| {
        let clock = ClockCheck::new(&last_assertion, server_date.as_deref());
        with_claims_hint(e, credential, &clock)
    })
}

/// Returns the secrets that went into the token request, which an error
/// page may echo: the assertion (also sent as `client_assertion` or
/// `subject_token`) and the `[token_params]` values that may be secret.
/// A value counts as secret when its name looks like one (`client_secret`)
/// or when it is long enough to be a credential. A short value under a
/// plain name, such as `client_id = "app"`, is left alone, because hiding
/// it would also blank words such as "application" in the preview.
fn sent_secrets<'a>(spec: &'a ExchangeSpec, assertion: &'a Secret<String>) -> Vec<&'a str> {
    let mut secrets = vec![assertion.expose().as_str()];
    // A server may echo one segment alone, such as the signature it could
    // not verify.
    secrets.extend(assertion.expose().split('.').filter(|segment| segment.len() >= 16));
    secrets.extend(
        spec.params
            .iter()
            .filter(|(name, value)| {
                crate::redact::text::is_secret_name(name) || value.len() >= MIN_HIDDEN_PARAM
            })
            .map(|(_, value)| value.as_str()),
    );
    secrets
}

/// Length from which a `[token_params]` value under a plain name is hidden
/// from previews.
const MIN_HIDDEN_PARAM: usize = 8;

/// Sends one token request of the credential's grant.
fn post_assertion(agent: &Agent, spec: &ExchangeSpec, assertion: &Secret<String>) -> Sent {
    if spec.grant == Grant::GithubInstallation {
        return github::post(agent, spec, assertion);
    }
    let endpoint = &spec.token_endpoint;
    describe_request(spec, assertion.expose()).log();
    let fields = form(spec, assertion.expose());
    agent.post(endpoint.as_str()).header("Accept", "application/json").send_form(fields)
}

/// Describes the token request for `-v` and `--dry-run`; the view redacts
/// the assertion and every other unlisted field.
pub fn describe_request<'a>(spec: &'a ExchangeSpec, assertion: &'a str) -> RequestView<'a> {
    if spec.grant == Grant::GithubInstallation {
        return github::describe_request(spec);
    }
    RequestView {
        method: "POST",
        url: spec.token_endpoint.as_str(),
        headers: vec![
            ("Accept", "application/json"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body: BodyView::Form(form(spec, assertion)),
    }
}

/// Builds the error for a redirect from the token endpoint, which is never
/// followed so that the assertion goes nowhere else.
fn redirect_error(endpoint: &Url, status: u16, headers: &ureq::http::HeaderMap) -> Error {
    // The target is shown without user information and query, which may
    // carry a code or token meant for someone else.
    let location = match header_text(headers, "location") {
        Some(text) => match endpoint.join(&text) {
            Ok(target) => http::origin_and_path(&target),
            Err(_) => clean(&redact::text::url_userinfo(&text), &[]),
        },
        None => "(none)".to_string(),
    };
    Error::exchange(format!(
        "token endpoint {} answered HTTP {status} redirecting to {location}; \
         namedcred does not follow redirects from a token endpoint",
        http::origin_and_path(endpoint)
    ))
    .with_hint("set token_endpoint to the final URL if the redirect is expected")
}

/// Returns a header's value as text, when present and valid.
fn header_text(headers: &ureq::http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Adds a hint naming the claims that servers usually reject, for errors
/// whose code rejects the grant or the client: `aud`, `iss`, `sub`, and
/// how far `iat` and `exp` lie from the server's clock.
fn with_claims_hint(error: Error, credential: &Credential, clock: &ClockCheck) -> Error {
    let refused = ["invalid_grant", "invalid_client", "unauthorized_client", "access_denied"];
    if !refused.iter().any(|code| error.message.contains(code)) {
        return error;
    }
    let jwt = &credential.jwt;
    let audience = match &jwt.audience {
        Some(Audience::One(one)) => format!("\"{one}\""),
        Some(Audience::Many(many)) => format!("{many:?}"),
        None => "(none)".to_string(),
    };
    // The default aud is the token endpoint, whose query may hold a secret.
    let hint = format!(
        "check what the server expects: aud was {audience}, iss \"{}\", sub \"{}\"; {}",
        jwt.issuer,
        jwt.subject.as_deref().unwrap_or("(none)"),
        clock.describe()
    );
    error.with_hint(redact::text::shown_url(&hint))
}

/// Parses a token endpoint reply. `secrets` are removed from any preview
/// of the body that ends up in an error message.
pub fn parse_reply(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    secrets: &[&str],
) -> Result<TokenReply, Error> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let object = json.as_ref().and_then(|v| v.as_object());

    if let Some(object) = object
        && let Some(error) = object.get("error")
    {
        return Err(oauth_error(status, error, object, secrets));
    }
    if !(200..300).contains(&status) {
        if let Some(message) = object.and_then(|o| o.get("message")).and_then(|m| m.as_str()) {
            return Err(Error::exchange(format!(
                "token endpoint answered HTTP {status}: {}",
                clean(message, secrets)
            )));
        }
        return Err(unusable(status, content_type, body, secrets, "an error"));
    }
    let Some(object) = object else {
        return Err(unusable(
            status,
            content_type,
            body,
            secrets,
            "a reply that is not a JSON object",
        ));
    };
    trace_reply(object);
    let issued_token_type = object.get("issued_token_type").and_then(|t| t.as_str());
    read_token(object, secrets).map(|(access_token, expires_in)| TokenReply {
        access_token,
        expires_in,
        issued_token_type: issued_token_type.map(str::to_string),
        json: Secret::new(json.clone().unwrap_or_default()),
    })
}

/// Members of a token reply whose values are shown at trace level. Any
/// other value may be a token, so it is shown only by its type and length.
const SHOWN_REPLY_MEMBERS: [&str; 7] = [
    "token_type",
    "expires_in",
    "ext_expires_in",
    "scope",
    "issued_token_type",
    "instance_url",
    "expires_at",
];

/// Logs the members of a successful reply at trace level (`-vv`).
fn trace_reply(object: &serde_json::Map<String, serde_json::Value>) {
    if !log::log_enabled!(log::Level::Trace) {
        return;
    }
    for (name, value) in object {
        let shown = match value {
            // instance_url may carry user information or a signed query
            // like any URL.
            _ if SHOWN_REPLY_MEMBERS.contains(&name.as_str()) => {
                redact::text::shown_url(&value.to_string())
            }
            serde_json::Value::String(text) => format!("(redacted, {} bytes)", text.len()),
            serde_json::Value::Null | serde_json::Value::Bool(_) => value.to_string(),
            _ => "(redacted)".to_string(),
        };
        log::trace!(
            "reply member {}: {}",
            redact::text::escape_controls(name),
            redact::text::escape_controls(&shown)
        );
    }
}

/// Reads `access_token`, `token_type` and `expires_in` from a successful
/// reply.
fn read_token(
    object: &serde_json::Map<String, serde_json::Value>,
    secrets: &[&str],
) -> Result<(Secret<String>, Option<u64>), Error> {
    let access_token = match object.get("access_token") {
        Some(serde_json::Value::String(token)) if !token.is_empty() => {
            if let Err(problem) = http::check_bearer_token(token) {
                return Err(Error::exchange(format!(
                    "the `access_token` of the token endpoint's reply {problem}"
                )));
            }
            token.clone()
        }
        Some(_) => {
            return Err(Error::exchange(
                "token endpoint reply has an `access_token` that is not a non-empty string",
            ));
        }
        None => {
            let fields: Vec<&str> = object.keys().map(String::as_str).collect();
            return Err(Error::exchange(format!(
                "token endpoint reply has no `access_token` (fields: {})",
                clean(&fields.join(", "), secrets)
            )));
        }
    };

    match object.get("token_type") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
        // RFC 8693 section 2.2.1 sets token_type to N_A when the issued
        // token is not an access token, such as a JWT requested with
        // requested_token_type. The credential requested that token, so it
        // is used as the bearer token. A reply without issued_token_type is
        // not an RFC 8693 reply, so N_A stays an error there.
        Some(serde_json::Value::String(kind))
            if kind == "N_A" && object.get("issued_token_type").is_some_and(|t| t.is_string()) =>
        {
            log::debug!("token_type is N_A; sending the issued token as the bearer token");
        }
        Some(other) => {
            let shown = other.as_str().map_or_else(|| other.to_string(), str::to_string);
            return Err(Error::exchange(format!(
                "token endpoint issued a token of type \"{}\"; namedcred sends only Bearer tokens",
                clean(&shown, secrets)
            )));
        }
    }
    let expires_in = read_expires_in(object.get("expires_in"), secrets)?;
    Ok((Secret::new(access_token), expires_in))
}

/// Reads `expires_in` written as a number or a numeric string.
fn read_expires_in(
    value: Option<&serde_json::Value>,
    secrets: &[&str],
) -> Result<Option<u64>, Error> {
    let invalid = |shown: String| {
        Error::exchange(format!(
            "token endpoint reply has an invalid `expires_in` ({shown}); expected seconds"
        ))
    };
    let seconds = match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(seconds), _) => Ok(Some(seconds)),
            (None, Some(f)) if f >= 0.0 && f.is_finite() => Ok(Some(f as u64)),
            _ => Err(invalid(n.to_string())),
        },
        Some(serde_json::Value::String(text)) => text
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| invalid(format!("\"{}\"", clean(text, secrets)))),
        Some(other) => Err(invalid(clean(&other.to_string(), secrets))),
    }?;
    // A lifetime of years is a server's way of saying "no expiry"; it is
    // capped so that expiry times stay within what `cache list` can show.
    Ok(seconds.map(|seconds| seconds.min(MAX_EXPIRES_IN)))
}

/// Largest `expires_in` taken from a reply: ten years, in seconds.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

/// Builds the error for an RFC 6749 section 5.2 error reply.
fn oauth_error(
    status: u16,
    error: &serde_json::Value,
    object: &serde_json::Map<String, serde_json::Value>,
    secrets: &[&str],
) -> Error {
    let code = error.as_str().map_or_else(|| error.to_string(), str::to_string);
    let mut message = format!("token endpoint rejected the exchange: {}", clean(&code, secrets));
    if let Some(description) = object.get("error_description").and_then(|d| d.as_str()) {
        message.push_str(&format!(": {}", clean(description, secrets)));
    }
    message.push_str(&format!(" (HTTP {status})"));
    if let Some(uri) = object.get("error_uri").and_then(|u| u.as_str()) {
        message.push_str(&format!(", see {}", clean(uri, secrets)));
    }
    Error::exchange(message)
}

/// Builds the error for a reply that cannot be used, with the status, the
/// content type and a cleaned preview of the body.
fn unusable(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    secrets: &[&str],
    what: &str,
) -> Error {
    let kind = content_type.map_or("no content type".to_string(), redact::text::escape_controls);
    let preview = if body.is_empty() {
        "empty body".to_string()
    } else {
        format!("body: {}", clean(&String::from_utf8_lossy(body), secrets))
    };
    Error::exchange(format!(
        "token endpoint answered HTTP {status} ({kind}) with {what}; {preview}"
    ))
}

/// Shortens text from a server for a message. The `secrets` are replaced
/// in every spelling from [`spellings`]. So are the values of secret
/// members such as `access_token=...`, the user information of URLs and
/// anything shaped like a JWT. Control characters are escaped and the
/// length is capped.
pub fn clean(text: &str, secrets: &[&str]) -> String {
    let mut cleaned = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for spelling in spellings(secret) {
            cleaned = cleaned.replace(&spelling, redact::REDACTED);
        }
    }
    let cleaned = redact::text::secret_values(&redact::text::url_userinfo(&cleaned));
    let cleaned = redact_jwts(&cleaned);
    let mut preview =
        redact::text::escape_controls(&cleaned.chars().take(PREVIEW_CHARS).collect::<String>());
    if cleaned.chars().count() > PREVIEW_CHARS {
        preview.push_str("...");
    }
    preview
}

/// Returns the ways a server may echo a secret that namedcred sent: as
/// sent, form-encoded (`+` for a space), percent-encoded, escaped in a
/// JSON string and escaped in HTML. Longer spellings come first, so that
/// no shorter one replaces part of them.
fn spellings(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let mut spellings = vec![
        secret.to_string(),
        lowercase_escapes(&form),
        lowercase_escapes(&percent),
        form,
        percent,
        json,
        html,
    ];
    spellings.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    spellings.dedup();
    spellings
}

/// Returns percent-encoded text with lowercase hex digits (`%2f` for
/// `%2F`), which some servers write when they echo a request.
fn lowercase_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_percent = 0;
    for c in text.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces every word that looks like a JWT (three base64url segments
/// whose first starts with `eyJ`) with `(redacted JWT)`.
fn redact_jwts(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let segments: Vec<&str> = word.split('.').collect();
        let looks_like_jwt = segments.len() == 3
            && segments[0].starts_with("eyJ")
            && segments[..2].iter().all(|s| !s.is_empty());
        out.push_str(if looks_like_jwt { "(redacted JWT)" } else { word });
        word.clear();
    };
    for c in text.chars() {
        if is_b64(c) || c == '.' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> Result<TokenReply, Error> {
        parse_reply(status, Some("application/json"), body.as_bytes(), &["the-assertion"])
    }

    fn error(status: u16, body: &str) -> String {
        parse(status, body).unwrap_err().message
    }

    #[test]
    fn clean_redacts_lowercase_percent_encoding() {
        let secret = "p@ss w/rd&<x>+\"q";
        let shown = clean("echo p%40ss%20w%2frd%26%3cx%3e%2b%22q end", &[secret]);
        assert_eq!(shown, "echo (redacted) end");
    }

    #[test]
    fn clean_leaves_no_stray_parenthesis() {
        let shown = clean(
            "client_secret: s3cr3t-value-1234\ntoken=s3cr3t-value-1234&y=1",
            &["s3cr3t-value-1234"],
        );
        assert_eq!(shown, "client_secret: (redacted)\\ntoken=(redacted)&y=1");
    }

    #[test]
    fn assertion_segments_are_secrets() {
        let spec = ExchangeSpec {
            token_endpoint: Url::parse("https://a.example/token").unwrap(),
            scope: None,
            grant: crate::credential::Grant::JwtBearer,
            params: Vec::new(),
            token_lifetime: None,
        };
        let assertion =
            Secret::new("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJzdmMifQ.c2lnbmF0dXJlLWJ5dGVz".into());
        let secrets = sent_secrets(&spec, &assertion);
        let shown = clean("bad c2lnbmF0dXJlLWJ5dGVz rejected", &secrets);
        assert_eq!(shown, "bad (redacted) rejected");
    }

    #[test]
    fn form_fields_of_jwt_bearer_grant() {
        let spec = ExchangeSpec {
            token_endpoint: Url::parse("https://a.example/token").unwrap(),
            scope: Some("read write".to_string()),
            grant: crate::credential::Grant::JwtBearer,
            params: Vec::new(),
            token_lifetime: None,
        };
        assert_eq!(
            form(&spec, "jwt"),
            vec![("grant_type", GRANT_JWT_BEARER), ("assertion", "jwt"), ("scope", "read write")]
        );
    }

    #[test]
    fn plain_success() {
        let reply =
            parse(200, r#"{"access_token":"at","token_type":"Bearer","expires_in":3600}"#).unwrap();
        assert_eq!(reply.access_token.expose(), "at");
        assert_eq!(reply.expires_in, Some(3600));
    }

    #[test]
    fn expires_in_as_string_or_missing() {
        assert_eq!(
            parse(200, r#"{"access_token":"a","expires_in":"3600"}"#).unwrap().expires_in,
            Some(3600)
        );
        assert_eq!(parse(200, r#"{"access_token":"a"}"#).unwrap().expires_in, None);
        let huge = parse(200, r#"{"access_token":"a","expires_in":1e30}"#).unwrap();
        assert_eq!(huge.expires_in, Some(MAX_EXPIRES_IN));
    }

    #[test]
    fn invalid_expires_in_named() {
        for value in ["-1", "\"soon\"", "true", "\"-5\""] {
            let body = format!(r#"{{"access_token":"a","expires_in":{value}}}"#);
            assert!(error(200, &body).contains("expires_in"), "{value}");
        }
    }

    #[test]
    fn token_type_case_insensitive() {
        for kind in ["bearer", "BEARER", "Bearer"] {
            let body = format!(r#"{{"access_token":"a","token_type":"{kind}"}}"#);
            assert!(parse(200, &body).is_ok(), "{kind}");
        }
    }

    #[test]
    fn other_token_types_rejected() {
        for kind in ["N_A", "DPoP", "mac"] {
            let body = format!(r#"{{"access_token":"a","token_type":"{kind}"}}"#);
            assert!(error(200, &body).contains(kind), "{kind}");
        }
    }

    #[test]
    fn token_exchange_reply_with_n_a_accepted() {
        let body = r#"{"access_token":"a","token_type":"N_A",
            "issued_token_type":"urn:ietf:params:oauth:token-type:jwt"}"#;
        let reply = parse(200, body).unwrap();
        assert_eq!(reply.access_token.expose(), "a");
        assert_eq!(
            reply.issued_token_type.as_deref(),
            Some("urn:ietf:params:oauth:token-type:jwt")
        );
    }

    #[test]
    fn error_member_fails_even_with_200() {
        let message = error(200, r#"{"error":"invalid_grant","error_description":"bad aud"}"#);
        assert!(message.contains("invalid_grant"), "{message}");
        assert!(message.contains("bad aud"), "{message}");
    }

    #[test]
    fn github_style_message_shown() {
        let message = error(
            401,
            r#"{"message":"A JSON web token could not be decoded","documentation_url":"https://docs"}"#,
        );
        assert!(message.contains("could not be decoded"), "{message}");
    }

    #[test]
    fn html_and_empty_bodies_previewed() {
        let message = parse_reply(502, Some("text/html"), b"<html>\x1b[31mBad gateway</html>", &[])
            .unwrap_err()
            .message;
        assert!(message.contains("502"), "{message}");
        assert!(message.contains("text/html"), "{message}");
        assert!(!message.contains('\x1b'), "{message}");
        let message = parse_reply(500, None, b"", &[]).unwrap_err().message;
        assert!(message.contains("empty body"), "{message}");
    }

    #[test]
    fn html_labelled_json_rejected() {
        let message = error(200, "<html>oops</html>");
        assert!(message.contains("not a JSON object"), "{message}");
    }

    #[test]
    fn missing_access_token_lists_fields() {
        let message = error(200, r#"{"token":"x","expires_at":"2030"}"#);
        assert!(message.contains("access_token"), "{message}");
        assert!(message.contains("expires_at"), "{message}");
    }

    #[test]
    fn secrets_removed_from_previews() {
        let message = parse_reply(
            400,
            Some("text/plain"),
            b"echo the-assertion eyJhbGciOi.eyJzdWIi.c2ln",
            &["the-assertion"],
        )
        .unwrap_err()
        .message;
        assert!(!message.contains("the-assertion"), "{message}");
        assert!(!message.contains("eyJzdWIi"), "{message}");
    }

    #[test]
    fn token_members_removed_from_non_json_replies() {
        let cases: [(&str, &[u8]); 3] = [
            (
                "application/x-www-form-urlencoded",
                b"access_token=gho_FORMSECRETTOKEN&scope=repo&token_type=bearer",
            ),
            ("application/json", br#"{"access_token":"BADJSONSECRET","token_type":"bea"#),
            ("text/plain", b"refresh_token: PLAINSECRET\nstatus: rejected"),
        ];
        for (content_type, body) in cases {
            let message = parse_reply(200, Some(content_type), body, &[]).unwrap_err().message;
            assert!(!message.contains("SECRET"), "{message}");
            assert!(message.contains("(redacted)"), "{message}");
            assert!(message.contains("HTTP 200"), "{message}");
        }
        let message =
            parse_reply(200, None, b"access_token=x&scope=repo", &[]).unwrap_err().message;
        assert!(message.contains("scope=repo"), "{message}");
        let body = b"see https://u:pw@h.example/";
        let message = parse_reply(500, None, body, &[]).unwrap_err().message;
        assert!(message.contains("https://redacted@h.example/"), "{message}");
    }

    #[test]
    fn echoed_secret_spellings_removed() {
        let secret = "s3cr3t+/ &\"<x>";
        let body = format!(
            "raw {secret} form {} json {} html {}",
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
            serde_json::to_string(secret).unwrap(),
            "s3cr3t+/ &amp;&quot;&lt;x&gt;"
        );
        let message =
            parse_reply(500, Some("text/html"), body.as_bytes(), &[secret]).unwrap_err().message;
        assert!(!message.contains("s3cr3t"), "{message}");
    }

    #[test]
    fn long_previews_capped() {
        let body = "x".repeat(5000);
        let message =
            parse_reply(500, Some("text/plain"), body.as_bytes(), &[]).unwrap_err().message;
        assert!(message.len() < 400, "{}", message.len());
    }
}
