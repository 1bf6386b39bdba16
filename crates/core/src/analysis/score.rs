//! The deal score, exactly as the seed defines it (ARCHITECTURE.md, "Deal score"):
//!
//! ```text
//! final = base (0–100) + price_trend + source_reliability + discount + competitiveness
//! clamped to 0–100; normalized = final / 100
//! ```
//!
//! Every threshold is compared in exact integer arithmetic on minor units (`price × 100 <
//! average × 80`), never through floating-point ratios, so that a discount of exactly 50 % earns
//! +7 and one of 50.01 % earns +10. Each modifier keeps a one-line human explanation.

use serde::{Deserialize, Serialize};

use super::text::{dollars, percent, signed};
use crate::history::Trend;

/// Version of the formula below; stored with every analysis so old scores stay explainable.
pub const FORMULA_VERSION: &str = "2026-11-v1";

/// Reliability of the named sources, in hundredths.
const RELIABILITY_PERCENT: [(&str, i32); 5] = [
    ("amazon", 95),
    ("walmart", 90),
    ("bestbuy", 85),
    ("target", 85),
    ("ebay", 75),
];

/// Reliability of any other source, in hundredths.
const OTHER_RELIABILITY_PERCENT: i32 = 60;

/// Discount thresholds in percent (strictly above) and their modifier, deepest first.
const DISCOUNT_STEPS: [(i128, f64); 4] = [(50, 10.0), (30, 7.0), (20, 5.0), (10, 3.0)];

/// Reliability in hundredths; names compare case-insensitively, ignoring spaces and punctuation.
fn reliability_percent(market: &str) -> i32 {
    let key: String = market
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    RELIABILITY_PERCENT
        .iter()
        .find(|(name, _)| *name == key)
        .map_or(OTHER_RELIABILITY_PERCENT, |&(_, p)| p)
}

/// Reliability of a source in 0..1: amazon 0.95, walmart 0.90, bestbuy 0.85, target 0.85,
/// ebay 0.75, anything else 0.60. Case-insensitive; spaces and punctuation are ignored
/// (`"Best Buy"` is bestbuy).
pub fn source_reliability(market: &str) -> f64 {
    f64::from(reliability_percent(market)) / 100.0
}

/// One term of the score with the reason for its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Modifier {
    /// Points added to the score (negative subtracts).
    pub value: f64,
    /// One human line, such as "+7: 34 % below the reference price of $399.99".
    pub explanation: String,
}

impl Modifier {
    fn new(value: f64, reason: impl std::fmt::Display) -> Self {
        Self {
            value,
            explanation: format!("{}: {reason}", signed(value)),
        }
    }
}

/// The four modifiers of the seed's formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Modifiers {
    /// +5 falling, −5 rising, 0 stable.
    pub price_trend: Modifier,
    /// (reliability − 0.8) × 10.
    pub source_reliability: Modifier,
    /// +10 / +7 / +5 / +3 for a discount strictly above 50 / 30 / 20 / 10 %.
    pub discount: Modifier,
    /// +10 below 80 %, +5 below 90 %, −5 above 110 % of the market average.
    pub competitiveness: Modifier,
}

/// Everything [`score`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreInput {
    /// Base score in 0..100 (from the Price Analysis Agent, or [`super::rules_base_score`]).
    pub base: f64,
    /// Market (source) id, such as `"amazon"`.
    pub market: String,
    /// Current price in minor units.
    pub price_minor: i64,
    /// Reference ("was") price in minor units, preferably already checked with
    /// [`super::check_reference_price`].
    pub reference_price_minor: Option<i64>,
    /// Direction of the price over the last 30 days (see [`super::trend`]).
    pub trend: Trend,
    /// Mean current price of the same product across markets.
    pub market_average_minor: Option<i64>,
}

/// A computed score with every term kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The base after clamping to 0..100.
    pub base_score: f64,
    /// The four modifiers.
    pub modifiers: Modifiers,
    /// Base plus modifiers, clamped to 0..100.
    pub final_score: f64,
    /// `final_score / 100`, in 0..1.
    pub normalized_score: f64,
}

