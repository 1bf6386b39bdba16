//! What each kind of job does: a thin adapter from a job row to a use case. Every use case run
//! here is idempotent: running a job twice (a worker that crashed after the work but before
//! recording it) has the effect of running it once — price points are keyed by listing and
//! time, matches are unique per goal and listing, and notifications carry a dedup key.

use chrono::Duration;
use deals_core::{Channel, NotificationKind, Priority};
use deals_store::now;
use deals_store::repo::jobs::Job;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::JobKind;
use crate::agents::Origin;
use crate::error::Error;
use crate::notify::channels::{Delivered, DeliveryError};
use crate::notify::{Alert, Delivery, notify};
use crate::state::AppState;

/// Why a job failed.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// Worth another attempt (a market or database hiccup).
    Retryable(String),
    /// Worth another attempt, not before this wait (the other side's `Retry-After`), which
    /// replaces the kind's own backoff.
    RetryAfter(String, std::time::Duration),
    /// Retrying cannot help (the goal was deleted, the payload is unreadable).
    Permanent(String),
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        if e.is_permanent() {
            JobError::Permanent(e.to_string())
        } else {
            JobError::Retryable(e.to_string())
        }
    }
}

impl From<deals_store::StoreError> for JobError {
    fn from(e: deals_store::StoreError) -> Self {
        Error::from(e).into()
    }
}

/// Runs the handler of `kind`; its result is stored with the job.
pub async fn run(
    state: &AppState,
    kind: JobKind,
    job: &Job,
) -> Result<serde_json::Value, JobError> {
    let origin = Origin::new(job.owner_id, Some(job.id));
    match kind {
        JobKind::AnalyzeGoal => {
            let refine = job.payload.get("refine").and_then(|v| v.as_bool()) == Some(true);
            let goal = subject(job)?;
            let out =
                crate::goals::discovery::analyze(state, origin.for_goal(goal), goal, refine).await;
            json(unpaid(state, goal, out).await.map_err(gone("goal"))?)
        }
        JobKind::SearchDeals => {
            let goal = subject(job)?;
            let out = crate::goals::discovery::search(state, origin.for_goal(goal), goal).await;
            json(unpaid(state, goal, out).await.map_err(gone("goal"))?)
        }
        JobKind::CheckPrices => {
            let ids: Vec<Uuid> = job
                .payload
                .get("tracker_ids")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| JobError::Permanent(format!("payload: {e}")))?
                .unwrap_or_default();
            json(crate::tracking::check::check_prices(state, origin, &ids).await?)
        }
        JobKind::AnalyzeDeal => analyze_deal(state, origin, subject(job)?).await,
        JobKind::DeliverNotification => deliver_notification(state, job).await,
        JobKind::ExpireGoals => expire_goals(state).await,
        JobKind::Retention => retention(state).await,
        JobKind::CheckDeposit => check_deposit(state, job).await,
        JobKind::DeliverDigest => deliver_digest(state, job).await,
        JobKind::FlushAlerts => json(crate::notify::goals::flush_stale(state, origin).await?),
    }
}

/// A use case's outcome as the job's stored result.
fn json<T: Serialize>(value: T) -> Result<serde_json::Value, JobError> {
    serde_json::to_value(value).map_err(|e| JobError::Permanent(format!("result: {e}")))
}

/// Says which subject is gone when a use case finds nothing (a permanent failure).
fn gone(what: &'static str) -> impl Fn(Error) -> JobError {
    move |e| match e {
        Error::NotFound => JobError::Permanent(format!("the {what} no longer exists")),
        other => other.into(),
    }
}

/// Pauses the goal (and tells its owner) when its work was refused for want of tokens or
/// budget; the job then fails for good with that error.
async fn unpaid<T>(state: &AppState, goal_id: Uuid, out: Result<T, Error>) -> Result<T, Error> {
    if let Err(e @ (Error::InsufficientTokens { .. } | Error::BudgetSpent { .. })) = &out
        && let Err(paused) = crate::tokens::pause_unpaid_goal(state, goal_id, e).await
    {
        tracing::warn!(goal_id = %goal_id, error = %paused, "pausing an unpaid goal failed");
    }
    out
}

/// The job's subject id, or a permanent failure.
fn subject(job: &Job) -> Result<Uuid, JobError> {
    job.subject_id
        .ok_or_else(|| JobError::Permanent(format!("{} job without a subject", job.kind)))
}

async fn analyze_deal(
    state: &AppState,
    origin: Origin,
    listing_id: Uuid,
) -> Result<serde_json::Value, JobError> {
    let saved = crate::deals::analysis::analyze_and_publish(state, origin, listing_id)
        .await
        .map_err(gone("listing"))?;
    Ok(json!({
        "deal_id": listing_id,
        "final_score": saved.final_score,
        "normalized_score": saved.normalized_score,
    }))
}

