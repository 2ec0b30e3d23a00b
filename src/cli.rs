//! Command-line flags. These structures only describe the flags; checking
//! their values against a credential happens in the commands.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{describe_max, parse_timeout_text};
use crate::http::MAX_TIMEOUT;

/// Call HTTP APIs through named credentials that sign JWTs.
#[derive(Debug, Parser)]
#[command(name = "namedcred", version, about, long_about = None)]
#[command(after_help = "Examples:\n  namedcred call billing /v1/invoices\n  \
    namedcred token billing\n  namedcred exchange warehouse --json\n  \
    namedcred check\n  namedcred -v call billing /v1/invoices --dry-run")]
pub struct Cli {
    /// Configuration file [default: $NAMEDCRED_CONFIG, else
    /// ~/.config/namedcred/credentials.toml on Linux]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Log decisions and requests to stderr (-vv for more); tokens, keys and
    /// assertions are never logged
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a request to the credential's API with a bearer token
    #[command(after_help = "Examples:\n  namedcred call billing /v1/invoices?limit=10\n  \
        namedcred call billing /v1/invoices -X POST --json -d '{\"amount\": 5}'\n  \
        namedcred call billing /v1/export -o export.csv\n  \
        echo '{\"a\":1}' | namedcred call billing /v1/items --json -d @-\n  \
        namedcred call billing /v1/invoices --dry-run")]
    Call(CallArgs),

    /// Print the JWT that the credential signs, followed by a newline
    #[command(after_help = "Examples:\n  \
        curl -H \"Authorization: Bearer $(namedcred token billing)\" https://api.example.com/v1/me\n  \
        curl -H \"$(namedcred token billing --format header)\" https://api.example.com/v1/me\n  \
        namedcred token billing --decode | jq .claims.exp")]
    Token(TokenArgs),

    /// Exchange the credential's JWT at its token endpoint and print the
    /// access token
    #[command(after_help = "Examples:\n  namedcred exchange warehouse\n  \
        namedcred exchange warehouse --json | jq .expires_in\n  \
        namedcred -v exchange warehouse --dry-run")]
    Exchange(ExchangeArgs),

    /// List the credentials of the configuration: name, protocol and URL
    #[command(after_help = "Examples:\n  namedcred list\n  \
        namedcred list --json | jq -r '.[].name'")]
    List(ListArgs),

    /// Validate credentials offline: fields, environment variables and keys
    #[command(after_help = "Examples:\n  namedcred check\n  namedcred check billing warehouse")]
    Check(CheckArgs),

    /// Print the public keys of credentials as a JWKS, for registering them
    /// with a provider
    #[command(after_help = "Examples:\n  namedcred jwks > jwks.json\n  \
        namedcred jwks billing --pem > billing-public.pem")]
    Jwks(JwksArgs),

    /// Print a shell completion script
    #[command(after_help = "Examples:\n  \
        namedcred completions bash > ~/.local/share/bash-completion/completions/namedcred\n  \
        namedcred completions zsh > \"${fpath[1]}/_namedcred\"\n  \
        namedcred completions fish > ~/.config/fish/completions/namedcred.fish")]
    Completions(CompletionsArgs),

    /// Print the manual page in roff format
    #[command(after_help = "Examples:\n  namedcred man | man -l -\n  \
        namedcred man > /usr/local/share/man/man1/namedcred.1")]
    Man,

    /// List or remove the cached access tokens of jwt-exchange credentials
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  namedcred cache list\n  namedcred cache clear warehouse\n  \
        namedcred cache clear"
    )]
    Cache(CacheCommand),
}

/// Flags of `call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Credential name, a [credentials.<name>] table of the configuration
    pub name: String,

    /// Path joined to the credential's url, optionally with a ?query
    pub path: String,

    /// HTTP method [default: GET, or POST when a body is given]
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,

    /// Request header 'Name: value'; repeatable; overrides the credential's
    /// headers, and 'Name:' removes one
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body: literal text, @FILE to read a file, or @- to read stdin
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,

    /// Send the body as JSON: checks that it parses and sets
    /// Content-Type and Accept to application/json
    #[arg(long)]
    pub json: bool,

    /// Write the status line and response headers before the body
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Write the response body to FILE instead of stdout. A regular file
    /// appears only once the whole body has arrived. A FIFO or device is
    /// written in place
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Time limit for each HTTP request, in seconds or as a duration such
    /// as 90s, at most 86400 seconds [default: the credential's `timeout`,
    /// else 60]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    /// Follow redirects, up to 10; the token goes only to the credential's
    /// origin
    #[arg(short = 'L', long)]
    pub location: bool,

    /// Retry up to N times after a connection failure, a timeout, HTTP 429
    /// or 503 (GET, HEAD, OPTIONS, TRACE, PUT and DELETE only, unless
    /// --retry-all)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry: u32,

    /// With --retry, also retry methods that are not idempotent, such as
    /// POST and PATCH
    #[arg(long, requires = "retry")]
    pub retry_all: bool,
    /// Print the requests that would be sent (for jwt-exchange, the token
    /// request first unless a cached token would be reused), secrets
    /// redacted, to stdout, and send nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Neither read nor write the token cache: exchange for a new access
    /// token and keep it only for this call
    #[arg(long)]
    pub no_cache: bool,
}

