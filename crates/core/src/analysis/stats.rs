//! Statistics over scores and prices: mean, sample standard deviation, the moving average of the
//! last scores, score anomalies, the price trend and summary price statistics.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::text::number;
use crate::history::{PricePoint, Trend};

/// How many of the latest scores the moving average covers.
pub const MOVING_AVERAGE_WINDOW: usize = 5;
/// Fewest earlier scores needed before a score can be called an anomaly.
pub const MIN_PRIOR_SCORES: usize = 3;
/// Days of history the price trend looks at.
pub const TREND_DAYS: i64 = 30;
/// A trend whose change over [`TREND_DAYS`] is below this many percent is stable.
pub const TREND_DEAD_BAND_PERCENT: i128 = 3;

/// Arithmetic mean; `None` for no values. Equal values give exactly that value.
pub fn mean(values: &[f64]) -> Option<f64> {
    let first = *values.first()?;
    if values.iter().all(|&v| v == first) {
        return Some(first);
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (divides by n − 1); `None` for fewer than 2 values. Equal values
/// give exactly 0.
pub fn sample_stddev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let squares: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    Some((squares / (values.len() - 1) as f64).sqrt())
}

/// The last [`MOVING_AVERAGE_WINDOW`] values (all of them when there are fewer).
fn last_window(values: &[f64]) -> &[f64] {
    &values[values.len().saturating_sub(MOVING_AVERAGE_WINDOW)..]
}

/// Mean of the last 5 scores (or of all when fewer); `None` when there are none.
pub fn moving_average(scores: &[f64]) -> Option<f64> {
    mean(last_window(scores))
}

/// Whether a new score departs from the recent ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyCheck {
    /// `|current − moving average| > 2 × stddev`, judged with at least 3 earlier scores.
    pub is_anomaly: bool,
    /// Mean of the last 5 earlier scores.
    pub moving_average: Option<f64>,
    /// Sample standard deviation of the last 5 earlier scores.
    pub stddev: Option<f64>,
    /// One human line with the numbers.
    pub explanation: String,
}

/// Compares `current` with the moving average and sample standard deviation of the last 5
/// `prior_scores` (oldest first): an anomaly when `|current − average| > 2 × stddev`. With fewer
/// than 3 earlier scores nothing is judged. A standard deviation of 0 makes any difference from
/// the average an anomaly.
pub fn anomaly(prior_scores: &[f64], current: f64) -> AnomalyCheck {
    let window = last_window(prior_scores);
    let (moving_average, stddev) = (mean(window), sample_stddev(window));
    match (moving_average, stddev) {
        (Some(ma), Some(sd)) if prior_scores.len() >= MIN_PRIOR_SCORES => {
            let distance = (current - ma).abs();
            let is_anomaly = distance > 2.0 * sd;
            let (verdict, relation) = if is_anomaly {
                ("anomaly", "more than")
            } else {
                ("normal", "within")
            };
            AnomalyCheck {
                is_anomaly,
                moving_average,
                stddev,
                explanation: format!(
                    "{verdict}: {} is {} from the moving average {} of the last {} scores, \
                     {relation} 2 × the standard deviation {}",
                    number(current),
                    number(distance),
                    number(ma),
                    window.len(),
                    number(sd),
                ),
            }
        }
        _ => AnomalyCheck {
            is_anomaly: false,
            moving_average,
            stddev,
            explanation: format!(
                "not judged: fewer than 3 earlier scores ({})",
                prior_scores.len()
            ),
        },
    }
}

/// The lowest price of each UTC day with observations from `now − days` to `now` (inclusive),
/// as `(day index, price)` in day order; day 0 is the date of `now − days`.
pub(crate) fn daily_lows(points: &[PricePoint], now: DateTime<Utc>, days: i64) -> Vec<(i64, i64)> {
    let from = now - TimeDelta::days(days);
    let mut lows: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for p in points.iter().filter(|p| p.at >= from && p.at <= now) {
        lows.entry(p.at.date_naive())
            .and_modify(|low| *low = (*low).min(p.price_minor))
            .or_insert(p.price_minor);
    }
    let start = from.date_naive();
    lows.into_iter()
        .map(|(day, price)| ((day - start).num_days(), price))
        .collect()
}

/// Least-squares line through `(day, price)` pairs, kept as exact integer sums.
pub(crate) struct Fit {
    n: i128,
    /// n·Σxy − Σx·Σy (n² times the covariance).
    sxy: i128,
    /// n·Σx² − (Σx)² (n² times the variance of x).
    sxx: i128,
    sum_y: i128,
}

