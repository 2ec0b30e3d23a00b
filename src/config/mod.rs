//! Configuration: finding the file, parsing it strictly, and resolving one
//! credential into a ready [`Credential`].
//!
//! The whole file is parsed on every run, so a misspelt field anywhere is
//! reported, but only the credential in use is resolved: its key is read
//! and its fields are checked before any network I/O.

mod duration;
mod grant;
mod header;
mod interpolate;
mod key_source;
mod preset;
mod raw;
mod resolve;
mod type_error;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::credential::Credential;
use crate::error::Error;

pub use duration::{describe_max, parse_timeout_text};
pub use raw::RawCredential;

/// Environment variable that names the configuration file.
pub const CONFIG_ENV: &str = "NAMEDCRED_CONFIG";

/// File name inside the platform configuration folder.
const FILE_NAME: &str = "credentials.toml";

/// A parsed configuration file.
#[derive(Debug)]
pub struct Config {
    /// Where the file was read from; relative key paths resolve against its
    /// folder.
    pub path: PathBuf,
    /// Every credential table, by name, with environment variable
    /// references replaced; a table whose references cannot be replaced is
    /// kept as written and its error is in `unresolved`.
    credentials: BTreeMap<String, RawCredential>,
    /// Why the references in a credential could not be replaced, by name.
    /// The error is raised only when that credential is used, so a missing
    /// variable of one credential does not block the others.
    unresolved: BTreeMap<String, Error>,
}

impl Config {
    /// Finds and parses the configuration file: `flag` (from `--config`)
    /// first, then `NAMEDCRED_CONFIG`, then the platform configuration
    /// folder.
    pub fn load(flag: Option<&Path>) -> Result<Config, Error> {
        let path = locate(flag)?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::config(format!("cannot read configuration file {}: {e}", path.display()))
        })?;
        Config::parse(&text, path)
    }

    /// Parses configuration text that was read from `path`.
    pub fn parse(text: &str, path: PathBuf) -> Result<Config, Error> {
        let shown = path.display().to_string();
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| syntax_error(&shown, text, &e))?;

        if let Some(other) = table.keys().find(|k| k.as_str() != "credentials") {
            return Err(Error::config(format!("unknown top-level key `{other}` in {shown}"))
                .with_hint("define each credential as a [credentials.<name>] table"));
        }
        let credentials = match table.remove("credentials") {
            None => toml::Table::new(),
            Some(toml::Value::Table(credentials)) => credentials,
            Some(_) => {
                return Err(Error::config(format!(
                    "`credentials` in {shown} must be a table of [credentials.<name>] tables"
                )));
            }
        };

        let mut parsed = BTreeMap::new();
        let mut unresolved = BTreeMap::new();
        for (name, value) in credentials {
            if name.trim().is_empty() {
                return Err(Error::config(format!(
                    "{shown} has a credential whose name is empty or blank"
                ))
                .with_hint("give the table a name, as in [credentials.billing]"));
            }
            if !value.is_table() {
                return Err(type_error::not_a_table(&name, &value, &shown, text));
            }
            let deserialise =
                |value: toml::Value| type_error::deserialize_credential(&name, value, &shown, text);
            // Without a `$` there is nothing to replace, so the table is
            // read once; every call parses every credential of the file.
            if !interpolate::has_dollar(&value) {
                parsed.insert(name.clone(), deserialise(value)?);
                continue;
            }
            // The table is checked as written first, so that a misspelt
            // field is reported even when a variable is missing.
            let written = deserialise(value.clone())?;
            let mut replaced = value;
            let lookup = |variable: &str| std::env::var_os(variable);
            match interpolate::interpolate_value(&mut replaced, &name, &lookup) {
                Ok(()) => parsed.insert(name.clone(), deserialise(replaced)?),
                Err(error) => {
                    unresolved.insert(name.clone(), error);
                    parsed.insert(name.clone(), written)
                }
            };
        }
        Ok(Config { path, credentials: parsed, unresolved })
    }

    /// Returns the named credential as written, with its environment
    /// variable references replaced where they could be.
    pub fn raw(&self, name: &str) -> Option<&RawCredential> {
        self.credentials.get(name)
    }

    /// Returns the protocol and API URL of the named credential as written,
    /// with its preset's defaults filled in. A Salesforce credential
    /// without `url` shows where its URL comes from instead.
    pub fn protocol_and_url(&self, name: &str) -> Option<(Option<String>, Option<String>)> {
        let raw = self.credentials.get(name)?;
        let written = (raw.protocol.clone(), raw.url.clone());
        let Ok(Some(preset)) = preset::parse(name, raw) else {
            return Some(written);
        };
        if preset::takes_url_from_token_reply(Some(preset), raw) {
            let protocol = raw.protocol.clone().unwrap_or_else(|| "jwt-exchange".to_string());
            return Some((Some(protocol), Some("(instance_url of the token reply)".to_string())));
        }
        let mut filled = raw.clone();
        match preset::apply_defaults(name, preset, &mut filled) {
            Ok(()) => Some((filled.protocol, filled.url)),
            // `check` reports the error; the listing shows what is written.
            Err(_) => Some(written),
        }
    }

    /// Returns the credential names in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.credentials.keys().map(String::as_str)
    }

    /// Validates the named credential and loads its key.
    ///
    /// Fails with a configuration error that names the credential and the
    /// field when a field is missing or invalid, and lists the defined
    /// names when there is no credential of that name.
    pub fn credential(&self, name: &str) -> Result<Credential, Error> {
        let Some(raw) = self.credentials.get(name) else {
            return Err(self.unknown_credential(name));
        };
        if let Some(error) = self.unresolved.get(name) {
            return Err(Error { hint: error.hint.clone(), ..Error::config(error.message.clone()) });
        }
        let base_dir = self.path.parent().unwrap_or(Path::new("."));
        resolve::resolve(name, raw, base_dir)
    }

    /// Builds the error for a credential name that the file does not define.
    fn unknown_credential(&self, name: &str) -> Error {
        let known: Vec<&str> = self.names().collect();
        let error = if name.is_empty() {
            Error::config(format!(
                "the credential name is empty; give a name defined in {}",
                self.path.display()
            ))
        } else {
            Error::config(format!("no credential named `{name}` in {}", self.path.display()))
        };
        if known.is_empty() {
            error.with_hint("the file defines no credentials; add a [credentials.<name>] table")
        } else {
            let known: Vec<String> =
                known.iter().map(|name| crate::redact::text::escape_controls(name)).collect();
            error.with_hint(format!("defined credentials: {}", known.join(", ")))
        }
    }
}

