//! Possible price errors: a price far below the market or far below the item's own history.

use serde::{Deserialize, Serialize};

use super::stats::{mean, sample_stddev};
use super::text::{dollars, number, percent};
use crate::history::PricePoint;

/// Fewest own observations needed before the history rule applies.
pub const MIN_HISTORY_POINTS: usize = 5;
/// How many sample standard deviations below the own mean count as a possible error.
pub const HISTORY_STDDEVS: f64 = 3.0;
/// How far below its own mean, in percent, a price must also be: a steady price that drops in
/// an ordinary sale is many standard deviations down without being a mistake.
pub const HISTORY_MIN_DROP_PERCENT: f64 = 30.0;

/// Whether a price looks like a pricing mistake, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlitchCheck {
    /// At least one rule fired.
    pub is_possible_error: bool,
    /// One line per rule that fired, with the numbers.
    pub reasons: Vec<String>,
}

/// Flags `price_minor` as a possible price error when it is below 50 % of the market average
/// (compared exactly: `price × 2 < average`), or when it is both more than 3 sample standard
/// deviations and more than 30 % below the mean of `own_history` (the item's earlier prices,
/// without the current one; needs at least 5 points and a standard deviation above 0).
pub fn price_glitch(
    price_minor: i64,
    own_history: &[PricePoint],
    market_average_minor: Option<i64>,
) -> GlitchCheck {
    let mut reasons = Vec::new();
    if let Some(average) = market_average_minor.filter(|&a| a > 0) {
        let (price, avg) = (i128::from(price_minor), i128::from(average));
        if price * 2 < avg {
            reasons.push(format!(
                "{} is {} % below the market average of {} (less than half of it)",
                dollars(price_minor),
                percent(avg - price, avg),
                dollars(average)
            ));
        }
    }
    if own_history.len() >= MIN_HISTORY_POINTS {
        let prices: Vec<f64> = own_history.iter().map(|p| p.price_minor as f64).collect();
        if let (Some(m), Some(sd)) = (mean(&prices), sample_stddev(&prices)) {
            let below = (m - price_minor as f64) / sd;
            let drop_percent = (m - price_minor as f64) / m * 100.0;
            if sd > 0.0 && below > HISTORY_STDDEVS && drop_percent > HISTORY_MIN_DROP_PERCENT {
                reasons.push(format!(
                    "{} is {} standard deviations below its own average of {} \
                     (standard deviation {} over {} observations)",
                    dollars(price_minor),
                    number(below),
                    dollars(m.round() as i64),
                    dollars(sd.round() as i64),
                    prices.len()
                ));
            }
        }
    }
    GlitchCheck {
        is_possible_error: !reasons.is_empty(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn history(prices: &[i64]) -> Vec<PricePoint> {
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        prices
            .iter()
            .zip(0..)
            .map(|(&p, day)| PricePoint::new(start + TimeDelta::days(day), p))
            .collect()
    }

    #[test]
    fn below_half_the_market_average() {
        let cases = [(4_999, true), (5_000, false), (9_000, false)];
        for (price, expected) in cases {
            let check = price_glitch(price, &[], Some(10_000));
            assert_eq!(check.is_possible_error, expected, "{price}");
        }
        assert_eq!(
            price_glitch(2_500, &[], Some(10_000)).reasons,
            ["$25.00 is 75 % below the market average of $100.00 (less than half of it)"]
        );
        assert!(!price_glitch(1, &[], None).is_possible_error);
        assert!(!price_glitch(1, &[], Some(0)).is_possible_error);
    }

    #[test]
    fn far_below_its_own_history() {
        // Mean 10 000, sample stddev 100 (Σd² = 4 × 100² over n − 1 = 4): 3 sd below is 9 700,
        // but an ordinary sale is not an error: the price must also be more than 30 % down.
        let own = history(&[9_900, 10_100, 9_900, 10_100, 10_000]);
        assert!(
            !price_glitch(9_699, &own, None).is_possible_error,
            "3 % off is a sale"
        );
        assert!(
            !price_glitch(7_000, &own, None).is_possible_error,
            "exactly 30 % off"
        );
        let check = price_glitch(6_999, &own, None);
        assert!(check.is_possible_error);
        assert_eq!(
            check.reasons,
            [
                "$69.99 is 30.01 standard deviations below its own average of $100.00 \
              (standard deviation $1.00 over 5 observations)"
            ]
        );
        // Wide spread: 40 % off but within 3 standard deviations is not flagged either.
        let noisy = history(&[5_000, 15_000, 5_000, 15_000, 10_000]);
        assert!(!price_glitch(6_000, &noisy, None).is_possible_error);
    }

    #[test]
    fn history_rule_needs_five_points_and_spread() {
        assert!(
            !price_glitch(1, &history(&[10_000, 10_100, 9_900, 10_000]), None).is_possible_error
        );
        assert!(!price_glitch(1, &history(&[10_000; 6]), None).is_possible_error);
    }

    #[test]
    fn both_rules_can_fire() {
        let own = history(&[9_900, 10_100, 9_900, 10_100, 10_000]);
        let check = price_glitch(1_000, &own, Some(10_000));
        assert_eq!(check.reasons.len(), 2);
    }
}
