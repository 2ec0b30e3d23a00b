//! Validation of one raw credential into a ready [`Credential`]. Every
//! configuration error about a credential's fields comes from here and
//! names the credential and the field.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonwebtoken::Algorithm;
use url::{Host, Url};

use super::duration;
use super::grant::{self, ScopeIn};
use super::raw::{RawCredential, StringOrList};
use super::{header, key_source, preset};
use crate::credential::{Audience, Credential, ExchangeSpec, Grant, HeaderSpec, JwtSpec, Protocol};
use crate::error::Error;
use crate::http::check_header;
use crate::key::source::{KeyDefaults, LoadedKey};
use crate::key::{self, PrivateKey, SigningKey};
use crate::redact;
use crate::tls::{self, TlsSettings};

/// Token lifetime in seconds when the credential sets none.
pub const DEFAULT_LIFETIME: u64 = 300;

/// Claims that namedcred sets itself; `[claims]` may not replace them.
const REGISTERED_CLAIMS: [(&str, &str); 7] = [
    ("iss", "set `issuer` instead"),
    ("sub", "set `subject` instead"),
    ("aud", "set `audience` instead"),
    ("iat", "namedcred sets it to the current time"),
    ("exp", "set `lifetime` instead"),
    ("nbf", "set not_before = true instead"),
    ("jti", "namedcred sets a fresh random value in every token"),
];

/// Validates `raw` as the credential `name`. Relative paths resolve against
/// `base_dir`, the folder of the configuration file.
pub fn resolve(name: &str, raw: &RawCredential, base_dir: &Path) -> Result<Credential, Error> {
    let preset = preset::parse(name, raw)?;
    preset::reject_misplaced(name, preset, raw)?;
    let url_from_token_reply = preset::takes_url_from_token_reply(preset, raw);
    let with_preset = match preset {
        None => None,
        Some(preset) => {
            let mut filled = raw.clone();
            preset::apply_defaults(name, preset, &mut filled)?;
            Some(filled)
        }
    };
    let raw = with_preset.as_ref().unwrap_or(raw);
    // The key is loaded first because a key file may supply defaults for
    // other fields, but its error is raised at the key step, so that a
    // missing `protocol` or `url` is still reported first.
    let loaded = key_source::load_key(name, raw, base_dir);
    let with_defaults = loaded.as_ref().ok().map(|l| apply_key_defaults(raw, &l.defaults));
    let raw = with_defaults.as_ref().unwrap_or(raw);
    reject_empty_values(name, raw)?;
    let fail = |field: &str, problem: String| field_error(name, field, problem);
    let insecure = raw.allow_insecure_http.unwrap_or(false);

    let protocol_name = raw
        .protocol
        .as_deref()
        .ok_or_else(|| missing(name, "protocol", "\"jwt\" or \"jwt-exchange\""))?;
    let url_text = raw.url.as_deref().ok_or_else(|| missing(name, "url", "the API base URL"))?;
    let url = parse_url(url_text, insecure).map_err(|p| fail("url", p))?;
    // A key file that fails to load supplied none of its defaults, so its
    // error goes before the errors of the fields it would have filled.
    let loaded = match loaded {
        Err(error) if key_source::may_supply_defaults(raw) => {
            return Err(in_credential(name, error));
        }
        loaded => loaded,
    };
    let protocol = match protocol_name {
        "jwt" => resolve_jwt_protocol(name, raw)?,
        "jwt-exchange" => resolve_exchange(name, raw, &url, insecure)?,
        other => {
            return Err(fail(
                "protocol",
                format!("\"{other}\" is not a protocol; use \"jwt\" or \"jwt-exchange\""),
            ));
        }
    };

    let mut jwt = resolve_jwt(name, raw, &protocol, loaded)?;
    jwt.header = header::resolve_header(name, raw, base_dir, &jwt.key)?;
    jwt.clock_skew = header::resolve_clock_skew(name, raw)?;
    jwt.not_before = raw.not_before.unwrap_or(false);
    let headers = resolve_headers(name, raw)?;
    let timeout = match &raw.timeout {
        None => None,
        Some(value) => {
            let seconds = duration::seconds(value, duration::TIMEOUT);
            Some(Duration::from_secs(seconds.map_err(|p| fail("timeout", p))?))
        }
    };
    let tls = resolve_tls(name, raw, base_dir)?;
    let mut credential = Credential {
        name: name.to_string(),
        url,
        url_from_token_reply,
        protocol,
        jwt,
        headers,
        timeout,
        tls,
    };
    if let Some(preset) = preset {
        preset::finish(name, preset, &mut credential)?;
    }
    Ok(credential)
}

