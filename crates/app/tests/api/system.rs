//! `/health`, `/ready`, `/metrics`, `/openapi.json`, `/docs`.

use serde_json::Value;

use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn health_reports_ok_and_version() {
    let app = TestApp::spawn().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn ready_checks_the_database_and_redis_when_configured() {
    let app = TestApp::spawn().await;
    let res = app.get("/ready", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "database");
    assert_eq!(names.contains(&"redis"), app.state.redis.is_some());
    let queue = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "job_queue")
        .unwrap();
    assert_eq!(queue["status"], "ok");
    assert_eq!(queue["backend"], app.state.jobs.queue().backend_name());
}

#[tokio::test]
async fn ready_is_503_naming_the_dependency_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.state.store.conn().clone().close().await.unwrap();
    let res = app.get("/ready", None).await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"][0]["name"], "database");
    assert_eq!(body["checks"][0]["status"], "down");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_not_raw_path() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();
    app.get(&format!("/api/v1/deals/{id}"), None).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(
        text.contains(r#"route="/api/v1/deals/{deal_id}""#),
        "{text}"
    );
    assert!(!text.contains(&id.to_string()));
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn openapi_document_is_3_1_and_covers_every_route() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me/preferences", "get"),
        ("/api/v1/users/me/preferences", "put"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/goals", "post"),
        ("/api/v1/goals", "get"),
        ("/api/v1/goals/{goal_id}", "get"),
        ("/api/v1/goals/{goal_id}", "patch"),
        ("/api/v1/goals/{goal_id}", "delete"),
        ("/api/v1/goals/{goal_id}/deals", "get"),
        ("/api/v1/goals/{goal_id}/deals", "post"),
        ("/api/v1/deals/search", "get"),
        ("/api/v1/deals/{deal_id}", "get"),
        ("/api/v1/deals/{deal_id}/analysis", "get"),
        ("/api/v1/deals/{deal_id}/price-history", "get"),
        ("/api/v1/admin/listings/{listing_id}/link", "get"),
        ("/api/v1/admin/listings/{listing_id}/link", "delete"),
    ];
    for (path, method) in expected {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn interactive_docs_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let res = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(res.status(), 200, "the bundle ships inside the binary");
    assert!(res.text().await.unwrap().len() > 100_000);
}

#[tokio::test]
async fn the_front_door_is_the_landing_page() {
    let app = TestApp::spawn().await;
    let res = app.get("/", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.url().path(), "/");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("<h1>Tell it what you want to buy")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_problems() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/api/v1/nope", None).await, 404).await;
    assert_problem(app.delete("/health", None).await, 405).await;
}

/// `server.drain_secs`: after the shutdown signal the server refuses new connections (a proxy
/// retries elsewhere, even a POST) but keeps serving the open ones for the drain period, with
/// `/ready` 503 "draining" and `Connection: close` on every response; then it stops.
#[tokio::test]
async fn shutdown_drains_open_connections_and_refuses_new_ones() {
    let db = deals_store::testing::TestDb::from_env().await;
    let mut settings = crate::helpers::test_settings();
    settings.server.drain_secs = 4;
    let app = deals_app::startup::Application::build_with_store(settings, db.store.clone())
        .await
        .unwrap()
        .api_only();
    let base = format!("http://{}", app.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    // One kept-alive connection (the client's pool), opened before the signal.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let before = client.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(before.status(), 200);
    assert!(before.headers().get("connection").is_none());

    stop.send(()).unwrap();
    // The open connection is still served: poll it until the drain shows (no fixed sleep).
    let mut ready = None;
    for _ in 0..200 {
        let res = client.get(format!("{base}/ready")).send().await.unwrap();
        if res.status() == 503 {
            ready = Some(res);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let ready = ready.expect("/ready turns 503 while draining");
    assert_eq!(ready.headers()["connection"], "close");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "draining");
    // That connection is closed now, and new ones are refused while the drain goes on.
    let refused = reqwest::Client::new()
        .get(format!("{base}/health"))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new connection is refused while draining"
    );

    tokio::time::timeout(std::time::Duration::from_secs(15), server)
        .await
        .expect("the server stops after the drain")
        .unwrap()
        .unwrap();
}