/// Scores a deal with the seed's formula.
///
/// The base is clamped to 0..100 first (NaN counts as 0); the sum is clamped to 0..100 again.
pub fn score(input: &ScoreInput) -> Score {
    let base_score = if input.base.is_nan() {
        0.0
    } else {
        input.base.clamp(0.0, 100.0)
    };
    let modifiers = Modifiers {
        price_trend: price_trend_modifier(input.trend),
        source_reliability: reliability_modifier(&input.market),
        discount: discount_modifier(input.price_minor, input.reference_price_minor),
        competitiveness: competitiveness_modifier(input.price_minor, input.market_average_minor),
    };
    let sum = base_score
        + modifiers.price_trend.value
        + modifiers.source_reliability.value
        + modifiers.discount.value
        + modifiers.competitiveness.value;
    // Every term has at most two decimals; rounding the sum to them drops binary noise
    // (0.8073 rather than 0.8072999999999999) without changing any comparison.
    let final_score = ((sum * 100.0).round() / 100.0).clamp(0.0, 100.0);
    Score {
        base_score,
        modifiers,
        final_score,
        normalized_score: (final_score * 100.0).round() / 10_000.0,
    }
}

/// +5 falling, −5 rising, 0 stable.
pub fn price_trend_modifier(trend: Trend) -> Modifier {
    match trend {
        Trend::Falling => Modifier::new(5.0, "price falling over the last 30 days"),
        Trend::Stable => Modifier::new(0.0, "price stable over the last 30 days"),
        Trend::Rising => Modifier::new(-5.0, "price rising over the last 30 days"),
    }
}

/// (reliability − 0.8) × 10, computed in hundredths so amazon gives exactly +1.5.
pub fn reliability_modifier(market: &str) -> Modifier {
    let r = reliability_percent(market);
    let value = f64::from(r - 80) / 10.0;
    let name = if market.trim().is_empty() {
        "unknown source"
    } else {
        market.trim()
    };
    Modifier::new(
        value,
        format!("{name} reliability {:.2}", f64::from(r) / 100.0),
    )
}

/// +10 / +7 / +5 / +3 when `(reference − price) / reference` is strictly above 50 / 30 / 20 /
/// 10 %; 0 without a positive reference or when the price is not below it.
pub fn discount_modifier(price_minor: i64, reference_minor: Option<i64>) -> Modifier {
    let Some(reference) = reference_minor.filter(|&r| r > 0) else {
        return Modifier::new(0.0, "no reference price");
    };
    let (price, reference_wide) = (i128::from(price_minor), i128::from(reference));
    if price >= reference_wide {
        return Modifier::new(
            0.0,
            format!("not below the reference price of {}", dollars(reference)),
        );
    }
    let saved = reference_wide - price;
    let pct = percent(saved, reference_wide);
    let text = format!(
        "{pct} % below the reference price of {}",
        dollars(reference)
    );
    match DISCOUNT_STEPS
        .iter()
        .find(|&&(threshold, _)| saved * 100 > reference_wide * threshold)
    {
        Some(&(_, value)) => Modifier::new(value, text),
        None => Modifier::new(0.0, format!("{text} (not more than 10 %)")),
    }
}

/// +10 when the price is below 80 % of the market average, +5 below 90 %, −5 above 110 %,
/// otherwise 0; 0 without a positive average.
pub fn competitiveness_modifier(price_minor: i64, market_average_minor: Option<i64>) -> Modifier {
    let Some(average) = market_average_minor.filter(|&a| a > 0) else {
        return Modifier::new(0.0, "no market average");
    };
    let (price, avg) = (i128::from(price_minor), i128::from(average));
    let place = if price < avg {
        format!("{} % below", percent(avg - price, avg))
    } else if price > avg {
        format!("{} % above", percent(price - avg, avg))
    } else {
        "at".to_owned()
    };
    let text = format!("{place} the market average of {}", dollars(average));
    if price * 100 < avg * 80 {
        Modifier::new(10.0, text)
    } else if price * 100 < avg * 90 {
        Modifier::new(5.0, text)
    } else if price * 100 > avg * 110 {
        Modifier::new(-5.0, text)
    } else {
        Modifier::new(0.0, format!("{text} (within 10 % above or below)"))
    }
}

#[cfg(test)]
mod tests;
