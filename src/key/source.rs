//! Key sources and key formats. A key is read from a file, an environment
//! variable, inline TOML text or a command's output. It is written as a
//! PEM or DER key, a JWK or JWKS, or a Google service account key file.
//! Encrypted PKCS#8 keys are decrypted here with a passphrase.

use std::path::PathBuf;

use super::Origin;
use super::{PrivateKey, command, encrypted, foreign, google, jwk};
use crate::error::Error;
use crate::secret::Secret;

/// The place the key bytes are read from.
#[derive(Clone)]
pub enum KeySource {
    /// A file, read byte for byte.
    Path(PathBuf),
    /// An environment variable that contains the key text.
    Env(String),
    /// Key text written in the configuration file.
    Inline(String),
    /// A command run with `sh -c` in `dir`; its stdout is the key.
    Command {
        /// The command line.
        command: String,
        /// The working folder: the configuration file's folder.
        dir: PathBuf,
    },
}

/// Shows where the key comes from, never inline key text.
impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            KeySource::Env(variable) => f.debug_tuple("Env").field(variable).finish(),
            KeySource::Inline(_) => f.write_str("Inline(<redacted>)"),
            KeySource::Command { command, dir } => {
                f.debug_struct("Command").field("command", command).field("dir", dir).finish()
            }
        }
    }
}

/// The format of the key text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// PEM, or DER from a file.
    Pem,
    /// A private JWK, or a JWKS from which `key_id` selects one key.
    Jwk,
    /// The JSON key file that Google issues for a service account.
    GoogleServiceAccount,
}

impl KeyFormat {
    /// Parses a `key_format` value.
    pub fn parse(text: &str) -> Result<KeyFormat, String> {
        match text {
            "pem" => Ok(KeyFormat::Pem),
            "jwk" => Ok(KeyFormat::Jwk),
            "google-service-account" => Ok(KeyFormat::GoogleServiceAccount),
            other => Err(format!(
                "\"{other}\" is not a key format; use \"pem\", \"jwk\" or \
                 \"google-service-account\""
            )),
        }
    }
}

/// Values that a key file states and a credential may leave unset.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KeyDefaults {
    /// Default `iss`, such as a service account's `client_email`.
    pub issuer: Option<String>,
    /// Default `sub`.
    pub subject: Option<String>,
    /// Default `kid`: a JWK's `kid` or a service account's `private_key_id`.
    pub key_id: Option<String>,
    /// Default JWS algorithm: a JWK's `alg`.
    pub algorithm: Option<String>,
    /// Default token endpoint: a service account's `token_uri`.
    pub token_endpoint: Option<String>,
}

/// A loaded key with the defaults its file states.
#[derive(Debug)]
pub struct LoadedKey {
    /// The private key.
    pub key: PrivateKey,
    /// Values for fields the credential leaves unset.
    pub defaults: KeyDefaults,
}

/// The settings [`load`] takes besides the source.
#[derive(Debug, Default)]
pub struct LoadOptions<'a> {
    /// The format, or `None` to detect it from the content.
    pub format: Option<KeyFormat>,
    /// The `kid` that selects a key from a JWKS.
    pub key_id: Option<&'a str>,
    /// The passphrase of an encrypted PKCS#8 key, with the name of the
    /// environment variable it came from for messages.
    pub passphrase: Option<(&'a str, Secret<String>)>,
}

/// Reads the key from `source` and parses it in its format.
///
/// Fails with a configuration error (exit 8) when the source cannot be
/// read, the content is not a usable key in the format, or an encrypted
/// key has no passphrase or a wrong one.
pub fn load(source: &KeySource, options: &LoadOptions) -> Result<LoadedKey, Error> {
    let mut origin = describe(source);
    let bytes = read(source, &origin)?;
    let text = String::from_utf8_lossy(&bytes);
    if let KeySource::Env(variable) = source
        && text.contains("-----BEGIN ")
        && text.contains("\\n")
    {
        origin = Origin::escaped_env(variable);
    }
    let is_json = text.trim_start().starts_with('{');
    let format = match (options.format, is_json) {
        (Some(format), _) => format,
        (None, false) => KeyFormat::Pem,
        (None, true) => detect_json_format(&text, &origin)?,
    };
    match format {
        KeyFormat::Pem if is_json => {
            Err(Error::config(format!("key {origin} is JSON, but key_format is \"pem\""))
                .with_hint(
                    "set key_format = \"jwk\" or \"google-service-account\", or leave it unset",
                ))
        }
        KeyFormat::Pem => load_pem(source, &bytes, &origin, options),
        KeyFormat::Jwk => {
            jwk::load(&json_of(&text, &origin, "a JWK or JWKS")?, options.key_id, &origin)
        }
        KeyFormat::GoogleServiceAccount => {
            google::load(&json_of(&text, &origin, "a Google service account key file")?, &origin)
        }
    }
}

