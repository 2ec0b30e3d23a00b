//! A validated, ready-to-use credential: everything needed to sign a token,
//! run an exchange and call the API, with no further checks required.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::key::SigningKey;
use crate::tls::TlsSettings;

/// One named credential after validation. Its Debug output shows header
/// names but not their values, which may be API keys.
pub struct Credential {
    /// The name of the `[credentials.<name>]` table.
    pub name: String,
    /// API base URL that `call` paths are joined to.
    pub url: Url,
    /// Whether `call` takes the API base URL from the `instance_url` of the
    /// token reply instead of `url`, which is then only a placeholder.
    pub url_from_token_reply: bool,
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

/// Token endpoint settings for the `jwt-exchange` protocol. Its Debug
/// output shows parameter names but not their values, such as a client
/// secret.
pub struct ExchangeSpec {
    /// Where the assertion is posted.
    pub token_endpoint: Url,
    /// Space-separated OAuth scope, sent in the form when set. It is unset
    /// when `scope_in = "claim"` puts the scope in the assertion instead.
    pub scope: Option<String>,
    /// The grant of the token request.
    pub grant: Grant,
    /// Extra form fields from `[credentials.<name>.token_params]`, in
    /// configuration order, sent after the grant's own fields.
    pub params: Vec<(String, String)>,
    /// Seconds an access token is assumed to last when neither the reply's
    /// `expires_in` nor the token's own `exp` claim says.
    pub token_lifetime: Option<u64>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("url_from_token_reply", &self.url_from_token_reply)
            .field("protocol", &self.protocol)
            .field("jwt", &self.jwt)
            .field("headers", &NamesOnly(&self.headers))
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .finish()
    }
}

impl fmt::Debug for ExchangeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeSpec")
            .field("token_endpoint", &self.token_endpoint.as_str())
            .field("scope", &self.scope)
            .field("grant", &self.grant)
            .field("params", &NamesOnly(&self.params))
            .field("token_lifetime", &self.token_lifetime)
            .finish()
    }
}

/// Name and value pairs shown as their names, each with a redacted value.
struct NamesOnly<'a>(&'a [(String, String)]);

impl fmt::Debug for NamesOnly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(name, _)| (name, "<redacted>"))).finish()
    }
}

/// The OAuth grant that trades the minted JWT for an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// RFC 7523 section 2.1: the JWT is the authorization grant.
    JwtBearer,
    /// RFC 7523 section 2.2 (`private_key_jwt`): the JWT authenticates the
    /// client in a `client_credentials` grant.
    ClientCredentials {
        /// The `client_id` form field, also the assertion's `iss` and `sub`.
        client_id: String,
    },
    /// RFC 8693: the JWT is the subject token of a token exchange.
    TokenExchange(Box<TokenExchange>),
    /// GitHub's installation access token request: the JWT is the bearer
    /// token of a POST to the token endpoint, which has no form body.
    GithubInstallation,
}

/// The RFC 8693 parameters of a token exchange besides the subject token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenExchange {
    /// The `subject_token_type`, by default
    /// `urn:ietf:params:oauth:token-type:jwt`.
    pub subject_token_type: String,
    /// The `requested_token_type`, when set.
    pub requested_token_type: Option<String>,
    /// Every `resource` parameter, in configuration order.
    pub resource: Vec<String>,
    /// Every `audience` parameter, in configuration order.
    pub audience: Vec<String>,
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
    /// Header parameters besides `alg` and `kid`.
    pub header: HeaderSpec,
    /// Seconds that `iat` (and `nbf`) are set back from the current time,
    /// for servers whose clock runs behind.
    pub clock_skew: u64,
    /// Whether every token carries an `nbf` claim equal to `iat`.
    pub not_before: bool,
}

/// The JOSE header parameters of a credential besides `alg` and `kid`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderSpec {
    /// The `typ` parameter; `None` leaves it out.
    pub typ: Option<String>,
    /// The `x5t` parameter: the base64url SHA-1 thumbprint of the
    /// certificate.
    pub x5t: Option<String>,
    /// The `x5t#S256` parameter: the base64url SHA-256 thumbprint of the
    /// certificate.
    pub x5t_s256: Option<String>,
    /// Extra parameters from `[credentials.<name>.jwt_headers]`.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for HeaderSpec {
    /// Returns a header with `typ: "JWT"` and nothing else.
    fn default() -> Self {
        HeaderSpec {
            typ: Some("JWT".to_string()),
            x5t: None,
            x5t_s256: None,
            extra: Default::default(),
        }
    }
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
