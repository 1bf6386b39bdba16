//! Price observations and the direction of a price series: the shared vocabulary of the
//! scoring, statistics, reference-price and buy-or-wait rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One observed price of a listing (or of a product at some store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePoint {
    /// When the price was seen.
    pub at: DateTime<Utc>,
    /// The price in minor units.
    pub price_minor: i64,
}

impl PricePoint {
    /// A point.
    pub fn new(at: DateTime<Utc>, price_minor: i64) -> Self {
        Self { at, price_minor }
    }
}

/// Direction of a price series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Prices are going down.
    Falling,
    /// No significant movement (or too little data to say).
    Stable,
    /// Prices are going up.
    Rising,
}

impl Trend {
    /// The stored and serialised text.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trend::Falling => "falling",
            Trend::Stable => "stable",
            Trend::Rising => "rising",
        }
    }
}
