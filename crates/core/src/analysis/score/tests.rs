use super::*;
use proptest::prelude::*;

fn input(price: i64, reference: Option<i64>, average: Option<i64>) -> ScoreInput {
    ScoreInput {
        base: 50.0,
        market: "target".to_owned(),
        price_minor: price,
        reference_price_minor: reference,
        trend: Trend::Stable,
        market_average_minor: average,
    }
}

#[test]
fn reliability_of_each_named_source_and_an_unknown_one() {
    let cases = [
        ("amazon", 0.95, 1.5),
        ("Walmart", 0.90, 1.0),
        ("bestbuy", 0.85, 0.5),
        ("Best Buy", 0.85, 0.5),
        ("TARGET", 0.85, 0.5),
        ("ebay", 0.75, -0.5),
        ("aliexpress", 0.60, -2.0),
        ("", 0.60, -2.0),
    ];
    for (market, r, modifier) in cases {
        assert_eq!(source_reliability(market), r, "{market}");
        assert_eq!(reliability_modifier(market).value, modifier, "{market}");
    }
    assert_eq!(
        reliability_modifier("amazon").explanation,
        "+1.5: amazon reliability 0.95"
    );
    assert_eq!(
        reliability_modifier("ebay").explanation,
        "\u{2212}0.5: ebay reliability 0.75"
    );
}

#[test]
fn price_trend_values() {
    assert_eq!(price_trend_modifier(Trend::Falling).value, 5.0);
    assert_eq!(price_trend_modifier(Trend::Stable).value, 0.0);
    assert_eq!(price_trend_modifier(Trend::Rising).value, -5.0);
    assert_eq!(
        price_trend_modifier(Trend::Rising).explanation,
        "\u{2212}5: price rising over the last 30 days"
    );
}

#[test]
fn discount_threshold_edges() {
    // Reference $100.00 = 10 000 minor units; discount in hundredths of a percent = 10 000 − price.
    let cases = [
        (None, 1_000, 0.0),
        (Some(0), 1_000, 0.0),
        (Some(10_000), 10_000, 0.0),
        (Some(10_000), 12_000, 0.0),
        (Some(10_000), 9_999, 0.0),
        (Some(10_000), 9_000, 0.0),
        (Some(10_000), 8_999, 3.0),
        (Some(10_000), 8_000, 3.0),
        (Some(10_000), 7_999, 5.0),
        (Some(10_000), 7_000, 5.0),
        (Some(10_000), 6_999, 7.0),
        (Some(10_000), 5_000, 7.0),
        (Some(10_000), 4_999, 10.0),
        (Some(10_000), 0, 10.0),
    ];
    for (reference, price, expected) in cases {
        let m = discount_modifier(price, reference);
        assert_eq!(
            m.value, expected,
            "{price} vs {reference:?}: {}",
            m.explanation
        );
    }
}

#[test]
fn discount_explanations_name_the_numbers() {
    assert_eq!(
        discount_modifier(26_399, Some(39_999)).explanation,
        "+7: 34 % below the reference price of $399.99"
    );
    assert_eq!(
        discount_modifier(4_999, Some(10_000)).explanation,
        "+10: 50.01 % below the reference price of $100.00"
    );
    assert_eq!(
        discount_modifier(100, None).explanation,
        "+0: no reference price"
    );
    assert_eq!(
        discount_modifier(9_500, Some(10_000)).explanation,
        "+0: 5 % below the reference price of $100.00 (not more than 10 %)"
    );
    assert_eq!(
        discount_modifier(10_500, Some(10_000)).explanation,
        "+0: not below the reference price of $100.00"
    );
}

#[test]
fn competitiveness_threshold_edges() {
    // Average $100.00; the price in minor units is the share of the average in hundredths of a %.
    let cases = [
        (None, 5_000, 0.0),
        (Some(0), 5_000, 0.0),
        (Some(10_000), 7_999, 10.0),
        (Some(10_000), 8_000, 5.0),
        (Some(10_000), 8_999, 5.0),
        (Some(10_000), 9_000, 0.0),
        (Some(10_000), 10_000, 0.0),
        (Some(10_000), 11_000, 0.0),
        (Some(10_000), 11_001, -5.0),
        (Some(10_000), 50_000, -5.0),
    ];
    for (average, price, expected) in cases {
        let m = competitiveness_modifier(price, average);
        assert_eq!(
            m.value, expected,
            "{price} vs {average:?}: {}",
            m.explanation
        );
    }
}

