//! Throughput of the deal analysis: scoring many listings, price statistics and the trend over a
//! year of daily prices, and the buy-or-wait recommendation over the same year.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deals_core::analysis::{ScoreInput, buy_or_wait, price_stats, score, trend};
use deals_core::{PricePoint, Trend};

const MARKETS: [&str; 6] = ["amazon", "walmart", "bestbuy", "target", "ebay", "other"];
const TRENDS: [Trend; 3] = [Trend::Falling, Trend::Stable, Trend::Rising];

/// A fixed instant, so runs are comparable.
fn now() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + TimeDelta::days(20_780)
}

/// 10 000 varied inputs from a small deterministic generator.
fn inputs() -> Vec<ScoreInput> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    (0..10_000)
        .map(|i| {
            let price = 1_000 + next(200_000) as i64;
            ScoreInput {
                base: next(101) as f64,
                market: MARKETS[i % MARKETS.len()].to_owned(),
                price_minor: price,
                reference_price_minor: (i % 4 != 0).then(|| price + next(price as u64) as i64),
                trend: TRENDS[i % TRENDS.len()],
                market_average_minor: (i % 3 != 0).then(|| price / 2 + next(price as u64) as i64),
            }
        })
        .collect()
}

/// One price a day for a year, drifting down with a weekly wave.
fn year() -> Vec<PricePoint> {
    (0..365)
        .map(|d| {
            let wave = [0, 150, 300, 450, 300, 150, 0][d % 7];
            let price = 50_000 - 20 * d as i64 + wave;
            PricePoint::new(now() - TimeDelta::days(365 - d as i64), price)
        })
        .collect()
}

fn scoring(c: &mut Criterion) {
    let inputs = inputs();
    let mut group = c.benchmark_group("score");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("10_000 listings", |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|input| score(black_box(input)).final_score)
                .sum::<f64>()
        })
    });
    group.finish();
}

fn statistics(c: &mut Criterion) {
    let points = year();
    c.bench_function("price_stats + trend, 365 daily points", |b| {
        b.iter(|| {
            let stats = price_stats(black_box(&points), now());
            (stats, trend(black_box(&points), now()))
        })
    });
    c.bench_function("buy_or_wait, 365 daily points", |b| {
        b.iter(|| buy_or_wait(black_box(&points), black_box(41_000), now()))
    });
}

criterion_group!(benches, scoring, statistics);
criterion_main!(benches);