/// Describes a source for messages and hints, without its content.
fn describe(source: &KeySource) -> Origin {
    match source {
        KeySource::Path(path) => Origin::file(&path.display().to_string()),
        KeySource::Env(variable) => Origin::env(variable),
        KeySource::Inline(_) => Origin::inline(),
        KeySource::Command { command, dir } => Origin::command(command, dir),
    }
}

/// Reads the raw key bytes from the source.
fn read(source: &KeySource, origin: &Origin) -> Result<Vec<u8>, Error> {
    let bytes = match source {
        KeySource::Path(path) => std::fs::read(path)
            .map_err(|e| Error::config(format!("cannot read key file {origin}: {e}")))?,
        KeySource::Env(variable) => read_env(variable)?.into_bytes(),
        KeySource::Inline(text) => text.clone().into_bytes(),
        KeySource::Command { command, dir } => {
            command::run(command, dir, command::KEY_COMMAND_TIMEOUT)?
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::config(format!("key {origin} is empty")));
    }
    Ok(bytes)
}

/// Reads an environment variable that must be set and valid UTF-8.
fn read_env(variable: &str) -> Result<String, Error> {
    std::env::var(variable).map_err(|e| match e {
        std::env::VarError::NotPresent => {
            Error::config(format!("key_env names {variable}, which is not set"))
                .with_hint(format!("export {variable} with the PEM private key before running"))
        }
        std::env::VarError::NotUnicode(_) => {
            Error::config(format!("key_env names {variable}, which is not valid UTF-8"))
        }
    })
}

/// Parses key text that the configuration declares as JSON of the form
/// `expected`. PEM text gets its own message, because it usually means
/// that `key_format` or a preset requests the wrong form.
fn json_of(text: &str, origin: &Origin, expected: &str) -> Result<serde_json::Value, Error> {
    if text.trim_start().starts_with("-----BEGIN") {
        return Err(Error::config(format!(
            "key {origin} is PEM, but the credential expects {expected} (JSON)"
        ))
        .with_hint(
            "give the JSON file, or set key_format = \"pem\" and the fields the JSON would \
             supply (issuer, subject, key_id, token_endpoint)",
        ));
    }
    json(text, origin)
}

/// Parses JSON key text.
fn json(text: &str, origin: &Origin) -> Result<serde_json::Value, Error> {
    serde_json::from_str(text)
        .map_err(|e| Error::config(format!("key {origin} is not valid JSON: {e}")))
}

/// Tells a Google service account key file from a JWK or JWKS.
fn detect_json_format(text: &str, origin: &Origin) -> Result<KeyFormat, Error> {
    let value = json(text, origin)?;
    let has = |field: &str| value.get(field).is_some();
    // Google's credential files all have a `type`, as in "service_account"
    // or "authorized_user"; a JWK never has one.
    let google_type = value.get("type").and_then(|t| t.as_str()).is_some_and(|t| {
        t == "service_account" || t == "authorized_user" || t.starts_with("external_account")
    });
    if google_type || (has("private_key") && has("client_email")) {
        return Ok(KeyFormat::GoogleServiceAccount);
    }
    if has("kty") || has("keys") {
        return Ok(KeyFormat::Jwk);
    }
    Err(foreign::json_document(&value, origin))
}

/// Parses PEM or DER key bytes, first repairing PEM text that an
/// environment variable or a command mangled, and decrypting an encrypted
/// PKCS#8 key.
fn load_pem(
    source: &KeySource,
    bytes: &[u8],
    origin: &Origin,
    options: &LoadOptions,
) -> Result<LoadedKey, Error> {
    let repaired;
    let bytes = match (source, std::str::from_utf8(bytes)) {
        (KeySource::Path(_), _) | (_, Err(_)) => bytes,
        (_, Ok(text)) => {
            repaired = repair_pem(text);
            repaired.as_bytes()
        }
    };
    let key = match encrypted_block(bytes) {
        Some(der) => encrypted::decrypt(&der, origin, options.passphrase.as_ref())?,
        None => super::parse(bytes, origin)?,
    };
    if options.passphrase.is_some() && encrypted_block(bytes).is_none() {
        log::debug!("key_passphrase_env is set, but key {origin} is not encrypted PKCS#8");
    }
    Ok(LoadedKey { key, defaults: KeyDefaults::default() })
}

