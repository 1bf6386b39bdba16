//! Background-job measurements behind `docs/performance.md` ("Background jobs").
//!
//! ```text
//! cargo build --bin deals --example jobs_bench            # or --release for both
//! target/debug/examples/jobs_bench throughput sqlite     # app DB + queue on SQLite files
//! target/debug/examples/jobs_bench throughput postgres   # DEALS_BENCH_PG (default below)
//! target/debug/examples/jobs_bench throughput redis      # app DB on PostgreSQL, queue on Redis
//! target/debug/examples/jobs_bench discovery             # `deals serve` on SQLite, one goal
//! ```
//!
//! `throughput` stores N listings and N AnalyzeDeal jobs (`DEALS_BENCH_JOBS`, default 1 000),
//! starts one `deals worker --concurrency 4` and reports jobs/s from the first start to the
//! last finish; then it enqueues 100 more at 10 per second into the idle worker and reports the
//! enqueue-to-start latency (`started_at - run_at`). `discovery` times `POST /api/v1/goals` to
//! the first matched deal at `GET /api/v1/goals/{id}/deals`. The `deals` binary is taken from
//! the directory of this example's own binary's parent (`target/<profile>/deals`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use deals_app::jobs::queue::{JobQueue, QueueBackend, QueueSettings};
use deals_app::jobs::{JobKind, Jobs};
use deals_core::{Availability, Condition};
use deals_store::entity::job;
use deals_store::repo::listings::NewListing;
use deals_store::{DbSettings, Store, now};
use futures_util::{StreamExt, stream};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use uuid::Uuid;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";

fn deals_bin() -> PathBuf {
    let me = std::env::current_exe().unwrap();
    me.parent().unwrap().parent().unwrap().join("deals")
}

