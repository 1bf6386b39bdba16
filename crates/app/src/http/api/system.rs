//! Liveness, readiness and metrics.

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

/// State of one dependency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// Dependency name.
    pub name: &'static str,
    /// `ok`, `down`, or `degraded` for an optional dependency that is down.
    pub status: CheckStatus,
    /// Backend in use (`sqlite`, `postgres`, `redis`, `memory`).
    pub backend: String,
}

/// Readiness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `degraded` (an optional dependency such as the read replica is down; still
    /// 200) or `unavailable`.
    pub status: &'static str,
    /// Every dependency checked.
    pub checks: Vec<Check>,
}

/// Ready to serve: the database (and Redis, when configured) answer.
#[utoipa::path(get, path = "/ready", tag = "system", responses(
    (status = 200, body = Readiness, description = "OK"), (status = 503, body = Readiness, description = "a dependency is down")))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = Vec::new();
    let db_ok = tokio::time::timeout(std::time::Duration::from_secs(3), state.store.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    let backend = format!("{:?}", state.store.backend()).to_lowercase();
    checks.push(Check {
        name: "database",
        status: CheckStatus::of(db_ok),
        backend,
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
        }),
    }
    if let Some(conn) = &state.redis {
        let ok = conn.ping(std::time::Duration::from_secs(3)).await;
        checks.push(Check {
            name: "redis",
            status: CheckStatus::of(ok),
            backend: conn.kind().into(),
        });
    }
    let queue = state.jobs.queue();
    let queue_ok = tokio::time::timeout(std::time::Duration::from_secs(3), queue.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    checks.push(Check {
        name: "job_queue",
        status: CheckStatus::of(queue_ok),
        backend: queue.backend_name().into(),
    });
    let all_ok = checks.iter().all(|c| c.status != CheckStatus::Down);
    let degraded = checks.iter().any(|c| c.status == CheckStatus::Degraded);
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: match (all_ok, degraded) {
            (false, _) => "unavailable",
            (true, true) => "degraded",
            (true, false) => "ready",
        },
        checks,
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain", body = String, description = "OK")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::render_metrics(&state).await,
    )
}
