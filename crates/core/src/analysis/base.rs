//! A deterministic base score from plain rules, used until the Price Analysis Agent supplies
//! one.
//!
//! Start at 50, then:
//!
//! | rule | points |
//! |---|---|
//! | discount against the (checked) reference price | + 20 × min(discount, 50 %) / 50 % |
//! | below the market average | + 15 × min(gap, 30 %) / 30 % |
//! | at or below the 90-day low | + 10 |
//! | seller rating ≥ 4.5 | + 5 |
//! | seller rating < 3.5 | − 10 |
//! | out of stock | − 30 |
//!
//! Each term is rounded to 0.01 and the sum clamped to 0..100. Every term is non-increasing in
//! the price, so a lower price (all else equal) never lowers the score.

use serde::{Deserialize, Serialize};

use super::text::{dollars, percent, signed};

/// Score every deal starts from.
pub const START: f64 = 50.0;
/// Most points for the depth of the discount, reached at [`DISCOUNT_CAP_PERCENT`].
pub const DISCOUNT_POINTS: f64 = 20.0;
/// Discount (in percent) that earns all of [`DISCOUNT_POINTS`].
pub const DISCOUNT_CAP_PERCENT: i64 = 50;
/// Most points for being below the market average, reached at [`MARKET_CAP_PERCENT`].
pub const MARKET_POINTS: f64 = 15.0;
/// Gap below the market average (in percent) that earns all of [`MARKET_POINTS`].
pub const MARKET_CAP_PERCENT: i64 = 30;
/// Points for a price at or below the 90-day low.
pub const LOW_90_DAYS_POINTS: f64 = 10.0;
/// Points for a seller rated at least 4.5.
pub const GOOD_SELLER_POINTS: f64 = 5.0;
/// Points for a seller rated below 3.5.
pub const POOR_SELLER_POINTS: f64 = -10.0;
/// Points for an item out of stock.
pub const OUT_OF_STOCK_POINTS: f64 = -30.0;

/// What the rules look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseInput {
    /// Current price in minor units.
    pub price_minor: i64,
    /// Supported reference price (see [`super::check_reference_price`]).
    pub reference_price_minor: Option<i64>,
    /// Mean current price of the same product across markets.
    pub market_average_minor: Option<i64>,
    /// Lowest price of the product over the last 90 days.
    pub lowest_90_days_minor: Option<i64>,
    /// Seller rating on a 0–5 scale.
    pub seller_rating: Option<f64>,
    /// Whether the item can be bought now.
    pub in_stock: bool,
}

/// `points × min(below / whole, cap %) / cap %`, rounded to 0.01; 0 when not below.
fn scaled(points: f64, below: i128, whole: i128, cap_percent: i64) -> f64 {
    let share = (below as f64 / whole as f64).min(cap_percent as f64 / 100.0);
    (points * share * 100.0 / cap_percent as f64 * 100.0).round() / 100.0
}