/// Rejects empty claim, header and token request values, because servers
/// read them as wrong values rather than missing ones. The string fields
/// are `issuer`, `subject`, `key_id`, `client_id` and the token types. The
/// list fields `audience`, `scope`, `resource` and `exchange_audience` may
/// not be an empty string, an empty array or hold an empty string.
fn reject_empty_values(name: &str, raw: &RawCredential) -> Result<(), Error> {
    let strings = [
        ("issuer", &raw.issuer, "set `issuer` to the `iss` claim"),
        ("subject", &raw.subject, "remove `subject` to leave the `sub` claim out"),
        ("key_id", &raw.key_id, "remove `key_id` to leave the `kid` header out"),
        ("client_id", &raw.client_id, "remove `client_id` to use `issuer` as the client id"),
        (
            "subject_token_type",
            &raw.subject_token_type,
            "remove `subject_token_type` to send urn:ietf:params:oauth:token-type:jwt",
        ),
        (
            "requested_token_type",
            &raw.requested_token_type,
            "remove `requested_token_type` to let the server choose",
        ),
    ];
    for (field, value, fix) in strings {
        if value.as_deref() == Some("") {
            return Err(field_error(name, field, "must not be empty".to_string()).with_hint(fix));
        }
    }
    let lists = [
        ("audience", &raw.audience, "remove `audience` to leave the `aud` claim out"),
        ("scope", &raw.scope, "remove `scope` to send no scope"),
        ("resource", &raw.resource, "remove `resource` to send none"),
        ("exchange_audience", &raw.exchange_audience, "remove `exchange_audience` to send none"),
    ];
    for (field, value, fix) in lists {
        let problem = match value {
            Some(StringOrList::One(one)) if one.is_empty() => Some(field.to_string()),
            Some(StringOrList::Many(many)) if many.is_empty() => {
                return Err(field_error(name, field, "must not be an empty array".to_string())
                    .with_hint(format!("{fix}, or list at least one value")));
            }
            Some(StringOrList::Many(many)) => {
                many.iter().position(String::is_empty).map(|i| format!("{field}[{i}]"))
            }
            _ => None,
        };
        if let Some(shown) = problem {
            return Err(
                field_error(name, &shown, "must not be an empty string".to_string()).with_hint(fix)
            );
        }
    }
    Ok(())
}

/// Loads `ca_file`, `client_cert` and `client_key`.
fn resolve_tls(name: &str, raw: &RawCredential, base_dir: &Path) -> Result<TlsSettings, Error> {
    let extra_roots = match raw.ca_file.as_deref() {
        None => Vec::new(),
        Some(path) => tls::load_ca_file(&expand_path(path, base_dir))
            .map_err(|p| field_error(name, "ca_file", p))?,
    };
    let key_path = raw.client_key.as_deref().map(|path| expand_path(path, base_dir));
    let client_cert = match (raw.client_cert.as_deref(), &key_path) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(field_error(
                name,
                "client_key",
                "is set without client_cert; set client_cert to the certificate file".to_string(),
            ));
        }
        (Some(path), key) => Some(
            tls::load_client_cert(&expand_path(path, base_dir), key.as_deref())
                .map_err(|(field, p)| field_error(name, field, p))?,
        ),
    };
    Ok(TlsSettings { extra_roots, client_cert })
}

/// Checks that a `jwt` credential sets no exchange-only field.
fn resolve_jwt_protocol(name: &str, raw: &RawCredential) -> Result<Protocol, Error> {
    if raw.token_endpoint.is_some() {
        return Err(field_error(
            name,
            "token_endpoint",
            "is only used with protocol = \"jwt-exchange\"".to_string(),
        ));
    }
    if raw.token_lifetime.is_some() {
        return Err(field_error(
            name,
            "token_lifetime",
            "describes access tokens from a token endpoint, so it only applies to \
             protocol = \"jwt-exchange\""
                .to_string(),
        ));
    }
    if raw.scope.is_some() {
        return Err(field_error(
            name,
            "scope",
            "is sent to a token endpoint, so it only applies to protocol = \"jwt-exchange\""
                .to_string(),
        )
        .with_hint(
            "to put a scope claim in the JWT itself, set it under [credentials.<name>.claims]",
        ));
    }
    grant::reject_on_jwt(name, raw)?;
    Ok(Protocol::Jwt)
}

