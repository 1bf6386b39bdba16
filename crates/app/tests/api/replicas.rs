//! Two `deals serve --role api` processes on one PostgreSQL database and one Redis share data
//! and rate limits. Runs with `DEALS_TEST_BACKEND=postgres` (CI's second pass).

use deals_store::testing::{Backend, postgres_url, redis_url};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::process::{Served, serve};

/// `deals serve --role api` on `db_url`, keys under `prefix`.
async fn start(db_url: &str, redis: &str, prefix: &str) -> Served {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deals"));
    cmd.args(["serve", "--role", "api"])
        .env("DEALS_DATABASE__URL", db_url)
        .env("DEALS_DATABASE__POOL_SIZE", "4")
        .env("DEALS_REDIS__URL", redis)
        .env("DEALS_REDIS__KEY_PREFIX", prefix)
        .env("DEALS_SEED__DEMO_ON_EMPTY", "false")
        .env("DEALS_RATE_LIMIT__ANONYMOUS_PER_MINUTE", "6")
        .env_remove("DEALS_TEST_BACKEND");
    serve(cmd).await
}

#[tokio::test]
async fn two_api_processes_share_data_and_rate_limits() {
    if Backend::from_env() != Backend::Postgres {
        eprintln!("skipped: runs with DEALS_TEST_BACKEND=postgres");
        return;
    }
    let (Some(pg), Some(redis)) = (postgres_url(), redis_url()) else {
        panic!(
            "DEALS_TEST_BACKEND=postgres needs DEALS_TEST_DATABASE_URL and DEALS_TEST_REDIS_URL"
        );
    };
    // A database of its own, so the processes need no schema options.
    let name = format!("t_replicas_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&pg).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let db_url = match pg.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("DEALS_TEST_DATABASE_URL has no database name"),
    };
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let (a, b) = tokio::join!(
        start(&db_url, &redis, &prefix),
        start(&db_url, &redis, &prefix)
    );
    let http = reqwest::Client::new();

    // Data written through one replica is read through the other.
    let reg: Value = http
        .post(format!("{}/api/v1/auth/register", a.base))
        .json(&json!({"email": "shared@example.com", "password": "shared-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = reg["access_token"].as_str().unwrap();
    let goal: Value = http
        .post(format!("{}/api/v1/goals", a.base))
        .bearer_auth(token)
        .json(&json!({"query": "shared goal across replicas"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seen = http
        .get(format!(
            "{}/api/v1/goals/{}",
            b.base,
            goal["id"].as_str().unwrap()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), 200);
    let login = http
        .post(format!("{}/api/v1/auth/login", b.base))
        .json(&json!({"email": "shared@example.com", "password": "shared-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    // One anonymous budget of 6 per minute across both replicas (Redis counters).
    let mut statuses = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        statuses.push(
            http.get(format!("{base}/api/v1/deals/search"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    // Register and login above spent anonymous budget too (2 requests), leaving 4.
    assert_eq!((allowed, limited), (4, 4), "{statuses:?}");

    drop((a, b));
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}