impl Fit {
    /// `None` unless there are at least two distinct days.
    pub(crate) fn new(daily: &[(i64, i64)]) -> Option<Self> {
        let n = daily.len() as i128;
        let (mut sx, mut sy, mut sxy, mut sxx) = (0i128, 0i128, 0i128, 0i128);
        for &(x, y) in daily {
            let (x, y) = (i128::from(x), i128::from(y));
            sx += x;
            sy += y;
            sxy += x * y;
            sxx += x * x;
        }
        let fit = Self {
            n,
            sxy: n * sxy - sx * sy,
            sxx: n * sxx - sx * sx,
            sum_y: sy,
        };
        (fit.sxx > 0).then_some(fit)
    }

    /// Price change per day, in minor units.
    pub(crate) fn slope(&self) -> f64 {
        self.sxy as f64 / self.sxx as f64
    }

    /// Slope divided by the mean price: the relative change per day. `None` when the mean
    /// price is not positive.
    pub(crate) fn relative_slope(&self) -> Option<f64> {
        (self.sum_y > 0).then(|| (self.sxy * self.n) as f64 / (self.sxx * self.sum_y) as f64)
    }

    /// The trend with the dead band applied exactly:
    /// `|slope / mean| × 30 < 3 %` ⇔ `|sxy|·n·30·100 < 3·sxx·Σy`.
    pub(crate) fn trend(&self) -> Trend {
        let stable = self.sum_y <= 0
            || self.sxy.abs() * self.n * i128::from(TREND_DAYS) * 100
                < TREND_DEAD_BAND_PERCENT * self.sxx * self.sum_y;
        if stable {
            Trend::Stable
        } else if self.sxy < 0 {
            Trend::Falling
        } else {
            Trend::Rising
        }
    }
}

/// Direction of the price over the last 30 days before `now`.
///
/// Definition: take the lowest price of each UTC day with observations from `now − 30 days` to
/// `now`; fit a least-squares line of daily price against day number; divide its slope by the
/// mean daily price to get the relative change per day. If that change over 30 days is less
/// than 3 % in either direction (`|relative slope| × 30 < 0.03`, compared exactly in integer
/// arithmetic) the trend is [`Trend::Stable`]; otherwise a negative slope is
/// [`Trend::Falling`] and a positive one [`Trend::Rising`]. Fewer than 3 distinct days, or a
/// non-positive mean price, give [`Trend::Stable`].
pub fn trend(points: &[PricePoint], now: DateTime<Utc>) -> Trend {
    trend_fit(points, now).map_or(Trend::Stable, |fit| fit.trend())
}

/// The line [`trend`] judges: `None` with fewer than 3 distinct days.
pub(crate) fn trend_fit(points: &[PricePoint], now: DateTime<Utc>) -> Option<Fit> {
    let daily = daily_lows(points, now, TREND_DAYS);
    if daily.len() < 3 {
        return None;
    }
    Fit::new(&daily)
}

/// Summary of a price series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceStats {
    /// Lowest price.
    pub min_minor: i64,
    /// Highest price.
    pub max_minor: i64,
    /// Mean price, rounded half away from zero to a minor unit.
    pub avg_minor: i64,
    /// Sample standard deviation of the prices (0 for a single point).
    pub stddev_minor: f64,
    /// Direction over the last 30 days (see [`trend`]).
    pub trend: Trend,
    /// `1 − stddev / mean`, clamped to 0..1; 1 with fewer than 2 points.
    pub stability: f64,
    /// Number of observations.
    pub points: usize,
}

/// Min, max, mean, sample standard deviation, stability and trend of every given point (the
/// caller chooses the window); `None` for no points.
pub fn price_stats(points: &[PricePoint], now: DateTime<Utc>) -> Option<PriceStats> {
    let first = points.first()?.price_minor;
    let (mut min, mut max, mut sum) = (first, first, 0i128);
    for p in points {
        min = min.min(p.price_minor);
        max = max.max(p.price_minor);
        sum += i128::from(p.price_minor);
    }
    let n = points.len() as i128;
    let rounded = (2 * sum + sum.signum() * n) / (2 * n);
    let avg_minor = i64::try_from(rounded.clamp(min.into(), max.into())).unwrap_or(max);
    let prices: Vec<f64> = points.iter().map(|p| p.price_minor as f64).collect();
    let stddev_minor = sample_stddev(&prices).unwrap_or(0.0);
    let mean_price = sum as f64 / n as f64;
    let stability = if points.len() < 2 || stddev_minor == 0.0 {
        1.0
    } else if mean_price > 0.0 {
        (1.0 - stddev_minor / mean_price).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(PriceStats {
        min_minor: min,
        max_minor: max,
        avg_minor,
        stddev_minor,
        trend: trend(points, now),
        stability,
        points: points.len(),
    })
}

#[cfg(test)]
mod tests;
