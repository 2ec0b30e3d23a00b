//! Provider presets (`preset = "..."`): defaults that make a provider's
//! credential a few lines long, and checks of the limits the provider
//! documents, so that a token the provider would reject fails here with
//! exit 8 instead.
//!
//! Defaults are filled into the raw credential before anything else is
//! resolved; limits are checked on the resolved credential.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::raw::{Lifetime, RawCredential, StringOrList};
use super::resolve::field_error;
use crate::credential::{Audience, Credential};
use crate::error::Error;

/// A provider preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// A GitHub App: its JWT, or an installation access token.
    GithubApp,
    /// A Google Cloud service account key file.
    GoogleServiceAccount,
    /// An App Store Connect API key.
    AppleAppStoreConnect,
    /// Snowflake key-pair authentication.
    Snowflake,
    /// The Salesforce OAuth 2.0 JWT bearer flow.
    Salesforce,
}

/// GitHub: "exp ... must be no more than 10 minutes into the future", and
/// `iat` should be set 60 seconds in the past against clock drift. Source:
/// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
const GITHUB_MAX_LIFETIME: u64 = 600;
const GITHUB_BACKDATE: i64 = 60;
const GITHUB_DEFAULT_LIFETIME: i64 = 540;

/// Google: the assertion's `exp` has "a maximum of 1 hour" after `iat`.
/// Source: https://developers.google.com/identity/protocols/oauth2/service-account
/// (quoted by httr's `jwt_signature` documentation, which is where it was
/// read).
const GOOGLE_MAX_LIFETIME: u64 = 3600;

/// App Store Connect: "Tokens that expire more than 20 minutes into the
/// future are not valid". Source:
/// https://developer.apple.com/documentation/appstoreconnectapi/generating-tokens-for-api-requests
/// (quoted in Ponytech/appstoreconnectapi issue 41). The default leaves
/// 10 minutes for a local clock that runs ahead.
const APPLE_MAX_LIFETIME: u64 = 1200;
const APPLE_DEFAULT_LIFETIME: i64 = 600;
const APPLE_AUDIENCE: &str = "appstoreconnect-v1";

// NOTE: the one-hour maximum for Snowflake key-pair JWTs comes from
// secondary sources (client libraries that state it), not from a limit
// read in https://docs.snowflake.com/developer-guide/sql-api/authenticating.
const SNOWFLAKE_MAX_LIFETIME: u64 = 3600;
/// The header that marks the bearer token as a key-pair JWT for Snowflake.
pub const SNOWFLAKE_TOKEN_TYPE_HEADER: &str = "X-Snowflake-Authorization-Token-Type";

// NOTE: 180 s follows Salesforce JWT bearer examples that set exp 3 minutes
// ahead; no maximum is enforced, because no limit was read in
// https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
const SALESFORCE_DEFAULT_LIFETIME: i64 = 180;
const SALESFORCE_AUDIENCE: &str = "https://login.salesforce.com";

/// Parses `preset`, or returns `None` when it is unset.
pub fn parse(name: &str, raw: &RawCredential) -> Result<Option<Preset>, Error> {
    let preset = match raw.preset.as_deref() {
        None => return Ok(None),
        Some("github-app") => Preset::GithubApp,
        Some("google-service-account") => Preset::GoogleServiceAccount,
        Some("apple-app-store-connect") => Preset::AppleAppStoreConnect,
        Some("snowflake") => Preset::Snowflake,
        Some("salesforce") => Preset::Salesforce,
        Some(other) => {
            return Err(field_error(
                name,
                "preset",
                format!(
                    "\"{other}\" is not a preset; use \"github-app\", \"google-service-account\", \
                     \"apple-app-store-connect\", \"snowflake\" or \"salesforce\""
                ),
            ));
        }
    };
    Ok(Some(preset))
}

/// Rejects the preset-only fields on a credential with another preset or
/// none, where they would be ignored.
pub fn reject_misplaced(
    name: &str,
    preset: Option<Preset>,
    raw: &RawCredential,
) -> Result<(), Error> {
    let fields = [
        ("account", raw.account.is_some(), Preset::Snowflake, "snowflake"),
        ("user", raw.user.is_some(), Preset::Snowflake, "snowflake"),
        ("installation_id", raw.installation_id.is_some(), Preset::GithubApp, "github-app"),
    ];
    for (field, set, owner, owner_name) in fields {
        if set && preset != Some(owner) {
            return Err(field_error(
                name,
                field,
                format!("is only used with preset = \"{owner_name}\""),
            ));
        }
    }
    Ok(())
}

