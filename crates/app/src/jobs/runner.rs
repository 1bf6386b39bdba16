//! Runs one claimed job: keep the lease alive while the handler works, then record success, a
//! retry with backoff, or a failed or dead job. Also runs every due job in this process
//! ([`run_due`]), for tests and one-off runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deals_store::repo::jobs::Job;
use deals_store::{StoreError, now};
use uuid::Uuid;

use super::handlers::{self, JobError};
use super::queue::{AbortOnDrop, JobHandler};
use super::{JobStatus, kinds};
use crate::config::JobsSettings;
use crate::state::AppState;

/// The lease a worker takes with each claim.
pub fn lease(settings: &JobsSettings) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(settings.lease_secs).unwrap_or(60))
}

/// The handler a worker calls for every job it claimed.
pub fn job_handler(state: AppState, worker: &str) -> JobHandler {
    let worker: Arc<str> = Arc::from(worker);
    Arc::new(move |job: Job| {
        let state = state.clone();
        let worker = worker.clone();
        Box::pin(async move { run_job(&state, &worker, job).await })
    })
}

/// Runs every due job to completion in this process (and the jobs they enqueue that are due at
/// once); returns how many ran.
pub async fn run_due(state: &AppState) -> Result<usize, StoreError> {
    let worker = format!("drain-{}-{}", std::process::id(), Uuid::new_v4().simple());
    let handler = job_handler(state.clone(), &worker);
    let settings = &state.settings.jobs;
    state
        .jobs
        .queue()
        .drain(&worker, lease(settings), settings.concurrency, &handler)
        .await
}

/// Runs one claimed job and records its outcome.
pub async fn run_job(state: &AppState, worker: &str, job: Job) {
    let settings = &state.settings.jobs;
    state.jobs.announce(&job).await;
    let started = Instant::now();
    let renewal = keep_lease(state.clone(), worker.to_owned(), job.id, lease(settings));
    let timeout = Duration::from_secs(settings.job_timeout_secs);
    // The job's store calls queue for the stores' request quotas at the job's priority.
    let run = deals_markets::priority::scope(job.priority, handlers::run(state, job.kind, &job));
    let outcome = match tokio::time::timeout(timeout, run).await {
        Ok(out) => out,
        Err(_) => Err(JobError::Retryable(format!(
            "timed out after {} s",
            timeout.as_secs()
        ))),
    };
    drop(renewal);
    let elapsed = started.elapsed();
    metrics::histogram!("deals_job_duration_seconds", "kind" => job.kind.as_str())
        .record(elapsed.as_secs_f64());
    let settled = settle(state, worker, &job, outcome).await;
    // One line per run: what ran, how it ended (`lease_lost` when another worker took it over or
    // the outcome could not be stored), how long, which attempt.
    tracing::info!(
        target: "deals::job",
        job_id = %job.id,
        kind = job.kind.as_str(),
        outcome = settled.map_or("lease_lost", |s| s.as_str()),
        duration_ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
        attempt = job.attempts,
        "job"
    );
}

/// Records the outcome of a run.
async fn settle(
    state: &AppState,
    worker: &str,
    job: &Job,
    outcome: Result<serde_json::Value, JobError>,
) -> Option<JobStatus> {
    let label = job.kind.as_str();
    let stored = match outcome {
        Ok(result) => {
            metrics::counter!("deals_jobs_succeeded_total", "kind" => label).increment(1);
            match state.store.finish_job(job.id, worker, result).await {
                Ok(Some(row)) => Some(row),
                Ok(None) => {
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
            let (message, permanent, asked) = match &err {
                JobError::Retryable(m) => (m.as_str(), false, None),
                JobError::RetryAfter(m, wait) => (m.as_str(), false, Some(*wait)),
                JobError::Permanent(m) => (m.as_str(), true, None),
            };
            let retry = (!permanent && job.attempts < job.max_attempts)
                .then(|| asked.unwrap_or_else(|| kinds::retry_delay(job.kind, job.attempts)));
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
                    if row.status == JobStatus::Dead {
                        metrics::counter!("deals_jobs_dead_total", "kind" => label).increment(1);
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
        match row.status {
            JobStatus::Succeeded => crate::tokens::settle_job(state, row.id, true).await,
            JobStatus::Failed | JobStatus::Dead => {
                crate::tokens::settle_job(state, row.id, false).await;
            }
            _ => {}
        }
        state.jobs.announce(&row).await;
        return Some(row.status);
    }
    None
}

/// Renews the lease every third of its length until dropped.
fn keep_lease(
    state: AppState,
    worker: String,
    id: Uuid,
    lease: chrono::Duration,
) -> AbortOnDrop<()> {
    let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(5));
    AbortOnDrop(tokio::spawn(async move {
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
    }))
}
