//! Validation errors that name the offending field, collected so one answer lists every problem.

use serde::Serialize;

/// One invalid field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field in the request body or query, e.g. `criteria.max_price`.
    pub field: String,
    /// Human-readable reason.
    pub message: String,
}

/// A non-empty list of field errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("validation failed: {}", self.summary())]
pub struct ValidationErrors {
    /// The individual errors, in the order they were found.
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A collection holding a single error.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Records an error for `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Moves every error of `other` into this collection, prefixing its fields with `prefix.`.
    pub fn absorb(&mut self, prefix: &str, other: ValidationErrors) {
        for e in other.errors {
            self.add(format!("{prefix}.{}", e.field), e.message);
        }
    }

    /// Records the error of a fallible parse and returns its value, if any.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when empty, otherwise `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorb_prefixes_nested_fields() {
        let mut outer = ValidationErrors::new();
        outer.absorb(
            "criteria",
            ValidationErrors::single("max_price", "negative"),
        );
        assert_eq!(outer.errors[0].field, "criteria.max_price");
        assert_eq!(
            outer.to_string(),
            "validation failed: criteria.max_price: negative"
        );
    }

    #[test]
    fn into_result_is_ok_only_when_empty() {
        assert_eq!(ValidationErrors::new().into_result(3), Ok(3));
        assert!(ValidationErrors::single("a", "b").into_result(3).is_err());
    }
}
