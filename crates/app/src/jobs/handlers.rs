//! What each kind of job does. Every handler is idempotent: running a job twice (a worker that
//! crashed after the work but before recording it) has the effect of running it once — price
//! points are keyed by listing and time, matches are unique per goal and listing, and
//! notifications carry a dedup key.

use chrono::Duration;
use deals_core::Preferences;
use deals_store::now;
use deals_store::repo::jobs::Job;
use serde_json::json;
use uuid::Uuid;

use super::JobKind;
use crate::state::AppState;

mod discovery;
mod prices;

/// Why a job failed.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// Worth another attempt (a market or database hiccup).
    Retryable(String),
    /// Retrying cannot help (the goal was deleted, the payload is unreadable).
    Permanent(String),
}

impl<E: std::fmt::Display> From<E> for JobError {
    fn from(e: E) -> Self {
        JobError::Retryable(e.to_string())
    }
}

/// Runs the handler of `kind`; its result is stored with the job.
pub async fn run(
    state: &AppState,
    kind: JobKind,
    job: &Job,
) -> Result<serde_json::Value, JobError> {
    match kind {
        JobKind::AnalyzeGoal => discovery::analyze_goal(state, job).await,
        JobKind::SearchDeals => discovery::search_deals(state, job).await,
        JobKind::CheckPrices => prices::check_prices(state, job).await,
        JobKind::AnalyzeDeal => analyze_deal(state, job).await,
        JobKind::DeliverNotification => deliver_notification(state, job).await,
        JobKind::ExpireGoals => expire_goals(state).await,
        JobKind::Retention => retention(state).await,
    }
}

/// The job's subject id, or a permanent failure.
pub(super) fn subject(job: &Job) -> Result<Uuid, JobError> {
    job.subject_id
        .ok_or_else(|| JobError::Permanent(format!("{} job without a subject", job.kind)))
}

async fn analyze_deal(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let listing_id = subject(job)?;
    let saved = crate::analysis::analyze_and_publish(state, listing_id)
        .await
        .map_err(|e| match e {
            crate::http::error::AppError::NotFound => {
                JobError::Permanent("the listing no longer exists".into())
            }
            other => JobError::Retryable(other.to_string()),
        })?;
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
        discovery::notify(
            state,
            g.user_id,
            discovery::Alert {
                kind: "goal_expired".into(),
                priority: "low".into(),
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
        discovery::notify(
            state,
            g.user_id,
            discovery::Alert {
                kind: "deadline".into(),
                priority: "medium".into(),
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
    Ok(json!({"expired": expired.len(), "reminded": soon.len()}))
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

/// Sends one notification to the user's external channels (webhook and ntfy). The in-app
/// row and the live event were written when the notification was created.
async fn deliver_notification(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let id = subject(job)?;
    let Some(note) = state.store.get_notification(id).await? else {
        return Err(JobError::Permanent(
            "the notification no longer exists".into(),
        ));
    };
    let prefs: Preferences = discovery::preferences(state, note.user_id).await?;
    let channel = job
        .payload
        .get("channel")
        .and_then(|c| c.as_str())
        .unwrap_or("");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    let response = match channel {
        "webhook" => {
            let Some(url) = prefs.channels.webhook_url.as_deref() else {
                return Ok(json!({"skipped": "no webhook configured"}));
            };
            client
                .post(url)
                .json(&json!({
                    "id": note.id,
                    "kind": note.kind,
                    "priority": note.priority,
                    "title": note.title,
                    "body": note.body,
                    "data": note.data,
                    "created_at": note.created_at,
                }))
                .send()
                .await
        }
        "ntfy" => {
            let Some(url) = prefs.channels.ntfy_url.as_deref() else {
                return Ok(json!({"skipped": "no ntfy topic configured"}));
            };
            client
                .post(url)
                .header("Title", note.title.clone())
                .header("Priority", ntfy_priority(&note.priority))
                .body(note.body.clone())
                .send()
                .await
        }
        other => return Err(JobError::Permanent(format!("unknown channel {other:?}"))),
    };
    let response = response.map_err(|e| JobError::Retryable(format!("{channel}: {e}")))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(JobError::Retryable(format!("{channel} answered {status}")));
    }
    if !status.is_success() {
        return Err(JobError::Permanent(format!("{channel} answered {status}")));
    }
    Ok(json!({"channel": channel, "status": status.as_u16()}))
}

fn ntfy_priority(priority: &str) -> &'static str {
    match priority {
        "critical" => "5",
        "high" => "4",
        "low" => "2",
        _ => "3",
    }
}
