//! Typed failures whose class decides the process exit code.
//!
//! Most code returns `anyhow::Result` and adds context at each boundary. The
//! places where the exit code matters raise an [`Error`] with a [`Kind`];
//! `main` finds the first one in the chain and maps its kind to the code
//! documented in the README. A failure without a kind exits with 1.

use std::fmt;

/// The class of a failure, one per documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Invalid command-line use: a malformed flag value or a command that
    /// does not fit the credential (exit 2).
    Usage,
    /// Connecting, DNS, TLS or a timeout failed (exit 6).
    Network,
    /// The token endpoint rejected the exchange or sent an unusable reply
    /// (exit 7).
    Exchange,
    /// The configuration file, a credential field or a key is missing or
    /// invalid (exit 8).
    Config,
}

impl Kind {
    /// Returns the process exit code for this kind of failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => 2,
            Kind::Network => 6,
            Kind::Exchange => 7,
            Kind::Config => 8,
        }
    }
}

/// A failure with a kind, a message and an optional hint that suggests the
/// fix. Messages never contain keys, secrets, tokens or assertions.
#[derive(Debug)]
pub struct Error {
    /// Which exit code the failure leads to.
    pub kind: Kind,
    /// What failed, naming the value involved.
    pub message: String,
    /// The likely fix, printed on its own `hint:` line.
    pub hint: Option<String>,
}

impl Error {
    /// Creates an error of the given kind without a hint.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), hint: None }
    }

    /// Creates a configuration or key error (exit 8).
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(Kind::Config, message)
    }

    /// Creates a usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(Kind::Usage, message)
    }

    /// Creates a network error (exit 6).
    pub fn network(message: impl Into<String>) -> Self {
        Error::new(Kind::Network, message)
    }

    /// Creates an exchange error (exit 7).
    pub fn exchange(message: impl Into<String>) -> Self {
        Error::new(Kind::Exchange, message)
    }

    /// Adds a hint line that tells the user how to fix the failure.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Returns the first typed [`Error`] in an error chain, if any.
pub fn find(error: &anyhow::Error) -> Option<&Error> {
    error.chain().find_map(|cause| cause.downcast_ref::<Error>())
}

/// Returns the exit code for an error chain: the code of its first typed
/// [`Error`], or 1 when the chain has none.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    find(error).map_or(1, |typed| typed.kind.exit_code())
}