/// Resolves the token endpoint and scope of a `jwt-exchange` credential.
fn resolve_exchange(
    name: &str,
    raw: &RawCredential,
    api: &Url,
    insecure: bool,
) -> Result<Protocol, Error> {
    let endpoint = raw.token_endpoint.as_deref().ok_or_else(|| {
        missing(name, "token_endpoint", "the URL that exchanges the JWT for an access token")
    })?;
    let token_endpoint =
        parse_url(endpoint, insecure).map_err(|p| field_error(name, "token_endpoint", p))?;
    if &token_endpoint == api {
        return Err(field_error(
            name,
            "token_endpoint",
            "is the same URL as `url`; it must be the token endpoint, not the API base URL"
                .to_string(),
        ));
    }
    let scope_in = grant::resolve_scope_in(name, raw)?;
    let scope = grant::form_scope(raw, scope_in);
    let grant = grant::resolve_grant(name, raw)?;
    let token_lifetime = match &raw.token_lifetime {
        None => None,
        Some(value) => {
            let seconds = duration::seconds(value, duration::TOKEN_LIFETIME);
            Some(seconds.map_err(|p| field_error(name, "token_lifetime", p))?)
        }
    };
    let mut spec =
        ExchangeSpec { token_endpoint, scope, grant, params: Vec::new(), token_lifetime };
    let reserved: Vec<&str> = crate::grant::form(&spec, "").iter().map(|(n, _)| *n).collect();
    let params = grant::resolve_params(name, raw, &reserved)?;
    spec.params = params;
    Ok(Protocol::JwtExchange(spec))
}

/// Resolves the claims template and the signing key.
fn resolve_jwt(
    name: &str,
    raw: &RawCredential,
    protocol: &Protocol,
    loaded: Result<LoadedKey, Error>,
) -> Result<JwtSpec, Error> {
    let (issuer, subject) = resolve_issuer_subject(name, raw, protocol)?;
    let audience = match (&raw.audience, protocol) {
        (Some(StringOrList::One(one)), _) => Some(Audience::One(one.clone())),
        (Some(StringOrList::Many(many)), _) => Some(Audience::Many(many.clone())),
        // GitHub's app JWT authenticates the app itself and has no aud.
        (None, Protocol::JwtExchange(spec)) if spec.grant == Grant::GithubInstallation => None,
        // RFC 7523 section 3 names the token endpoint URL as a valid
        // audience, so it is the default. The text is kept as written,
        // because servers compare it byte for byte.
        (None, Protocol::JwtExchange(_)) => raw.token_endpoint.clone().map(Audience::One),
        (None, Protocol::Jwt) => None,
    };
    let jwt_bearer =
        matches!(protocol, Protocol::JwtExchange(spec) if spec.grant == Grant::JwtBearer);
    if subject.is_none() && jwt_bearer {
        return Err(missing(
            name,
            "subject",
            "the `sub` claim, which the jwt-bearer grant requires",
        ));
    }

    let lifetime = match &raw.lifetime {
        None => DEFAULT_LIFETIME,
        Some(value) => duration::seconds(value, duration::LIFETIME)
            .map_err(|p| field_error(name, "lifetime", p))?,
    };
    let mut extra_claims = resolve_claims(name, raw)?;
    if matches!(protocol, Protocol::JwtExchange(_)) {
        add_scope_claim(name, raw, &mut extra_claims)?;
    }
    let key = resolve_key(name, raw, loaded)?;
    Ok(JwtSpec {
        issuer,
        subject,
        audience,
        lifetime,
        extra_claims,
        key,
        header: HeaderSpec::default(),
        clock_skew: 0,
        not_before: false,
    })
}

/// Resolves `iss` and `sub`. With the client-credentials grant both are
/// the client id, as RFC 7523 section 3 requires of client assertions.
fn resolve_issuer_subject(
    name: &str,
    raw: &RawCredential,
    protocol: &Protocol,
) -> Result<(String, Option<String>), Error> {
    let client_id = match protocol {
        Protocol::JwtExchange(ExchangeSpec {
            grant: Grant::ClientCredentials { client_id },
            ..
        }) => client_id,
        _ => {
            let issuer =
                raw.issuer.clone().ok_or_else(|| missing(name, "issuer", "the `iss` claim"))?;
            return Ok((issuer, raw.subject.clone()));
        }
    };
    for (field, value) in [("issuer", &raw.issuer), ("subject", &raw.subject)] {
        if let Some(value) = value.as_deref().filter(|v| v != client_id) {
            return Err(field_error(
                name,
                field,
                format!(
                    "is \"{value}\", but a client assertion's iss and sub must both be the \
                     client id \"{client_id}\""
                ),
            )
            .with_hint(format!("remove `{field}`; namedcred sets it to the client id")));
        }
    }
    Ok((client_id.clone(), Some(client_id.clone())))
}

