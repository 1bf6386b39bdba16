//! Runs one delivered job id: claim the row, keep the lease alive while the handler works,
//! then record success, a retry with backoff, or a dead job.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deals_store::entity::job;
use deals_store::repo::jobs::{Claim, finish_job_in};
use deals_store::now;
use uuid::Uuid;

use super::JobKind;
use super::handlers::{self, JobError};
use super::queue::{HandlerError, JobHandler};
use crate::state::AppState;

/// The handler the queue consumer calls for every delivered id.
pub fn job_handler(state: AppState, worker: &str) -> JobHandler {
    let worker: Arc<str> = Arc::from(worker);
    Arc::new(move |id: Uuid| {
        let state = state.clone();
        let worker = worker.clone();
        Box::pin(async move { run_job(&state, &worker, id).await })
    })
}

/// Claims and runs one job. `Err(Retry)` asks the transport to deliver the id again later (the
/// job is not due yet, another worker holds it, or the database could not be reached).
pub async fn run_job(state: &AppState, worker: &str, id: Uuid) -> Result<(), HandlerError> {
    let settings = &state.settings.jobs;
    let lease = chrono::Duration::seconds(i64::try_from(settings.lease_secs).unwrap_or(60));
    let job = match state.store.claim_job(id, worker, lease).await {
        Ok(Claim::Claimed(job)) => *job,
        Ok(Claim::NotBefore(at)) => {
            let wait = (at - now()).to_std().unwrap_or(Duration::ZERO);
            return Err(HandlerError::Retry(wait + Duration::from_millis(50)));
        }
        Ok(Claim::Settled) => return Ok(()),
        Err(e) => {
            tracing::warn!(job_id = %id, error = %e, "claiming a job failed; retrying shortly");
            return Err(HandlerError::Retry(Duration::from_secs(2)));
        }
    };
    state.jobs.announce(&job).await;
    let kind = JobKind::parse(&job.kind);
    let started = Instant::now();
    let renewal = keep_lease(state.clone(), worker.to_owned(), id, lease);
    let outcome = match kind {
        None => Err(JobError::Permanent(format!("unknown job kind {}", job.kind))),
        Some(kind) => {
            let timeout = Duration::from_secs(settings.job_timeout_secs);
            match tokio::time::timeout(timeout, handlers::run(state, kind, &job)).await {
                Ok(out) => out,
                Err(_) => Err(JobError::Retryable(format!(
                    "timed out after {} s",
                    timeout.as_secs()
                ))),
            }
        }
    };
    renewal.abort();
    let label = kind.map_or("unknown", JobKind::as_str);
    metrics::histogram!("deals_job_duration_seconds", "kind" => label)
        .record(started.elapsed().as_secs_f64());
    settle(state, worker, &job, kind, outcome).await;
    Ok(())
}

/// Records the outcome of a run.
async fn settle(
    state: &AppState,
    worker: &str,
    job: &job::Model,
    kind: Option<JobKind>,
    outcome: Result<serde_json::Value, JobError>,
) {
    let label = kind.map_or("unknown", JobKind::as_str);
    let stored = match outcome {
        Ok(result) => {
            metrics::counter!("deals_jobs_succeeded_total", "kind" => label).increment(1);
            match finish_job_in(state.store.conn(), job.id, worker, result).await {
                Ok(true) => state.store.get_job(deals_store::Scope::All, job.id).await.ok(),
                Ok(false) => {
                    tracing::warn!(job_id = %job.id, "job finished after its lease was taken over");
                    None
                }
                Err(e) => {
                    tracing::error!(job_id = %job.id, error = %e, "recording a finished job failed");
                    None
                }
            }
        }
        Err(err) => {
            metrics::counter!("deals_jobs_failed_total", "kind" => label).increment(1);
            let (message, permanent) = match &err {
                JobError::Retryable(m) => (m.as_str(), false),
                JobError::Permanent(m) => (m.as_str(), true),
            };
            let retry = (!permanent && job.attempts < job.max_attempts)
                .then(|| kind.unwrap_or(JobKind::AnalyzeDeal).backoff(job.attempts));
            let retry_at = retry.map(|d| now() + chrono::Duration::from_std(d).unwrap_or_default());
            tracing::warn!(
                job_id = %job.id, kind = label, attempt = job.attempts, error = message,
                retry_in_ms = retry.map(|d| d.as_millis() as u64),
                "job failed"
            );
            let saved = state
                .store
                .fail_job(job.id, worker, message, retry_at, permanent)
                .await;
            match saved {
                Ok(Some(row)) => {
                    if row.status == "dead" {
                        metrics::counter!("deals_jobs_dead_total", "kind" => label).increment(1);
                    }
                    if let Some(delay) = retry {
                        state.jobs.redeliver(job.id, Some(delay)).await;
                    }
                    Some(row)
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(job_id = %job.id, error = %e, "recording a failed job failed");
                    None
                }
            }
        }
    };
    if let Some(row) = stored {
        state.jobs.announce(&row).await;
    }
}

/// Renews the lease every third of its length until aborted.
fn keep_lease(
    state: AppState,
    worker: String,
    id: Uuid,
    lease: chrono::Duration,
) -> tokio::task::JoinHandle<()> {
    let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(5));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            match state.store.renew_lease(id, &worker, lease).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => tracing::warn!(job_id = %id, error = %e, "renewing a job lease failed"),
            }
        }
    })
}
