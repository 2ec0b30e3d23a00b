//! A validated, ready-to-use credential: everything needed to sign a token,
//! run an exchange and call the API, with no further checks required.

use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::key::SigningKey;
use crate::tls::TlsSettings;

/// One named credential after validation.
#[derive(Debug)]
pub struct Credential {
    /// The name of the `[credentials.<name>]` table.
    pub name: String,
    /// API base URL that `call` paths are joined to.
    pub url: Url,
    /// How the bearer token for the API is obtained.
    pub protocol: Protocol,
    /// What every minted JWT contains and how it is signed.
    pub jwt: JwtSpec,
    /// Static headers sent with every API request, in configuration order.
    pub headers: Vec<(String, String)>,
    /// Overall time limit for one HTTP request, when the credential sets one.
    pub timeout: Option<Duration>,
    /// Extra CA certificates and the client certificate, for both the API
    /// and the token endpoint.
    pub tls: TlsSettings,
}

/// How the bearer token sent to the API is obtained.
#[derive(Debug)]
pub enum Protocol {
    /// The minted JWT is the bearer token.
    Jwt,
    /// The minted JWT is exchanged at a token endpoint for an access token.
    JwtExchange(ExchangeSpec),
}

/// Token endpoint settings for the `jwt-exchange` protocol.
#[derive(Debug)]
pub struct ExchangeSpec {
    /// Where the assertion is posted.
    pub token_endpoint: Url,
    /// Space-separated OAuth scope, sent when set.
    pub scope: Option<String>,
}

/// The claims template and signing key of a credential.
#[derive(Debug)]
pub struct JwtSpec {
    /// The `iss` claim.
    pub issuer: String,
    /// The `sub` claim, when set.
    pub subject: Option<String>,
    /// The `aud` claim, when set.
    pub audience: Option<Audience>,
    /// Seconds between `iat` and `exp`.
    pub lifetime: u64,
    /// Extra claims merged into every token; none of them is a registered
    /// claim that namedcred sets itself.
    pub extra_claims: serde_json::Map<String, serde_json::Value>,
    /// The key, its algorithm and its `kid`.
    pub key: SigningKey,
}

/// The `aud` claim: a single string is written as a string, because some
/// servers accept no other form, and several as an array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}
