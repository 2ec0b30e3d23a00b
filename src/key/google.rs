//! The JSON key file that Google Cloud issues for a service account. Its
//! `private_key` is a PKCS#8 PEM; its other members become defaults:
//! `client_email` for `iss` and `sub`, `private_key_id` for `kid` and
//! `token_uri` for the token endpoint.

use serde_json::Value;

use super::Origin;
use super::source::{KeyDefaults, LoadedKey};
use crate::error::Error;

/// The `type` of a service account key file. Google's other credential
/// files (`authorized_user`, `external_account`, and more) hold no
/// private key.
const SERVICE_ACCOUNT: &str = "service_account";

/// Loads the key and the defaults of a service account key file.
pub fn load(value: &Value, origin: &Origin) -> Result<LoadedKey, Error> {
    let text = |field: &str| value.get(field).and_then(Value::as_str).map(str::to_string);
    let email = text("client_email");
    let create_key = format!(
        "create a service account key: gcloud iam service-accounts keys create key.json \
         --iam-account={}",
        email.as_deref().unwrap_or("NAME@PROJECT.iam.gserviceaccount.com")
    );
    if let Some(kind) = text("type").filter(|t| t != SERVICE_ACCOUNT) {
        return Err(Error::config(format!(
            "key {origin} is {}, not a service account key",
            describe_type(&kind)
        ))
        .with_hint(create_key));
    }
    let pem = text("private_key").ok_or_else(|| {
        Error::config(format!("Google service account key {origin} has no `private_key`"))
            .with_hint(create_key.clone())
    })?;
    let member = origin.member("private_key");
    let key = super::parse(pem.as_bytes(), &member).map_err(|error| {
        Error::config(format!("Google service account {}", error.message)).with_hint(create_key)
    })?;
    // NOTE: Google documents `sub` for domain-wide delegation, where it
    // names a user. Defaulting it to the service account's own email
    // follows Google's self-signed JWTs, where iss = sub; whether every
    // token endpoint accepts it in the jwt-bearer grant was not verified.
    let defaults = KeyDefaults {
        issuer: email.clone(),
        subject: email,
        key_id: text("private_key_id"),
        algorithm: None,
        token_endpoint: text("token_uri"),
    };
    Ok(LoadedKey { key, defaults })
}

/// Describes a Google credentials file by its `type` for messages.
fn describe_type(kind: &str) -> String {
    match kind {
        "authorized_user" => "a Google user credential (type \"authorized_user\"), as \
             `gcloud auth application-default login` writes it"
            .to_string(),
        "external_account" => "a Google workload identity federation configuration \
             (type \"external_account\")"
            .to_string(),
        other => format!("a Google credentials file of type \"{other}\""),
    }
}
