//! Buy now or wait: an explainable recommendation from a product's own cross-store price
//! history, with a confidence and the expected price range over the next 14 days.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::stats::{Fit, daily_lows, sample_stddev, trend_fit};
use super::text::{dollars, signed};
use crate::history::{PricePoint, Trend};

/// Days of history the recommendation looks at.
pub const HISTORY_DAYS: i64 = 90;
/// Fewest distinct days with prices needed for an opinion.
pub const MIN_HISTORY_DAYS: usize = 14;
/// Days ahead the expected price range covers.
pub const HORIZON_DAYS: i64 = 14;
/// A trend moving this fraction of the price per 30 days counts fully towards the confidence.
const FULL_TREND_STRENGTH: f64 = 0.10;

/// What to do about the current price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Advice {
    /// The price is low for this product: buy.
    BuyNow,
    /// The price is likely to drop or is high for this product: wait.
    Wait,
    /// Too little history, or nothing clear either way.
    NoOpinion,
}

/// A recommendation with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Buy now, wait, or no opinion.
    pub advice: Advice,
    /// 0..1; 0 for no opinion.
    pub confidence: f64,
    /// Lower end of the expected price over the next 14 days.
    pub expected_low_minor: Option<i64>,
    /// Upper end of the expected price over the next 14 days.
    pub expected_high_minor: Option<i64>,
    /// Human lines with the numbers behind the advice.
    pub reasons: Vec<String>,
}

/// Linear-interpolation percentile (`p` in 0..1) of sorted, non-empty values.
fn percentile(sorted: &[i64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let at = |i: usize| {
        sorted
            .get(i.min(sorted.len() - 1))
            .map_or(0.0, |&v| v as f64)
    };
    at(lo) + frac * (at(lo + 1) - at(lo))
}

/// Recommends buying now or waiting, from `history` (the product's prices across stores) and
/// the current price.
///
/// Method:
/// 1. Take the lowest price of each UTC day over the last 90 days before `now`. With fewer than
///    14 distinct days the answer is "no opinion" (history too short).
/// 2. The trend is the 30-day trend of [`super::trend`] (least-squares slope of daily lows,
///    3 % dead band). Its slope in money per day is used only when the trend is not stable.
/// 3. Expected range over the next 14 days: `current + slope × 14`, plus and minus one sample
///    standard deviation of the daily price changes (change between consecutive observed days,
///    divided by √(days between them)) × √14; both ends clamped at 0.
/// 4. Percentiles of the 90-day daily lows use linear interpolation. Buy now when the current
///    price is at or below the 10th percentile, or when the trend is rising and the price is
///    at or below the median. Otherwise wait when the trend is falling or the price is at or
///    above the 75th percentile. Otherwise no opinion.
/// 5. Confidence = ½ × history length (days with prices / 90, at most 1) + ½ × depth, where
///    depth is how far the price sits into the tail on the side of the advice (from the median
///    at 0 to beyond every observed price at 1, using the mid-rank of the current price among
///    the daily lows), or the trend strength (its change over 30 days relative to 10 %, at most
///    1) when that is larger and the trend supports the advice. No opinion has confidence 0.
pub fn buy_or_wait(
    history: &[PricePoint],
    current_minor: i64,
    now: DateTime<Utc>,
) -> Recommendation {
    let daily = daily_lows(history, now, HISTORY_DAYS);
    if daily.len() < MIN_HISTORY_DAYS {
        return Recommendation {
            advice: Advice::NoOpinion,
            confidence: 0.0,
            expected_low_minor: None,
            expected_high_minor: None,
            reasons: vec![format!(
                "history too short: prices on {} days of the last {HISTORY_DAYS}, \
                 at least {MIN_HISTORY_DAYS} needed",
                daily.len()
            )],
        };
    }
    let mut lows: Vec<i64> = daily.iter().map(|&(_, price)| price).collect();
    lows.sort_unstable();
    let (p10, median, p75) = (
        percentile(&lows, 0.10),
        percentile(&lows, 0.50),
        percentile(&lows, 0.75),
    );
    let fit = trend_fit(history, now);
    let trend = fit.as_ref().map_or(Trend::Stable, Fit::trend);
    let (slope, strength) = match (&fit, trend) {
        (Some(fit), Trend::Falling | Trend::Rising) => (
            fit.slope(),
            fit.relative_slope()
                .map_or(0.0, |r| (r.abs() * 30.0 / FULL_TREND_STRENGTH).min(1.0)),
        ),
        _ => (0.0, 0.0),
    };
    let changes: Vec<f64> = daily
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) as f64 / ((w[1].0 - w[0].0) as f64).sqrt())
        .collect();
    let volatility = sample_stddev(&changes).unwrap_or(0.0);
    let current = current_minor as f64;
    let horizon = HORIZON_DAYS as f64;
    let center = current + slope * horizon;
    let band = volatility * horizon.sqrt();
    let (low, high) = (
        (center - band).max(0.0).round() as i64,
        (center + band).max(0.0).round() as i64,
    );

    let below = lows.iter().filter(|&&p| p < current_minor).count() as f64;
    let equal = lows.iter().filter(|&&p| p == current_minor).count() as f64;
    let rank = (below + equal / 2.0) / lows.len() as f64;
    let length = (daily.len() as f64 / HISTORY_DAYS as f64).min(1.0);

    let mut reasons = vec![format!(
        "daily lows over {} days: 10th percentile {}, median {}, 75th percentile {}",
        daily.len(),
        dollars(p10.round() as i64),
        dollars(median.round() as i64),
        dollars(p75.round() as i64)
    )];
    let change_30 = fit
        .as_ref()
        .and_then(Fit::relative_slope)
        .map_or(0.0, |r| r * 30.0 * 100.0);
    reasons.push(format!(
        "30-day trend: {} ({} % over 30 days)",
        trend.as_str(),
        signed(change_30)
    ));
    let now_text = dollars(current_minor);
    let (advice, depth) = if current <= p10 {
        reasons.push(format!("{now_text} is at or below the 10th percentile"));
        if trend == Trend::Falling {
            reasons.push("prices are still falling and may drop further".to_owned());
        }
        (Advice::BuyNow, (0.5 - rank) / 0.5)
    } else if trend == Trend::Rising && current <= median {
        reasons.push(format!(
            "prices are rising and {now_text} is at or below the median"
        ));
        (Advice::BuyNow, ((0.5 - rank) / 0.5).max(strength))
    } else if trend == Trend::Falling {
        reasons.push("prices are falling".to_owned());
        (Advice::Wait, ((rank - 0.5) / 0.5).max(strength))
    } else if current >= p75 {
        reasons.push(format!("{now_text} is at or above the 75th percentile"));
        (Advice::Wait, (rank - 0.5) / 0.5)
    } else {
        reasons.push(format!(
            "{now_text} is between the 10th and 75th percentiles with no clear trend"
        ));
        (Advice::NoOpinion, 0.0)
    };
    reasons.push(format!(
        "expected over the next {HORIZON_DAYS} days: {} to {}",
        dollars(low),
        dollars(high)
    ));
    let confidence = if advice == Advice::NoOpinion {
        0.0
    } else {
        let raw = 0.5 * length + 0.5 * depth.clamp(0.0, 1.0);
        (raw.clamp(0.0, 1.0) * 100.0).round() / 100.0
    };
    Recommendation {
        advice,
        confidence,
        expected_low_minor: Some(low),
        expected_high_minor: Some(high),
        reasons,
    }
}

#[cfg(test)]
mod tests;
