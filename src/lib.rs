//! namedcred calls HTTP APIs through named credentials: each credential in
//! a TOML file says how to sign a JWT and whether to send it as the bearer
//! token or exchange it at a token endpoint for an access token.
//!
//! The stages run in this order: [`config`] parses the file and resolves a
//! [`credential::Credential`], [`key`] loads its private key, [`token`]
//! mints the JWT, [`exchange`] trades it for an access token, and [`http`]
//! sends the API request and writes the response.

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod credential;
pub mod error;
pub mod exchange;
pub mod grant;
pub mod http;
pub mod key;
pub mod logging;
pub mod proxy;
pub mod redirect;
pub mod retry;
pub mod secret;
pub mod tls;
pub mod token;

pub use commands::run;

/// Prints an error chain and its hint to stderr, in the one format every
/// failure uses: `namedcred: error: <message>`, then `hint: <fix>`.
pub fn report(error: &anyhow::Error) {
    eprintln!("namedcred: error: {error:#}");
    if let Some(hint) = error::find(error).and_then(|e| e.hint.as_deref()) {
        eprintln!("hint: {hint}");
    }
}