/// Adds the `scope` claim when `scope_in` is `"claim"` or `"both"`.
fn add_scope_claim(
    name: &str,
    raw: &RawCredential,
    claims: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<(), Error> {
    let scope_in = grant::resolve_scope_in(name, raw)?;
    let Some(scope) = grant::claim_scope(raw, scope_in) else {
        if scope_in != ScopeIn::Form && raw.scope.is_none() {
            return Err(missing(name, "scope", "the scope that scope_in puts in the assertion"));
        }
        return Ok(());
    };
    if claims.contains_key("scope") {
        return Err(field_error(
            name,
            "claims.scope",
            "conflicts with `scope_in`, which sets the scope claim from `scope`".to_string(),
        ));
    }
    claims.insert("scope".to_string(), serde_json::Value::String(scope));
    Ok(())
}

/// Copies the defaults that a key file states into the fields the
/// credential leaves unset. The token endpoint and subject are copied only
/// for protocol `jwt-exchange`, because protocol `jwt` rejects a token
/// endpoint and needs no subject.
fn apply_key_defaults(raw: &RawCredential, defaults: &KeyDefaults) -> RawCredential {
    let mut raw = raw.clone();
    let fill = |field: &mut Option<String>, default: &Option<String>| {
        if field.is_none() {
            field.clone_from(default);
        }
    };
    fill(&mut raw.issuer, &defaults.issuer);
    fill(&mut raw.key_id, &defaults.key_id);
    fill(&mut raw.algorithm, &defaults.algorithm);
    // A self-signed Google JWT has sub = iss, so the preset takes the
    // subject default with protocol jwt too.
    let google = raw.preset.as_deref() == Some("google-service-account");
    if google || raw.protocol.as_deref() == Some("jwt-exchange") {
        fill(&mut raw.subject, &defaults.subject);
    }
    if raw.protocol.as_deref() == Some("jwt-exchange") {
        fill(&mut raw.token_endpoint, &defaults.token_endpoint);
    }
    raw
}

/// Matches the loaded key to the algorithm and adds the `kid`.
fn resolve_key(
    name: &str,
    raw: &RawCredential,
    loaded: Result<LoadedKey, Error>,
) -> Result<SigningKey, Error> {
    let private = loaded.map_err(|e| in_credential(name, e))?.key;

    let algorithm = match raw.algorithm.as_deref() {
        None => None,
        Some(text) => {
            Some(key::parse_algorithm(text).map_err(|p| field_error(name, "algorithm", p))?)
        }
    };
    let key = SigningKey::new(private, algorithm, raw.key_id.clone())
        .map_err(|e| in_credential(name, e))?;
    check_secret_length(name, raw, &key)?;
    Ok(key)
}

/// Rejects an HMAC secret shorter than the hash output of its algorithm:
/// RFC 7518 section 3.2 requires a key of at least that size, so 32 bytes
/// for HS256, 48 for HS384 and 64 for HS512. The message gives the length,
/// never the secret.
fn check_secret_length(name: &str, raw: &RawCredential, key: &SigningKey) -> Result<(), Error> {
    let minimum = match key.algorithm {
        Algorithm::HS256 => 32,
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => return Ok(()),
    };
    let length = key.secret_len();
    if length >= minimum {
        return Ok(());
    }
    let sources = [
        ("secret_env", raw.secret_env.is_some()),
        ("secret_path", raw.secret_path.is_some()),
        ("key_path", raw.key_path.is_some()),
        ("key_env", raw.key_env.is_some()),
        ("key", raw.key.is_some()),
    ];
    let field = sources.iter().find(|(_, set)| *set).map_or("key_command", |(field, _)| field);
    let algorithm = key.algorithm;
    let mut hint = format!(
        "use a random secret of {minimum} bytes or more, such as the output of \
         `openssl rand -base64 {minimum}`"
    );
    if length >= 32 {
        hint.push_str(", or set algorithm = \"HS256\", which needs 32");
    }
    Err(field_error(
        name,
        field,
        format!(
            "gives an HMAC secret of {length} bytes, but {algorithm:?} needs at least \
             {minimum} bytes, the size of its hash output"
        ),
    )
    .with_hint(hint))
}

/// Reads an HMAC secret from an environment variable, as raw UTF-8 bytes.
pub(super) fn read_secret_env(variable: &str) -> Result<PrivateKey, Error> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Ok(PrivateKey::hmac(value.into_bytes())),
        Ok(_) => Err(Error::config(format!("secret_env names {variable}, which is empty"))),
        Err(std::env::VarError::NotPresent) => {
            Err(Error::config(format!("secret_env names {variable}, which is not set"))
                .with_hint(format!("export {variable} with the HMAC secret before running")))
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config(format!("secret_env names {variable}, which is not valid UTF-8")))
        }
    }
}

/// Reads an HMAC secret file byte for byte; a trailing newline is part of
/// the secret.
pub(super) fn read_secret_file(path: &Path) -> Result<PrivateKey, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::config(format!("cannot read secret_path {}: {e}", path.display())))?;
    if bytes.is_empty() {
        return Err(Error::config(format!("secret_path {} is empty", path.display())));
    }
    if bytes.ends_with(b"\n") {
        log::debug!(
            "the secret in {} ends with a newline, which is part of the HMAC key",
            path.display()
        );
    }
    Ok(PrivateKey::hmac(bytes))
}

