//! The administrator's monitor as use cases: recent jobs, re-queueing a dead or failed job, and
//! the recorded agent runs (the JSON admin API reads the store the same way).

use deals_core::{JobStatus, Pagination};
use deals_store::Scope;
use deals_store::repo::Page;
use deals_store::repo::jobs::Job;
use deals_store::rows::AgentRunRow;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::state::AppState;

/// Every user's jobs, newest first, optionally of one status.
pub async fn list(
    state: &AppState,
    status: Option<JobStatus>,
    page: Pagination,
) -> Result<Page<Job>> {
    Ok(state.store.list_jobs(Scope::All, status, page).await?)
}

/// Re-queues a dead or failed job with a fresh set of attempts and wakes a worker.
pub async fn retry(state: &AppState, id: Uuid) -> Result<Job> {
    let job = match state.store.retry_job(id).await {
        Err(deals_store::StoreError::Conflict(why)) => return Err(Error::Conflict(why)),
        other => other?,
    };
    state.jobs.dispatch(&job).await;
    Ok(job)
}

/// Recorded agent runs, newest first, with their tokens and cost.
pub async fn agent_runs(state: &AppState, page: Pagination) -> Result<Page<AgentRunRow>> {
    Ok(state.store.list_agent_runs(Scope::All, page).await?)
}
