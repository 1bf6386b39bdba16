//! The `Market` trait every source implements, and the values it trades in: [`SearchQuery`],
//! [`Offer`], [`SourceHealth`] and [`MarketError`].
//!
//! Offers leave an adapter only through [`Offer::checked`] (or [`keep_possible`] for a list), which
//! refuses impossible offers (price ≤ 0, unparseable price or currency), normalises the GTIN and
//! flags suspicious price jumps with [`PRICE_JUMP`].

use crate::{SourceKind, SourceStatus};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deals_core::matching::normalize_gtin;
use deals_core::money::{AmountInput, Currency, parse_minor};
use deals_core::{Availability, Condition};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Flag set on an offer whose price is below 30 % or above 300 % of its own list price.
pub const PRICE_JUMP: &str = "price_jump";

/// What to look for in one market.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SearchQuery {
    /// Free text, e.g. `noise cancelling headphones`.
    pub text: String,
    /// Highest acceptable price in minor units.
    pub max_price_minor: Option<i64>,
    /// Lowest acceptable price in minor units.
    pub min_price_minor: Option<i64>,
    /// Accepted conditions; empty accepts all.
    pub conditions: Vec<Condition>,
    /// Most offers wanted.
    pub limit: usize,
}

impl SearchQuery {
    /// A query for `text` with no filters and a limit of 20.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            max_price_minor: None,
            min_price_minor: None,
            conditions: Vec::new(),
            limit: 20,
        }
    }

    /// The words of the query, lower-cased, split on anything that is not alphanumeric.
    pub fn words(&self) -> Vec<String> {
        self.text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    /// A key equal for queries that ask the same thing (case, spacing and condition order
    /// ignored); used by the response cache.
    pub fn cache_key(&self) -> String {
        let mut conditions: Vec<&str> = self.conditions.iter().map(|c| c.as_str()).collect();
        conditions.sort_unstable();
        conditions.dedup();
        format!(
            "{}|{:?}|{:?}|{}|{}",
            self.words().join(" "),
            self.min_price_minor,
            self.max_price_minor,
            conditions.join(","),
            self.limit
        )
    }

    /// Whether `offer` passes the price and condition filters (markets filter server-side when
    /// they can; adapters re-check so a lax server cannot widen a query).
    pub fn accepts(&self, offer: &Offer) -> bool {
        self.max_price_minor.is_none_or(|m| offer.price_minor <= m)
            && self.min_price_minor.is_none_or(|m| offer.price_minor >= m)
            && (self.conditions.is_empty() || self.conditions.contains(&offer.condition))
    }
}

/// One listing as a market reports it, in minor units of its currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Store name (`bestbuy`, `amazon`, …, or a page's host for the page adapter).
    pub market: String,
    /// How the offer was reached.
    pub source: SourceKind,
    /// The store's id of the listing (SKU, ASIN, eBay item id, or the page URL).
    pub external_id: String,
    /// Where a person buys it.
    pub url: String,
    /// Listing title.
    pub title: String,
    /// Brand or manufacturer.
    pub brand: Option<String>,
    /// Model name or number.
    pub model: Option<String>,
    /// GTIN in its 14-digit canonical form (invalid codes are dropped).
    pub gtin: Option<String>,
    /// Manufacturer part number.
    pub mpn: Option<String>,
    /// Category as the store names it.
    pub category: Option<String>,
    /// Price in minor units, always > 0.
    pub price_minor: i64,
    /// List or crossed-out price in minor units.
    pub original_price_minor: Option<i64>,
    /// ISO 4217 code of both prices.
    pub currency: String,
    /// Item condition.
    pub condition: Condition,
    /// Who sells it.
    pub seller_name: Option<String>,
    /// Seller or product rating on a 0–5 scale.
    pub seller_rating: Option<f64>,
    /// Number of reviews behind the rating.
    pub seller_review_count: Option<u32>,
    /// Whether it can be bought now.
    pub availability: Availability,
    /// Shipping cost in minor units (`Some(0)` for free shipping).
    pub shipping_minor: Option<i64>,
    /// Picture of the item.
    pub image_url: Option<String>,
    /// Remarks such as [`PRICE_JUMP`].
    pub flags: Vec<String>,
}

/// Why an offer cannot be real.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Impossible {
    /// The listing carries no id of its own.
    #[error("no listing id")]
    MissingId,
    /// The listing carries no price at all.
    #[error("no price")]
    MissingPrice,
    /// The price text is not a decimal amount.
    #[error("unparseable price {0:?}")]
    UnparseablePrice(String),
    /// The price is zero or negative.
    #[error("price {0} is not positive")]
    NotPositive(i64),
    /// The currency is not an ISO 4217 code.
    #[error("unparseable currency {0:?}")]
    BadCurrency(String),
}

