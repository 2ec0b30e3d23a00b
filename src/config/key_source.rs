//! Choosing a credential's key source from its fields (exactly one of
//! `key_path`, `key_env`, `key`, `key_command`, `secret_env` and
//! `secret_path`) and loading the key with `key_format` and
//! `key_passphrase_env`.

use std::path::Path;

use super::raw::RawCredential;
use super::resolve::{expand_path, field_error, read_secret_env, read_secret_file};
use crate::error::Error;
use crate::key::source::{self, KeyDefaults, KeyFormat, KeySource, LoadOptions, LoadedKey};
use crate::secret::Secret;

/// Loads the key of the credential `name` from its one key source.
pub fn load_key(name: &str, raw: &RawCredential, base_dir: &Path) -> Result<LoadedKey, Error> {
    let sources = [
        ("key_path", raw.key_path.as_deref()),
        ("key_env", raw.key_env.as_deref()),
        ("key", raw.key.as_ref().map(|key| key.expose().as_str())),
        ("key_command", raw.key_command.as_deref()),
        ("secret_env", raw.secret_env.as_deref()),
        ("secret_path", raw.secret_path.as_deref()),
    ];
    let set: Vec<(&str, &str)> =
        sources.iter().filter_map(|(field, value)| value.map(|v| (*field, v))).collect();
    let (field, value) = match set.as_slice() {
        [] => {
            return Err(Error::config(format!("credential `{name}` is missing `key_path`"))
                .with_hint(
                    "set `key_path` to a private key file, or use key_env, key or key_command \
                     (secret_env or secret_path for an HMAC secret)",
                ));
        }
        [one] => *one,
        [first, second, ..] => {
            return Err(field_error(
                name,
                second.0,
                format!("cannot be combined with `{}`; set one key source", first.0),
            ));
        }
    };
    let source = match field {
        "secret_env" | "secret_path" => return load_secret(name, raw, field, value, base_dir),
        "key_path" => KeySource::Path(expand_path(value, base_dir)),
        "key_env" => KeySource::Env(value.to_string()),
        "key" => KeySource::Inline(value.to_string()),
        _ => KeySource::Command { command: value.to_string(), dir: base_dir.to_path_buf() },
    };
    let format = match raw.key_format.as_deref() {
        None => None,
        Some(text) => Some(KeyFormat::parse(text).map_err(|p| field_error(name, "key_format", p))?),
    };
    let passphrase = match raw.key_passphrase_env.as_deref() {
        None => None,
        Some(variable) => Some((variable, read_passphrase(variable)?)),
    };
    let options = LoadOptions { format, key_id: raw.key_id.as_deref(), passphrase };
    source::load(&source, &options)
}

/// Tells whether the credential's key may come from a JSON key file that
/// supplies defaults for other fields: any key source but an HMAC secret,
/// unless `key_format` is `"pem"`.
pub fn may_supply_defaults(raw: &RawCredential) -> bool {
    let secret = raw.secret_env.is_some() || raw.secret_path.is_some();
    !secret && raw.key_format.as_deref() != Some("pem")
}

/// Loads an HMAC secret, which takes no key format or passphrase.
fn load_secret(
    name: &str,
    raw: &RawCredential,
    field: &str,
    value: &str,
    base_dir: &Path,
) -> Result<LoadedKey, Error> {
    for (other, set) in [
        ("key_format", raw.key_format.is_some()),
        ("key_passphrase_env", raw.key_passphrase_env.is_some()),
    ] {
        if set {
            return Err(field_error(
                name,
                other,
                format!("does not apply to the HMAC secret in `{field}`"),
            ));
        }
    }
    let key = match field {
        "secret_env" => read_secret_env(value)?,
        _ => read_secret_file(&expand_path(value, base_dir))?,
    };
    if let Some(label) = pem_label(key.der()) {
        return Err(pem_as_secret(name, field, value, &label));
    }
    Ok(LoadedKey { key, defaults: KeyDefaults::default() })
}

/// Returns the label of the PEM block that `secret` starts with, such as
/// `RSA PRIVATE KEY`, or `None` when it is not PEM text.
fn pem_label(secret: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(secret);
    let rest = text.trim_start().strip_prefix("-----BEGIN ")?;
    Some(rest.split("-----").next().unwrap_or(rest).trim().to_string())
}

/// Builds the error for a PEM block given as an HMAC secret. Signing
/// with it as HS256 would give tokens that no server accepts, and the
/// message names only the block's label, never its content.
fn pem_as_secret(name: &str, field: &str, value: &str, label: &str) -> Error {
    let (found, key_field) = match field {
        "secret_env" => (format!("variable {value}"), "key_env"),
        _ => (format!("file {value}"), "key_path"),
    };
    let what = if label.ends_with("PRIVATE KEY") { "a PEM private key" } else { "a PEM block" };
    field_error(
        name,
        field,
        format!("names {found}, which contains {what} ({label}), not an HMAC secret"),
    )
    .with_hint(format!(
        "for RS*, PS*, ES* or EdDSA, set {key_field} = \"{value}\" in place of {field}"
    ))
}

/// Reads the passphrase of an encrypted key. The messages name the
/// variable and never show its value.
fn read_passphrase(variable: &str) -> Result<Secret<String>, Error> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
        Ok(_) => Err(Error::config(format!(
            "key_passphrase_env names {variable}, which is empty; the key's passphrase is missing"
        ))),
        Err(std::env::VarError::NotPresent) => Err(Error::config(format!(
            "key_passphrase_env names {variable}, which is not set; the key's passphrase is missing"
        ))
        .with_hint(format!("export {variable} with the passphrase of the key"))),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(format!(
            "key_passphrase_env names {variable}, which is not valid UTF-8"
        ))),
    }
}
