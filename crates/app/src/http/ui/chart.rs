//! The price chart as server-rendered SVG geometry: one step line per store (a price holds until
//! it changes, never interpolated), gaps where a store went unseen for two weeks, buckets that keep each
//! bucket's lowest and highest price, markers at the lowest and highest price, horizontal lines
//! for the target and the all-time low, and a "now" line. The template draws what this computes.

use chrono::{DateTime, Duration, Utc};
use deals_store::repo::analyses::MarketPrice;

use super::view::money;

/// Drawing area.
pub const WIDTH: f64 = 720.0;
/// Drawing area.
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 28.0;
/// Most points drawn per store; more are bucketed (each bucket keeps its min and max).
const MAX_POINTS: usize = 120;
/// Days without an observation after which a store's line breaks.
const GAP_DAYS: i64 = 14;
const STROKES: [&str; 6] = [
    "#0b5cad", "#b3541e", "#1a7f45", "#7b3fa0", "#a3231a", "#4a5360",
];

/// One store's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Store name.
    pub market: String,
    /// SVG path (`M`, `H` and `V` commands only: steps, never slopes).
    pub path: String,
    /// Stroke colour.
    pub stroke: &'static str,
    /// Legend swatch class (`sw0`…).
    pub swatch: String,
    /// Observed points with their tooltip.
    pub points: Vec<Dot>,
}

/// A point with its tooltip.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    /// x.
    pub x: String,
    /// y.
    pub y: String,
    /// `<title>` text.
    pub label: String,
}

/// A horizontal reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// y.
    pub y: String,
    /// Label.
    pub label: String,
}

/// Everything the chart template needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Lines per store.
    pub series: Vec<Series>,
    /// Lowest price marker.
    pub low: Option<Dot>,
    /// Highest price marker.
    pub high: Option<Dot>,
    /// Target price line, if in range.
    pub target: Option<Level>,
    /// All-time low line.
    pub all_time_low: Option<Level>,
    /// x of "now".
    pub now_x: String,
    /// Axis labels: (y, text) for prices, (x, text) for dates.
    pub y_ticks: Vec<(String, String)>,
    /// Date labels.
    pub x_ticks: Vec<(String, String)>,
    /// Accessible description.
    pub desc: String,
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// Keeps each bucket's lowest and highest point, in time order.
fn bucket(points: &[&MarketPrice]) -> Vec<MarketPrice> {
    if points.len() <= MAX_POINTS {
        return points.iter().map(|p| (*p).clone()).collect();
    }
    let per = points.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::new();
    for chunk in points.chunks(per) {
        let lo = chunk.iter().min_by_key(|p| p.price_minor);
        let hi = chunk.iter().max_by_key(|p| p.price_minor);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let mut pair = [(*lo).clone(), (*hi).clone()];
            pair.sort_by_key(|p| p.at);
            out.extend(pair);
        }
    }
    out.dedup_by(|a, b| a.at == b.at && a.price_minor == b.price_minor);
    out
}

