//! A string that never shows itself in `Debug` output or logs: API keys.

use std::fmt;

use serde::Deserialize;

/// A secret value, such as an API key. `Debug` prints `Secret([redacted])`; only
/// [`Secret::expose`] gives the text, at the point where it is sent.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret text, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given (an empty key counts as no key).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("Secret(\"\")")
        } else {
            f.write_str("Secret([redacted])")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("sk-live-123");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "sk-live-123");
        assert!(Secret::new("  ").is_empty());
    }
}
