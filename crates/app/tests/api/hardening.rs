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
