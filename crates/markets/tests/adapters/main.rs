//! Integration tests of the market adapters against local fake servers speaking each provider's
//! wire format, and of the product-page reader on saved pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bestbuy;
mod ebay;
mod oxylabs;
mod page;
mod registry;
mod resilience;
mod sim;
mod support;