async fn expire_goals(state: &AppState) -> Result<serde_json::Value, JobError> {
    let at = now();
    let expired = state.store.expire_goals(at).await?;
    for g in &expired {
        notify(
            state,
            g.user_id,
            Alert {
                kind: NotificationKind::GoalExpired,
                priority: Priority::Low,
                title: format!("Goal expired: {}", g.title),
                body: format!(
                    "“{}” reached its deadline and stopped searching; {} deals were matched.",
                    g.title, g.matches_found
                ),
                data: json!({"goal_id": g.id}),
                dedup_key: format!("goal_expired:{}", g.id),
            },
        )
        .await?;
    }
    let soon = state
        .store
        .goals_nearing_deadline(at, Duration::hours(24))
        .await?;
    for g in &soon {
        notify(
            state,
            g.user_id,
            Alert {
                kind: NotificationKind::Deadline,
                priority: Priority::Medium,
                title: format!("Deadline tomorrow: {}", g.title),
                body: format!(
                    "“{}” stops searching within 24 hours; {} deals matched so far.",
                    g.title, g.matches_found
                ),
                data: json!({"goal_id": g.id, "deadline": g.deadline}),
                dedup_key: format!("deadline:{}", g.id),
            },
        )
        .await?;
    }
    let released = crate::tokens::release_expired_holds(state).await?;
    Ok(json!({"expired": expired.len(), "reminded": soon.len(), "holds_released": released}))
}

async fn retention(state: &AppState) -> Result<serde_json::Value, JobError> {
    let days = i64::try_from(state.settings.jobs.retention_days).unwrap_or(30);
    let before = now() - Duration::days(days);
    let jobs = state.store.delete_finished_jobs(before).await?;
    let notifications = state.store.delete_read_notifications(before).await?;
    state.store.maintain_partitions(now()).await?;
    Ok(json!({
        "jobs_deleted": jobs,
        "notifications_deleted": notifications,
    }))
}

/// Reads a pending deposit again; still pending is a retry (with the queue's backoff).
async fn check_deposit(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let signature = job
        .payload
        .get("signature")
        .and_then(|s| s.as_str())
        .ok_or_else(|| JobError::Permanent("payload without a signature".into()))?;
    let deposit = crate::tokens::deposits::check(state, signature)
        .await
        .map_err(gone("deposit"))?;
    if deposit.status == deals_store::repo::wallets::status::PENDING {
        return Err(JobError::Retryable(
            "the transaction is not finalized yet".into(),
        ));
    }
    Ok(json!({"signature": deposit.signature, "status": deposit.status, "reason": deposit.reason}))
}

/// Sends the alerts held for one digest (one user, channel and time) as one message. The
/// deliveries are claimed before the message goes out, so a crash between sending and
/// recording never sends it twice.
async fn deliver_digest(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let user = job
        .owner_id
        .ok_or_else(|| JobError::Permanent("digest without a user".into()))?;
    let channel = payload_channel(job)?;
    let key = job
        .payload
        .get("key")
        .and_then(|k| k.as_str())
        .ok_or_else(|| JobError::Permanent("payload without a digest key".into()))?;
    let claim = crate::notify::claim_digest(state, key).await?;
    let last_attempt = job.attempts >= job.max_attempts;
    match crate::notify::send_digest(state, user, channel, key, &claim, last_attempt).await {
        Ok(sent) => {
            Ok(json!({"channel": channel, "alerts": sent.alerts, "interrupted": sent.interrupted}))
        }
        Err(e) => Err(delivery_error(e)),
    }
}

/// The channel a delivery job's payload names.
fn payload_channel(job: &Job) -> Result<Channel, JobError> {
    job.payload
        .get("channel")
        .and_then(|c| c.as_str())
        .map(Channel::parse)
        .transpose()
        .map_err(|e| JobError::Permanent(format!("payload channel: {e}")))?
        .ok_or_else(|| JobError::Permanent("payload without a channel".into()))
}

/// A failed delivery as a job error: retried (after the other side's `Retry-After` when it
/// named one) or not.
fn delivery_error(e: Delivery) -> JobError {
    match e {
        Delivery::Failed(e) => e.into(),
        Delivery::Channel(DeliveryError::Retryable(m)) => JobError::Retryable(m),
        Delivery::Channel(DeliveryError::RetryAfter(m, wait)) => JobError::RetryAfter(m, wait),
        Delivery::Channel(DeliveryError::Permanent(m) | DeliveryError::Gone(m)) => {
            JobError::Permanent(m)
        }
    }
}

/// Sends one notification to one of the user's external channels. The in-app row and the live
/// event were written when the notification was created.
async fn deliver_notification(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let id = subject(job)?;
    let channel = payload_channel(job)?;
    let last_attempt = job.attempts >= job.max_attempts;
    match crate::notify::deliver(state, id, channel, last_attempt).await {
        Ok(Delivered::Sent(status)) => Ok(json!({"channel": channel, "status": status})),
        Ok(Delivered::Skipped(why)) => Ok(json!({"skipped": why})),
        Err(e) => Err(delivery_error(e)),
    }
}
