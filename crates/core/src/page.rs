//! Pagination of list endpoints: `?page=1&per_page=20`, at most 100 per page.

use crate::error::ValidationErrors;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// One-based page number.
    pub page: u64,
    /// Items per page, 1..=100.
    pub per_page: u64,
}

impl Pagination {
    /// Default page size.
    pub const DEFAULT_PER_PAGE: u64 = 20;
    /// Largest page size.
    pub const MAX_PER_PAGE: u64 = 100;
    /// Highest page number accepted (bounds the offset a client can ask for).
    pub const MAX_PAGE: u64 = 100_000;

    /// Validates optional query values, applying the defaults.
    pub fn parse(page: Option<i64>, per_page: Option<i64>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(Self::DEFAULT_PER_PAGE as i64);
        if page < 1 || page as u64 > Self::MAX_PAGE {
            errors.add("page", format!("must be between 1 and {}", Self::MAX_PAGE));
        }
        if per_page < 1 || per_page as u64 > Self::MAX_PER_PAGE {
            errors.add(
                "per_page",
                format!("must be between 1 and {}", Self::MAX_PER_PAGE),
            );
        }
        errors.into_result(Self {
            page: page.max(1) as u64,
            per_page: per_page.max(1) as u64,
        })
    }

    /// Number of rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

impl Default for Pagination {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_offset() {
        let p = Pagination::parse(None, None).unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (1, 20, 0));
        assert_eq!(Pagination::parse(Some(3), Some(10)).unwrap().offset(), 20);
    }

    #[test]
    fn bounds_name_the_field() {
        let e = Pagination::parse(Some(0), Some(101)).unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["page", "per_page"]);
        assert!(Pagination::parse(Some(1), Some(100)).is_ok());
    }
}