/// Builds the error for invalid TOML. It names the line and column but
/// leaves out the line itself, which may contain a secret pasted into the
/// file by mistake.
fn syntax_error(shown: &str, text: &str, error: &toml::de::Error) -> Error {
    let position = error.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        format!(" at line {line}, column {column}")
    });
    Error::config(format!(
        "invalid TOML in {shown}{}: {}",
        position.unwrap_or_default(),
        error.message().trim_end()
    ))
}

/// Decides which configuration file to use and checks that it exists.
///
/// A missing file is an error that lists every place that was considered.
fn locate(flag: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(path) = flag {
        return existing(path.to_path_buf(), "given with --config");
    }
    if let Some(value) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return existing(PathBuf::from(value), &format!("named by {CONFIG_ENV}"));
    }
    let Some(default) = default_path() else {
        return Err(Error::config(
            "no configuration file: --config is not given, NAMEDCRED_CONFIG is not set, \
             and the platform configuration folder is unknown because no home folder was found",
        ));
    };
    if default.is_file() {
        return Ok(default);
    }
    Err(Error::config(format!(
        "no configuration file found; looked at --config (not given), \
         {CONFIG_ENV} (not set) and {} (missing)",
        default.display()
    ))
    .with_hint(format!(
        "create {} (see credentials.example.toml), or pass --config PATH",
        default.display()
    )))
}

/// Returns `path` when it is a file, else an error saying where it came from.
fn existing(path: PathBuf, origin: &str) -> Result<PathBuf, Error> {
    if path.is_file() {
        return Ok(path);
    }
    let problem = if path.exists() { "is not a file" } else { "does not exist" };
    Err(Error::config(format!("configuration file {} ({origin}) {problem}", path.display())))
}

/// Returns the default configuration path in the platform configuration
/// folder, such as `~/.config/namedcred/credentials.toml` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "namedcred")
        .map(|dirs| dirs.config_dir().join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(text, PathBuf::from("/etc/test/credentials.toml"))
    }

    #[test]
    fn empty_file_has_no_credentials() {
        let config = parse("").unwrap();
        assert_eq!(config.names().count(), 0);
    }

    #[test]
    fn unknown_field_names_field_and_credential() {
        let error = parse("[credentials.api]\nurl = \"https://x\"\nisuer = \"me\"\n").unwrap_err();
        assert!(error.message.contains("`api`"), "{}", error.message);
        assert!(error.message.contains("isuer"), "{}", error.message);
    }

    #[test]
    fn blank_credential_name_rejected() {
        for name in ["\"\"", "\" \""] {
            let error = parse(&format!("[credentials.{name}]\nurl = \"https://x\"\n")).unwrap_err();
            assert!(error.message.contains("name is empty or blank"), "{}", error.message);
        }
    }

    #[test]
    fn unknown_top_level_key_rejected() {
        let error = parse("[credential.api]\nurl = \"https://x\"\n").unwrap_err();
        assert!(error.message.contains("`credential`"), "{}", error.message);
    }

    #[test]
    fn wrong_field_type_names_credential() {
        let error = parse("[credentials.api]\nlifetime = true\n").unwrap_err();
        assert!(error.message.contains("`api`"), "{}", error.message);
    }

    #[test]
    fn invalid_toml_names_file() {
        let error = parse("[credentials.api\n").unwrap_err();
        assert!(error.message.contains("/etc/test/credentials.toml"), "{}", error.message);
    }

    #[test]
    fn invalid_toml_names_position_without_the_line() {
        let error = parse("[credentials.api]\nsecret = hunter2-value\n").unwrap_err();
        assert!(error.message.contains("line 2, column 10"), "{}", error.message);
        assert!(!error.message.contains("hunter2"), "{}", error.message);
    }

    #[test]
    fn unknown_credential_lists_known_names() {
        let config = parse("[credentials.alpha]\n[credentials.beta]\n").unwrap();
        let error = config.credential("gamma").unwrap_err();
        assert!(error.message.contains("`gamma`"), "{}", error.message);
        let hint = error.hint.unwrap();
        assert!(hint.contains("alpha, beta"), "{hint}");
    }
}
