//! The bearer token that `call` sends: a freshly minted JWT for protocol
//! jwt, or for protocol jwt-exchange an access token that the token cache
//! keeps for reuse and that is replaced once when the API rejects it.

use std::cell::RefCell;

use crate::cache::{self, Entry, Reuse, Slot};
use crate::client::HttpClient;
use crate::credential::{Credential, ExchangeSpec, Protocol};
use crate::error::Error;
use crate::secret::Secret;
use crate::{exchange, token};

/// Obtains bearer tokens for one credential.
pub struct TokenSource<'a> {
    /// The client that reaches the token endpoint.
    client: &'a HttpClient,
    /// The credential whose token is sent.
    credential: &'a Credential,
    /// The cache entry of the credential's access tokens; `None` for
    /// protocol jwt, with `--no-cache`, or when no cache folder is known.
    slot: Option<Slot>,
    /// The `instance_url` of the last token reply, for a credential whose
    /// API URL comes from the token reply.
    instance_url: RefCell<Option<String>>,
}

impl<'a> TokenSource<'a> {
    /// Creates the source; `use_cache` is false for `--no-cache`.
    pub fn new(client: &'a HttpClient, credential: &'a Credential, use_cache: bool) -> Self {
        let slot = match &credential.protocol {
            Protocol::JwtExchange(spec) if use_cache => slot_for(credential, spec),
            Protocol::JwtExchange(_) => {
                log::debug!("--no-cache: the token cache is neither read nor written");
                None
            }
            Protocol::Jwt => None,
        };
        TokenSource { client, credential, slot, instance_url: RefCell::new(None) }
    }

    /// Returns the `instance_url` of the last token reply, when it had one.
    pub fn instance_url(&self) -> Option<String> {
        self.instance_url.borrow().clone()
    }

    /// Tells whether the token comes from an exchange, so that a new one
    /// can replace a token that the API rejected.
    pub fn exchanges(&self) -> bool {
        matches!(self.credential.protocol, Protocol::JwtExchange(_))
    }

    /// Returns the bearer token: a new JWT, a cached access token, or the
    /// access token of a new exchange.
    pub fn token(&self) -> Result<Secret<String>, Error> {
        match &self.credential.protocol {
            Protocol::Jwt => {
                let jwt = token::mint(&self.credential.jwt)?;
                // The claims come from the configuration, so a JWT that no
                // header can carry is a configuration error.
                if let Err(problem) = crate::http::check_bearer_token(jwt.expose()) {
                    return Err(Error::config(format!(
                        "the JWT that `{}` signs {problem}",
                        self.credential.name
                    ))
                    .with_hint("shorten the claims or header parameters in the configuration"));
                }
                Ok(jwt)
            }
            Protocol::JwtExchange(spec) => self.access_token(spec, Reuse::Fresh),
        }
    }

    /// Returns an access token to replace `rejected`: the cached token when
    /// another process has already replaced it, else a new exchange.
    pub fn replace(&self, rejected: &Secret<String>) -> Result<Secret<String>, Error> {
        match &self.credential.protocol {
            Protocol::Jwt => self.token(),
            Protocol::JwtExchange(spec) => self.access_token(spec, Reuse::Except(rejected)),
        }
    }

    /// Returns an access token through the cache, or from an exchange when
    /// there is no cache.
    fn access_token(&self, spec: &ExchangeSpec, reuse: Reuse<'_>) -> Result<Secret<String>, Error> {
        let fetch = || fetch_entry(self.client, self.credential, spec);
        let entry = match &self.slot {
            Some(slot) => slot.obtain(reuse, fetch)?,
            None => fetch()?,
        };
        *self.instance_url.borrow_mut() = entry.instance_url;
        Ok(entry.access_token)
    }
}

/// Returns the cache entry of the credential's access tokens, or `None`
/// when there is no cache folder or other users can write to it.
pub fn slot_for(credential: &Credential, spec: &ExchangeSpec) -> Option<Slot> {
    let folder = match cache::folder() {
        Ok(folder) => folder,
        Err(e) => {
            log::debug!("not caching the access token: {e}");
            return None;
        }
    };
    if let Err(reason) = cache::check_folder(&folder) {
        log::warn!("not using the token cache: {reason}");
        return None;
    }
    Some(Slot::new(folder, cache::cache_key(credential, spec)))
}

/// Runs the exchange and returns the new token as a cache entry.
pub fn fetch_entry(
    client: &HttpClient,
    credential: &Credential,
    spec: &ExchangeSpec,
) -> Result<Entry, Error> {
    let reply = exchange::exchange(client, credential, spec)?;
    let entry = entry_of(credential, spec, &reply);
    // Checked before the entry is cached, so that a reply without the URL
    // is never reused.
    if credential.url_from_token_reply && entry.instance_url.is_none() {
        return Err(missing_instance_url());
    }
    Ok(entry)
}

/// Builds the error for a token reply without the `instance_url` that a
/// credential without `url` needs.
pub fn missing_instance_url() -> Error {
    Error::exchange("the token reply has no `instance_url`, and the credential sets no `url`")
        .with_hint("set `url` to the Salesforce instance, such as https://acme.my.salesforce.com")
}

/// Builds the cache entry of a token endpoint reply received now.
pub fn entry_of(
    credential: &Credential,
    spec: &ExchangeSpec,
    reply: &exchange::TokenReply,
) -> Entry {
    let now = token::now();
    let token = reply.access_token.expose();
    let expires_at = cache::expires_at(reply.expires_in, token, spec.token_lifetime, now);
    if expires_at.is_none() {
        log::debug!(
            "the reply has no expires_in, the token is not a JWT with exp, and `{}` sets no \
             token_lifetime, so the token is reused until the API rejects it",
            credential.name
        );
    }
    // Only a credential without `url` needs the instance URL, and only
    // then is a server-supplied URL kept on disk.
    let instance_url = credential
        .url_from_token_reply
        .then(|| reply.json.expose().get("instance_url").and_then(|u| u.as_str()))
        .flatten()
        .map(str::to_string);
    Entry {
        credential: credential.name.clone(),
        // Shown by `cache list` only; its query may hold a client secret.
        token_endpoint: crate::redact::text::shown_url(spec.token_endpoint.as_str()),
        obtained_at: now,
        expires_at,
        access_token: reply.access_token.clone(),
        instance_url,
    }
}
