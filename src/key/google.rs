//! The JSON key file that Google Cloud issues for a service account. Its
//! `private_key` is a PKCS#8 PEM; its other members become defaults:
//! `client_email` for `iss` and `sub`, `private_key_id` for `kid` and
//! `token_uri` for the token endpoint.

use serde_json::Value;

use super::source::{KeyDefaults, LoadedKey};
use crate::error::Error;

/// Loads the key and the defaults of a service account key file.
pub fn load(value: &Value, origin: &str) -> Result<LoadedKey, Error> {
    let text = |field: &str| value.get(field).and_then(Value::as_str).map(str::to_string);
    if let Some(kind) = text("type").filter(|t| t != "service_account") {
        return Err(Error::config(format!(
            "key {origin} is a Google credentials file of type \"{kind}\", not a service account key"
        ))
        .with_hint("create a service account key: gcloud iam service-accounts keys create key.json"));
    }
    let pem = text("private_key").ok_or_else(|| {
        Error::config(format!("Google service account key {origin} has no `private_key`"))
    })?;
    let key = super::parse(pem.as_bytes(), origin)?;
    // NOTE: Google documents `sub` for domain-wide delegation, where it
    // names a user. Defaulting it to the service account's own email
    // follows Google's self-signed JWTs, where iss = sub; whether every
    // token endpoint accepts it in the jwt-bearer grant was not verified.
    let email = text("client_email");
    let defaults = KeyDefaults {
        issuer: email.clone(),
        subject: email,
        key_id: text("private_key_id"),
        algorithm: None,
        token_endpoint: text("token_uri"),
    };
    Ok(LoadedKey { key, defaults })
}
