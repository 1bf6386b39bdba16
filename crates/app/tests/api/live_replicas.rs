//! Live updates across replicas: two `deals serve --role api` processes and a worker on one
//! PostgreSQL database and one Redis. A WebSocket client on one API process receives the alert
//! the worker produced, once; a client that was away resumes with `since` and gets what it
//! missed, once. Runs with `DEALS_TEST_BACKEND=postgres`.

use std::process::Stdio;
use std::time::Duration;

use deals_store::testing::{Backend, postgres_url, redis_url};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::process::serve;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `deals serve --role <role>` on `db_url`, keys under `prefix`.
fn command(role: &str, db_url: &str, redis: &str, prefix: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deals"));
    cmd.args(["serve", "--role", role])
        .env("DEALS_DATABASE__URL", db_url)
        .env("DEALS_DATABASE__POOL_SIZE", "4")
        .env("DEALS_REDIS__URL", redis)
        .env("DEALS_REDIS__KEY_PREFIX", prefix)
        .env("DEALS_SEED__DEMO_ON_EMPTY", "false")
        .env("DEALS_SIM__CHAOS", "false")
        .env("DEALS_JOBS__POLL_INTERVAL_MS", "200")
        .env_remove("DEALS_TEST_BACKEND");
    cmd
}

async fn connect(base: &str, token: &str, query: &str) -> Socket {
    let url = format!("{}/api/v1/ws{query}", base.replacen("http", "ws", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&format!("bearer, {token}")).unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "connected");
    socket
}

/// The next text frame (a minute at most: the worker searches the simulated stores).
async fn next(socket: &mut Socket) -> Value {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match socket.next().await.unwrap().unwrap() {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    })
    .await
    .expect("a frame within a minute")
}

/// The next `notification` frame, skipping job and deal updates.
async fn next_notification(socket: &mut Socket) -> Value {
    loop {
        let f = next(socket).await;
        if f["type"] == "notification" {
            return f;
        }
    }
}

/// Every notification frame before the pong answering a ping.
async fn notifications_before_pong(socket: &mut Socket) -> Vec<Value> {
    socket
        .send(Message::text(json!({"type": "ping"}).to_string()))
        .await
        .unwrap();
    let mut seen = Vec::new();
    loop {
        let f = next(socket).await;
        if f["type"] == "pong" {
            return seen;
        }
        if f["type"] == "notification" {
            seen.push(f);
        }
    }
}

async fn create_goal(http: &reqwest::Client, base: &str, token: &str, query: &str) {
    let res = http
        .post(format!("{base}/api/v1/goals"))
        .bearer_auth(token)
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_worker_alert_reaches_a_client_on_another_replica_once_and_resume_fills_the_gap() {
    if Backend::from_env() != Backend::Postgres {
        eprintln!("skipped: runs with DEALS_TEST_BACKEND=postgres");
        return;
    }
    let (Some(pg), Some(redis)) = (postgres_url(), redis_url()) else {
        panic!(
            "DEALS_TEST_BACKEND=postgres needs DEALS_TEST_DATABASE_URL and DEALS_TEST_REDIS_URL"
        );
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let name = format!("t_live_{}", uuid::Uuid::new_v4().simple());
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
    let served_a = serve(command("api", &db_url, &redis, &prefix)).await;
    let served_b = serve(command("api", &db_url, &redis, &prefix)).await;
    let (a, b) = (served_a.base.clone(), served_b.base.clone());
    let _worker = command("worker", &db_url, &redis, &prefix)
        .env("DEALS_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("deals binary starts");
    let http = reqwest::Client::new();
    let reg: Value = http
        .post(format!("{a}/api/v1/auth/register"))
        .json(&json!({"email": "live@example.com", "password": "live-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = reg["access_token"].as_str().unwrap();

    // Connected to B; the goal is created through A; the worker searches and alerts.
    let mut on_b = connect(&b, token, "").await;
    let mut on_a = connect(&a, token, "").await;
    create_goal(
        &http,
        &a,
        token,
        "Sony or Bose noise cancelling headphones under $300, new",
    )
    .await;
    let first = next_notification(&mut on_b).await;
    assert_eq!(first["id"], 1, "{first}");
    assert!(
        notifications_before_pong(&mut on_b).await.is_empty(),
        "once"
    );
    assert_eq!(next_notification(&mut on_a).await["id"], 1);

    // B's client goes away; two more alerts happen (seen live on A); it resumes on B.
    drop(on_b);
    create_goal(&http, &a, token, "Samsung OLED TV under $2000").await;
    create_goal(&http, &a, token, "Dyson cordless vacuum under $600").await;
    let mut live: Vec<i64> = vec![
        next_notification(&mut on_a).await["id"].as_i64().unwrap(),
        next_notification(&mut on_a).await["id"].as_i64().unwrap(),
    ];
    live.sort_unstable();
    assert_eq!(live, vec![2, 3]);
    let mut resumed = connect(&b, token, "?since=1").await;
    let ids = vec![
        next_notification(&mut resumed).await["id"].clone(),
        next_notification(&mut resumed).await["id"].clone(),
    ];
    assert_eq!(ids, vec![json!(2), json!(3)]);
    assert!(
        notifications_before_pong(&mut resumed).await.is_empty(),
        "each once"
    );
}
