//! Gateway middleware: request metrics by route pattern, rate limiting, and turning any bare
//! error response (unknown route, wrong method, timeout) into a problem document.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{AppError, PROBLEM_JSON, problem};
use crate::auth::extract::bearer;
use crate::ratelimit::Bucket;
use crate::state::AppState;

/// Label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Records `http_requests_total` and `http_request_duration_seconds` by method, route pattern
/// and status, plus `http_server_errors_total` for 5xx.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    if res.status().is_server_error() {
        metrics::counter!("http_server_errors_total", &labels[..2]).increment(1);
    }
    res
}

/// The client address: the peer, or with `trust_forwarded_for` the proxy's `X-Real-IP` or the
/// last `X-Forwarded-For` hop.
fn client_ip(req: &Request, trust_forwarded: bool) -> String {
    if trust_forwarded {
        let headers = req.headers();
        if let Some(ip) = headers.get("x-real-ip").and_then(|v| v.to_str().ok()) {
            return ip.trim().to_owned();
        }
        if let Some(last) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
        {
            return last.trim().to_owned();
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Applies the per-user (valid token) or per-address (anonymous) limit, and the stricter sign-in
/// limit on register, login and refresh. Probes (`/health`, `/ready`, `/metrics`) are exempt.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cfg = &state.settings.rate_limit;
    let path = req.uri().path();
    if !cfg.enabled || matches!(path, "/health" | "/ready" | "/metrics") {
        return next.run(req).await;
    }
    let ip = client_ip(&req, state.settings.server.trust_forwarded_for);
    let is_sign_in = matches!(
        path,
        "/api/v1/auth/register" | "/api/v1/auth/login" | "/api/v1/auth/refresh"
    );
    if is_sign_in && let Err(l) = state.limiter.check(Bucket::Auth, &ip).await {
        return AppError::RateLimited(l.retry_after).into_response();
    }
    let (parts, body) = req.into_parts();
    let user = bearer(&parts)
        .and_then(|t| state.jwt.verify(t).ok())
        .map(|c| c.sub);
    let req = Request::from_parts(parts, body);
    let verdict = match user {
        Some(id) => state.limiter.check(Bucket::User, &id.to_string()).await,
        None => state.limiter.check(Bucket::Anonymous, &ip).await,
    };
    match verdict {
        Ok(()) => next.run(req).await,
        Err(l) => AppError::RateLimited(l.retry_after).into_response(),
    }
}

/// Replaces error responses that are not JSON (produced by the router or by
/// tower layers) with one of the same status.
pub async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    // Problem documents and deliberate JSON error bodies (such as `/ready`) pass through.
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "no such resource",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this resource",
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was cancelled",
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type",
        _ if status.is_server_error() => "an unexpected error occurred; it has been logged",
        _ => "the request could not be processed",
    };
    let (parts, _) = res.into_parts();
    let mut fresh = problem(status, detail.to_owned(), None);
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// Answers unknown routes with a 404 problem.
pub async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "no such resource".into(), None)
}