/// Returns the DER of an `ENCRYPTED PRIVATE KEY` PEM block, or the bytes
/// themselves when they are an encrypted PKCS#8 key in DER.
fn encrypted_block(bytes: &[u8]) -> Option<Vec<u8>> {
    if encrypted::is_encrypted_der(bytes) {
        return Some(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if !text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return None;
    }
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let blocks = pem::parse_many(normalised.trim()).ok()?;
    blocks.into_iter().find(|b| b.tag() == "ENCRYPTED PRIVATE KEY").map(|b| b.into_contents())
}

/// Repairs PEM text as CI systems store it in variables: literal `\n`
/// sequences become newlines, and each block's base64 body is rewrapped,
/// which also undoes a block folded onto one line with spaces. Blocks
/// with headers (`Proc-Type:`) are kept as they are.
pub fn repair_pem(text: &str) -> String {
    let text = if text.contains("-----BEGIN ") && text.contains("\\n") {
        text.replace("\\r\\n", "\n").replace("\\n", "\n")
    } else {
        text.to_string()
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some((before, block, after)) = next_block(rest) {
        out.push_str(before);
        out.push_str(&block);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Finds the next PEM block and returns the text before it, the block
/// rewrapped, and the text after it.
fn next_block(text: &str) -> Option<(&str, String, &str)> {
    const BEGIN: &str = "-----BEGIN ";
    let start = text.find(BEGIN)?;
    let label_start = start + BEGIN.len();
    let label_len = text[label_start..].find("-----")?;
    let label = &text[label_start..label_start + label_len];
    let body_start = label_start + label_len + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let body_len = text[body_start..].find(&end_marker)?;
    let body = &text[body_start..body_start + body_len];
    let after = &text[body_start + body_len + end_marker.len()..];
    if body.contains(':') {
        return Some((&text[..start], text[start..text.len() - after.len()].to_string(), after));
    }
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let mut block = format!("-----BEGIN {label}-----\n");
    for line in base64.as_bytes().chunks(64) {
        block.push_str(&String::from_utf8_lossy(line));
        block.push('\n');
    }
    block.push_str(&end_marker);
    block.push('\n');
    Some((&text[..start], block, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLDED: &str = "-----BEGIN PRIVATE KEY----- AAAA BBBB -----END PRIVATE KEY-----";

    #[test]
    fn debug_hides_inline_key_text() {
        let shown = format!("{:?}", KeySource::Inline(FOLDED.to_string()));
        assert_eq!(shown, "Inline(<redacted>)");
        let shown = format!("{:?}", KeySource::Env("PEM_VAR".to_string()));
        assert_eq!(shown, "Env(\"PEM_VAR\")");
    }

    #[test]
    fn folded_pem_rewrapped() {
        assert_eq!(
            repair_pem(FOLDED),
            "-----BEGIN PRIVATE KEY-----\nAAAABBBB\n-----END PRIVATE KEY-----\n"
        );
    }

    #[test]
    fn literal_newlines_replaced() {
        let escaped = "-----BEGIN PRIVATE KEY-----\\nAAAA\\r\\nBBBB\\n-----END PRIVATE KEY-----\\n";
        assert_eq!(
            repair_pem(escaped),
            "-----BEGIN PRIVATE KEY-----\nAAAABBBB\n-----END PRIVATE KEY-----\n\n"
        );
    }

    #[test]
    fn long_body_wrapped_at_64() {
        let body = "A".repeat(100);
        let text = format!("-----BEGIN X-----{body}-----END X-----");
        let repaired = repair_pem(&text);
        let lines: Vec<&str> = repaired.lines().collect();
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 36);
    }

    #[test]
    fn block_with_headers_kept() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAA\n\
                    -----END RSA PRIVATE KEY-----\n";
        assert_eq!(repair_pem(text), text);
    }

    #[test]
    fn key_format_names() {
        assert_eq!(KeyFormat::parse("jwk"), Ok(KeyFormat::Jwk));
        assert!(KeyFormat::parse("der").unwrap_err().contains("\"der\""));
    }
}
