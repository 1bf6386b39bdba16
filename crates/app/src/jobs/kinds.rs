//! How often each kind of job may be tried and how long to wait between tries. The kinds
//! themselves ([`JobKind`]) are a closed vocabulary of `deals_core`, stored as text.

use std::time::Duration;

use deals_core::enums::JobKind;
pub use deals_store::repo::jobs::priority;

/// Attempts before a job of `kind` is dead.
pub fn max_attempts(kind: JobKind) -> i32 {
    match kind {
        JobKind::AnalyzeGoal | JobKind::SearchDeals | JobKind::AnalyzeDeal => 5,
        JobKind::CheckPrices | JobKind::ExpireGoals | JobKind::Retention => 3,
        JobKind::FlushAlerts => 3,
        JobKind::DeliverNotification | JobKind::DeliverDigest => 8,
        JobKind::CheckDeposit => 10,
    }
}

/// Waits, in seconds, before the 2nd, 3rd, … attempt to deliver a notification (or a digest) to an external
/// channel: 5 s, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h (the last repeats). With 8 attempts a
/// failing endpoint is tried for about two days before the delivery shows as `failed`.
pub const DELIVERY_SCHEDULE: [u64; 7] = [5, 300, 1_800, 7_200, 21_600, 43_200, 86_400];

/// Wait before attempt `attempt + 1` of a job of `kind` after `attempt` failed: deliveries
/// follow [`DELIVERY_SCHEDULE`] (up to 10 % later, so failed deliveries do not come back in
/// lockstep), every other kind [`backoff`].
pub fn retry_delay(kind: JobKind, attempt: i32) -> Duration {
    match kind {
        JobKind::DeliverNotification | JobKind::DeliverDigest => {
            let i = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
            let base = DELIVERY_SCHEDULE[i.min(DELIVERY_SCHEDULE.len() - 1)];
            let jitter = rand::random_range(1.0..=1.1);
            Duration::from_millis((base as f64 * 1_000.0 * jitter) as u64)
        }
        _ => backoff(attempt),
    }
}

/// The priority class a job of `kind` is stored with (`jobs.priority`, higher runs first among
/// due jobs): a new goal's analysis runs ahead of upkeep, a delivery between. The first search
/// of a goal and a search its owner asked for are raised to [`priority::INTERACTIVE`] where
/// they are enqueued; the scheduler's re-searches stay in the background class.
pub fn priority(kind: JobKind) -> i32 {
    match kind {
        JobKind::AnalyzeGoal => priority::INTERACTIVE,
        JobKind::DeliverNotification | JobKind::DeliverDigest | JobKind::FlushAlerts => {
            priority::DELIVERY
        }
        JobKind::SearchDeals
        | JobKind::AnalyzeDeal
        | JobKind::CheckPrices
        | JobKind::ExpireGoals
        | JobKind::Retention
        | JobKind::CheckDeposit => priority::BACKGROUND,
    }
}

/// Wait before attempt `attempt + 1` after `attempt` failed: 2 s doubling per attempt, at most
/// 10 minutes, with ±25 % jitter so failed jobs do not come back in lockstep.
pub fn backoff(attempt: i32) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let base = 2_000u64.saturating_mul(1u64 << exp.min(16)).min(600_000);
    let jitter = rand::random_range(0.75..=1.25);
    Duration::from_millis((base as f64 * jitter) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Ok(*k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
            assert!(max_attempts(*k) >= 3);
        }
        assert!(JobKind::parse("nope").is_err());
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for attempt in 1..=12 {
            let nominal = (2_000u64 << (attempt - 1)).min(600_000) as f64;
            let d = backoff(attempt).as_millis() as f64;
            assert!(
                d >= nominal * 0.75 - 1.0 && d <= nominal * 1.25 + 1.0,
                "{attempt}: {d}"
            );
        }
        assert!(backoff(40) <= Duration::from_millis(750_000));
    }

    #[test]
    fn deliveries_follow_their_schedule() {
        let nominal = [5, 300, 1_800, 7_200, 21_600, 43_200, 86_400, 86_400];
        for (attempt, secs) in (1..).zip(nominal) {
            let d = retry_delay(JobKind::DeliverNotification, attempt).as_secs_f64();
            assert!(
                d >= secs as f64 && d <= secs as f64 * 1.1 + 0.001,
                "{attempt}: {d}"
            );
        }
        let other = retry_delay(JobKind::SearchDeals, 1).as_millis();
        assert!((1_500..=2_500).contains(&other), "{other}");
    }
}