/// Tells whether `call` takes the API URL from the token reply: a
/// Salesforce credential without `url` uses the `instance_url` that
/// Salesforce returns with the access token.
pub fn takes_url_from_token_reply(preset: Option<Preset>, raw: &RawCredential) -> bool {
    preset == Some(Preset::Salesforce) && raw.url.is_none()
}

/// Fills the preset's defaults into the fields the credential leaves
/// unset, and rejects fields the preset sets itself.
pub fn apply_defaults(name: &str, preset: Preset, raw: &mut RawCredential) -> Result<(), Error> {
    match preset {
        Preset::GithubApp => github_defaults(name, raw),
        Preset::GoogleServiceAccount => google_defaults(name, raw),
        Preset::AppleAppStoreConnect => {
            fill(&mut raw.protocol, "jwt");
            fill(&mut raw.url, "https://api.appstoreconnect.apple.com");
            fill(&mut raw.algorithm, "ES256");
            raw.audience.get_or_insert_with(|| StringOrList::One(APPLE_AUDIENCE.to_string()));
            raw.lifetime.get_or_insert(Lifetime::Seconds(APPLE_DEFAULT_LIFETIME));
            Ok(())
        }
        Preset::Snowflake => snowflake_defaults(name, raw),
        Preset::Salesforce => {
            if let Some(grant) = raw.grant.as_deref().filter(|g| *g != "jwt-bearer") {
                return Err(field_error(
                    name,
                    "grant",
                    format!("is \"{grant}\", but Salesforce's JWT flow is the jwt-bearer grant"),
                ));
            }
            fill(&mut raw.protocol, "jwt-exchange");
            let audience = raw
                .audience
                .get_or_insert_with(|| StringOrList::One(SALESFORCE_AUDIENCE.to_string()));
            if let StringOrList::One(audience) = audience {
                let endpoint = format!("{}/services/oauth2/token", audience.trim_end_matches('/'));
                fill(&mut raw.token_endpoint, &endpoint);
            }
            raw.lifetime.get_or_insert(Lifetime::Seconds(SALESFORCE_DEFAULT_LIFETIME));
            // Without `url`, `call` uses the reply's instance_url; the
            // placeholder only satisfies the URL checks of other commands.
            fill(&mut raw.url, SALESFORCE_AUDIENCE);
            Ok(())
        }
    }
}

/// Sets `field` to `value` when it is unset.
fn fill(field: &mut Option<String>, value: &str) {
    if field.is_none() {
        *field = Some(value.to_string());
    }
}

/// GitHub App defaults: the JWT alone, or with `installation_id` the
/// installation access token grant.
fn github_defaults(name: &str, raw: &mut RawCredential) -> Result<(), Error> {
    let protocol = if raw.installation_id.is_some() { "jwt-exchange" } else { "jwt" };
    fill(&mut raw.protocol, protocol);
    fill(&mut raw.url, "https://api.github.com");
    fill(&mut raw.algorithm, "RS256");
    raw.clock_skew.get_or_insert(Lifetime::Seconds(GITHUB_BACKDATE));
    raw.lifetime.get_or_insert(Lifetime::Seconds(GITHUB_DEFAULT_LIFETIME));
    if raw.protocol.as_deref() != Some("jwt-exchange") {
        if raw.installation_id.is_some() {
            return Err(field_error(
                name,
                "installation_id",
                "is only used with protocol = \"jwt-exchange\"; leave protocol unset to get \
                 installation tokens"
                    .to_string(),
            ));
        }
        return Ok(());
    }
    fill(&mut raw.grant, "github-installation");
    if let Some(grant) = raw.grant.as_deref().filter(|g| *g != "github-installation") {
        return Err(field_error(
            name,
            "grant",
            format!(
                "is \"{grant}\", but GitHub issues installation tokens only through \
                     grant = \"github-installation\""
            ),
        ));
    }
    let Some(id) = raw.installation_id else {
        return Err(Error::config(format!("credential `{name}` is missing `installation_id`"))
            .with_hint("set `installation_id` to the id of the app's installation"));
    };
    if raw.token_endpoint.is_none() {
        let base = raw.url.as_deref().unwrap_or_default().trim_end_matches('/');
        raw.token_endpoint = Some(format!("{base}/app/installations/{id}/access_tokens"));
    }
    Ok(())
}