/// Lays out the chart of `points` (any order) between `from` and `now`.
pub fn layout(
    points: &[MarketPrice],
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    target: Option<i64>,
    all_time_low: Option<i64>,
) -> Chart {
    let mut lo = points.iter().map(|p| p.price_minor).min().unwrap_or(0);
    let mut hi = points.iter().map(|p| p.price_minor).max().unwrap_or(100);
    for extra in [target, all_time_low].into_iter().flatten() {
        lo = lo.min(extra);
        hi = hi.max(extra);
    }
    let pad = ((hi - lo) / 10).max(100);
    let (lo, hi) = ((lo - pad).max(0), hi + pad);
    let span = (now - from).num_seconds().max(1) as f64;
    let x = |at: DateTime<Utc>| {
        LEFT + ((at - from).num_seconds().max(0) as f64 / span) * (WIDTH - LEFT - RIGHT)
    };
    let y = |p: i64| TOP + (hi - p) as f64 / (hi - lo).max(1) as f64 * (HEIGHT - TOP - BOTTOM);

    let mut markets: Vec<&str> = points.iter().map(|p| p.market.as_str()).collect();
    markets.sort_unstable();
    markets.dedup();
    // A store unseen for longer than this is a gap, not a price that held.
    let gap = Duration::days(GAP_DAYS);
    let series = markets
        .iter()
        .enumerate()
        .map(|(i, market)| {
            let mut own: Vec<&MarketPrice> =
                points.iter().filter(|p| p.market == *market).collect();
            own.sort_by_key(|p| p.at);
            let own = bucket(&own);
            let mut path = String::new();
            for (k, p) in own.iter().enumerate() {
                let starts = k == 0 || p.at - own[k - 1].at > gap;
                if starts {
                    path.push_str(&format!("M{} {}", f(x(p.at)), f(y(p.price_minor))));
                } else {
                    // The previous price was already held up to here: only the change is drawn.
                    path.push_str(&format!(" V{}", f(y(p.price_minor))));
                }
                let holds_until = own.get(k + 1).map(|n| n.at).unwrap_or(now);
                if holds_until - p.at <= gap {
                    path.push_str(&format!(" H{}", f(x(holds_until))));
                }
            }
            let dots = own
                .iter()
                .map(|p| Dot {
                    x: f(x(p.at)),
                    y: f(y(p.price_minor)),
                    label: format!(
                        "{market}: {} on {}",
                        money(p.price_minor),
                        p.at.format("%Y-%m-%d %H:%M")
                    ),
                })
                .collect();
            Series {
                market: (*market).to_owned(),
                path,
                stroke: STROKES[i % STROKES.len()],
                swatch: format!("sw{}", i % STROKES.len()),
                points: dots,
            }
        })
        .collect();
    let marker = |p: Option<&MarketPrice>, word: &str| {
        p.map(|p| Dot {
            x: f(x(p.at)),
            y: f(y(p.price_minor)),
            label: format!("{word} {} ({})", money(p.price_minor), p.market),
        })
    };
    let low_point = points.iter().min_by_key(|p| (p.price_minor, p.at));
    let high_point = points
        .iter()
        .max_by_key(|p| (p.price_minor, std::cmp::Reverse(p.at)));
    let level = |v: Option<i64>, word: &str| {
        v.map(|v| Level {
            y: f(y(v)),
            label: format!("{word} {}", money(v)),
        })
    };
    let y_ticks = (0..=4)
        .map(|i| {
            let v = lo + (hi - lo) * i / 4;
            (f(y(v)), money(v))
        })
        .collect();
    let x_ticks = (0..=3)
        .map(|i| {
            let at = from + Duration::seconds((span as i64) * i / 3);
            (f(x(at)), at.format("%b %d").to_string())
        })
        .collect();
    let desc = match (low_point, high_point) {
        (Some(l), Some(h)) => format!(
            "Prices at {} stores: lowest {} at {} on {}, highest {} at {} on {}.",
            markets.len(),
            money(l.price_minor),
            l.market,
            l.at.format("%Y-%m-%d"),
            money(h.price_minor),
            h.market,
            h.at.format("%Y-%m-%d")
        ),
        _ => "No prices recorded in this range.".to_owned(),
    };
    Chart {
        series,
        low: marker(low_point, "lowest"),
        high: marker(high_point, "highest"),
        target: level(target, "target"),
        all_time_low: level(all_time_low, "all-time low"),
        now_x: f(x(now)),
        y_ticks,
        x_ticks,
        desc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn at(days_ago: i64, price: i64, market: &str) -> MarketPrice {
        MarketPrice {
            listing_id: Uuid::nil(),
            market: market.into(),
            at: Utc::now() - Duration::days(days_ago),
            price_minor: price,
        }
    }

    #[test]
    fn lines_are_steps_per_store_never_slopes() {
        let now = Utc::now();
        let points = [
            at(20, 10_000, "amazon"),
            at(10, 8_000, "amazon"),
            at(15, 9_000, "ebay"),
        ];
        let c = layout(
            &points,
            now - Duration::days(30),
            now,
            Some(7_000),
            Some(7_500),
        );
        assert_eq!(c.series.len(), 2);
        for s in &c.series {
            assert!(s.path.starts_with('M'));
            assert_eq!(s.path.matches('M').count(), 1, "{}", s.path);
            assert!(
                s.path[1..]
                    .chars()
                    .all(|ch| !ch.is_ascii_alphabetic() || ch == 'H' || ch == 'V')
            );
        }
        assert!(c.low.unwrap().label.contains("$80.00"));
        assert!(c.high.unwrap().label.contains("$100.00"));
        assert!(c.target.is_some() && c.all_time_low.is_some());
    }

    #[test]
    fn a_store_unseen_for_long_leaves_a_gap() {
        let now = Utc::now();
        let points = [at(300, 10_000, "amazon"), at(20, 9_000, "amazon")];
        let c = layout(&points, now - Duration::days(365), now, None, None);
        assert_eq!(c.series[0].path.matches('M').count(), 2);
    }

    #[test]
    fn long_histories_are_bucketed_keeping_extremes() {
        let now = Utc::now();
        let points: Vec<MarketPrice> = (0..1000)
            .map(|i| MarketPrice {
                at: now - Duration::minutes(1000 - i),
                price_minor: if i == 500 { 1 } else { 10_000 + i },
                ..at(0, 0, "amazon")
            })
            .collect();
        let c = layout(&points, now - Duration::days(1), now, None, None);
        assert!(c.series[0].points.len() <= MAX_POINTS + 2);
        assert!(c.low.unwrap().label.contains("$0.01"));
    }
}
