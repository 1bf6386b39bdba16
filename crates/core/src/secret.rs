//! A string that never shows itself: API keys, passwords in URLs, signing secrets.
//!
//! `Debug` prints `[redacted]` (or `""` when empty, so a missing key is visible in a dump),
//! serialising writes `[redacted]` (so a printed configuration never leaks it), and only
//! [`Secret::expose`] gives the text, at the one place that sends it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret value, deserialised from a plain string.
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

    /// True when no value was given (blank counts as none).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() {
            "\"\""
        } else {
            "[redacted]"
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_never_shows_but_can_be_used() {
        let s = Secret::new("sk-live-123");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"[redacted]\"");
        assert_eq!(s.expose(), "sk-live-123");
        assert!(Secret::new("  ").is_empty());
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
        let back: Secret = serde_json::from_str("\"k\"").unwrap();
        assert_eq!(back.expose(), "k");
    }
}
