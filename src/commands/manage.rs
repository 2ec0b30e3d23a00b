//! `namedcred list` and `namedcred check`: what the configuration defines,
//! and whether each credential would work, without any network I/O.

use std::path::Path;

use serde::Serialize;

use super::print_line;
use crate::cli::{CheckArgs, ListArgs};
use crate::config::Config;
use crate::credential::{Credential, Protocol};
use crate::error::Error;
use crate::redact::text;

/// One row of `list`, with the user information and secret query
/// parameters of the URL redacted.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    protocol: Option<String>,
    url: Option<String>,
}

/// Prints one line per credential, or a JSON array with `--json`.
///
/// The rows show the fields as written (after environment variable
/// references are replaced) with the preset's defaults filled in, so a
/// credential that `check` rejects is still listed.
pub fn run_list(config: Option<&Path>, args: ListArgs) -> anyhow::Result<u8> {
    let file = Config::load(config)?;
    let rows: Vec<Row> = file
        .names()
        .filter_map(|name| {
            let (protocol, url) = file.protocol_and_url(name)?;
            // JSON escapes control characters itself; the text form
            // escapes them when it prints.
            let url = url.map(|url| text::secret_values(&text::url_userinfo(&url)));
            Some(Row { name: name.to_string(), protocol, url })
        })
        .collect();
    if args.json {
        print_line(serde_json::to_string_pretty(&rows)?.as_bytes())?;
        return Ok(0);
    }
    let shown: Vec<[String; 3]> = rows
        .iter()
        .map(|row| {
            let field = |value: Option<&str>| text::escape_controls(value.unwrap_or("-"));
            [field(Some(&row.name)), field(row.protocol.as_deref()), field(row.url.as_deref())]
        })
        .collect();
    let width = shown.iter().map(|[name, ..]| name.chars().count()).max().unwrap_or(0);
    let protocol_width = shown.iter().map(|[_, protocol, _]| protocol.len()).max().unwrap_or(0);
    for [name, protocol, url] in &shown {
        let line = format!("{name:width$}  {protocol:protocol_width$}  {url}");
        print_line(line.as_bytes())?;
    }
    Ok(0)
}

/// Validates the named credentials, or all of them, and prints one line
/// for each. Returns 8 when any of them fails, 0 otherwise.
pub fn run_check(config: Option<&Path>, args: CheckArgs) -> anyhow::Result<u8> {
    let file = Config::load(config)?;
    let names: Vec<String> =
        if args.names.is_empty() { file.names().map(str::to_string).collect() } else { args.names };
    if names.is_empty() {
        eprintln!("namedcred: {} defines no credentials", file.path.display());
    }
    let mut failed = 0;
    for name in &names {
        let line = match file.credential(name) {
            Ok(credential) => {
                format!("ok     {}: {}", text::escape_controls(name), summary(&credential))
            }
            Err(error) => {
                failed += 1;
                format!("error  {}: {}", text::escape_controls(name), one_line(&error))
            }
        };
        print_line(line.as_bytes())?;
    }
    if failed > 0 {
        eprintln!("namedcred: {failed} of {} credentials failed the check", names.len());
        return Ok(crate::error::Kind::Config.exit_code());
    }
    Ok(0)
}

/// Describes a valid credential: protocol, algorithm and key.
fn summary(credential: &Credential) -> String {
    let protocol = match credential.protocol {
        Protocol::Jwt => "jwt",
        Protocol::JwtExchange(_) => "jwt-exchange",
    };
    let key = &credential.jwt.key;
    format!("{protocol}, {:?}, {}", key.algorithm, key.kind.describe())
}

/// Writes an error and its hint on one line, with control characters
/// escaped so that a value quoted in the message cannot break the line.
fn one_line(error: &Error) -> String {
    let line = match &error.hint {
        Some(hint) => format!("{} (hint: {hint})", error.message),
        None => error.message.clone(),
    };
    text::escape_controls(&line)
}