/// Google service account defaults. With protocol jwt the token is a
/// self-signed JWT that carries either `aud` from `audience` or a `scope`
/// claim from `scope`. With jwt-exchange the scope goes in the assertion.
fn google_defaults(name: &str, raw: &mut RawCredential) -> Result<(), Error> {
    fill(&mut raw.key_format, "google-service-account");
    fill(&mut raw.protocol, "jwt-exchange");
    fill(&mut raw.algorithm, "RS256");
    if raw.protocol.as_deref() == Some("jwt-exchange") {
        fill(&mut raw.scope_in, "claim");
        return Ok(());
    }
    match (raw.audience.is_some(), raw.scope.take()) {
        (true, Some(_)) => Err(field_error(
            name,
            "scope",
            "cannot be combined with `audience`: a self-signed Google JWT carries either \
             aud or a scope claim"
                .to_string(),
        )),
        (false, None) => Err(Error::config(format!(
            "credential `{name}` is missing `audience` or `scope`"
        ))
        .with_hint(
            "set `audience` to https://SERVICE.googleapis.com/ or `scope` to an OAuth scope",
        )),
        (true, None) => Ok(()),
        (false, Some(scope)) => {
            let text = match scope {
                StringOrList::One(one) => one,
                StringOrList::Many(many) => many.join(" "),
            };
            let claims = raw.claims.get_or_insert_with(toml::Table::new);
            if claims.insert("scope".to_string(), toml::Value::String(text)).is_some() {
                return Err(field_error(
                    name,
                    "claims.scope",
                    "conflicts with `scope`, which the preset puts in the scope claim".to_string(),
                ));
            }
            Ok(())
        }
    }
}

/// Snowflake defaults: `sub` is `ACCOUNT.USER`; `iss` gets the public key
/// fingerprint once the key is loaded (see [`finish`]).
fn snowflake_defaults(name: &str, raw: &mut RawCredential) -> Result<(), Error> {
    for (field, set) in [("issuer", raw.issuer.is_some()), ("subject", raw.subject.is_some())] {
        if set {
            return Err(field_error(
                name,
                field,
                "is set by preset = \"snowflake\" from `account`, `user` and the key".to_string(),
            )
            .with_hint(format!("remove `{field}`")));
        }
    }
    let account = raw.account.clone().ok_or_else(|| {
        Error::config(format!("credential `{name}` is missing `account`"))
            .with_hint("set `account` to the Snowflake account identifier, such as xy12345")
    })?;
    let lower = account.to_ascii_lowercase();
    if lower.contains("snowflakecomputing.com")
        || account.contains(['/', ':', '@'])
        || account.chars().any(char::is_whitespace)
        || account.is_empty()
    {
        return Err(field_error(
            name,
            "account",
            format!("\"{account}\" is not an account identifier"),
        )
        .with_hint(
            "give the part before .snowflakecomputing.com, such as xy12345, \
             xy12345.us-east-2.aws or myorg-myaccount",
        ));
    }
    let user = raw.user.clone().ok_or_else(|| {
        Error::config(format!("credential `{name}` is missing `user`"))
            .with_hint("set `user` to the Snowflake user that holds the public key")
    })?;
    fill(&mut raw.protocol, "jwt");
    fill(&mut raw.url, &format!("https://{}.snowflakecomputing.com", account.to_lowercase()));
    fill(&mut raw.algorithm, "RS256");
    let subject = snowflake_subject(&account, &user);
    raw.issuer = Some(subject.clone());
    raw.subject = Some(subject);
    let headers = raw.headers.get_or_insert_with(Default::default);
    if !headers.keys().any(|h| h.eq_ignore_ascii_case(SNOWFLAKE_TOKEN_TYPE_HEADER)) {
        headers.insert(SNOWFLAKE_TOKEN_TYPE_HEADER.to_string(), "KEYPAIR_JWT".to_string());
    }
    Ok(())
}

