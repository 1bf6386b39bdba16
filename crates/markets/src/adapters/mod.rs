//! The real adapters: [`bestbuy`] (Best Buy Products API), [`ebay`] (eBay Browse API),
//! [`oxylabs`] (Amazon, Walmart and Target through the Oxylabs Realtime API) and [`page`] (any
//! product page, read through its schema.org data). All of them send their traffic through one
//! [`crate::http::HttpSource`] each, and check every offer with [`crate::Offer::checked`].

pub mod bestbuy;
pub mod ebay;
pub mod oxylabs;
pub mod page;

pub use bestbuy::BestBuy;
pub use ebay::Ebay;
pub use oxylabs::{Oxylabs, OxylabsStore};
pub use page::ProductPage;

use crate::market::Impossible;
use serde_json::Value;

/// The value at `path` (object keys) below `v`, when present and not null.
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// The first present value among `paths`.
pub(crate) fn first<'a>(v: &'a Value, paths: &[&[&str]]) -> Option<&'a Value> {
    paths.iter().find_map(|p| at(v, p))
}

/// A string or number at `path`, as non-empty trimmed text.
pub(crate) fn text(v: &Value, path: &[&str]) -> Option<String> {
    text_of(at(v, path)?)
}

/// A string or number value as non-empty trimmed text.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// The first text among `paths`.
pub(crate) fn first_text(v: &Value, paths: &[&[&str]]) -> Option<String> {
    paths.iter().find_map(|p| text(v, p))
}

/// A number (or numeric string) at `path` as `f64` (ratings only, never money).
pub(crate) fn number(v: &Value, path: &[&str]) -> Option<f64> {
    match at(v, path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    }
}

/// A non-negative count at `path` (`1,234` accepted).
pub(crate) fn count(v: &Value, path: &[&str]) -> Option<u32> {
    match at(v, path)? {
        Value::Number(n) => n.as_u64().and_then(|c| u32::try_from(c).ok()),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

/// An optional money amount at one of `paths`: absent → `None`, present but unreadable or not
/// positive → `None` too (only the main price makes an offer impossible).
pub(crate) fn optional_price(v: &Value, paths: &[&[&str]]) -> Option<i64> {
    first(v, paths).and_then(|p| crate::market::price_from_json(p).ok())
}

/// The main price at one of `paths`, or why the offer is impossible.
pub(crate) fn required_price(v: &Value, paths: &[&[&str]]) -> Result<i64, Impossible> {
    match first(v, paths) {
        None => Err(Impossible::MissingPrice),
        Some(p) => crate::market::price_from_json(p),
    }
}