/// Converts `[claims]` to JSON, rejecting the registered claims that
/// namedcred sets itself.
fn resolve_claims(
    name: &str,
    raw: &RawCredential,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let mut claims = serde_json::Map::new();
    for (claim, value) in raw.claims.iter().flatten() {
        if let Some((_, fix)) = REGISTERED_CLAIMS.iter().find(|(c, _)| c == claim) {
            return Err(field_error(
                name,
                &format!("claims.{claim}"),
                format!("would replace a claim that namedcred sets; {fix}"),
            ));
        }
        let json =
            toml_to_json(value).map_err(|p| field_error(name, &format!("claims.{claim}"), p))?;
        claims.insert(claim.clone(), json);
    }
    Ok(claims)
}

/// Converts a TOML value to JSON; datetimes become RFC 3339 strings.
pub(super) fn toml_to_json(value: &toml::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as Json;
    Ok(match value {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or_else(|| format!("{f} cannot be written in JSON"))?,
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => {
            Json::Array(items.iter().map(toml_to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => {
            let mut map = serde_json::Map::new();
            for (k, v) in table {
                map.insert(k.clone(), toml_to_json(v)?);
            }
            Json::Object(map)
        }
    })
}

/// Checks the static request headers.
fn resolve_headers(name: &str, raw: &RawCredential) -> Result<Vec<(String, String)>, Error> {
    let mut headers = Vec::new();
    for (header, value) in raw.headers.iter().flatten() {
        let field = format!("headers.{header}");
        if header.eq_ignore_ascii_case("authorization") {
            return Err(field_error(
                name,
                &field,
                "would replace the bearer token that the credential sends".to_string(),
            ));
        }
        if header.eq_ignore_ascii_case("host") {
            return Err(field_error(
                name,
                &field,
                "cannot be set, because the host comes from the credential's url".to_string(),
            ));
        }
        check_header(header, value).map_err(|p| field_error(name, &field, p))?;
        headers.push((header.clone(), value.clone()));
    }
    Ok(headers)
}

/// Parses an http or https URL, rejecting plain http to a host that is not
/// loopback unless `allow_insecure` is set. The check uses the URL text
/// only, so it runs before any DNS lookup.
fn parse_url(text: &str, allow_insecure: bool) -> Result<Url, String> {
    // Messages show the URL with its user information and secret query
    // parameters redacted, because the checks before the one that rejects
    // a URL with a password quote the URL too.
    let shown = redact::text::shown_url(text);
    if lacks_scheme(text) {
        return Err(format!("\"{shown}\" has no scheme; write \"https://{shown}\""));
    }
    let url = Url::parse(text).map_err(|e| format!("\"{shown}\" is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure || is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "\"{shown}\" uses plain http, which would send credentials unencrypted; \
                 use https (plain http is allowed for loopback hosts, or with \
                 allow_insecure_http = true)"
            ));
        }
        other => return Err(format!("\"{shown}\" has scheme {other}; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "\"{shown}\" contains a user name or password; namedcred sends only the token"
        ));
    }
    if url.fragment().is_some() {
        return Err(format!("\"{shown}\" has a #fragment, which is never sent to a server"));
    }
    Ok(url)
}

/// Tells whether `text` is a host and path written without `https://`,
/// such as `api.example.com/v1` or `localhost:8080/v1`. The URL parser
/// reads the second form as the scheme `localhost`, so a colon followed
/// by a digit counts as a port, not as the end of a scheme.
fn lacks_scheme(text: &str) -> bool {
    if text.contains("://") || Url::parse(&format!("https://{text}")).is_err() {
        return false;
    }
    match Url::parse(text) {
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
        Ok(_) => text
            .split_once(':')
            .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit())),
    }
}

/// Tells whether the URL's host is a loopback name or address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Joins a scope list with spaces, or returns the single string.
pub(super) fn join_list(value: &StringOrList, separator: &str) -> String {
    match value {
        StringOrList::One(one) => one.clone(),
        StringOrList::Many(many) => many.join(separator),
    }
}

/// Expands a leading `~` to the home folder and resolves a relative path
/// against `base_dir`.
pub(super) fn expand_path(text: &str, base_dir: &Path) -> PathBuf {
    let home = || directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf());
    if text == "~"
        && let Some(home) = home()
    {
        return home;
    }
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = home()
    {
        return home.join(rest);
    }
    base_dir.join(text)
}

/// Builds the error for a missing required field.
fn missing(name: &str, field: &str, what: &str) -> Error {
    Error::config(format!("credential `{name}` is missing `{field}`"))
        .with_hint(format!("set `{field}` to {what}"))
}

