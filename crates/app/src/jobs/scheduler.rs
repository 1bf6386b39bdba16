//! The scheduler: one process at a time (a leader lease in the database, renewed while it
//! lives) enqueues the periodic jobs — deal searches per active goal at an interval set by its
//! priority, price checks of tracked listings, hourly expiry, daily retention. Every scheduled
//! job carries a dedup key naming its time slot, so even two schedulers acting at once could not
//! enqueue one twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use deals_core::Priority;
use deals_store::now;
use serde_json::json;
use uuid::Uuid;

use super::{JobKind, Jobs};
use crate::state::AppState;

/// Name of the scheduler's lease.
const LEASE: &str = "scheduler";
/// Tracked listings checked by one CheckPrices job.
const PRICE_BATCH: u64 = 50;

/// Runs the scheduler until `shutdown` resolves.
pub async fn run(state: AppState, holder: String, shutdown: impl Future<Output = ()> + Send) {
    let tick = Duration::from_secs(state.settings.jobs.sweep_interval_secs.max(1));
    let ttl = chrono::Duration::from_std(tick * 3).unwrap_or(chrono::Duration::seconds(15));
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leading = false;
    let mut last: Option<DateTime<Utc>> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = interval.tick() => {}
        }
        match state.store.acquire_lease(LEASE, &holder, ttl).await {
            Ok(true) => {
                if !leading {
                    tracing::info!(holder, "this process is now the scheduler");
                    leading = true;
                }
                let at = now();
                match tick_once(&state, at, last).await {
                    Ok(()) => last = Some(at),
                    Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
                }
            }
            Ok(false) => {
                if leading {
                    tracing::info!(holder, "another process took over the scheduler");
                }
                leading = false;
                last = None;
            }
            Err(e) => tracing::warn!(error = %e, "scheduler lease check failed"),
        }
    }
    if leading {
        let _ = state.store.release_lease(LEASE, &holder).await;
    }
}

/// One round of the leader's work at time `at`; `last` is the previous successful round, if
/// this process led it. Periodic jobs are enqueued when their time slot changed since `last`
/// (all of them on a new leader's first round; the dedup keys absorb repeats).
pub async fn tick_once(
    state: &AppState,
    at: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let due = |every: u64| last.is_none_or(|l| slot(l, every) != slot(at, every));
    let settings = &state.settings.jobs;
    let depth = state.jobs.queue().depth().await.unwrap_or(0);
    metrics::gauge!("deals_queue_depth").set(depth as f64);

    let searches = settings.search_interval_secs;
    if searches.iter().any(|every| due(*every)) {
        for (goal_id, user_id, priority) in state.store.active_goal_schedule().await? {
            let every = searches[match priority {
                Priority::Critical => 0,
                Priority::High => 1,
                Priority::Medium => 2,
                Priority::Low => 3,
            }];
            if !due(every) {
                continue;
            }
            let mut new = Jobs::new_job(
                JobKind::SearchDeals,
                Some(user_id),
                Some(goal_id),
                json!({}),
            );
            new.dedup_key = Some(format!("search_deals:{goal_id}:{}", slot(at, every)));
            scheduled(state, new).await?;
        }
    }

    let every = settings.price_check_interval_secs.max(1);
    if due(every) {
        enqueue_price_checks(state, at, every).await?;
    }
    // Alert steps interrupted by a crash (matches stored, alerts not yet): finished here.
    let stale = at - chrono::Duration::seconds(crate::notify::goals::STALE_OUTBOX_SECS);
    if due(60)
        && !state
            .store
            .goals_with_stale_outbox(stale, 1)
            .await?
            .is_empty()
    {
        let mut new = Jobs::new_job(JobKind::FlushAlerts, None, None, json!({}));
        new.dedup_key = Some(format!("flush_alerts:{}", slot(at, 60)));
        scheduled(state, new).await?;
    }
    if due(3600) {
        let mut new = Jobs::new_job(JobKind::ExpireGoals, None, None, json!({}));
        new.dedup_key = Some(format!("expire_goals:{}", slot(at, 3600)));
        scheduled(state, new).await?;
    }
    if due(86_400) {
        let mut new = Jobs::new_job(JobKind::Retention, None, None, json!({}));
        new.dedup_key = Some(format!("retention:{}", slot(at, 86_400)));
        scheduled(state, new).await?;
    }
    Ok(())
}

/// One CheckPrices job per batch of trackers.
async fn enqueue_price_checks(
    state: &AppState,
    at: DateTime<Utc>,
    every: u64,
) -> anyhow::Result<()> {
    let mut after = None;
    let mut batch = 0;
    loop {
        let trackers = state.store.trackers_after(after, PRICE_BATCH).await?;
        let Some(last) = trackers.last() else { break };
        after = Some(last.id);
        let ids: Vec<Uuid> = trackers.iter().map(|t| t.id).collect();
        let mut new = Jobs::new_job(
            JobKind::CheckPrices,
            None,
            None,
            json!({"tracker_ids": ids}),
        );
        new.dedup_key = Some(format!("check_prices:{}:{batch}", slot(at, every)));
        scheduled(state, new).await?;
        batch += 1;
    }
    Ok(())
}

/// The number of the `every`-second slot `at` falls in.
fn slot(at: DateTime<Utc>, every: u64) -> i64 {
    at.timestamp()
        .div_euclid(i64::try_from(every.max(1)).unwrap_or(i64::MAX))
}

async fn scheduled(state: &AppState, new: deals_store::repo::jobs::NewJob) -> anyhow::Result<()> {
    match state.jobs.enqueue(&state.store, new).await {
        Ok(_) | Err(deals_store::StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_change_once_per_interval() {
        let t = DateTime::from_timestamp(3_600 * 5 + 10, 0).unwrap();
        assert_eq!(slot(t, 3600), 5);
        assert_eq!(slot(t + chrono::Duration::seconds(3589), 3600), 5);
        assert_eq!(slot(t + chrono::Duration::seconds(3590), 3600), 6);
    }
}
