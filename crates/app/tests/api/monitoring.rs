//! The collectors on `/metrics`: request latency by route and status, error rate, active users,
//! open WebSockets, deals per market, process resources, database pool, Redis, jobs, markets.

use std::collections::BTreeMap;

use crate::helpers::TestApp;

/// One sample of the exposition text: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let value: f64 = value.parse().ok()?;
            let (name, labels) = match series.split_once('{') {
                None => (series.to_owned(), BTreeMap::new()),
                Some((name, rest)) => {
                    let rest = rest.strip_suffix('}')?;
                    let labels = rest
                        .split("\",")
                        .filter(|kv| !kv.is_empty())
                        .filter_map(|kv| {
                            let (k, v) = kv.split_once('=')?;
                            Some((k.to_owned(), v.trim_matches('"').to_owned()))
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
            };
            Some((name, labels, value))
        })
        .collect()
}

/// Values of `name` whose labels include every pair of `with`.
fn values(all: &[Sample], name: &str, with: &[(&str, &str)]) -> Vec<f64> {
    all.iter()
        .filter(|(n, labels, _)| {
            n == name
                && with
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.2)
        .collect()
}

fn one(all: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    let found = values(all, name, with);
    assert!(!found.is_empty(), "no {name} {with:?} in /metrics");
    found[0]
}

#[tokio::test]
async fn metrics_expose_every_collector_with_its_labels() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    assert_eq!(
        app.get("/api/v1/goals", Some(&user.access)).await.status(),
        200
    );
    let missing = format!("/api/v1/deals/{}", uuid::Uuid::new_v4());
    assert_eq!(app.get(&missing, None).await.status(), 404);
    crate::deals::catalog(&app).await;

    let res = app.get("/metrics", None).await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let all = samples(&text);

    // request_latency: a histogram by method, route pattern and status.
    let goals = [
        ("method", "GET"),
        ("route", "/api/v1/goals"),
        ("status", "200"),
    ];
    assert!(one(&all, "deals_request_latency_seconds_count", &goals) >= 1.0);
    assert!(!values(&all, "deals_request_latency_seconds_bucket", &goals).is_empty());
    let deal = [("route", "/api/v1/deals/{deal_id}"), ("status", "404")];
    assert!(one(&all, "deals_request_latency_seconds_count", &deal) >= 1.0);
    assert!(
        !text.contains(missing.as_str()),
        "raw paths never become labels"
    );

    // error_rate and active_users over the last five minutes.
    let rate = one(&all, "deals_error_rate", &[]);
    assert!((0.0..=1.0).contains(&rate), "{rate}");
    assert!(one(&all, "deals_active_users", &[]) >= 1.0);
    assert!(one(&all, "deals_websocket_connections", &[]) >= 0.0);

    // deal_count per market: every store of the marketplace has a value.
    for market in app.state.markets.searchable() {
        one(&all, "deals_deal_count", &[("market", market.as_str())]);
    }

    // system_resources.
    assert!(one(&all, "deals_process_cpu_seconds_total", &[]) > 0.0);
    assert!(one(&all, "deals_process_resident_memory_bytes", &[]) > 1e6);
    assert!(one(&all, "deals_process_open_fds", &[]) > 0.0);
    let in_use = one(&all, "deals_db_pool_connections", &[("state", "in_use")]);
    let idle = one(&all, "deals_db_pool_connections", &[("state", "idle")]);
    assert!(
        in_use + idle >= 1.0,
        "the pool has a connection: {in_use} + {idle}"
    );
    assert_eq!(one(&all, "deals_database_up", &[]), 1.0);
    if app.state.redis.is_some() {
        assert_eq!(one(&all, "deals_redis_up", &[]), 1.0);
    }

    // Job backlog and dead jobs.
    for status in ["queued", "running", "dead"] {
        assert!(one(&all, "deals_jobs", &[("status", status)]) >= 0.0);
    }
    assert!(text.contains("# TYPE deals_process_cpu_seconds_total counter"));
    assert!(text.contains("# TYPE deals_request_latency_seconds histogram"));
}

#[tokio::test]
async fn a_goal_search_reports_each_market_up() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    app.create_goal(&user, "noise cancelling headphones under $400")
        .await;
    app.drain_jobs().await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    let all = samples(&text);
    let up: Vec<f64> = app
        .state
        .markets
        .searchable()
        .iter()
        .flat_map(|m| values(&all, "deals_market_up", &[("market", m.as_str())]))
        .collect();
    assert!(!up.is_empty(), "no deals_market_up series:\n{text}");
    assert!(up.iter().all(|v| *v == 0.0 || *v == 1.0), "{up:?}");
    assert!(up.contains(&1.0), "the simulated stores answered: {up:?}");
}
