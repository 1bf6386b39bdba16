use super::*;
use chrono::{TimeDelta, TimeZone};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

/// One point a day for `days_ago` in `0..days`, priced by `price(days_ago)`.
fn daily(days: i64, price: impl Fn(i64) -> i64) -> Vec<PricePoint> {
    (0..days)
        .map(|d| PricePoint::new(now() - TimeDelta::days(d), price(d)))
        .collect()
}

/// 10 000 on even days ago, 10 200 on odd ones: no trend.
fn flat(days: i64) -> Vec<PricePoint> {
    daily(days, |d| if d % 2 == 0 { 10_000 } else { 10_200 })
}

#[test]
fn short_history_has_no_opinion() {
    let rec = buy_or_wait(&flat(13), 5_000, now());
    assert_eq!(rec.advice, Advice::NoOpinion);
    assert_eq!(rec.confidence, 0.0);
    assert_eq!(
        (rec.expected_low_minor, rec.expected_high_minor),
        (None, None)
    );
    assert!(
        rec.reasons[0].starts_with("history too short"),
        "{:?}",
        rec.reasons
    );
    // Several stores on the same days still count once per day.
    let mut two_stores = flat(13);
    two_stores.extend(daily(13, |_| 9_000));
    assert_eq!(
        buy_or_wait(&two_stores, 5_000, now()).advice,
        Advice::NoOpinion
    );
    // Prices older than 90 days do not count.
    let old: Vec<PricePoint> = flat(200).into_iter().skip(91).collect();
    assert_eq!(buy_or_wait(&old, 5_000, now()).advice, Advice::NoOpinion);
}

#[test]
fn low_price_on_a_flat_history_is_buy_now() {
    let rec = buy_or_wait(&flat(60), 9_000, now());
    assert_eq!(rec.advice, Advice::BuyNow, "{:?}", rec.reasons);
    // Below every daily low: depth 1; 60 of 90 days: length 2/3.
    assert_eq!(rec.confidence, 0.83);
    assert!(rec.reasons.iter().any(|r| r.contains("10th percentile")));
}

#[test]
fn high_price_on_a_flat_history_is_wait() {
    let rec = buy_or_wait(&flat(90), 10_300, now());
    assert_eq!(rec.advice, Advice::Wait, "{:?}", rec.reasons);
    assert_eq!(rec.confidence, 1.0);
    // No trend: the range is centred on the current price.
    let (low, high) = (
        rec.expected_low_minor.unwrap(),
        rec.expected_high_minor.unwrap(),
    );
    assert!(low < 10_300 && high > 10_300 && 10_300 - low == high - 10_300);
}

#[test]
fn middle_price_without_a_trend_has_no_opinion() {
    let rec = buy_or_wait(&flat(60), 10_100, now());
    assert_eq!(rec.advice, Advice::NoOpinion, "{:?}", rec.reasons);
    assert_eq!(rec.confidence, 0.0);
    assert!(rec.expected_low_minor.is_some());
}

#[test]
fn falling_prices_mean_wait() {
    // 100 cheaper every day: 12 900 forty days ago, 9 000 today.
    let history = daily(40, |d| 9_000 + 100 * d);
    let rec = buy_or_wait(&history, 10_000, now());
    assert_eq!(rec.advice, Advice::Wait, "{:?}", rec.reasons);
    // A perfectly steady fall: the range is the trend line itself, 14 days on.
    assert_eq!(rec.expected_low_minor, Some(8_600));
    assert_eq!(rec.expected_high_minor, Some(8_600));
    assert!(
        rec.reasons
            .iter()
            .any(|r| r.contains("30-day trend: falling"))
    );
}

#[test]
fn rising_prices_and_a_price_at_most_the_median_mean_buy_now() {
    // 100 dearer every day: 9 000 forty days ago, 12 900 today (median 10 950).
    let history = daily(40, |d| 12_900 - 100 * d);
    let rec = buy_or_wait(&history, 10_000, now());
    assert_eq!(rec.advice, Advice::BuyNow, "{:?}", rec.reasons);
    assert_eq!(rec.expected_low_minor, Some(11_400));
    let dearer = buy_or_wait(&history, 12_000, now());
    assert_eq!(dearer.advice, Advice::Wait, "{:?}", dearer.reasons);
}

#[test]
fn advice_serialises_in_snake_case() {
    assert_eq!(serde_json::to_value(Advice::BuyNow).unwrap(), "buy_now");
    assert_eq!(
        serde_json::to_value(Advice::NoOpinion).unwrap(),
        "no_opinion"
    );
}

proptest! {
    #[test]
    fn confidence_and_range_are_well_formed(
        prices in proptest::collection::vec(0..100_000i64, 0..120),
        current in 0..100_000i64,
    ) {
        let history: Vec<PricePoint> = prices
            .iter()
            .zip(0..)
            .map(|(&p, d)| PricePoint::new(now() - TimeDelta::days(d), p))
            .collect();
        let rec = buy_or_wait(&history, current, now());
        prop_assert!((0.0..=1.0).contains(&rec.confidence));
        if let (Some(low), Some(high)) = (rec.expected_low_minor, rec.expected_high_minor) {
            prop_assert!(0 <= low && low <= high);
        }
    }
}
