//! JSON API handlers, one module per resource, and the response shapes they share.

pub mod analysis;
pub mod auth;
pub mod deals;
pub mod goal_deals;
pub mod goals;
pub mod jobs;
pub mod links;
pub mod sources;
pub mod system;
pub mod tokens;
pub mod tracking;
pub mod unsubscribe;
pub mod users;
pub mod wallet;
pub mod ws;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use deals_core::Pagination;
use deals_store::repo::Page;

use super::error::AppError;

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T: ToSchema> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows across all pages.
    pub total: u64,
    /// This page (1-based).
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

impl<T: ToSchema> Paginated<T> {
    /// Maps a store page into a response page.
    pub fn from_page<R>(page: Page<R>, p: Pagination, f: impl FnMut(R) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(f).collect(),
            total: page.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

/// `?page=&per_page=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl PageParams {
    /// Validated pagination.
    pub fn parse(&self) -> Result<Pagination, AppError> {
        Ok(Pagination::parse(self.page, self.per_page)?)
    }
}
