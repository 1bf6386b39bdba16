//! Repository operations, grouped by aggregate. Every function takes the [`crate::Store`] and,
//! where rows belong to a user, a [`crate::Scope`] so that another user's row is simply not found.

pub mod agent_runs;
pub mod alerts;
pub mod analyses;
pub mod background;
pub mod goals;
pub mod jobs;
pub mod links;
pub mod listings;
pub mod monitoring;
pub mod search;
pub mod sessions;
pub mod token_holds;
pub mod tokens;
pub mod tracking;
pub mod users;
pub mod wallets;

/// A page of rows and the total number of rows matching the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the query across all pages.
    pub total: u64,
}