/// Builds the error for an invalid field.
pub(super) fn field_error(name: &str, field: &str, problem: String) -> Error {
    Error::config(format!("credential `{name}`: `{field}` {problem}"))
}

/// Prefixes a key or secret error with the credential's name.
fn in_credential(name: &str, mut error: Error) -> Error {
    if !error.message.starts_with("credential `") {
        error.message = format!("credential `{name}`: {}", error.message);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const HMAC_ENV: &str = "NAMEDCRED_TEST_RESOLVE_SECRET";

    fn resolve_text(body: &str) -> Result<Credential, Error> {
        // SAFETY: tests in this module only read this variable, and no test
        // removes it, so concurrent access cannot observe a torn value.
        unsafe { std::env::set_var(HMAC_ENV, "test-secret-of-32-bytes-for-hs256") };
        let text = format!("[credentials.api]\n{body}");
        let config = Config::parse(&text, PathBuf::from("/tmp/credentials.toml"))?;
        config.credential("api")
    }

    fn jwt(extra: &str) -> String {
        format!(
            "protocol = \"jwt\"\nurl = \"https://api.example.com/v1\"\nissuer = \"me\"\n\
             secret_env = \"{HMAC_ENV}\"\n{extra}"
        )
    }

    fn exchange(extra: &str) -> String {
        format!(
            "protocol = \"jwt-exchange\"\nurl = \"https://api.example.com\"\nissuer = \"me\"\n\
             subject = \"svc\"\ntoken_endpoint = \"https://auth.example.com/token\"\n\
             secret_env = \"{HMAC_ENV}\"\n{extra}"
        )
    }

    fn message(body: &str) -> String {
        let error = resolve_text(body).unwrap_err();
        format!("{} {}", error.message, error.hint.unwrap_or_default())
    }

    #[test]
    fn minimal_jwt_credential() {
        let credential = resolve_text(&jwt("")).unwrap();
        assert_eq!(credential.jwt.issuer, "me");
        assert_eq!(credential.jwt.lifetime, DEFAULT_LIFETIME);
        assert!(credential.jwt.audience.is_none());
        assert!(matches!(credential.protocol, Protocol::Jwt));
    }

    #[test]
    fn exchange_audience_defaults_to_endpoint_as_written() {
        let credential = resolve_text(&exchange("")).unwrap();
        assert_eq!(
            credential.jwt.audience,
            Some(Audience::One("https://auth.example.com/token".to_string()))
        );
    }

    #[test]
    fn audience_list_kept() {
        let credential = resolve_text(&jwt("audience = [\"a\", \"b\"]")).unwrap();
        assert_eq!(
            credential.jwt.audience,
            Some(Audience::Many(vec!["a".to_string(), "b".to_string()]))
        );
    }

    #[test]
    fn scope_list_joined_with_spaces() {
        let credential = resolve_text(&exchange("scope = [\"read\", \"write\"]")).unwrap();
        let Protocol::JwtExchange(spec) = credential.protocol else { panic!("not exchange") };
        assert_eq!(spec.scope.as_deref(), Some("read write"));
    }

    #[test]
    fn missing_fields_named() {
        assert!(message("url = \"https://x\"").contains("`protocol`"));
        assert!(message("protocol = \"jwt\"").contains("`url`"));
        let no_issuer = "protocol = \"jwt\"\nurl = \"https://x\"\nsecret_env = \"X\"";
        assert!(message(no_issuer).contains("`issuer`"));
        let no_key = "protocol = \"jwt\"\nurl = \"https://x\"\nissuer = \"me\"";
        assert!(message(no_key).contains("key_path"));
    }

    #[test]
    fn exchange_requires_endpoint_and_subject() {
        let body = exchange("").replace("token_endpoint", "# token_endpoint");
        assert!(message(&body).contains("`token_endpoint`"));
        let body = exchange("").replace("subject", "# subject");
        assert!(message(&body).contains("`subject`"));
    }

    #[test]
    fn token_endpoint_equal_to_url_rejected() {
        let body =
            exchange("").replace("https://api.example.com", "https://auth.example.com/token");
        assert!(message(&body).contains("same URL as `url`"));
    }

    #[test]
    fn unknown_protocol_rejected() {
        let body = jwt("").replace("\"jwt\"", "\"oauth\"");
        assert!(message(&body).contains("\"oauth\" is not a protocol"));
    }

    #[test]
    fn plain_http_rejected_unless_loopback_or_allowed() {
        let remote = jwt("").replace("https://api.example.com/v1", "http://api.example.com");
        assert!(message(&remote).contains("https"));
        for host in
            ["http://127.0.0.1:8080", "http://localhost/x", "http://[::1]:9/", "http://127.9.9.9"]
        {
            let body = jwt("").replace("https://api.example.com/v1", host);
            assert!(resolve_text(&body).is_ok(), "{host}");
        }
        let allowed = format!("{remote}allow_insecure_http = true\n");
        assert!(resolve_text(&allowed).is_ok());
    }

    #[test]
    fn url_without_scheme_hints_https() {
        for (written, fix) in [
            ("api.example.com/v1", "https://api.example.com/v1"),
            ("localhost:8080/v1", "https://localhost:8080/v1"),
            ("127.0.0.1:8080", "https://127.0.0.1:8080"),
        ] {
            let body = jwt("").replace("https://api.example.com/v1", written);
            let text = message(&body);
            let expected = format!("`url` \"{written}\" has no scheme; write \"{fix}\"");
            assert!(text.contains(&expected), "{text}");
        }
        let text = message(&jwt("").replace("https://api.example.com/v1", "ftp://x.example"));
        assert!(text.contains("has scheme ftp; use https"), "{text}");
        let text = message(&jwt("").replace("https://api.example.com/v1", "mailto:a@x.example"));
        assert!(text.contains("has scheme mailto"), "{text}");
    }

    #[test]
    fn url_with_userinfo_rejected_without_echoing_password() {
        let body = jwt("").replace("https://api.example.com/v1", "https://u:hunter2@x.example");
        let text = message(&body);
        assert!(text.contains("user name or password"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn rejected_urls_never_echo_password() {
        for url in [
            "http://u:hunter2@x.example/v1",
            "https://u:hunter2@x.example:badport/v1",
            "ftp://u:hunter2@x.example/v1",
        ] {
            let body = jwt("").replace("https://api.example.com/v1", url);
            let text = message(&body);
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("redacted@x.example"), "{text}");
        }
    }

    #[test]
    fn registered_claims_rejected() {
        for claim in ["iss", "sub", "aud", "iat", "exp", "nbf", "jti"] {
            let body = jwt(&format!("[credentials.api.claims]\n{claim} = 1\n"));
            assert!(message(&body).contains(&format!("claims.{claim}")), "{claim}");
        }
    }

    #[test]
    fn extra_claims_converted() {
        let body = jwt("[credentials.api.claims]\ntenant = \"t1\"\nroles = [\"a\"]\nn = 3\n");
        let credential = resolve_text(&body).unwrap();
        let claims = &credential.jwt.extra_claims;
        assert_eq!(claims["tenant"], "t1");
        assert_eq!(claims["roles"], serde_json::json!(["a"]));
        assert_eq!(claims["n"], 3);
    }

    #[test]
    fn authorization_header_rejected() {
        let body = jwt("[credentials.api.headers]\nAuthorization = \"Basic x\"\n");
        assert!(message(&body).contains("headers.Authorization"));
    }

    #[test]
    fn header_with_newline_rejected() {
        let body = jwt("[credentials.api.headers]\nX-A = \"a\\r\\nX-B: b\"\n");
        assert!(message(&body).contains("headers.X-A"));
    }

    #[test]
    fn two_key_sources_rejected() {
        let body = jwt("secret_path = \"s.txt\"");
        assert!(message(&body).contains("cannot be combined"));
    }

    #[test]
    fn unset_secret_env_named() {
        let body = jwt("").replace(HMAC_ENV, "NAMEDCRED_TEST_UNSET_VARIABLE");
        assert!(message(&body).contains("NAMEDCRED_TEST_UNSET_VARIABLE"));
    }

    #[test]
    fn token_lifetime_parsed_for_exchange() {
        let credential = resolve_text(&exchange("token_lifetime = \"1h\"")).unwrap();
        let Protocol::JwtExchange(spec) = credential.protocol else { panic!("not exchange") };
        assert_eq!(spec.token_lifetime, Some(3600));
        let credential = resolve_text(&exchange("")).unwrap();
        let Protocol::JwtExchange(spec) = credential.protocol else { panic!("not exchange") };
        assert_eq!(spec.token_lifetime, None);
    }

    #[test]
    fn invalid_token_lifetime_named() {
        assert!(message(&exchange("token_lifetime = 0")).contains("`token_lifetime`"));
        assert!(message(&exchange("token_lifetime = \"soon\"")).contains("`token_lifetime`"));
        assert!(message(&jwt("token_lifetime = \"1h\"")).contains("`token_lifetime`"));
    }

    #[test]
    fn zero_durations_must_be_more_than_zero() {
        let text = message(&jwt("timeout = \"0s\""));
        assert!(text.contains("`timeout` must be more than zero, not \"0s\""), "{text}");
        let text = message(&jwt("lifetime = 0"));
        assert!(text.contains("`lifetime` must be more than zero, not 0"), "{text}");
        let text = message(&exchange("token_lifetime = \"0m\""));
        assert!(text.contains("`token_lifetime` must be more than zero"), "{text}");
    }

    #[test]
    fn zero_clock_skew_accepted() {
        let credential = resolve_text(&jwt("clock_skew = 0")).unwrap();
        assert_eq!(credential.jwt.clock_skew, 0);
        let credential = resolve_text(&jwt("clock_skew = \"0s\"")).unwrap();
        assert_eq!(credential.jwt.clock_skew, 0);
    }

    #[test]
    fn durations_above_maximum_rejected() {
        let text = message(&jwt("lifetime = \"100000d\""));
        assert!(text.contains("`lifetime` must be at most 24 hours (86400 seconds)"), "{text}");
        let text = message(&jwt("timeout = \"2d\""));
        assert!(text.contains("`timeout` must be at most 24 hours (86400 seconds)"), "{text}");
        let text = message(&jwt("clock_skew = \"25h\""));
        assert!(text.contains("`clock_skew` must be at most 24 hours"), "{text}");
        let credential = resolve_text(&jwt("lifetime = \"24h\"\ntimeout = 86400")).unwrap();
        assert_eq!(credential.jwt.lifetime, 86_400);
        assert_eq!(credential.timeout, Some(Duration::from_secs(86_400)));
    }

    #[test]
    fn short_hmac_secret_rejected_per_algorithm() {
        // The test secret is 33 bytes: enough for HS256, not for HS384 or HS512.
        assert!(resolve_text(&jwt("")).is_ok());
        for (algorithm, minimum) in [("HS384", 48), ("HS512", 64)] {
            let text = message(&jwt(&format!("algorithm = \"{algorithm}\"")));
            let expected = format!(
                "`secret_env` gives an HMAC secret of 33 bytes, but {algorithm} needs at least \
                 {minimum} bytes"
            );
            assert!(text.contains(&expected), "{text}");
            assert!(text.contains("algorithm = \"HS256\""), "{text}");
            assert!(!text.contains("test-secret-of-32"), "{text}");
        }
    }

    #[test]
    fn hmac_secret_of_hash_size_accepted() {
        let path = std::env::temp_dir().join("namedcred-resolve-hs256-secret.txt");
        std::fs::write(&path, [b'k'; 32]).unwrap();
        let body = jwt("").replace(
            &format!("secret_env = \"{HMAC_ENV}\""),
            &format!("secret_path = {:?}", path.display().to_string()),
        );
        assert!(resolve_text(&body).is_ok());
        std::fs::write(&path, [b'k'; 31]).unwrap();
        let text = message(&body);
        assert!(text.contains("`secret_path` gives an HMAC secret of 31 bytes"), "{text}");
        assert!(!text.contains("algorithm = \"HS256\""), "{text}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn empty_strings_rejected() {
        for field in ["subject", "key_id"] {
            let text = message(&jwt(&format!("{field} = \"\"")));
            assert!(text.contains(&format!("`{field}` must not be empty")), "{text}");
            assert!(text.contains(&format!("remove `{field}`")), "{text}");
        }
        let text = message(&jwt("").replace("issuer = \"me\"", "issuer = \"\""));
        assert!(text.contains("`issuer` must not be empty"), "{text}");
    }

    #[test]
    fn empty_audience_and_scope_rejected() {
        let text = message(&jwt("audience = []"));
        assert!(text.contains("`audience` must not be an empty array"), "{text}");
        let text = message(&jwt("audience = \"\""));
        assert!(text.contains("`audience` must not be an empty string"), "{text}");
        let text = message(&jwt("audience = [\"a\", \"\"]"));
        assert!(text.contains("`audience[1]` must not be an empty string"), "{text}");
        let text = message(&exchange("scope = [\"\"]"));
        assert!(text.contains("`scope[0]` must not be an empty string"), "{text}");
        let text = message(&exchange("scope = []"));
        assert!(text.contains("`scope` must not be an empty array"), "{text}");
        let text = message(&exchange("scope = \"\""));
        assert!(text.contains("`scope` must not be an empty string"), "{text}");
    }

    #[test]
    fn token_endpoint_on_jwt_rejected() {
        let body = jwt("token_endpoint = \"https://a/token\"");
        assert!(message(&body).contains("`token_endpoint`"));
    }

    #[test]
    fn relative_paths_resolve_against_config_folder() {
        let base = Path::new("/etc/namedcred");
        assert_eq!(expand_path("keys/a.pem", base), PathBuf::from("/etc/namedcred/keys/a.pem"));
        assert_eq!(expand_path("/abs/a.pem", base), PathBuf::from("/abs/a.pem"));
        let home = directories::BaseDirs::new().unwrap().home_dir().to_path_buf();
        assert_eq!(expand_path("~/k.pem", base), home.join("k.pem"));
    }
}
