//! The shared HTTP layer, seen through the Best Buy adapter: retries, Retry-After, blocking,
//! malformed bodies, connection failures and the circuit breaker, each reflected in health.

use crate::bestbuy::bestbuy;
use crate::support::{Canned, Fake, fast, fixture};
use deals_markets::adapters::BestBuy;
use deals_markets::config::{BestBuyConfig, Secret};
use deals_markets::{Market, MarketError, SearchQuery, SourceStatus};
use std::time::Duration;

const SEARCH: &str = "/v1/products(";

fn q(text: &str) -> SearchQuery {
    SearchQuery::new(text)
}

fn page() -> Canned {
    Canned::json(fixture("bestbuy_search_page2.json"))
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds_and_degrades() {
    let fake = Fake::start().await;
    // Retry-After: 30 s, capped by the 5 ms backoff_max of the test settings.
    fake.on(
        SEARCH,
        vec![
            Canned::status(429, "slow down").header("retry-after", "30"),
            page(),
        ],
    );
    let bb = bestbuy(&fake);
    let offers = bb.search(&q("airpods")).await.unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(fake.seen().len(), 2);
    let h = bb.health();
    assert_eq!(h.status, SourceStatus::Degraded, "the call needed a retry");
    assert!(h.last_success.is_some());
}

#[tokio::test]
async fn a_5xx_is_retried_then_succeeds() {
    let fake = Fake::start().await;
    fake.on(
        SEARCH,
        vec![
            Canned::status(503, "busy"),
            Canned::status(502, "bad gateway"),
            page(),
        ],
    );
    let bb = bestbuy(&fake);
    assert_eq!(bb.search(&q("airpods")).await.unwrap().len(), 1);
    assert_eq!(fake.seen().len(), 3);
    assert_eq!(bb.health().status, SourceStatus::Degraded);
}

#[tokio::test]
async fn clean_calls_bring_a_degraded_source_back_to_ok() {
    let fake = Fake::start().await;
    fake.on(SEARCH, vec![Canned::status(500, "oops"), page()]);
    let bb = bestbuy(&fake);
    bb.search(&q("warm up")).await.unwrap();
    assert_eq!(bb.health().status, SourceStatus::Degraded);
    for i in 0..5 {
        bb.search(&q(&format!("query {i}"))).await.unwrap();
    }
    assert_eq!(bb.health().status, SourceStatus::Ok);
}

#[tokio::test]
async fn a_429_that_outlives_the_retries_blocks_the_source() {
    let fake = Fake::start().await;
    fake.on(
        SEARCH,
        vec![Canned::status(429, "").header("retry-after", "1")],
    );
    let bb = bestbuy(&fake);
    let err = bb.search(&q("airpods")).await.unwrap_err();
    assert!(
        matches!(err, MarketError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(1)),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 3, "one attempt and two retries");
    let h = bb.health();
    assert_eq!(h.status, SourceStatus::Blocked);
    assert!(h.last_error.unwrap().contains("rate limited"));
}

#[tokio::test]
async fn a_403_is_not_retried_and_blocks() {
    let fake = Fake::start().await;
    fake.on(
        SEARCH,
        vec![Canned::status(403, "<html>Access Denied</html>")],
    );
    let bb = bestbuy(&fake);
    let err = bb.search(&q("airpods")).await.unwrap_err();
    assert!(matches!(err, MarketError::Blocked(_)), "{err:?}");
    assert_eq!(fake.seen().len(), 1);
    assert_eq!(bb.health().status, SourceStatus::Blocked);
}

#[tokio::test]
async fn a_malformed_body_is_a_clear_error_and_degrades() {
    let fake = Fake::start().await;
    fake.on(SEARCH, vec![Canned::json(r#"{"products": [ {"sku": 1, "#)]);
    let bb = bestbuy(&fake);
    let err = bb.search(&q("airpods")).await.unwrap_err();
    assert!(matches!(err, MarketError::Malformed(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("malformed response: EOF"),
        "{err}"
    );
    let h = bb.health();
    assert_eq!(h.status, SourceStatus::Degraded);
    assert!(h.last_error.unwrap().contains("malformed"));

    let fake = Fake::start().await;
    fake.on(SEARCH, vec![Canned::json(r#"{"error": "unexpected"}"#)]);
    let err = bestbuy(&fake).search(&q("airpods")).await.unwrap_err();
    assert_eq!(
        err,
        MarketError::Malformed("bestbuy: no products array".into())
    );
}

async fn refused_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

#[tokio::test]
async fn a_refused_connection_marks_the_source_down() {
    let bb = BestBuy::new(BestBuyConfig {
        enabled: true,
        base_url: refused_url().await,
        api_key: Secret::new("k"),
        http: fast(),
        ..BestBuyConfig::default()
    })
    .unwrap();
    let err = bb.search(&q("airpods")).await.unwrap_err();
    assert!(matches!(err, MarketError::Connect(_)), "{err:?}");
    assert_eq!(bb.health().status, SourceStatus::Down);
    assert!(bb.health().last_success.is_none());
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_recovers_through_a_probe() {
    let fake = Fake::start().await;
    // 3 calls × 3 attempts fail, then the API recovers.
    let mut script = vec![Canned::status(500, "down"); 9];
    script.push(page());
    fake.on(SEARCH, script);
    let bb = bestbuy(&fake);
    for i in 0..3 {
        let err = bb.search(&q(&format!("q{i}"))).await.unwrap_err();
        assert!(
            matches!(err, MarketError::Status { status: 500, .. }),
            "{err:?}"
        );
    }
    assert_eq!(fake.seen().len(), 9);

    let err = bb.search(&q("while open")).await.unwrap_err();
    assert_eq!(err, MarketError::CircuitOpen);
    assert_eq!(fake.seen().len(), 9, "an open breaker sends nothing");
    assert_eq!(bb.health().status, SourceStatus::Down);

    // The cool-down of the test settings is 100 ms.
    tokio::time::sleep(Duration::from_millis(120)).await;
    let offers = bb.search(&q("probe")).await.unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(fake.seen().len(), 10);
    bb.search(&q("closed again")).await.unwrap();
    assert_eq!(fake.seen().len(), 11);
    assert_ne!(bb.health().status, SourceStatus::Down);
}

#[tokio::test]
async fn a_failed_probe_opens_the_breaker_again() {
    let fake = Fake::start().await;
    fake.on(SEARCH, vec![Canned::status(500, "down")]);
    let bb = bestbuy(&fake);
    for i in 0..3 {
        bb.search(&q(&format!("q{i}"))).await.unwrap_err();
    }
    tokio::time::sleep(Duration::from_millis(120)).await;
    let err = bb.search(&q("probe")).await.unwrap_err();
    assert!(
        matches!(err, MarketError::Status { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(
        fake.seen().len(),
        12,
        "the probe went through with its retries"
    );
    assert_eq!(
        bb.search(&q("after")).await.unwrap_err(),
        MarketError::CircuitOpen
    );
    assert_eq!(fake.seen().len(), 12);
}
