//! The subcommands: each loads its credential, runs the stages in order and
//! returns the exit code for a successful run.

mod bearer;
mod cache;
mod call;
mod docs;
mod inspect;
mod jwks;
mod manage;
mod output;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{Cli, Command, ExchangeArgs, TokenArgs};
use crate::client::HttpClient;
use crate::config::Config;
use crate::credential::{Credential, ExchangeSpec, Protocol};
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::{exchange, http, token};

/// Runs the command that the flags select and returns its exit code: 0, or
/// 3, 4 or 5 when `call` received a final HTTP 3xx, 4xx or 5xx.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Call(args) => call::run(config, args),
        Command::Token(args) => run_token(config, args),
        Command::Exchange(args) => run_exchange(config, args),
        Command::List(args) => manage::run_list(config, args),
        Command::Check(args) => manage::run_check(config, args),
        Command::Jwks(args) => jwks::run(config, args),
        Command::Completions(args) => docs::run_completions(args),
        Command::Man => docs::run_man(),
        Command::Cache(command) => cache::run(command),
    }
}

/// Loads the configuration and resolves the named credential.
fn load(config: Option<&Path>, name: &str) -> Result<Credential, Error> {
    let file = Config::load(config)?;
    log::debug!("configuration file: {}", file.path.display());
    let credential = file.credential(name)?;
    log::debug!(
        "credential `{name}`: {} with {:?} and {} key",
        match credential.protocol {
            Protocol::Jwt => "protocol jwt",
            Protocol::JwtExchange(_) => "protocol jwt-exchange",
        },
        credential.jwt.key.algorithm,
        credential.jwt.key.kind.describe_with_article()
    );
    Ok(credential)
}

/// Prints the JWT that the credential signs, in the form the flags choose.
fn run_token(config: Option<&Path>, args: TokenArgs) -> anyhow::Result<u8> {
    let credential = load(config, &args.name)?;
    let jwt = token::mint(&credential.jwt)?;
    inspect::print_token(&jwt, &args)?;
    Ok(0)
}

/// Runs the exchange and prints the access token or the whole reply.
fn run_exchange(config: Option<&Path>, args: ExchangeArgs) -> anyhow::Result<u8> {
    let credential = load(config, &args.name)?;
    let Protocol::JwtExchange(spec) = &credential.protocol else {
        return Err(Error::usage(format!(
            "credential `{}` uses protocol jwt, which has no token endpoint to exchange with",
            credential.name
        ))
        .with_hint(format!("print its JWT with: namedcred token {}", credential.name))
        .into());
    };
    if args.dry_run {
        let view = exchange::describe_request(spec, crate::redact::REDACTED);
        print_line(view.dry_run_text().as_bytes())?;
        return Ok(0);
    }
    let retry = RetryPolicy { retries: args.retry, all_methods: false };
    let client = http_client(args.timeout, &credential, retry);
    let reply = exchange_and_store(&client, &credential, spec)?;
    if args.json {
        print_line(reply.json.expose().to_string().as_bytes())?;
    } else {
        print_line(reply.access_token.expose().as_bytes())?;
    }
    Ok(0)
}

/// Runs the exchange under the cache entry's lock, so that no other
/// process exchanges at the same time, and stores the new token.
fn exchange_and_store(
    client: &HttpClient,
    credential: &Credential,
    spec: &ExchangeSpec,
) -> Result<exchange::TokenReply, Error> {
    let slot = bearer::slot_for(credential, spec);
    let guard = slot.as_ref().and_then(|slot| slot.lock_or_warn());
    let reply = exchange::exchange(client, credential, spec)?;
    let entry = bearer::entry_of(credential, spec, &reply);
    // A credential without `url` can reuse a token only with its instance
    // URL, so a reply without one is printed but not cached.
    let usable = !credential.url_from_token_reply || entry.instance_url.is_some();
    if let (Some(slot), Some(_), true) = (&slot, &guard, usable) {
        slot.store(&entry);
    }
    drop(guard);
    Ok(reply)
}

/// Builds the HTTP client for the credential: its time limit, TLS
/// settings and the proxy variables.
fn http_client(flag: Option<Duration>, credential: &Credential, retry: RetryPolicy) -> HttpClient {
    HttpClient::new(request_timeout(flag, credential), credential.tls.clone(), retry)
}

/// Picks the request time limit: the flag, else the credential, else the
/// default.
fn request_timeout(flag: Option<Duration>, credential: &Credential) -> Duration {
    flag.or(credential.timeout).unwrap_or(http::DEFAULT_TIMEOUT)
}

/// Writes one line of data to stdout. A reader that has closed the pipe,
/// such as `head`, is not an error, as with `call`.
fn print_line(data: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let written =
        stdout.write_all(data).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}
