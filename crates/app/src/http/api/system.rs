//! Liveness, readiness and metrics.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Liveness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process serves requests.
    pub status: &'static str,
    /// Version of the binary.
    pub version: &'static str,
}

/// Process is up.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health, description = "OK")))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Whether a dependency answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// It answered in time.
    Ok,
    /// It did not.
    Down,
    /// An optional dependency (the read replica) did not answer; the service works without it.
    Degraded,
}

impl CheckStatus {
    fn of(ok: bool) -> Self {
        if ok {
            CheckStatus::Ok
        } else {
            CheckStatus::Down
        }
    }
}

/// State of one dependency or background loop.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// Dependency name (`database`, `redis`, `job_queue`), or a background loop of this
    /// process (`job_worker`, `scheduler`).
    pub name: &'static str,
    /// `ok`, `down`, or `degraded` for an optional dependency that is down.
    pub status: CheckStatus,
    /// Backend in use (`sqlite`, `postgres`, `redis`, `memory`; `process` for a loop).
    pub backend: String,
    /// Whether the process can serve without it (Redis: the cache misses and limits fall back
    /// to this process meanwhile).
    pub optional: bool,
    /// Why it is down, when known (a loop's last failure while it restarts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Overall readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReadyStatus {
    /// Everything answers.
    Ready,
    /// Serving, without an optional dependency (Redis): 200.
    Degraded,
    /// A required dependency or loop is down: 503.
    Unavailable,
}

/// Readiness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `degraded` (an optional dependency is down; still 200) or `unavailable` (503).
    pub status: ReadyStatus,
    /// Every dependency and background loop checked.
    pub checks: Vec<Check>,
}

/// How long `/ready` waits for a dependency.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `/ready` waits for Redis (the cache and limits give up on it after 250 ms anyway).
const REDIS_CHECK_TIMEOUT: Duration = Duration::from_millis(500);

/// Ready to serve: the database and the job queue answer and this process's job worker and
/// scheduler (when it runs them) are running — else 503 naming what is down. Redis down, or the
/// job queue's LISTEN task restarting (PostgreSQL), is `degraded` (200): the cache misses and
/// limits are kept in this process meanwhile, and workers poll for jobs.
#[utoipa::path(get, path = "/ready", tag = "system", responses(
    (status = 200, body = Readiness, description = "ready, or degraded (an optional dependency is down)"), (status = 503, body = Readiness, description = "a required dependency or background loop is down")))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = Vec::new();
    let db_ok = tokio::time::timeout(CHECK_TIMEOUT, state.store.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    let backend = format!("{:?}", state.store.backend()).to_lowercase();
    checks.push(Check {
        name: "database",
        status: CheckStatus::of(db_ok),
        backend,
        optional: false,
        error: None,
    });
    match state.store.check_replica().await {
        deals_store::ReplicaState::None => {}
        replica => checks.push(Check {
            name: "database_replica",
            status: if replica == deals_store::ReplicaState::Up {
                CheckStatus::Ok
            } else {
                CheckStatus::Degraded
            },
            backend: "postgres".into(),
            optional: true,
            error: None,
        }),
    }
    if let Some(conn) = &state.redis {
        let ok = conn.ping(REDIS_CHECK_TIMEOUT).await;
        checks.push(Check {
            name: "redis",
            status: CheckStatus::of(ok),
            backend: conn.kind().into(),
            optional: true,
            error: None,
        });
    }
    let queue = state.jobs.queue();
    let queue_ok = tokio::time::timeout(CHECK_TIMEOUT, queue.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    checks.push(Check {
        name: "job_queue",
        status: CheckStatus::of(queue_ok),
        backend: queue.backend_name().into(),
        optional: false,
        error: None,
    });
    // The LISTEN task only speeds up wake-ups (workers poll while it restarts): optional.
    let loops = [
        (crate::startup::JOB_WORKER, false),
        (crate::startup::SCHEDULER, false),
        (crate::jobs::queue::JOB_LISTENER, true),
    ];
    for (name, optional) in loops {
        if let Some(run) = state.loops.get(name) {
            checks.push(Check {
                name,
                status: CheckStatus::of(run.up),
                backend: "process".into(),
                optional,
                error: (!run.up).then_some(run.last_error).flatten(),
            });
        }
    }
    let required_ok = checks
        .iter()
        .all(|c| c.optional || c.status == CheckStatus::Ok);
    let all_ok = checks.iter().all(|c| c.status == CheckStatus::Ok);
    let (code, status) = match (required_ok, all_ok) {
        (true, true) => (StatusCode::OK, ReadyStatus::Ready),
        (true, false) => (StatusCode::OK, ReadyStatus::Degraded),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, ReadyStatus::Unavailable),
    };
    (code, Json(Readiness { status, checks })).into_response()
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain", body = String, description = "OK")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::render_metrics(&state).await,
    )
}
