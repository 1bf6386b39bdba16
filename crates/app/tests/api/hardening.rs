//! Regression tests for hostile or careless input: each was once accepted or answered badly.

use deals_core::{Availability, Condition};
use deals_store::repo::listings::NewListing;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, assert_problem, error_fields};

/// Posts a raw body as JSON.
async fn post_raw(app: &TestApp, path: &str, token: &str, body: &'static str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_json_body_with_trailing_data_or_a_second_document_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    for body in [
        r#"{"query":"sony tv"} trailing garbage"#,
        r#"{"query":"sony tv"}{"query":"bose"}"#,
    ] {
        let res = post_raw(&app, "/api/v1/goals", &user.access, body).await;
        let problem = assert_problem(res, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("trailing"),
            "{problem}"
        );
    }
    let goals = app.get_json("/api/v1/goals", &user.access).await;
    assert_eq!(goals["total"], 0, "nothing was stored");
}

#[tokio::test]
async fn preferences_must_be_an_object_and_an_array_resets_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(json!({"min_priority": "high", "digest": "daily"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .put(app.url("/api/v1/users/me/preferences"))
        .bearer_auth(&user.access)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;
    let prefs = app
        .get_json("/api/v1/users/me/preferences", &user.access)
        .await;
    assert_eq!(prefs["min_priority"], "high");
    assert_eq!(prefs["digest"], "daily");
}

#[tokio::test]
async fn criteria_name_a_real_currency_and_known_stores() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"criteria": {"keywords": ["tv"], "currency": "QQQ", "markets": ["amazon", "mars"]}}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(
        error_fields(&problem),
        ["criteria.markets[1]", "criteria.currency"]
    );
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"criteria": {"keywords": ["tv"], "currency": "eur", "markets": ["Best Buy"]}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let goal: Value = res.json().await.unwrap();
    assert_eq!(goal["criteria"]["currency"], "EUR");
    assert_eq!(goal["criteria"]["markets"], json!(["bestbuy"]));
}

fn listing(category: &str) -> NewListing {
    NewListing {
        product_id: None,
        owner_id: None,
        market: "bestbuy".into(),
        external_id: format!("item-{category}"),
        url: "https://bestbuy.example/item/1".into(),
        title: "Sony WH-1000XM5 Headphones".into(),
        brand: Some("sony".into()),
        category: Some(category.into()),
        price_minor: 29_999,
        original_price_minor: None,
        currency: deals_core::Currency::USD,
        condition: Condition::New,
        seller_name: None,
        seller_rating: None,
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        seen_at: deals_store::now(),
        flags: vec![],
    }
}

#[tokio::test]
async fn a_category_filter_is_literal_text_not_a_like_pattern() {
    let app = TestApp::spawn().await;
    app.state
        .store
        .upsert_listing(listing("headphones"))
        .await
        .unwrap();
    for (filter, expected) in [("%25", 0), ("_", 0), ("headphones", 1), ("phones", 1)] {
        let page: Value = app
            .get(&format!("/api/v1/deals/search?category={filter}"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], expected, "category={filter}");
    }
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/goals HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{{",
        user.access
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    // No body follows: the answer must not wait for one (the request timeout is 30 s).
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}

#[tokio::test]
async fn tracking_the_same_deal_at_once_is_one_tracker_and_never_a_conflict() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let listing = app
        .state
        .store
        .upsert_listing(listing("headphones"))
        .await
        .unwrap()
        .listing;
    let path = format!("/api/v1/deals/{}/track", listing.id);
    let tries =
        (0..10).map(|_| app.post(&path, Some(&user.access), json!({"target_price": "250.00"})));
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        9,
        "{statuses:?}"
    );
    let tracked = app.get_json("/api/v1/tracked", &user.access).await;
    assert_eq!(tracked["total"], 1);
}

