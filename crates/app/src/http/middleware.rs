//! Gateway middleware: request metrics by route pattern, rate limiting, and turning any bare
//! error response (unknown route, wrong method, timeout) into a problem document.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{AppError, PROBLEM_JSON, problem};
use crate::auth::extract::bearer;
use crate::ratelimit::Bucket;
use crate::state::AppState;
use crate::telemetry::{RequestUser, monitor};

/// Label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Records `http_requests_total`, `http_request_duration_seconds` and
/// `deals_request_latency_seconds` by method, route pattern and status, `http_server_errors_total`
/// for 5xx, feeds `deals_error_rate` and `deals_active_users`, and writes one INFO line per
/// request (method, route, status, latency, user id when authenticated, request id). Probes
/// (`/health`, `/ready`, `/metrics`) log at DEBUG so that orchestrators polling them do not
/// drown the log.
pub async fn track_metrics(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = req.method().to_string();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let user = RequestUser::default();
    req.extensions_mut().insert(user.clone());
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    let status = res.status();
    let user = user.get();
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    metrics::histogram!("deals_request_latency_seconds", &labels).record(elapsed.as_secs_f64());
    if status.is_server_error() {
        metrics::counter!("http_server_errors_total", &labels[..2]).increment(1);
    }
    monitor().request(status.is_server_error(), user);
    let [(_, method), (_, route), _] = &labels;
    let latency_ms = (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    let user_id = user.map(|u| u.to_string());
    if matches!(route.as_str(), "/health" | "/ready" | "/metrics") {
        tracing::debug!(target: "deals::request", %method, %route, status = status.as_u16(), latency_ms, user_id, request_id, "request");
    } else {
        tracing::info!(target: "deals::request", %method, %route, status = status.as_u16(), latency_ms, user_id, request_id, "request");
    }
    res
}

/// The client address: the peer, or with `trust_forwarded_for` the last `X-Forwarded-For` hop
/// (the one our own proxy appended; earlier hops are whatever the client claimed).
fn client_ip(req: &Request, trust_forwarded: bool) -> Option<IpAddr> {
    if trust_forwarded
        && let Some(last) = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
        && let Ok(ip) = last.trim().parse::<IpAddr>()
    {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one subscriber's network),
/// so rotating addresses inside one's own prefix gives no fresh budget.
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

/// Applies the per-user (valid token) or per-address (anonymous) limit, and the stricter sign-in
/// limit on register, login and refresh. Only `/health` is exempt: `/ready` and `/metrics` touch
/// the database and Redis, so they count like any other request.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cfg = &state.settings.rate_limit;
    let path = req.uri().path();
    if !cfg.enabled || path == "/health" {
        return next.run(req).await;
    }
    let ip = address_key(client_ip(&req, state.settings.server.trust_forwarded_for));
    let is_sign_in = matches!(
        path,
        "/api/v1/auth/register" | "/api/v1/auth/login" | "/api/v1/auth/refresh"
    ) || (req.method() == axum::http::Method::POST
        && matches!(path, "/login" | "/register"));
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
    // Problem documents, deliberate JSON error bodies (such as `/ready`) and the web UI's
    // error pages pass through.
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with(PROBLEM_JSON)
                || v.starts_with("application/json")
                || v.starts_with("text/html")
        });
    if is_json {
        return res;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "no such resource",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this resource",
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was cancelled",
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "the request's headers are too large",
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

/// Refuses at once (413) a request whose declared `Content-Length` exceeds the body limit,
/// before anything reads the body: a client announcing 10 GiB is not waited for.
pub async fn refuse_oversized(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = state.settings.server.body_limit_bytes as u64;
    if declared.is_some_and(|n| n > limit) {
        return AppError::PayloadTooLarge.into_response();
    }
    next.run(req).await
}

/// Largest request head (header names and values) accepted; hyper's own buffer allows about
/// 400 KiB, far more than any honest client sends.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses (431 problem+json) a request whose headers add up to more than
/// [`MAX_HEADER_BYTES`]. Heads hyper cannot even buffer get the same answer from
/// [`super::wire`].
pub async fn refuse_huge_headers(req: Request, next: Next) -> Response {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return problem(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request's headers add up to {size} bytes; at most {MAX_HEADER_BYTES} are accepted"
            ),
            None,
        );
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(xff: &[&str]) -> Request {
        let mut b = Request::builder().uri("/");
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        let mut req = b.body(axum::body::Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        req
    }

    #[test]
    fn forwarded_addresses_are_used_only_when_trusted_and_only_the_last_hop() {
        let req = request(&["6.6.6.6, 1.2.3.4"]);
        assert_eq!(address_key(client_ip(&req, false)), "10.0.0.1");
        assert_eq!(address_key(client_ip(&req, true)), "1.2.3.4");
        let req = request(&["6.6.6.6", "5.5.5.5"]);
        assert_eq!(address_key(client_ip(&req, true)), "5.5.5.5");
        let req = request(&["garbage"]);
        assert_eq!(address_key(client_ip(&req, true)), "10.0.0.1");
    }

    /// A writer collecting what the subscriber prints.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn every_request_logs_one_json_line_with_route_status_latency_user_and_request_id() {
        use axum::routing::get;
        use tower::ServiceExt;

        let user = uuid::Uuid::now_v7();
        let app = axum::Router::new()
            .route(
                "/api/v1/goals/{goal_id}",
                get(move |req: Request| async move {
                    RequestUser::note(req.extensions(), user);
                    "ok"
                }),
            )
            .route("/health", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(track_metrics));
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let req = Request::builder()
            .uri("/api/v1/goals/0193c0de-0000-7000-8000-000000000001?x=1")
            .header("x-request-id", "req-42")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), 200);
        let probe = Request::builder()
            .uri("/health")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(app.oneshot(probe).await.unwrap().status(), 200);

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "one INFO line, probes at DEBUG: {text}");
        let f = &lines[0]["fields"];
        assert_eq!(f["message"], "request");
        assert_eq!(f["method"], "GET");
        assert_eq!(f["route"], "/api/v1/goals/{goal_id}");
        assert_eq!(f["status"], 200);
        assert_eq!(f["user_id"], user.to_string());
        assert_eq!(f["request_id"], "req-42");
        assert!(f["latency_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(lines[0]["level"], "INFO");
    }

    #[test]
    fn ipv6_clients_share_a_budget_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_ne!(
            address_key(Some(a)),
            address_key(Some("2001:db8:1:3::1".parse().unwrap()))
        );
        assert_eq!(
            address_key(Some("::ffff:1.2.3.4".parse().unwrap())),
            "1.2.3.4"
        );
    }
}
