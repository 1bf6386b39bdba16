//! Jobs: one job's status and result, the queue monitor, re-queuing a dead job, and the two
//! routes that start work now (a goal's deal search, a deal's analysis).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use deals_core::Permission;
use deals_store::repo::jobs::{Job, JobStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::jobs::{JobKind, Jobs};
use crate::state::AppState;

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    /// Id.
    pub id: Uuid,
    /// What it does.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed`, `retrying` or `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The goal, deal or notification it works on.
    pub subject_id: Option<Uuid>,
    /// What it produced.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// The last error.
    pub error: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Earliest (next) start.
    pub run_at: DateTime<Utc>,
    /// When the last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind.to_string(),
            status: j.status.to_string(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            subject_id: j.subject_id,
            result: j.result,
            error: j.error,
            created_at: j.created_at,
            run_at: j.run_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            updated_at: j.updated_at,
        }
    }
}

/// `202 Accepted` with the job that will do the work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Poll `GET /api/v1/jobs/{job_id}` or watch `job_update` frames on the WebSocket.
    pub job_id: Uuid,
}

/// One of the caller's jobs (any job for administrators).
#[utoipa::path(get, path = "/api/v1/jobs/{job_id}", operation_id = "get_job", tag = "jobs", security(("bearer" = [])), params(("job_id" = Uuid, Path)), responses(
    (status = 200, body = JobOut, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn get_job(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(job_id): ApiPath<Uuid>,
) -> Result<Json<JobOut>, AppError> {
    user.require(Permission::Read)?;
    Ok(Json(
        state.store.get_job(user.scope(), job_id).await?.into(),
    ))
}

/// Counts of one kind in one status.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobCount {
    /// Job kind.
    pub kind: String,
    /// Status.
    pub status: String,
    /// Number of jobs.
    pub count: u64,
}

/// The queue monitor.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobMonitor {
    /// `sqlite`, `postgres` or `redis`.
    pub queue_backend: String,
    /// Ids waiting in the queue transport.
    pub queue_depth: Option<u64>,
    /// Stored jobs by kind and status.
    pub counts: Vec<JobCount>,
    /// Jobs finished in the last 5 minutes, per second.
    pub throughput_per_sec: f64,
    /// Mean run time of those jobs.
    pub mean_run_ms: Option<f64>,
    /// Mean wait from due to start of those jobs.
    pub mean_wait_ms: Option<f64>,
    /// The latest failures, newest first.
    pub recent_failures: Vec<JobOut>,
    /// Jobs of the requested page (`?status=` filters).
    pub jobs: Paginated<JobOut>,
}

/// Query of the monitor.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonitorParams {
    /// Only jobs in this status.
    #[param(schema_with = crate::schema::job_status)]
    pub status: Option<String>,
    /// Page (1-based).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<i64>,
    /// Page size (≤ 100).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// Seconds the monitor's throughput and timings look back.
const WINDOW_SECS: i64 = 300;

/// The queue monitor (administrators only).
#[utoipa::path(get, path = "/api/v1/admin/jobs", operation_id = "admin_jobs", tag = "admin", security(("bearer" = [])), params(MonitorParams), responses(
    (status = 200, body = JobMonitor, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn admin_jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(params): ApiQuery<MonitorParams>,
) -> Result<Json<JobMonitor>, AppError> {
    let page = PageParams {
        page: params.page,
        per_page: params.per_page,
    }
    .parse()?;
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            JobStatus::ALL
                .iter()
                .copied()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| {
                    AppError::invalid(
                        "status",
                        "must be queued, running, succeeded, failed, retrying or dead",
                    )
                })?,
        ),
        None => None,
    };
    let stats = state
        .store
        .job_stats(chrono::Duration::seconds(WINDOW_SECS))
        .await?;
    let jobs = state
        .store
        .list_jobs(deals_store::Scope::All, status, page)
        .await?;
    let queue = state.jobs.queue();
    Ok(Json(JobMonitor {
        queue_backend: queue.backend_name().to_owned(),
        queue_depth: queue.depth().await.ok(),
        counts: stats
            .counts
            .into_iter()
            .map(|(kind, status, count)| JobCount {
                kind: kind.to_string(),
                status: status.to_string(),
                count,
            })
            .collect(),
        throughput_per_sec: stats.finished_in_window as f64 / WINDOW_SECS as f64,
        mean_run_ms: stats.mean_run_ms,
        mean_wait_ms: stats.mean_wait_ms,
        recent_failures: stats
            .recent_failures
            .into_iter()
            .map(JobOut::from)
            .collect(),
        jobs: Paginated::from_page(jobs, page, JobOut::from),
    }))
}

/// Re-queues a dead or failed job with a fresh set of attempts (administrators only).
#[utoipa::path(post, path = "/api/v1/admin/jobs/{job_id}/retry", operation_id = "retry_job", tag = "admin", security(("bearer" = [])), params(("job_id" = Uuid, Path)), responses(
    (status = 202, body = Accepted, description = "Queued again"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "No such job"), (status = 409, body = Problem, description = "The job is not dead or failed")))]
pub async fn retry_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(job_id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<Accepted>), AppError> {
    let job = match state.store.retry_job(job_id).await {
        Err(deals_store::StoreError::Conflict(why)) => return Err(AppError::Conflict(why)),
        other => other?,
    };
    state.jobs.dispatch(&job).await;
    Ok((StatusCode::ACCEPTED, Json(Accepted { job_id: job.id })))
}

/// Runs the deal search of one of the caller's goals now (or answers with the search already
/// waiting or running for it).
#[utoipa::path(post, path = "/api/v1/goals/{goal_id}/search", operation_id = "search_goal_now", tag = "goals", security(("bearer" = [])), params(("goal_id" = Uuid, Path)), responses(
    (status = 202, body = Accepted, description = "Search queued"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "Not found (or not yours)"), (status = 402, body = Problem, description = "Not enough DEAL tokens, or the goal's budget is spent (the body adds `cost` and `balance` or `budget_remaining`)"), (status = 409, body = Problem, description = "The goal is not active")))]
pub async fn search_goal(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<Accepted>), AppError> {
    user.require(Permission::Update)?;
    let job_id = crate::goals::search_now(&state, user.scope(), goal_id, user.id).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { job_id })))
}

/// Re-runs the analysis of a deal now.
#[utoipa::path(post, path = "/api/v1/deals/{deal_id}/analyze", operation_id = "analyze_deal_now", tag = "deals", security(("bearer" = [])), params(("deal_id" = Uuid, Path)), responses(
    (status = 202, body = Accepted, description = "Analysis queued"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "No such deal (or not yours)")))]
pub async fn analyze_deal(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(deal_id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<Accepted>), AppError> {
    user.require(Permission::Create)?;
    let listing = state
        .store
        .get_visible_listing(deal_id, Some(user.scope()))
        .await?;
    let new = Jobs::new_job(
        JobKind::AnalyzeDeal,
        Some(user.id),
        Some(listing.id),
        serde_json::json!({}),
    );
    let (job, _) = state.jobs.enqueue(&state.store, new).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { job_id: job.id })))
}
