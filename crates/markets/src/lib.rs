//! Marketplace sources of agentic-deals.
//!
//! This crate holds the [`Market`] trait and its values ([`market`]), the real HTTP adapters
//! (Best Buy Products API, eBay Browse API, Oxylabs for Amazon/Walmart/Target, the schema.org
//! product-page reader) and the simulated five-store marketplace that speaks their wire formats.

use serde::{Deserialize, Serialize};

pub mod adapters;
pub mod config;
pub mod http;
pub mod market;
pub mod priority;
pub mod registry;
pub mod sim;

pub use config::MarketsConfig;
pub use market::{
    Impossible, Market, MarketError, Offer, PRICE_JUMP, SearchQuery, SourceHealth, keep_possible,
};
pub use registry::Registry;

/// The five stores the product searches, by their stored market name.
pub const STORES: [&str; 5] = ["amazon", "walmart", "bestbuy", "target", "ebay"];

/// How a source is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The built-in simulated marketplace.
    Simulated,
    /// Best Buy Products API.
    Bestbuy,
    /// eBay Browse API.
    Ebay,
    /// Oxylabs Realtime API (Amazon, Walmart, Target, Google Shopping).
    Oxylabs,
    /// Any product page read through its structured data.
    Page,
}

/// Health of a source as shown at `GET /api/v1/markets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Answering normally.
    Ok,
    /// Answering slowly or with some errors.
    Degraded,
    /// Refusing us (captcha, 403, 429 for a long time).
    Blocked,
    /// Not answering.
    Down,
}

/// Whether `market` is one of the five stores.
pub fn is_store(market: &str) -> bool {
    STORES.contains(&market)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_stores_are_known_and_others_are_not() {
        assert!(STORES.iter().all(|s| is_store(s)));
        assert!(!is_store("newegg"));
        assert_eq!(
            serde_json::to_string(&SourceStatus::Degraded).unwrap_or_default(),
            "\"degraded\""
        );
    }
}