/// Parses a price as text (`"299.99"`, `"$1,299.00"`, `"USD 12"`) into minor units; a leading or
/// trailing currency symbol or code is ignored.
pub fn price_from_text(raw: &str) -> Result<i64, Impossible> {
    let trimmed = raw
        .trim()
        .trim_matches(|c: char| !(c.is_ascii_digit() || c == '-' || c == '.' || c == ','));
    if trimmed.is_empty() {
        return Err(Impossible::UnparseablePrice(raw.to_owned()));
    }
    match parse_minor(trimmed) {
        Ok(v) if v > 0 => Ok(v),
        Ok(v) => Err(Impossible::NotPositive(v)),
        Err(deals_core::money::MoneyError::Negative) => Err(Impossible::NotPositive(-1)),
        Err(_) => Err(Impossible::UnparseablePrice(raw.to_owned())),
    }
}

/// Parses a JSON price (string or number) into minor units.
pub fn price_from_json(value: &serde_json::Value) -> Result<i64, Impossible> {
    match value {
        serde_json::Value::Null => Err(Impossible::MissingPrice),
        serde_json::Value::String(s) => price_from_text(s),
        serde_json::Value::Number(n) => match AmountInput::Number(n.clone()).to_minor() {
            Ok(v) if v > 0 => Ok(v),
            Ok(v) => Err(Impossible::NotPositive(v)),
            Err(deals_core::money::MoneyError::Negative) => Err(Impossible::NotPositive(-1)),
            Err(_) => Err(Impossible::UnparseablePrice(n.to_string())),
        },
        other => Err(Impossible::UnparseablePrice(other.to_string())),
    }
}

/// Parses an ISO 4217 code (`usd` → `USD`).
pub fn currency_code(raw: &str) -> Result<String, Impossible> {
    Currency::parse(raw)
        .map(|c| c.as_str().to_owned())
        .map_err(|_| Impossible::BadCurrency(raw.to_owned()))
}

impl Offer {
    /// Validates and normalises an offer built by an adapter: the price must be positive and the
    /// currency an ISO 4217 code; the GTIN is normalised (dropped when invalid); the original
    /// price is dropped unless positive; [`PRICE_JUMP`] is added when the price is below 30 % or
    /// above 300 % of the original price.
    pub fn checked(mut self) -> Result<Offer, Impossible> {
        if self.price_minor <= 0 {
            return Err(Impossible::NotPositive(self.price_minor));
        }
        self.currency = currency_code(&self.currency)?;
        self.gtin = self.gtin.as_deref().and_then(normalize_gtin);
        self.original_price_minor = self.original_price_minor.filter(|&p| p > 0);
        if let Some(original) = self.original_price_minor {
            let price = i128::from(self.price_minor);
            let original = i128::from(original);
            let jump = price * 100 < original * 30 || price * 100 > original * 300;
            if jump && !self.flags.iter().any(|f| f == PRICE_JUMP) {
                self.flags.push(PRICE_JUMP.to_owned());
            }
        }
        self.seller_rating = self
            .seller_rating
            .filter(|r| r.is_finite())
            .map(|r| r.clamp(0.0, 5.0));
        Ok(self)
    }
}

/// Keeps the possible offers of a result page, logging each impossible one with its reason.
pub fn keep_possible(
    market: &str,
    candidates: impl IntoIterator<Item = (String, Result<Offer, Impossible>)>,
) -> Vec<Offer> {
    candidates
        .into_iter()
        .filter_map(|(id, candidate)| match candidate.and_then(Offer::checked) {
            Ok(offer) => Some(offer),
            Err(reason) => {
                tracing::warn!(market, external_id = %id, %reason, "impossible offer dropped");
                None
            }
        })
        .collect()
}

/// The one offer of a product look-up, or [`MarketError::ImpossibleOffer`] (logged).
pub fn possible_product(
    market: &str,
    external_id: &str,
    candidate: Result<Offer, Impossible>,
) -> Result<Offer, MarketError> {
    candidate.and_then(Offer::checked).map_err(|reason| {
        tracing::warn!(market, external_id, %reason, "impossible offer refused");
        MarketError::ImpossibleOffer {
            external_id: external_id.to_owned(),
            reason,
        }
    })
}

/// How a source is doing, as shown at `GET /api/v1/markets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// Store name.
    pub name: String,
    /// How the store is reached.
    pub kind: SourceKind,
    /// Whether the configuration enables it.
    pub enabled: bool,
    /// Current status.
    pub status: SourceStatus,
    /// When it last answered successfully.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, if any since start-up.
    pub last_error: Option<String>,
}

