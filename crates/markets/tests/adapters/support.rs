//! A scripted fake HTTP server (axum on 127.0.0.1:0) that records every request, plus fixtures
//! and fast resilience settings.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use deals_markets::config::HttpSettings;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A canned answer.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Canned {
    pub fn json(body: impl Into<String>) -> Self {
        Self::status(200, body).header("content-type", "application/json")
    }

    pub fn html(body: impl Into<String>) -> Self {
        Self::status(200, body).header("content-type", "text/html; charset=utf-8")
    }

    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path, percent-decoded.
    pub path: String,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct Script {
    /// (path prefix, answers); the last answer of a route repeats.
    routes: Vec<(String, VecDeque<Canned>)>,
    seen: Vec<Seen>,
}

/// A running fake server.
#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl Fake {
    pub async fn start() -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let state = Arc::clone(&script);
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let state = Arc::clone(&state);
            async move { answer(state, req).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, script }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers requests whose path starts with `prefix` with `answers`, in order.
    pub fn on(&self, prefix: &str, answers: Vec<Canned>) -> &Self {
        self.script
            .lock()
            .unwrap()
            .routes
            .push((prefix.to_owned(), answers.into()));
        self
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    pub fn seen_on(&self, prefix: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path.starts_with(prefix))
            .collect()
    }
}

async fn answer(script: Arc<Mutex<Script>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = percent_decode(parts.uri.path());
    let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let canned = {
        let mut s = script.lock().unwrap();
        s.seen.push(Seen {
            method: parts.method.to_string(),
            path: path.clone(),
            query,
            headers: parts.headers.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        s.routes
            .iter_mut()
            .find(|(prefix, answers)| path.starts_with(prefix.as_str()) && !answers.is_empty())
            .map(|(_, answers)| {
                if answers.len() > 1 {
                    answers.pop_front().unwrap()
                } else {
                    answers[0].clone()
                }
            })
    };
    let Some(c) = canned else {
        return (StatusCode::NOT_FOUND, "no script").into_response();
    };
    let mut resp = Response::builder().status(c.status);
    for (k, v) in &c.headers {
        resp = resp.header(k, v);
    }
    resp.body(Body::from(c.body)).unwrap()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Millisecond backoffs, a generous rate, a breaker that opens after 3 failures for 100 ms.
pub fn fast() -> HttpSettings {
    HttpSettings {
        timeout_ms: 2_000,
        max_retries: 2,
        backoff_base_ms: 1,
        backoff_max_ms: 5,
        requests_per_second: 1_000.0,
        burst: 100,
        breaker_threshold: 3,
        breaker_cooldown_ms: 100,
        cache_ttl_s: 600,
        cache_capacity: 100,
    }
}
