//! A wrapper that keeps secret values out of Debug output and logs.

use std::fmt;

/// A secret value: a key, an HMAC secret, a token or an assertion. Its
/// Debug output is `(redacted)`, so a secret that reaches a log line or an
/// error through `{:?}` never shows its content.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// Returns the secret value for the one place that must use it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let secret = Secret::new("canary-value".to_string());
        assert_eq!(format!("{secret:?}"), "(redacted)");
        assert_eq!(secret.expose(), "canary-value");
    }
}