/// Where the app database and the queue live for one run.
struct Setup {
    env: Vec<(&'static str, String)>,
    db_url: String,
    queue: QueueBackend,
    cleanup: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

async fn setup(backend: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let queue_name = format!("bench-{}", Uuid::new_v4().simple());
    let mut env = vec![("DEALS_JOBS__QUEUE_NAME", queue_name)];
    let pg = || async {
        let admin_url = std::env::var("DEALS_BENCH_PG").unwrap_or_else(|_| DEFAULT_PG.into());
        let name = format!("t_workers_bench_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (server, _) = admin_url.rsplit_once('/').unwrap();
        (format!("{server}/{name}"), (admin_url.clone(), name))
    };
    let (db_url, queue, cleanup) = match backend {
        "sqlite" => {
            let db = format!("sqlite://{}", dir.path().join("deals.db").display());
            let path = dir.path().join("jobs.db");
            env.push(("DEALS_JOBS__QUEUE", "sqlite".into()));
            env.push(("DEALS_JOBS__SQLITE_PATH", path.display().to_string()));
            (db, QueueBackend::Sqlite { path }, None)
        }
        "postgres" => {
            let (url, cleanup) = pg().await;
            env.push(("DEALS_JOBS__QUEUE", "postgres".into()));
            (url.clone(), QueueBackend::Postgres { url }, Some(cleanup))
        }
        "redis" => {
            let (url, cleanup) = pg().await;
            let redis = std::env::var("DEALS_BENCH_REDIS").unwrap_or_else(|_| DEFAULT_REDIS.into());
            env.push(("DEALS_JOBS__QUEUE", "redis".into()));
            env.push(("DEALS_REDIS__URL", redis.clone()));
            env.push(("DEALS_REDIS__KEY_PREFIX", "bench:".into()));
            (url, QueueBackend::Redis { url: redis }, Some(cleanup))
        }
        other => panic!("unknown backend {other}: sqlite | postgres | redis"),
    };
    env.push(("DEALS_DATABASE__URL", db_url.clone()));
    env.push(("DEALS_DATA_DIR", dir.path().display().to_string()));
    env.push(("DEALS_SIM__ENABLED", "false".into()));
    env.push(("DEALS_SEED__DEMO_ON_EMPTY", "false".into()));
    env.push(("DEALS_LOG__LEVEL", "warn".into()));
    Setup {
        env,
        db_url,
        queue,
        cleanup,
        _dir: dir,
    }
}

fn deals(env: &[(&'static str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(deals_bin());
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .kill_on_drop(true);
    cmd
}

fn listing(i: usize) -> NewListing {
    let price = 10_000 + (i as i64 % 97) * 250;
    NewListing {
        product_id: None,
        owner_id: None,
        market: ["amazon", "walmart", "bestbuy", "target", "ebay"][i % 5].into(),
        external_id: format!("bench-{i}"),
        url: format!("https://shop.example/{i}"),
        title: format!("Headphones model {i}"),
        brand: Some("sony".into()),
        category: Some("headphones".into()),
        price_minor: price,
        original_price_minor: Some(price + 5_000),
        currency: deals_core::Currency::USD,
        condition: Condition::New,
        seller_name: Some("Store".into()),
        seller_rating: Some(4.5),
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        seen_at: now(),
        flags: vec![],
    }
}

async fn enqueue(store: &Store, queue: &dyn JobQueue, listing: Uuid) -> Uuid {
    let new = Jobs::new_job(JobKind::AnalyzeDeal, None, Some(listing), json!({}));
    let (row, _) = store.enqueue_job(new).await.unwrap();
    queue.push(row.id, None).await.unwrap();
    row.id
}

async fn finished(store: &Store, ids: &[Uuid], limit: Duration) -> Vec<job::Model> {
    let deadline = Instant::now() + limit;
    loop {
        let rows = job::Entity::find()
            .filter(job::Column::Kind.eq(JobKind::AnalyzeDeal.as_str()))
            .filter(job::Column::Status.eq("succeeded"))
            .all(store.conn())
            .await
            .unwrap();
        let rows: Vec<_> = rows.into_iter().filter(|j| ids.contains(&j.id)).collect();
        if rows.len() == ids.len() {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} done",
            rows.len(),
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn ms(d: chrono::Duration) -> f64 {
    d.num_microseconds().unwrap_or(0) as f64 / 1000.0
}

async fn throughput(backend: &str) {
    let n: usize = std::env::var("DEALS_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let setup = setup(backend).await;
    assert!(
        deals(&setup.env, &["migrate"])
            .status()
            .await
            .unwrap()
            .success()
    );
    let store = Store::connect(&DbSettings::new(setup.db_url.clone()))
        .await
        .unwrap();
    let queue_name = setup
        .env
        .iter()
        .find(|(k, _)| *k == "DEALS_JOBS__QUEUE_NAME")
        .map(|(_, v)| v.clone())
        .unwrap();
    let (queue, _consumer) =
        deals_app::jobs::queue::connect(&QueueSettings::new(setup.queue.clone(), queue_name))
            .await
            .unwrap();
    let listings: Vec<Uuid> = stream::iter(0..n + 100)
        .map(|i| {
            let store = store.clone();
            async move { store.upsert_listing(listing(i)).await.unwrap().listing.id }
        })
        .buffered(8)
        .collect()
        .await;

    // Throughput: a backlog of n jobs, then one worker drains it.
    let mut ids = Vec::with_capacity(n);
    for l in &listings[..n] {
        ids.push(enqueue(&store, queue.as_ref(), *l).await);
    }
    let worker: Child = deals(&setup.env, &["worker", "--concurrency", "4"])
        .spawn()
        .unwrap();
    let rows = finished(&store, &ids, Duration::from_secs(600)).await;
    let first = rows.iter().filter_map(|j| j.started_at).min().unwrap();
    let last = rows.iter().filter_map(|j| j.finished_at).max().unwrap();
    let secs = ms(last - first) / 1000.0;
    let run: Vec<f64> = rows
        .iter()
        .map(|j| ms(j.finished_at.unwrap() - j.started_at.unwrap()))
        .collect();
    let attempts_over_one = rows.iter().filter(|j| j.attempts > 1).count();

    // Latency: an idle worker, 100 jobs enqueued at 10 per second.
    let mut late = Vec::new();
    for l in &listings[n..] {
        late.push(enqueue(&store, queue.as_ref(), *l).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = finished(&store, &late, Duration::from_secs(120)).await;
    let mut waits: Vec<f64> = rows
        .iter()
        .map(|j| ms(j.started_at.unwrap() - j.run_at))
        .collect();
    waits.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let p95 = waits[(waits.len() * 95).div_ceil(100) - 1];
    println!(
        "{backend}: {n} AnalyzeDeal jobs, 1 worker × concurrency 4: {:.0} jobs/s ({secs:.1} s), \
         mean run {:.1} ms, {attempts_over_one} with more than one attempt; \
         enqueue→start (idle worker, 10/s): mean {:.0} ms, p95 {p95:.0} ms",
        n as f64 / secs,
        mean(&run),
        mean(&waits),
    );
    drop(worker);
    store.conn().clone().close().await.unwrap();
    if let Some((admin_url, name)) = &setup.cleanup {
        let admin = Database::connect(admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

async fn discovery() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = vec![
        ("DEALS_DATA_DIR", dir.path().display().to_string()),
        ("DEALS_SERVER__LISTEN", format!("127.0.0.1:{port}")),
        ("DEALS_SEED__DEMO_ON_EMPTY", "false".into()),
        ("DEALS_LOG__LEVEL", "warn".into()),
    ];
    let _server = deals(&env, &["serve"]).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(http.get(format!("{base}/health")).send().await, Ok(r) if r.status() == 200) {
        assert!(Instant::now() < deadline, "deals serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reg: Value = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": "bench@example.com", "password": "bench-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = reg["access_token"].as_str().unwrap().to_owned();
    let query = "Sony or Bose noise cancelling headphones under $300, new";
    let started = Instant::now();
    let goal: Value = http
        .post(format!("{base}/api/v1/goals"))
        .bearer_auth(&token)
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = started.elapsed();
    let id = goal["id"].as_str().unwrap();
    loop {
        let deals: Value = http
            .get(format!("{base}/api/v1/goals/{id}/deals"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if deals["total"].as_u64().unwrap_or(0) > 0 {
            println!(
                "discovery (deals serve, SQLite): goal created in {:.0} ms, first matched deal \
                 visible after {:.0} ms ({} deals then)",
                created.as_secs_f64() * 1000.0,
                started.elapsed().as_secs_f64() * 1000.0,
                deals["total"]
            );
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no deal after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["throughput", backend] => throughput(backend).await,
        ["discovery"] => discovery().await,
        _ => eprintln!("usage: jobs_bench throughput sqlite|postgres|redis | jobs_bench discovery"),
    }
}