/// Flags of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Credential name
    pub name: String,

    /// Print the header and claims of the minted token as JSON instead of
    /// the token
    #[arg(long, conflicts_with = "format")]
    pub decode: bool,

    /// Output form: the bare token, or an `Authorization: Bearer` header line
    #[arg(long, value_enum, default_value_t = TokenFormat::Bare)]
    pub format: TokenFormat,
}

/// What `token` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenFormat {
    /// The token alone.
    Bare,
    /// `Authorization: Bearer <token>`, ready for curl -H.
    Header,
}

/// Flags of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print a JSON array of objects with name, protocol and url
    #[arg(long)]
    pub json: bool,
}

/// Flags of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Credentials to check [default: all]
    pub names: Vec<String>,
}

/// Flags of `jwks`.
#[derive(Debug, Args)]
pub struct JwksArgs {
    /// Credentials whose public keys to print [default: all with a private
    /// key, so HMAC credentials are skipped]
    pub names: Vec<String>,

    /// Print each public key as a SubjectPublicKeyInfo PEM block instead
    #[arg(long)]
    pub pem: bool,
}

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Flags of `exchange`.
#[derive(Debug, Args)]
pub struct ExchangeArgs {
    /// Credential name
    pub name: String,

    /// Print the whole token endpoint reply as JSON instead of the access
    /// token alone
    #[arg(long)]
    pub json: bool,

    /// Time limit for the request, in seconds or as a duration such as
    /// 90s, at most 86400 seconds [default: the credential's `timeout`,
    /// else 60]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    /// Retry up to N times after a connection failure, a timeout, HTTP 429
    /// or 503, each time with a newly signed assertion
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry: u32,
    /// Print the token request that would be sent, secrets redacted, to
    /// stdout, and send nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The subcommands of `cache`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the credential name, expiry and token endpoint of every cached
    /// access token; never the tokens
    #[command(after_help = "Examples:\n  namedcred cache list\n  \
        NAMEDCRED_CACHE_DIR=/var/cache/namedcred namedcred cache list")]
    List,

    /// Remove the cached access tokens of one credential, or all of them
    #[command(after_help = "Examples:\n  namedcred cache clear warehouse\n  \
        namedcred cache clear")]
    Clear(CacheClearArgs),
}

/// Flags of `cache clear`.
#[derive(Debug, Args)]
pub struct CacheClearArgs {
    /// Credential name [default: every credential]
    pub name: Option<String>,
}

/// Parses a positive number of seconds, fractions allowed, or a duration
/// string such as `90s` or `2m` as the `timeout` field takes, up to
/// [`MAX_TIMEOUT`]. The messages read like those of the `timeout` field.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let Some(seconds) = text.parse::<f64>().ok().filter(|seconds| !seconds.is_nan()) else {
        return match parse_timeout_text(text) {
            Ok(seconds) => Ok(Duration::from_secs(seconds)),
            Err(_) if !text.starts_with(|c: char| c.is_ascii_digit()) => Err(format!(
                "must be a number of seconds such as 30 or 2.5, or a duration such as 90s, \
                 not \"{text}\""
            )),
            Err(problem) => Err(problem),
        };
    };
    if seconds > MAX_TIMEOUT.as_secs_f64() {
        let max = describe_max(Some(MAX_TIMEOUT.as_secs()));
        return Err(format!("must be at most {max}, not {text}"));
    }
    // A value too small for a nanosecond would become a zero limit.
    match Duration::try_from_secs_f64(seconds) {
        Ok(limit) if !limit.is_zero() => Ok(limit),
        _ => Err(format!("must be more than zero, not {text}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flag_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_parse() {
        assert_eq!(parse_seconds("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_seconds("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_seconds("0s").unwrap_err().contains("more than zero"));
        assert!(parse_seconds("soon").unwrap_err().contains("not \"soon\""));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("1e-300").is_err());
    }

    #[test]
    fn seconds_errors_state_the_rule() {
        let zero = parse_seconds("0").unwrap_err();
        assert_eq!(zero, "must be more than zero, not 0");
        let huge = parse_seconds("99999999999").unwrap_err();
        assert_eq!(huge, "must be at most 24 hours (86400 seconds), not 99999999999");
        let huge = parse_seconds("1e300").unwrap_err();
        assert_eq!(huge, "must be at most 24 hours (86400 seconds), not 1e300");
        assert_eq!(parse_seconds("86400"), Ok(MAX_TIMEOUT));
        let word = parse_seconds("soon").unwrap_err();
        assert!(word.contains("not \"soon\""), "{word}");
    }
}