#[test]
fn competitiveness_explanations_name_the_numbers() {
    assert_eq!(
        competitiveness_modifier(28_000, Some(25_000)).explanation,
        "\u{2212}5: 12 % above the market average of $250.00"
    );
    assert_eq!(
        competitiveness_modifier(25_000, Some(25_000)).explanation,
        "+0: at the market average of $250.00 (within 10 % above or below)"
    );
    assert_eq!(
        competitiveness_modifier(1, None).explanation,
        "+0: no market average"
    );
}

#[test]
fn final_score_adds_the_modifiers() {
    let s = score(&ScoreInput {
        base: 60.0,
        market: "amazon".to_owned(),
        price_minor: 26_399,
        reference_price_minor: Some(39_999),
        trend: Trend::Falling,
        market_average_minor: Some(30_000),
    });
    // 60 + 5 + 1.5 + 7 + 5
    assert_eq!(s.base_score, 60.0);
    assert_eq!(s.final_score, 78.5);
    assert_eq!(s.normalized_score, 0.785);
}

#[test]
fn clamps_at_both_ends() {
    let top = score(&ScoreInput {
        base: 97.0,
        market: "amazon".to_owned(),
        price_minor: 1_000,
        reference_price_minor: Some(10_000),
        trend: Trend::Falling,
        market_average_minor: Some(10_000),
    });
    assert_eq!(top.final_score, 100.0);
    assert_eq!(top.normalized_score, 1.0);

    let bottom = score(&ScoreInput {
        base: 3.0,
        market: "unknown".to_owned(),
        price_minor: 20_000,
        reference_price_minor: None,
        trend: Trend::Rising,
        market_average_minor: Some(10_000),
    });
    assert_eq!(bottom.final_score, 0.0);
    assert_eq!(bottom.normalized_score, 0.0);

    let cases = [
        (150.0, 100.0),
        (-20.0, 0.0),
        (f64::NAN, 0.0),
        (f64::INFINITY, 100.0),
    ];
    for (base, clamped) in cases {
        let s = score(&ScoreInput {
            base,
            ..input(10_000, None, None)
        });
        assert_eq!(s.base_score, clamped, "{base}");
    }
}

#[test]
fn serialises_every_modifier() {
    let s = score(&input(7_000, Some(10_000), Some(10_000)));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["modifiers"]["discount"]["value"], 5.0);
    assert_eq!(
        json["modifiers"]["source_reliability"]["explanation"],
        "+0.5: target reliability 0.85"
    );
    let back: Score = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
}

fn any_trend() -> impl Strategy<Value = Trend> {
    prop_oneof![
        Just(Trend::Falling),
        Just(Trend::Stable),
        Just(Trend::Rising)
    ]
}

fn any_input() -> impl Strategy<Value = ScoreInput> {
    (
        prop_oneof![-1e6..1e6f64, Just(f64::NAN), Just(f64::INFINITY)],
        prop_oneof![Just("amazon"), Just("ebay"), Just("other")],
        0..2_000_000i64,
        proptest::option::of(0..2_000_000i64),
        any_trend(),
        proptest::option::of(0..2_000_000i64),
    )
        .prop_map(
            |(base, market, price, reference, trend, average)| ScoreInput {
                base,
                market: market.to_owned(),
                price_minor: price,
                reference_price_minor: reference,
                trend,
                market_average_minor: average,
            },
        )
}

proptest! {
    #[test]
    fn normalized_score_is_within_0_and_1(input in any_input()) {
        let s = score(&input);
        prop_assert!((0.0..=1.0).contains(&s.normalized_score));
        prop_assert!((0.0..=100.0).contains(&s.final_score));
    }

    #[test]
    fn deeper_discount_never_lowers_the_discount_modifier(
        reference in 1..10_000_000i64,
        a in 0..10_000_000i64,
        b in 0..10_000_000i64,
    ) {
        let (deeper, shallower) = (a.min(b), a.max(b));
        prop_assert!(
            discount_modifier(deeper, Some(reference)).value
                >= discount_modifier(shallower, Some(reference)).value
        );
    }

    #[test]
    fn lower_price_never_lowers_the_final_score(
        input in any_input(),
        cut in 0..2_000_000i64,
    ) {
        let cheaper = ScoreInput { price_minor: (input.price_minor - cut).max(0), ..input.clone() };
        prop_assert!(score(&cheaper).final_score >= score(&input).final_score);
    }
}
