//! Gateway behaviour: body limits, content types, malformed JSON, rate limits, request ids,
//! CORS and compression.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let huge = "x".repeat(1024 * 1024 + 10);
    let res = app
        .post("/api/v1/goals", Some(&user.access), json!({"query": huge}))
        .await;
    assert_problem(res, 413).await;
}

#[tokio::test]
async fn non_json_bodies_are_415_and_malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("email=a&password=b")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;
}

#[tokio::test]
async fn anonymous_clients_are_limited_per_address_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.rate_limit.anonymous_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/deals/search", None).await.status(), 200);
    }
    let res = app.get("/api/v1/deals/search", None).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_problem(res, 429).await;
    assert_eq!(
        app.get("/health", None).await.status(),
        200,
        "probes are never limited"
    );
}

#[tokio::test]
async fn signed_in_users_have_their_own_budget() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.anonymous_per_minute = 2;
        s.rate_limit.user_per_minute = 4;
    })
    .await;
    let user = app.register_user().await;
    for _ in 0..4 {
        assert_eq!(
            app.get("/api/v1/users/me", Some(&user.access))
                .await
                .status(),
            200
        );
    }
    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 429).await;
    let other = app.login(&user.email, &user.password).await;
    assert_problem(app.get("/api/v1/users/me", Some(&other.access)).await, 429).await;
}

#[tokio::test]
async fn sign_in_attempts_have_a_stricter_limit() {
    let app = TestApp::spawn_with(|s| s.rate_limit.auth_per_minute = 2).await;
    let body = json!({"email": "x@example.com", "password": "whatever-pass"});
    assert_problem(
        app.post("/api/v1/auth/login", None, body.clone()).await,
        401,
    )
    .await;
    assert_problem(
        app.post("/api/v1/auth/login", None, body.clone()).await,
        401,
    )
    .await;
    assert_problem(app.post("/api/v1/auth/login", None, body).await, 429).await;
}

#[tokio::test]
async fn responses_carry_a_request_id_and_honour_a_given_one() {
    let app = TestApp::spawn().await;
    let res = app.get("/health", None).await;
    assert!(uuid::Uuid::parse_str(res.headers()["x-request-id"].to_str().unwrap()).is_ok());
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app =
        TestApp::spawn_with(|s| s.server.cors_allowed_origins = vec!["https://app.example".into()])
            .await;
    let ok = app
        .client
        .get(app.url("/health"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let other = app
        .client
        .get(app.url("/health"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn large_responses_are_gzip_compressed_on_request() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn server_errors_never_leak_internals() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    app.state.store.conn().clone().close().await.unwrap();
    let res = app.get("/api/v1/goals", Some(&user.access)).await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    let text = body.to_string().to_lowercase();
    for leak in ["sqlx", "select", "pool", "/src/", "sqlite", "postgres"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field_on_every_backend() {
    let app = TestApp::spawn().await;
    let p = assert_problem(
        app.get("/api/v1/deals/search?category=%00", None).await,
        422,
    )
    .await;
    assert_eq!(crate::helpers::error_fields(&p), ["category"]);
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "nul@example.com", "password": "long-enough", "name": "a\u{0}b"}),
        )
        .await;
    assert_eq!(
        crate::helpers::error_fields(&assert_problem(res, 422).await),
        ["name"]
    );
}
