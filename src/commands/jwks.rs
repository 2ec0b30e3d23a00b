//! `namedcred jwks`: the public keys of credentials, as a JWKS or as PEM,
//! for registering a credential with the provider that verifies it.

use std::path::Path;

use serde_json::{Value, json};

use super::print_line;
use crate::cli::JwksArgs;
use crate::config::Config;
use crate::credential::Credential;
use crate::error::Error;
use crate::key::KeyKind;

/// Prints the public keys of the named credentials, or of every credential
/// with a private key when no name is given.
///
/// A named HMAC credential is a usage error (exit 2); any credential that
/// does not resolve is a configuration error naming it (exit 8).
pub fn run(config: Option<&Path>, args: JwksArgs) -> anyhow::Result<u8> {
    let file = Config::load(config)?;
    let credentials = select(&file, &args.names)?;
    if args.pem {
        print_pem(&credentials)?;
    } else {
        let mut keys: Vec<Value> = Vec::new();
        for credential in &credentials {
            let jwk = credential.jwt.key.public_jwk()?;
            // Credentials that share a key and a kid publish it once.
            if !keys.contains(&jwk) {
                keys.push(jwk);
            }
        }
        let jwks = json!({ "keys": keys });
        print_line(serde_json::to_string_pretty(&jwks)?.as_bytes())?;
    }
    Ok(0)
}

/// Resolves the credentials to publish, in name order when none is named.
///
/// A credential with `secret_env` or `secret_path` is known to sign with an
/// HMAC secret before it is resolved, so an unset secret variable does not
/// stop the keys of the other credentials from being printed.
fn select(file: &Config, names: &[String]) -> Result<Vec<Credential>, Error> {
    if !names.is_empty() {
        // A name given twice is published once.
        let mut unique: Vec<&String> = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        return unique
            .into_iter()
            .map(|name| {
                if uses_hmac_secret(file, name) {
                    return Err(hmac_error(name));
                }
                asymmetric(file.credential(name)?)
            })
            .collect();
    }
    let mut credentials = Vec::new();
    for name in file.names() {
        if uses_hmac_secret(file, name) {
            log::debug!("credential `{name}` skipped: an HMAC secret has no public key");
            continue;
        }
        let credential = file.credential(name)?;
        if credential.jwt.key.kind == KeyKind::Hmac {
            log::debug!("credential `{name}` skipped: an HMAC secret has no public key");
        } else {
            credentials.push(credential);
        }
    }
    if credentials.is_empty() {
        return Err(Error::usage(format!(
            "{} defines no credential with a private key, so there is no public key to print",
            file.path.display()
        )));
    }
    Ok(credentials)
}

/// Tells whether the credential as written takes an HMAC secret.
fn uses_hmac_secret(file: &Config, name: &str) -> bool {
    file.raw(name).is_some_and(|raw| raw.secret_env.is_some() || raw.secret_path.is_some())
}

/// Returns the credential unless it signs with an HMAC secret.
fn asymmetric(credential: Credential) -> Result<Credential, Error> {
    if credential.jwt.key.kind != KeyKind::Hmac {
        return Ok(credential);
    }
    Err(hmac_error(&credential.name))
}

/// Builds the usage error for a named credential that signs with an HMAC
/// secret.
fn hmac_error(name: &str) -> Error {
    Error::usage(format!("credential `{name}` signs with an HMAC secret, which has no public key"))
        .with_hint("the provider verifying it needs the shared secret itself, not a JWKS")
}

/// Prints one SubjectPublicKeyInfo PEM block per credential. With several
/// credentials, a line naming the credential precedes each block, as text
/// outside the blocks that PEM readers skip.
fn print_pem(credentials: &[Credential]) -> anyhow::Result<()> {
    for credential in credentials {
        let der = credential.jwt.key.public_key_der()?;
        let block = pem::encode_config(
            &pem::Pem::new("PUBLIC KEY", der),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        );
        if credentials.len() > 1 {
            print_line(format!("credential: {}", credential.name).as_bytes())?;
        }
        print_line(block.trim_end().as_bytes())?;
    }
    Ok(())
}
