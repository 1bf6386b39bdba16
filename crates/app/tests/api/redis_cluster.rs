//! `redis.cluster_urls`: the response cache, the rate limits and the live-event fan-out of two
//! instances shared through a 3-master Redis Cluster. Needs `DEALS_TEST_REDIS_CLUSTER_URLS`
//! (from `scripts/redis-cluster.sh start`, which `.ci/run` runs); under `CI=true` its absence
//! fails the tests instead of skipping them.

use std::time::Duration;

use bytes::Bytes;
use deals_app::live::{DealChange, LiveEvent};
use serde_json::Value;

use crate::helpers::TestApp;

fn cluster_urls() -> Option<Vec<String>> {
    match std::env::var("DEALS_TEST_REDIS_CLUSTER_URLS") {
        Ok(v) if !v.trim().is_empty() => Some(v.split(',').map(|s| s.trim().to_owned()).collect()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but DEALS_TEST_REDIS_CLUSTER_URLS is not set (scripts/redis-cluster.sh start)"
            )
        }
        _ => {
            eprintln!("skipped: needs DEALS_TEST_REDIS_CLUSTER_URLS");
            None
        }
    }
}

/// Two instances on the cluster with one key prefix, as two replicas of one deployment.
async fn two_instances(anonymous_per_minute: u32) -> Option<(TestApp, TestApp)> {
    let urls = cluster_urls()?;
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let spawn = || {
        let (urls, prefix) = (urls.clone(), prefix.clone());
        TestApp::spawn_with(move |s| {
            s.redis.url = deals_app::config::Secret::new("");
            s.redis.cluster_urls = urls;
            s.redis.key_prefix = prefix;
            s.rate_limit.anonymous_per_minute = anonymous_per_minute;
        })
    };
    let a = spawn().await;
    let b = spawn().await;
    Some((a, b))
}

#[tokio::test]
async fn cache_and_rate_limits_are_shared_through_the_cluster() {
    let Some((a, b)) = two_instances(4).await else {
        return;
    };
    assert_eq!(
        a.state.redis.as_ref().map(|r| r.kind()),
        Some("redis-cluster")
    );
    let ready: Value = a.get("/ready", None).await.json().await.unwrap();
    let redis = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "redis")
        .unwrap();
    assert_eq!(redis["status"], "ok");
    assert_eq!(redis["backend"], "redis-cluster");

    // Keys spread over the three masters' slots; what one instance caches the other reads.
    for i in 0..30 {
        let value = Bytes::from(format!("value {i}"));
        a.state
            .cache
            .set(&format!("search:{i}"), value, Duration::from_secs(60))
            .await;
    }
    for i in 0..30 {
        let got = b.state.cache.get(&format!("search:{i}")).await;
        assert_eq!(got.as_deref(), Some(format!("value {i}").as_bytes()));
    }
    b.state.cache.delete("search:7").await;
    assert_eq!(a.state.cache.get("search:7").await, None);

    // Four anonymous requests a minute across both instances, `/ready` above being the first
    // (the in-process fallback would allow four on each, so all six would pass).
    let mut statuses = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 { &a } else { &b };
        statuses.push(
            app.get("/api/v1/deals/search?q=tv", None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
}

#[tokio::test]
async fn live_events_fan_out_between_instances_through_the_cluster() {
    let Some((a, b)) = two_instances(10_000).await else {
        return;
    };
    let mut on_b = b.state.events.subscribe();
    let mut on_a = a.state.events.subscribe();
    let event = LiveEvent::PriceUpdate(DealChange {
        deal_id: uuid::Uuid::now_v7(),
        market: "bestbuy".into(),
        price: "199.99".into(),
        currency: deals_core::Currency::USD,
    });
    a.state.events.publish(event.clone()).await;
    for rx in [&mut on_b, &mut on_a] {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("the event arrived within 5 s")
            .unwrap();
        assert_eq!(got.event, event);
    }
}
