//! namedcred calls HTTP APIs through named credentials: each credential in
//! a TOML file says how to sign a JWT and whether to send it as the bearer
//! token or exchange it at a token endpoint for an access token.
//!
//! The stages run in this order: [`config`] parses the file and resolves a
//! [`credential::Credential`], [`key`] loads its private key, [`token`]
//! mints the JWT, [`exchange`] trades it for an access token, which
//! [`cache`] keeps on disk for reuse, and [`http`] sends the API request
//! and writes the response.

// These two macros shadow std's `eprintln!` and `eprint!` in every module
// below, because they are defined before the `mod` lines. std's versions
// panic when stderr cannot be written, as when it is a pipe whose reader
// has exited, and with `panic = "abort"` that kills the process with
// SIGABRT in place of the documented exit code. A message that cannot be
// shown is dropped instead.

/// Prints a line to stderr like std's `eprintln!`, ignoring write errors.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Prints to stderr like std's `eprint!`, ignoring write errors.
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub mod cache;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod credential;
pub mod dns;
pub mod error;
pub mod exchange;
pub mod github;
pub mod grant;
pub mod http;
pub mod key;
pub mod logging;
pub mod proxy;
pub mod redact;
pub mod redirect;
pub mod retry;
pub mod secret;
pub mod signals;
pub mod skew;
pub mod tls;
pub mod token;

pub use commands::run;

/// Prints an error chain and its hint to stderr, in the one format every
/// failure uses: `namedcred: error: <message>`, then `hint: <fix>`.
///
/// On a terminal, and only when `NO_COLOR` is unset or empty, `error:` is
/// bold red and `hint:` bold.
pub fn report(error: &anyhow::Error) {
    use std::io::IsTerminal;
    let colour = use_colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR"));
    let (red, bold, reset) =
        if colour { ("\x1b[1;31m", "\x1b[1m", "\x1b[0m") } else { ("", "", "") };
    // Messages quote values from files, the environment and servers, so
    // their control characters are escaped before they reach the terminal.
    let message = redact::text::escape_controls_keep_lines(&format!("{error:#}"));
    eprintln!("namedcred: {red}error:{reset} {message}");
    if let Some(hint) = error::find(error).and_then(|e| e.hint.as_deref()) {
        let hint = redact::text::escape_controls_keep_lines(hint);
        eprintln!("{bold}hint:{reset} {hint}");
    }
}

/// Prints a usage error from the flag parser with the `namedcred: ` prefix
/// that every error carries, keeping clap's tip and usage lines. Output
/// that is not an error, such as the help shown when no command is given,
/// is printed as clap renders it.
pub fn report_usage(error: &clap::Error) {
    use std::io::IsTerminal;
    let rendered = error.render();
    let plain = rendered.to_string();
    let colour = use_colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR"));
    let text = if colour { rendered.ansi().to_string() } else { plain.clone() };
    let prefix = if plain.starts_with("error:") { "namedcred: " } else { "" };
    eprint!("{prefix}{text}");
}

/// Decides whether to colour output: only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value (see no-color.org).
pub fn use_colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::use_colour;

    #[test]
    fn colour_only_on_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("".into())));
        assert!(!use_colour(true, Some("1".into())));
        assert!(!use_colour(false, None));
    }
}
