//! After the server drops every connection of the pool (what a primary restart or a failover
//! does to clients), the same `Store` serves again without a process restart. PostgreSQL only:
//! runs when `DEALS_TEST_DATABASE_URL` is set (always under CI). Only this test's own
//! connections are terminated, found by their unique `application_name`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use deals_store::testing::postgres_url;
use deals_store::{DbSettings, ReplicaState, Store};
use sea_orm::{ConnectionTrait, Database, Statement};

fn with_app_name(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={name}")
}

async fn terminate(admin: &sea_orm::DatabaseConnection, name: &str) -> i64 {
    let row = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            format!(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
                 WHERE application_name = '{name}' AND pid <> pg_backend_pid()"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn the_pools_recover_after_the_server_kills_their_connections() {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: needs DEALS_TEST_DATABASE_URL");
        return;
    };
    let primary = format!("deals_primary_{}", uuid::Uuid::new_v4().simple());
    let replica = format!("deals_replica_{}", uuid::Uuid::new_v4().simple());
    let mut settings = DbSettings::new(with_app_name(&url, &primary));
    settings.pool_size = 3;
    settings.max_overflow = 0;
    settings.min_connections = 2;
    settings.replica_url = Some(with_app_name(&url, &replica));
    let store = Store::connect(&settings).await.unwrap();
    // Connections open on both pools.
    store.ping().await.unwrap();
    assert_eq!(store.check_replica().await, ReplicaState::Up);
    store.reader().ping().await.unwrap();

    let admin = Database::connect(&url).await.unwrap();
    assert!(
        terminate(&admin, &primary).await >= 1,
        "the primary pool had connections"
    );
    assert!(
        terminate(&admin, &replica).await >= 1,
        "the replica pool had connections"
    );

    // The next queries get fresh connections: dead ones are tested and replaced on acquire.
    for _ in 0..5 {
        store.ping().await.expect("the primary pool reconnected");
    }
    assert_eq!(store.check_replica().await, ReplicaState::Up);
    store
        .read(|s| async move { s.ping().await })
        .await
        .expect("the replica pool reconnected");
    admin.close().await.unwrap();
}
