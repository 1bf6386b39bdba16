use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

/// One point per price, `days_ago` days before [`now`].
fn series(prices_by_days_ago: &[(i64, i64)]) -> Vec<PricePoint> {
    prices_by_days_ago
        .iter()
        .map(|&(days_ago, price)| PricePoint::new(now() - TimeDelta::days(days_ago), price))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn mean_and_sample_stddev_on_hand_computed_series() {
    assert_eq!(mean(&[]), None);
    assert_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
    assert_eq!(mean(&[0.1; 7]), Some(0.1));
    assert_eq!(sample_stddev(&[]), None);
    assert_eq!(sample_stddev(&[5.0]), None);
    assert_eq!(sample_stddev(&[0.1; 3]), Some(0.0));
    // Σ(x − 5)² = 32, n − 1 = 7 (the population stddev would be 2).
    let sd = sample_stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
    assert!(close(sd, (32.0f64 / 7.0).sqrt()), "{sd}");
    assert_eq!(sample_stddev(&[1.0, 3.0]), Some(2.0f64.sqrt()));
}

#[test]
fn moving_average_covers_the_last_five() {
    assert_eq!(moving_average(&[]), None);
    assert_eq!(moving_average(&[10.0, 20.0]), Some(15.0));
    assert_eq!(
        moving_average(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
        Some(5.0)
    );
}

#[test]
fn anomaly_needs_three_earlier_scores() {
    for prior in [&[][..], &[70.0], &[70.0, 72.0]] {
        let check = anomaly(prior, 5.0);
        assert!(!check.is_anomaly);
        assert!(
            check.explanation.contains("fewer than 3 earlier scores"),
            "{}",
            check.explanation
        );
    }
    assert_eq!(anomaly(&[70.0, 72.0], 5.0).moving_average, Some(71.0));
}

#[test]
fn anomaly_beyond_two_standard_deviations() {
    // Average 72, sample stddev 2: the band is 68..=76.
    let prior = [70.0, 72.0, 74.0];
    let cases = [
        (72.0, false),
        (76.0, false),
        (68.0, false),
        (76.01, true),
        (80.0, true),
    ];
    for (current, expected) in cases {
        let check = anomaly(&prior, current);
        assert_eq!(
            check.is_anomaly, expected,
            "{current}: {}",
            check.explanation
        );
        assert_eq!(check.moving_average, Some(72.0));
        assert_eq!(check.stddev, Some(2.0));
    }
    assert_eq!(
        anomaly(&prior, 80.0).explanation,
        "anomaly: 80 is 8 from the moving average 72 of the last 3 scores, \
         more than 2 × the standard deviation 2"
    );
}

#[test]
fn anomaly_uses_only_the_last_five_prior_scores() {
    // Window 70, 72, 74, 72, 70: mean 71.6, Σd² = 11.2, sample stddev √2.8.
    // 2 × √2.8 ≈ 3.347: 74.9 is 3.3 away (normal), 75 is 3.4 away (anomaly).
    let prior = [10.0, 70.0, 72.0, 74.0, 72.0, 70.0];
    let check = anomaly(&prior, 74.9);
    assert!(close(check.moving_average.unwrap(), 71.6));
    assert!(close(check.stddev.unwrap(), 2.8f64.sqrt()));
    assert!(!check.is_anomaly);
    assert!(anomaly(&prior, 75.0).is_anomaly);
    assert!(anomaly(&prior, 68.2).is_anomaly);
}

#[test]
fn zero_stddev_flags_any_difference() {
    let prior = [0.1, 0.1, 0.1];
    assert!(!anomaly(&prior, 0.1).is_anomaly);
    assert!(anomaly(&prior, 0.11).is_anomaly);
}

#[test]
fn trend_direction_and_dead_band_edge() {
    let cases: [(&[(i64, i64)], Trend); 9] = [
        // Fewer than 3 distinct days, however steep.
        (&[(1, 10_000), (0, 5_000)], Trend::Stable),
        (&[(0, 10_000), (0, 9_000), (0, 8_000)], Trend::Stable),
        (&[(2, 10_000), (1, 9_000), (0, 8_000)], Trend::Falling),
        (&[(2, 8_000), (1, 9_000), (0, 10_000)], Trend::Rising),
        // Slope 10 per day, mean 10 000: exactly 3 % over 30 days is outside the dead band.
        (&[(2, 9_990), (1, 10_000), (0, 10_010)], Trend::Rising),
        (&[(2, 10_010), (1, 10_000), (0, 9_990)], Trend::Falling),
        // Same slope, mean 10 001: just under 3 %.
        (&[(2, 9_991), (1, 10_001), (0, 10_011)], Trend::Stable),
        (&[(2, 10_011), (1, 10_001), (0, 9_991)], Trend::Stable),
        // A 31-day-old point is outside the window.
        (&[(31, 1_000), (2, 10_000), (1, 10_000)], Trend::Stable),
    ];
    for (points, expected) in cases {
        assert_eq!(trend(&series(points), now()), expected, "{points:?}");
    }
}

#[test]
fn trend_uses_the_daily_low_and_ignores_the_future() {
    let mut points = series(&[(2, 10_000), (1, 9_000), (0, 8_000)]);
    // Higher prices later on the same days do not change the daily lows.
    points.extend(series(&[(2, 20_000), (1, 30_000), (0, 40_000)]));
    // A price after `now` is not history yet.
    points.push(PricePoint::new(now() + TimeDelta::days(1), 99_000));
    assert_eq!(trend(&points, now()), Trend::Falling);
}

#[test]
fn price_stats_on_a_hand_computed_series() {
    assert_eq!(price_stats(&[], now()), None);
    let stats = price_stats(&series(&[(3, 100), (2, 200), (1, 300), (0, 400)]), now()).unwrap();
    assert_eq!(
        (stats.min_minor, stats.max_minor, stats.avg_minor),
        (100, 400, 250)
    );
    // Σd² = 2 × (150² + 50²) = 50 000; sample variance 50 000 / 3.
    let sd = (50_000.0f64 / 3.0).sqrt();
    assert!(close(stats.stddev_minor, sd));
    assert!(close(stats.stability, 1.0 - sd / 250.0));
    assert_eq!(stats.trend, Trend::Rising);
    assert_eq!(stats.points, 4);
}

#[test]
fn price_stats_edges() {
    let one = price_stats(&series(&[(0, 999)]), now()).unwrap();
    assert_eq!(
        (one.avg_minor, one.stddev_minor, one.stability),
        (999, 0.0, 1.0)
    );
    let rounded = price_stats(&series(&[(1, 1), (0, 2)]), now()).unwrap();
    assert_eq!(rounded.avg_minor, 2);
    // A standard deviation larger than the mean clamps stability at 0.
    let wild = price_stats(&series(&[(2, 1), (1, 1), (0, 1_000)]), now()).unwrap();
    assert_eq!(wild.stability, 0.0);
}
