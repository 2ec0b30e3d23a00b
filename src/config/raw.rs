//! The configuration file as written: plain serde structures with no
//! validation beyond types and field names.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::secret::Secret;

/// A table of names and string values, such as `[headers]`, whose values
/// may be secrets (an API key, a client secret). Its Debug output shows
/// the names only.
#[derive(Default, Clone, Deserialize)]
#[serde(transparent)]
pub struct ValueMap(BTreeMap<String, String>);

impl std::ops::Deref for ValueMap {
    type Target = BTreeMap<String, String>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for ValueMap {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Debug for ValueMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.keys().map(|name| (name, "(redacted)"))).finish()
    }
}

/// One `[credentials.<name>]` table. Every field is optional here, so that
/// a missing one is reported by the resolve step with the credential's name.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredential {
    /// API base URL that `call` paths are joined to.
    pub url: Option<String>,
    /// `"jwt"` or `"jwt-exchange"`.
    pub protocol: Option<String>,
    /// The `iss` claim.
    pub issuer: Option<String>,
    /// The `sub` claim.
    pub subject: Option<String>,
    /// The `aud` claim: one string or several.
    pub audience: Option<StringOrList>,
    /// Path of a private key file, relative to the configuration file.
    pub key_path: Option<String>,
    /// Name of an environment variable that contains a PEM private key.
    pub key_env: Option<String>,
    /// A PEM private key written in the configuration file.
    pub key: Option<Secret<String>>,
    /// A command run with `sh -c` whose stdout is the private key.
    pub key_command: Option<String>,
    /// `"pem"`, `"jwk"` or `"google-service-account"`; detected from the
    /// content when unset.
    pub key_format: Option<String>,
    /// Name of an environment variable that contains the passphrase of an
    /// encrypted PKCS#8 key.
    pub key_passphrase_env: Option<String>,
    /// Name of an environment variable that contains the HMAC secret.
    pub secret_env: Option<String>,
    /// Path of a file that contains the HMAC secret.
    pub secret_path: Option<String>,
    /// JWS algorithm name, such as `"ES256"`; inferred from the key when unset.
    pub algorithm: Option<String>,
    /// The `kid` header parameter.
    pub key_id: Option<String>,
    /// Token lifetime: integer seconds or a duration such as `"5m"`.
    pub lifetime: Option<Lifetime>,
    /// OAuth scope sent to the token endpoint: one string or several.
    pub scope: Option<StringOrList>,
    /// Token endpoint URL for the `jwt-exchange` protocol.
    pub token_endpoint: Option<String>,
    /// Permits plain http to a host that is not loopback.
    pub allow_insecure_http: Option<bool>,
    /// Request timeout in seconds, or a duration such as `"30s"`.
    pub timeout: Option<Lifetime>,
    /// Extra claims merged into every token.
    pub claims: Option<toml::Table>,
    /// Static headers sent with every API request.
    pub headers: Option<ValueMap>,
    /// PEM file of CA certificates trusted in addition to the Mozilla
    /// roots, relative to the configuration file.
    pub ca_file: Option<String>,
    /// PEM file of the client certificate chain for mutual TLS.
    pub client_cert: Option<String>,
    /// PEM file of the client certificate's private key; may be left out
    /// when `client_cert` contains the key too.
    pub client_key: Option<String>,
    /// The `typ` header parameter; `""` leaves it out. Default `"JWT"`.
    pub typ: Option<String>,
    /// Extra JOSE header parameters.
    pub jwt_headers: Option<toml::Table>,
    /// PEM certificate whose thumbprint goes in the header.
    pub cert_path: Option<String>,
    /// `"x5t#S256"` (the default), `"x5t"` or `"both"`.
    pub cert_thumbprint: Option<String>,
    /// Seconds, or a duration, that `iat` is set back from now.
    pub clock_skew: Option<Lifetime>,
    /// Sends an `nbf` claim equal to `iat`.
    pub not_before: Option<bool>,
    /// Provider preset: `"github-app"`, `"google-service-account"`,
    /// `"apple-app-store-connect"`, `"snowflake"` or `"salesforce"`.
    pub preset: Option<String>,
    /// GitHub App installation whose access token the credential obtains.
    pub installation_id: Option<u64>,
    /// Snowflake account identifier.
    pub account: Option<String>,
    /// Snowflake user name.
    pub user: Option<String>,
    /// OAuth grant of a `jwt-exchange` credential: `"jwt-bearer"` (the
    /// default), `"client-credentials"` or `"token-exchange"`.
    pub grant: Option<String>,
    /// OAuth client id of the `client-credentials` grant; defaults to
    /// `issuer`.
    pub client_id: Option<String>,
    /// RFC 8693 `subject_token_type`.
    pub subject_token_type: Option<String>,
    /// RFC 8693 `requested_token_type`.
    pub requested_token_type: Option<String>,
    /// RFC 8693 `resource`: one URI or several.
    pub resource: Option<StringOrList>,
    /// RFC 8693 `audience` form parameter: one or several.
    pub exchange_audience: Option<StringOrList>,
    /// Where the scope goes: `"form"` (the default), `"claim"` or `"both"`.
    pub scope_in: Option<String>,
    /// Extra form fields sent to the token endpoint.
    pub token_params: Option<ValueMap>,
    /// Lifetime assumed for an access token whose reply and content give
    /// none, like `lifetime`; used only by the token cache.
    pub token_lifetime: Option<Lifetime>,
}

/// A value written either as one string or as an array of strings.
#[derive(Debug, Clone)]
pub enum StringOrList {
    /// A single string.
    One(String),
    /// An array of strings.
    Many(Vec<String>),
}

/// A duration written as integer seconds or as a string such as `"90s"`.
#[derive(Debug, Clone)]
pub enum Lifetime {
    /// Whole seconds.
    Seconds(i64),
    /// A duration string: a number with an `s`, `m`, `h` or `d` unit, or a
    /// sequence of them such as `"1h30m"`.
    Text(String),
}

// The two enums are deserialised by hand rather than as untagged enums,
// because an untagged enum fails with "data did not match any variant",
// which names neither the accepted forms nor the value found.

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringOrListVisitor)
    }
}

/// Accepts a string or an array of strings.
struct StringOrListVisitor;

impl<'de> Visitor<'de> for StringOrListVisitor {
    type Value = StringOrList;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string or an array of strings")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<StringOrList, E> {
        Ok(StringOrList::One(text.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringOrList, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            items.push(item);
        }
        Ok(StringOrList::Many(items))
    }
}

impl<'de> Deserialize<'de> for Lifetime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LifetimeVisitor)
    }
}

/// Accepts integer seconds or a duration string; the string is checked
/// later, by [`super::duration::seconds`], so that its error names the
/// credential's limits too.
struct LifetimeVisitor;

impl Visitor<'_> for LifetimeVisitor {
    type Value = Lifetime;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter
            .write_str("whole seconds as an integer or a duration string such as \"90s\" or \"5m\"")
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Lifetime, E> {
        Ok(Lifetime::Seconds(seconds))
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Lifetime, E> {
        i64::try_from(seconds)
            .map(Lifetime::Seconds)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(seconds), &self))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Lifetime, E> {
        Ok(Lifetime::Text(text.to_string()))
    }
}
