//! `database.replica_url`: public reads (search, deal pages, price history) on the replica,
//! falling back to the primary when it does not answer, and `/ready` saying `degraded` then.
//! PostgreSQL only (`DEALS_TEST_BACKEND=postgres`). The "replica" is a second pool on the same
//! database and schema (no streaming replication on this machine): it proves the routing and
//! the fallback, not replication lag.

use deals_store::testing::{Backend, TestDb};
use deals_store::{ReplicaState, Store};
use serde_json::Value;

use crate::helpers::{TestApp, test_settings};

/// A fresh PostgreSQL test database whose store reads public data from `replica_url`.
async fn with_replica(replica_url: &str) -> Option<TestDb> {
    if Backend::from_env() != Backend::Postgres {
        eprintln!("skipped: runs with DEALS_TEST_BACKEND=postgres");
        return None;
    }
    let mut db = TestDb::from_env().await;
    let mut settings = db.settings.clone();
    settings.replica_url = Some(replica_url.to_owned());
    db.store = Store::connect(&settings)
        .await
        .expect("store with a replica");
    db.settings = settings;
    Some(db)
}

async fn spawn(db: TestDb) -> TestApp {
    let mut settings = test_settings();
    settings.redis.url = deals_app::config::Secret::new(
        deals_store::testing::redis_url().expect("DEALS_TEST_REDIS_URL"),
    );
    settings.redis.key_prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    TestApp::spawn_on(db, settings).await
}

fn check<'a>(ready: &'a Value, name: &str) -> &'a Value {
    ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {ready}"))
}

#[tokio::test]
async fn public_reads_go_to_a_replica_that_answers() {
    let Some(url) = deals_store::testing::postgres_url() else {
        return;
    };
    let Some(db) = with_replica(&url).await else {
        return;
    };
    let app = spawn(db).await;
    assert_eq!(app.state.store.replica_state(), ReplicaState::Up);
    // The reader is the replica's pool, not the primary's.
    let reader = app.state.store.reader();
    assert!(!std::ptr::eq(reader.conn(), app.state.store.conn()));
    let ids = crate::deals::catalog(&app).await;

    let res = app.get("/ready", None).await;
    assert_eq!(res.status(), 200);
    let ready: Value = res.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(check(&ready, "database_replica")["status"], "ok");

    let found: Value = app
        .get("/api/v1/deals/search?q=headphones", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(found["total"].as_u64().unwrap() >= 2, "{found}");
    let deal = app.get(&format!("/api/v1/deals/{}", ids[0]), None).await;
    assert_eq!(deal.status(), 200);
    let history = app
        .get(
            &format!("/api/v1/deals/{}/price-history?days=30", ids[0]),
            None,
        )
        .await;
    assert_eq!(history.status(), 200);
}

#[tokio::test]
async fn an_unreachable_replica_degrades_readiness_and_reads_use_the_primary() {
    if deals_store::testing::postgres_url().is_none() {
        return;
    }
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("postgres://postgres@127.0.0.1:{port}/test?connect_timeout=1");
    let Some(mut db) = with_replica(&dead).await else {
        return;
    };
    db.settings.pool_timeout_secs = 1;
    db.store = Store::connect(&db.settings)
        .await
        .expect("starts without its replica");
    let app = spawn(db).await;
    assert_eq!(app.state.store.replica_state(), ReplicaState::Down);
    let ids = crate::deals::catalog(&app).await;

    let res = app.get("/ready", None).await;
    assert_eq!(res.status(), 200, "the service still serves");
    let ready: Value = res.json().await.unwrap();
    assert_eq!(ready["status"], "degraded");
    assert_eq!(check(&ready, "database_replica")["status"], "degraded");
    assert_eq!(check(&ready, "database")["status"], "ok");

    let found = app.get("/api/v1/deals/search?q=headphones", None).await;
    assert_eq!(found.status(), 200);
    let found: Value = found.json().await.unwrap();
    assert!(found["total"].as_u64().unwrap() >= 2, "{found}");
    let deal = app.get(&format!("/api/v1/deals/{}", ids[0]), None).await;
    assert_eq!(deal.status(), 200);

    // A read sent to the replica while it is (believed) up but does not answer runs again on
    // the primary, and the replica is marked down.
    app.state.store.force_replica_state(true);
    let n = app
        .state
        .store
        .read(|s| async move { s.count_listings().await })
        .await
        .unwrap();
    assert_eq!(n, ids.len() as u64);
    assert_eq!(app.state.store.replica_state(), ReplicaState::Down);
}
