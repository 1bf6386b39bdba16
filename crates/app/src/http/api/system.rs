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
    /// `ok` or `down`.
    pub status: CheckStatus,
    /// Backend in use (`sqlite`, `postgres`, `redis`, `memory`).
    pub backend: String,
}

/// Readiness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
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
    if let Some(conn) = &state.redis {
        let mut conn = conn.clone();
        let ping = tokio::time::timeout(
            std::time::Duration::from_secs(3),
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        let ok = matches!(ping, Ok(Ok(ref pong)) if pong == "PONG");
        checks.push(Check {
            name: "redis",
            status: CheckStatus::of(ok),
            backend: "redis".into(),
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
    let all_ok = checks.iter().all(|c| c.status == CheckStatus::Ok);
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if all_ok { "ready" } else { "unavailable" },
        checks,
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain", body = String, description = "OK")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