#[tokio::test]
async fn the_openapi_document_says_failures_are_problem_json_and_lists_the_gateways_statuses() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let mut failures = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (code, response) in responses {
                if code.starts_with(['4', '5']) {
                    failures += 1;
                    let types: Vec<&String> =
                        response["content"].as_object().unwrap().keys().collect();
                    assert_eq!(
                        types,
                        ["application/problem+json"],
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
    assert!(failures > 100, "{failures}");
    let create = &doc["paths"]["/api/v1/goals"]["post"]["responses"];
    for code in ["400", "401", "413", "415", "422", "429", "503"] {
        assert!(create[code].is_object(), "POST /goals documents {code}");
    }
}

/// Sends `head` on a raw connection and returns the answer's status line and body.
async fn raw_exchange(app: &TestApp, head: &[u8]) -> (String, String, String) {
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // The server may answer (and close) before it read all of a huge head.
    let _ = stream.write_all(head).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("answered and closed");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn assert_raw_problem(answer: &(String, String, String), status: u16) {
    let (line, head, body) = answer;
    assert!(
        line.starts_with(&format!("HTTP/1.1 {status} ")),
        "{line}\n{head}"
    );
    assert!(
        head.contains("content-type: application/problem+json"),
        "{line}\n{head}"
    );
    let doc: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(doc["status"], status, "{doc}");
    assert!(
        doc["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{doc}"
    );
}

#[tokio::test]
async fn a_raw_0xff_byte_in_the_url_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let answer = raw_exchange(
        &app,
        b"GET /api/v1/deals/search?q=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_raw_problem(&answer, 400);
}

#[tokio::test]
async fn two_hundred_kilobytes_of_headers_are_a_431_problem() {
    let app = TestApp::spawn().await;
    // One header of 200 KB (hyper buffers it; the gateway refuses it) ...
    let big = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    assert_raw_problem(&raw_exchange(&app, big.as_bytes()).await, 431);
    // ... 200 KB in many headers (more than hyper parses: it answers by itself) ...
    let mut many = String::from("GET /health HTTP/1.1\r\nHost: x\r\n");
    for i in 0..2_000 {
        many.push_str(&format!("X-H{i}: {}\r\n", "b".repeat(96)));
    }
    many.push_str("\r\n");
    assert_raw_problem(&raw_exchange(&app, many.as_bytes()).await, 431);
    // ... and a head larger than hyper's buffer.
    let huge = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n",
        "c".repeat(600 * 1024)
    );
    assert_raw_problem(&raw_exchange(&app, huge.as_bytes()).await, 431);
    // An ordinary request still works.
    assert_eq!(app.get("/health", None).await.status(), 200);
}

#[tokio::test]
async fn ready_is_503_naming_a_background_loop_that_is_down() {
    use std::sync::Arc;
    let app = TestApp::spawn().await;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let signal: deals_app::supervisor::Signal = Arc::new(move || {
        let mut rx = rx.clone();
        Box::pin(async move {
            let _ = rx.wait_for(|s| *s).await;
        })
    });
    // A job worker that keeps failing: supervised (restarted with backoff), and /ready says so.
    tokio::spawn(deals_app::supervisor::supervise(
        app.state.loops.clone(),
        deals_app::startup::JOB_WORKER,
        signal,
        |_| async { anyhow::bail!("injected: the queue worker cannot start") },
    ));
    let mut body = Value::Null;
    for _ in 0..100 {
        let res = app.get("/ready", None).await;
        let status = res.status();
        body = res.json().await.unwrap();
        if status == 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(body["status"], "unavailable", "{body}");
    let worker = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "job_worker")
        .cloned()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(worker["status"], "down");
    assert!(
        worker["error"].as_str().unwrap().contains("injected"),
        "{worker}"
    );
    let restarts = app.state.loops.get("job_worker").unwrap().restarts;
    assert!(restarts >= 1, "restarted {restarts} times");
    stop.send(true).unwrap();
}

#[tokio::test]
async fn every_redis_key_and_channel_carries_the_configured_prefix() {
    let app = TestApp::spawn().await;
    let Some(conn) = app.state.redis.clone() else {
        // SQLite pass: no Redis configured (the PostgreSQL pass runs this with Redis).
        return;
    };
    let prefix = app.state.settings.redis.key_prefix.clone();
    assert!(prefix.starts_with("test:"), "{prefix}");
    let user = app.register_user().await;
    // The cache (a public search), the limiter (signed-in and anonymous requests, sign-in) and
    // the live channel (a goal's job updates).
    for _ in 0..2 {
        let res = app.get("/api/v1/deals/search?q=charger", None).await;
        assert_eq!(res.status(), 200);
    }
    app.get("/api/v1/goals", Some(&user.access)).await;
    app.create_goal(&user, "usb c charger").await;
    app.drain_jobs().await;

    let mut conn = conn;
    let mut ours = Vec::new();
    // Everything under the prefix, and everything anywhere that names this test's user.
    for pattern in [format!("{prefix}*"), format!("*{}*", user.id)] {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(&pattern)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(!keys.is_empty(), "nothing stored under {pattern}");
        for key in &keys {
            assert!(key.starts_with(&prefix), "{key} lacks the prefix {prefix}");
        }
        ours.extend(keys);
    }
    assert!(ours.iter().any(|k| k.contains(":cache:")), "{ours:?}");
    assert!(ours.iter().any(|k| k.contains(":rl:")), "{ours:?}");
    let channels: Vec<String> = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(channels, [format!("{prefix}events")]);
}