/// The rules base score in 0..100 and one reason per rule that applied.
pub fn rules_base_score(input: &BaseInput) -> (f64, Vec<String>) {
    let mut total = START;
    let mut reasons = Vec::new();
    let mut add = |points: f64, reason: String| {
        total += points;
        reasons.push(format!("{}: {reason}", signed(points)));
    };
    let price = i128::from(input.price_minor);
    if let Some(reference) = input.reference_price_minor.filter(|&r| r > 0) {
        let whole = i128::from(reference);
        if price < whole {
            add(
                scaled(DISCOUNT_POINTS, whole - price, whole, DISCOUNT_CAP_PERCENT),
                format!(
                    "{} % below the reference price of {}",
                    percent(whole - price, whole),
                    dollars(reference)
                ),
            );
        }
    }
    if let Some(average) = input.market_average_minor.filter(|&a| a > 0) {
        let whole = i128::from(average);
        if price < whole {
            add(
                scaled(MARKET_POINTS, whole - price, whole, MARKET_CAP_PERCENT),
                format!(
                    "{} % below the market average of {}",
                    percent(whole - price, whole),
                    dollars(average)
                ),
            );
        }
    }
    if let Some(low) = input.lowest_90_days_minor
        && input.price_minor <= low
    {
        add(
            LOW_90_DAYS_POINTS,
            format!("at or below the 90-day low of {}", dollars(low)),
        );
    }
    match input.seller_rating {
        Some(r) if r >= 4.5 => add(GOOD_SELLER_POINTS, format!("seller rated {r}")),
        Some(r) if r < 3.5 => add(POOR_SELLER_POINTS, format!("seller rated {r}")),
        _ => {}
    }
    if !input.in_stock {
        add(OUT_OF_STOCK_POINTS, "out of stock".to_owned());
    }
    (total.clamp(0.0, 100.0), reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plain(price: i64) -> BaseInput {
        BaseInput {
            price_minor: price,
            reference_price_minor: None,
            market_average_minor: None,
            lowest_90_days_minor: None,
            seller_rating: None,
            in_stock: true,
        }
    }

    #[test]
    fn starts_at_fifty() {
        assert_eq!(rules_base_score(&plain(10_000)), (50.0, vec![]));
    }

    #[test]
    fn each_rule_adds_its_documented_points() {
        let cases = [
            (
                BaseInput {
                    reference_price_minor: Some(20_000),
                    ..plain(15_000)
                },
                60.0,
            ),
            (
                BaseInput {
                    reference_price_minor: Some(20_000),
                    ..plain(5_000)
                },
                70.0,
            ),
            (
                BaseInput {
                    market_average_minor: Some(10_000),
                    ..plain(8_500)
                },
                57.5,
            ),
            (
                BaseInput {
                    market_average_minor: Some(10_000),
                    ..plain(1_000)
                },
                65.0,
            ),
            (
                BaseInput {
                    market_average_minor: Some(10_000),
                    ..plain(12_000)
                },
                50.0,
            ),
            (
                BaseInput {
                    lowest_90_days_minor: Some(10_000),
                    ..plain(10_000)
                },
                60.0,
            ),
            (
                BaseInput {
                    lowest_90_days_minor: Some(10_000),
                    ..plain(10_001)
                },
                50.0,
            ),
            (
                BaseInput {
                    seller_rating: Some(4.5),
                    ..plain(10_000)
                },
                55.0,
            ),
            (
                BaseInput {
                    seller_rating: Some(4.4),
                    ..plain(10_000)
                },
                50.0,
            ),
            (
                BaseInput {
                    seller_rating: Some(3.5),
                    ..plain(10_000)
                },
                50.0,
            ),
            (
                BaseInput {
                    seller_rating: Some(3.4),
                    ..plain(10_000)
                },
                40.0,
            ),
            (
                BaseInput {
                    in_stock: false,
                    ..plain(10_000)
                },
                20.0,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(rules_base_score(&input).0, expected, "{input:?}");
        }
    }

    #[test]
    fn reasons_name_the_numbers_and_the_sum_clamps() {
        let best = BaseInput {
            price_minor: 1_000,
            reference_price_minor: Some(10_000),
            market_average_minor: Some(10_000),
            lowest_90_days_minor: Some(2_000),
            seller_rating: Some(4.9),
            in_stock: true,
        };
        let (score, reasons) = rules_base_score(&best);
        assert_eq!(score, 100.0);
        assert_eq!(
            reasons,
            [
                "+20: 90 % below the reference price of $100.00",
                "+15: 90 % below the market average of $100.00",
                "+10: at or below the 90-day low of $20.00",
                "+5: seller rated 4.9",
            ]
        );
        let worst = BaseInput {
            seller_rating: Some(1.0),
            in_stock: false,
            ..plain(1)
        };
        assert_eq!(rules_base_score(&worst).0, 10.0);
    }

    proptest! {
        #[test]
        fn lower_price_never_lowers_the_base(
            price in 0..1_000_000i64,
            cut in 0..1_000_000i64,
            reference in proptest::option::of(0..1_000_000i64),
            average in proptest::option::of(0..1_000_000i64),
            low in proptest::option::of(0..1_000_000i64),
            rating in proptest::option::of(0.0..5.0f64),
            in_stock in any::<bool>(),
        ) {
            let input = BaseInput {
                price_minor: price,
                reference_price_minor: reference,
                market_average_minor: average,
                lowest_90_days_minor: low,
                seller_rating: rating,
                in_stock,
            };
            let cheaper = BaseInput { price_minor: (price - cut).max(0), ..input.clone() };
            let (score, _) = rules_base_score(&input);
            prop_assert!(rules_base_score(&cheaper).0 >= score);
            prop_assert!((0.0..=100.0).contains(&score));
        }
    }
}