/// Why a market call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MarketError {
    /// The operation makes no sense for this source (e.g. search on the page adapter).
    #[error("{0}")]
    Unsupported(String),
    /// The configuration is incomplete (missing credentials, bad base URL).
    #[error("configuration: {0}")]
    Config(String),
    /// The market does not know this listing.
    #[error("not found: {0}")]
    NotFound(String),
    /// The only offer asked for is impossible.
    #[error("impossible offer {external_id}: {reason}")]
    ImpossibleOffer {
        /// The listing asked for.
        external_id: String,
        /// Why it was refused.
        reason: Impossible,
    },
    /// The request did not complete in time.
    #[error("timed out")]
    Timeout,
    /// The server could not be reached.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The server kept answering 429.
    #[error("rate limited by the market")]
    RateLimited {
        /// The last `Retry-After` the server sent.
        retry_after: Option<Duration>,
    },
    /// The market refuses us (403, captcha page, 401 after a fresh token).
    #[error("blocked: {0}")]
    Blocked(String),
    /// Any other unexpected HTTP status.
    #[error("HTTP {status}: {message}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Start of the body or the reason phrase.
        message: String,
    },
    /// The body is not in the expected wire format.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// Too many recent failures: calls are refused until the cool-down passes.
    #[error("circuit open after repeated failures")]
    CircuitOpen,
}

/// A marketplace the agents can search.
#[async_trait]
pub trait Market: Send + Sync {
    /// Store name (`bestbuy`, `ebay`, `amazon`, …).
    fn name(&self) -> &str;

    /// How the store is reached.
    fn kind(&self) -> SourceKind;

    /// Offers matching `query`, at most `query.limit`, impossible ones dropped.
    async fn search(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError>;

    /// One listing by the store's id (for the page adapter: the page URL).
    async fn product(&self, external_id: &str) -> Result<Offer, MarketError>;

    /// Current health of the source.
    fn health(&self) -> SourceHealth;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(price: i64, original: Option<i64>) -> Offer {
        Offer {
            market: "bestbuy".into(),
            source: SourceKind::Bestbuy,
            external_id: "1".into(),
            url: "https://example.invalid/1".into(),
            title: "Headphones".into(),
            brand: None,
            model: None,
            gtin: Some("194253397540".into()),
            mpn: None,
            category: None,
            price_minor: price,
            original_price_minor: original,
            currency: "usd".into(),
            condition: Condition::New,
            seller_name: None,
            seller_rating: Some(7.0),
            seller_review_count: None,
            availability: Availability::InStock,
            shipping_minor: None,
            image_url: None,
            flags: Vec::new(),
        }
    }

    #[test]
    fn checked_normalises_and_flags_price_jumps() {
        let ok = offer(29_999, Some(34_999)).checked().unwrap();
        assert_eq!(ok.currency, "USD");
        assert_eq!(ok.gtin.as_deref(), Some("00194253397540"));
        assert_eq!(ok.seller_rating, Some(5.0));
        assert!(ok.flags.is_empty());
        let low = offer(2_999, Some(34_999)).checked().unwrap();
        assert_eq!(low.flags, vec![PRICE_JUMP.to_owned()]);
        let high = offer(120_000, Some(34_999)).checked().unwrap();
        assert_eq!(high.flags, vec![PRICE_JUMP.to_owned()]);
        assert_eq!(
            offer(0, None).checked().unwrap_err(),
            Impossible::NotPositive(0)
        );
    }

    #[test]
    fn prices_parse_from_text_and_json_without_floats() {
        assert_eq!(price_from_text("$1,299.99"), Ok(129_999));
        assert_eq!(price_from_text(" USD 12 "), Ok(1_200));
        assert_eq!(price_from_text("-5.00"), Err(Impossible::NotPositive(-1)));
        assert!(matches!(
            price_from_text("call us"),
            Err(Impossible::UnparseablePrice(_))
        ));
        assert_eq!(price_from_json(&serde_json::json!(299.99)), Ok(29_999));
        assert_eq!(
            price_from_json(&serde_json::json!("0.00")),
            Err(Impossible::NotPositive(0))
        );
        assert_eq!(
            price_from_json(&serde_json::Value::Null),
            Err(Impossible::MissingPrice)
        );
        assert!(currency_code("US$").is_err());
    }

    #[test]
    fn cache_keys_ignore_case_spacing_and_condition_order() {
        let mut a = SearchQuery::new("Noise  Cancelling headphones");
        a.conditions = vec![Condition::Used, Condition::New];
        let mut b = SearchQuery::new("noise cancelling HEADPHONES ");
        b.conditions = vec![Condition::New, Condition::Used];
        assert_eq!(a.cache_key(), b.cache_key());
        b.max_price_minor = Some(30_000);
        assert_ne!(a.cache_key(), b.cache_key());
    }
}