/// Returns `ACCOUNT.USER` in upper case, with the region, cloud and
/// `.privatelink` parts removed from the account: everything from the
/// first dot on, as Snowflake's key-pair examples do.
pub fn snowflake_subject(account: &str, user: &str) -> String {
    let account = account.split('.').next().unwrap_or(account);
    format!("{}.{}", account.to_uppercase(), user.to_uppercase())
}

/// Completes and checks a resolved credential against the preset.
pub fn finish(name: &str, preset: Preset, credential: &mut Credential) -> Result<(), Error> {
    let jwt = &credential.jwt;
    let algorithm = format!("{:?}", jwt.key.algorithm);
    let required = match preset {
        Preset::AppleAppStoreConnect => "ES256",
        _ => "RS256",
    };
    if algorithm != required {
        return Err(field_error(
            name,
            "algorithm",
            format!("is {algorithm}, but the preset's provider accepts only {required}"),
        )
        .with_hint(format!("use a key and algorithm for {required}")));
    }
    match preset {
        Preset::GithubApp => check_lifetime(name, jwt.lifetime, GITHUB_MAX_LIFETIME, "GitHub"),
        Preset::GoogleServiceAccount => check_google(name, jwt.lifetime, jwt.clock_skew),
        Preset::AppleAppStoreConnect => check_apple(name, credential),
        Preset::Snowflake => {
            check_lifetime(name, jwt.lifetime, SNOWFLAKE_MAX_LIFETIME, "Snowflake")?;
            let fingerprint = public_key_fingerprint(credential)?;
            let subject = credential.jwt.subject.clone().unwrap_or_default();
            credential.jwt.issuer = format!("{subject}.SHA256:{fingerprint}");
            Ok(())
        }
        Preset::Salesforce => Ok(()),
    }
}

/// Rejects a lifetime above the provider's maximum.
fn check_lifetime(name: &str, lifetime: u64, max: u64, provider: &str) -> Result<(), Error> {
    if lifetime <= max {
        return Ok(());
    }
    Err(field_error(
        name,
        "lifetime",
        format!("is {lifetime} seconds, but {provider} rejects tokens valid for more than {max}"),
    )
    .with_hint(format!("set lifetime to {max} seconds or less")))
}

/// Google limits `exp - iat`, which `clock_skew` widens.
fn check_google(name: &str, lifetime: u64, skew: u64) -> Result<(), Error> {
    if lifetime + skew <= GOOGLE_MAX_LIFETIME {
        return Ok(());
    }
    Err(field_error(
        name,
        "lifetime",
        format!(
            "is {lifetime} seconds and clock_skew {skew}, but Google rejects an assertion whose \
             exp is more than {GOOGLE_MAX_LIFETIME} seconds after iat"
        ),
    )
    .with_hint(format!("keep lifetime + clock_skew at {GOOGLE_MAX_LIFETIME} seconds or less")))
}

/// App Store Connect needs a `kid`, its own audience and short tokens.
fn check_apple(name: &str, credential: &Credential) -> Result<(), Error> {
    if credential.jwt.key.key_id.is_none() {
        return Err(Error::config(format!("credential `{name}` is missing `key_id`"))
            .with_hint("set `key_id` to the API key's ID from App Store Connect (Users and Access, Integrations)"));
    }
    if credential.jwt.audience != Some(Audience::One(APPLE_AUDIENCE.to_string())) {
        return Err(field_error(
            name,
            "audience",
            format!("must be \"{APPLE_AUDIENCE}\" for App Store Connect"),
        ));
    }
    check_lifetime(name, credential.jwt.lifetime, APPLE_MAX_LIFETIME, "App Store Connect")
}

/// Returns the base64 SHA-256 digest of the public key's DER
/// SubjectPublicKeyInfo, the fingerprint Snowflake shows as
/// `RSA_PUBLIC_KEY_FP` without its `SHA256:` prefix.
fn public_key_fingerprint(credential: &Credential) -> Result<String, Error> {
    let der = credential.jwt.key.public_key_der()?;
    Ok(STANDARD.encode(digest::digest(&digest::SHA256, &der).as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflake_account_loses_region_and_privatelink() {
        assert_eq!(snowflake_subject("xy12345", "svc"), "XY12345.SVC");
        assert_eq!(snowflake_subject("xy12345.us-east-2.aws", "Svc"), "XY12345.SVC");
        assert_eq!(snowflake_subject("myorg-acct.privatelink", "a.b"), "MYORG-ACCT.A.B");
    }
}
