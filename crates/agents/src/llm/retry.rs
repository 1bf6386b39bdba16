//! Waiting between attempts: jittered exponential backoff, and the provider's `Retry-After`
//! (or `retry-after-ms`) honoured up to a cap.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// "Full jitter" backoff: a random wait in `[base·2ⁿ/2, base·2ⁿ]`, capped at `max`.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(max);
    let half = ceiling / 2;
    half + ceiling.mul_f64(fastrand::f64() * 0.5)
}

/// The wait before the next attempt: the provider's, capped at `cap`, else the backoff.
pub(crate) fn wait_before_retry(
    asked: Option<Duration>,
    attempt: u32,
    base: Duration,
    max: Duration,
    cap: Duration,
) -> Duration {
    match asked {
        Some(d) => d.min(cap),
        None => backoff(attempt, base, max),
    }
}

/// Reads `retry-after-ms` (OpenAI) or `Retry-After` in seconds. The HTTP-date form is not
/// read: the backoff applies then.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let secs = text("retry-after")?.trim().parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_stays_within_half_and_full_ceiling() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 0..8 {
            let ceiling = (base * 2u32.pow(attempt)).min(max);
            let d = backoff(attempt, base, max);
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_is_read_and_capped() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let cap = Duration::from_secs(1);
        let waited = wait_before_retry(Some(Duration::from_secs(60)), 0, cap, cap, cap);
        assert_eq!(waited, cap);
    }
}
