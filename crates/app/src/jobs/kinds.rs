//! The kinds of background job, what each carries, how often each may be tried and how long to
//! wait between tries.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Goal Analysis Agent: the goal's words → criteria; then a deal search.
    AnalyzeGoal,
    /// Deal Search Agent for one goal: query the markets, store, score and match listings.
    SearchDeals,
    /// Re-read the current price of tracked listings, record it, re-score, alert.
    CheckPrices,
    /// Re-run the analysis of one listing.
    AnalyzeDeal,
    /// Send one notification on its external channels (webhook, ntfy).
    DeliverNotification,
    /// Expire goals past their deadline and remind of deadlines coming up.
    ExpireGoals,
    /// Delete old finished jobs and read notifications; keep price partitions ahead.
    Retention,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 7] = [
        JobKind::AnalyzeGoal,
        JobKind::SearchDeals,
        JobKind::CheckPrices,
        JobKind::AnalyzeDeal,
        JobKind::DeliverNotification,
        JobKind::ExpireGoals,
        JobKind::Retention,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::AnalyzeGoal => "analyze_goal",
            JobKind::SearchDeals => "search_deals",
            JobKind::CheckPrices => "check_prices",
            JobKind::AnalyzeDeal => "analyze_deal",
            JobKind::DeliverNotification => "deliver_notification",
            JobKind::ExpireGoals => "expire_goals",
            JobKind::Retention => "retention",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Attempts before the job is dead.
    pub fn max_attempts(self) -> i32 {
        match self {
            JobKind::AnalyzeGoal | JobKind::SearchDeals | JobKind::AnalyzeDeal => 5,
            JobKind::CheckPrices | JobKind::ExpireGoals | JobKind::Retention => 3,
            JobKind::DeliverNotification => 8,
        }
    }

    /// Wait before attempt `attempt + 1` after `attempt` failed: 2 s doubling per attempt, at
    /// most 10 minutes, with ±25 % jitter so failed jobs do not come back in lockstep.
    pub fn backoff(self, attempt: i32) -> Duration {
        let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
        let base = 2_000u64.saturating_mul(1u64 << exp.min(16)).min(600_000);
        let jitter = rand::random_range(0.75..=1.25);
        Duration::from_millis((base as f64 * jitter) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
        }
        assert_eq!(JobKind::parse("nope"), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for attempt in 1..=12 {
            let nominal = (2_000u64 << (attempt - 1)).min(600_000) as f64;
            let d = JobKind::SearchDeals.backoff(attempt).as_millis() as f64;
            assert!(d >= nominal * 0.75 - 1.0 && d <= nominal * 1.25 + 1.0, "{attempt}: {d}");
        }
        assert!(JobKind::SearchDeals.backoff(40) <= Duration::from_millis(750_000));
    }
}
