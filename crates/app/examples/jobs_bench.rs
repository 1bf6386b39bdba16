//! Background-job measurements behind `docs/performance.md` ("Background jobs").
//!
//! ```text
//! cargo build --bin deals --example jobs_bench            # or --release for both
//! target/debug/examples/jobs_bench throughput sqlite     # database (and so queue) on SQLite
//! target/debug/examples/jobs_bench throughput postgres   # DEALS_BENCH_PG (default below)
//! target/debug/examples/jobs_bench discovery             # `deals serve` on SQLite, one goal
//! ```
//!
//! `throughput` stores N listings and N AnalyzeDeal jobs (`DEALS_BENCH_JOBS`, default 1 000),
//! starts one `deals worker --concurrency 4` and reports jobs/s from the first start to the
//! last finish; then it enqueues 100 more at 10 per second into the idle worker (from this
//! process: on PostgreSQL the worker is woken by the enqueue's NOTIFY, on SQLite, which has no
//! cross-process wake-up, by its poll), and 100 more at 10 per second through the API of a
//! `deals serve` (API and worker in one process, woken in-process), and reports the
//! enqueue-to-start latency (`started_at - run_at`) of both. `discovery` times `POST /api/v1/goals` to
//! the first matched deal at `GET /api/v1/goals/{id}/deals`. The `deals` binary is taken from
//! the directory of this example's own binary's parent (`target/<profile>/deals`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use deals_app::jobs::{JobKind, JobStatus, Jobs};
use deals_core::{Availability, Condition};
use deals_store::entity::job;
use deals_store::repo::jobs::Job;
use deals_store::repo::listings::NewListing;
use deals_store::{DbSettings, Store, now};
use futures_util::{StreamExt, stream};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use uuid::Uuid;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

fn deals_bin() -> PathBuf {
    let me = std::env::current_exe().unwrap();
    me.parent().unwrap().parent().unwrap().join("deals")
}

/// Where the database (and so the queue) lives for one run.
struct Setup {
    env: Vec<(&'static str, String)>,
    db_url: String,
    cleanup: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

async fn setup(backend: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut env = Vec::new();
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
    let (db_url, cleanup) = match backend {
        "sqlite" => (
            format!("sqlite://{}", dir.path().join("deals.db").display()),
            None,
        ),
        "postgres" => {
            let (url, cleanup) = pg().await;
            (url, Some(cleanup))
        }
        other => panic!("unknown backend {other}: sqlite | postgres"),
    };
    env.push(("DEALS_DATABASE__URL", db_url.clone()));
    env.push(("DEALS_DATA_DIR", dir.path().display().to_string()));
    env.push(("DEALS_SIM__ENABLED", "false".into()));
    env.push(("DEALS_SEED__DEMO_ON_EMPTY", "false".into()));
    env.push(("DEALS_LOG__LEVEL", "warn".into()));
    Setup {
        env,
        db_url,
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

async fn enqueue(store: &Store, listing: Uuid) -> Uuid {
    let new = Jobs::new_job(JobKind::AnalyzeDeal, None, Some(listing), json!({}));
    let (row, _) = store.enqueue_job(new).await.unwrap();
    row.id
}

async fn finished(store: &Store, ids: &[Uuid], limit: Duration) -> Vec<Job> {
    let deadline = Instant::now() + limit;
    loop {
        let rows = job::Entity::find()
            .filter(job::Column::Kind.eq(JobKind::AnalyzeDeal.as_str()))
            .filter(job::Column::Status.eq(JobStatus::Succeeded.as_str()))
            .all(store.conn())
            .await
            .unwrap();
        let rows: Vec<Job> = rows
            .into_iter()
            .filter(|j| ids.contains(&j.id))
            .map(|j| Job::try_from(j).unwrap())
            .collect();
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
    let listings: Vec<Uuid> = stream::iter(0..n + 200)
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
        ids.push(enqueue(&store, *l).await);
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

    // Latency: an idle worker, 100 jobs enqueued at 10 per second from this process.
    let mut late = Vec::new();
    for l in &listings[n..n + 100] {
        late.push(enqueue(&store, *l).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (across_mean, across_p95) = waits(&finished(&store, &late, Duration::from_secs(120)).await);
    drop(worker);

    // Latency in one process: `deals serve` enqueues through its API and runs the jobs.
    let (server, base) = serve(&setup.env).await;
    let http = reqwest::Client::new();
    let token = register(&http, &base).await;
    let mut served = Vec::new();
    for l in &listings[n + 100..] {
        let accepted: Value = http
            .post(format!("{base}/api/v1/deals/{l}/analyze"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        served.push(accepted["job_id"].as_str().unwrap().parse().unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (serve_mean, serve_p95) = waits(&finished(&store, &served, Duration::from_secs(120)).await);
    drop(server);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{backend}: {n} AnalyzeDeal jobs, 1 worker × concurrency 4: {:.0} jobs/s ({secs:.1} s), \
         mean run {:.1} ms, {attempts_over_one} with more than one attempt; \
         enqueue→start at 10/s: from another process mean {across_mean:.1} ms, p95 \
         {across_p95:.1} ms; in `deals serve` mean {serve_mean:.1} ms, p95 {serve_p95:.1} ms",
        n as f64 / secs,
        mean(&run),
    );
    store.conn().clone().close().await.unwrap();
    if let Some((admin_url, name)) = &setup.cleanup {
        let admin = Database::connect(admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

/// Mean and p95 of `started_at - run_at`, in milliseconds.
fn waits(rows: &[Job]) -> (f64, f64) {
    let mut waits: Vec<f64> = rows
        .iter()
        .map(|j| ms(j.started_at.unwrap() - j.run_at))
        .collect();
    waits.sort_by(f64::total_cmp);
    let mean = waits.iter().sum::<f64>() / waits.len() as f64;
    (mean, waits[(waits.len() * 95).div_ceil(100) - 1])
}

/// `deals serve` with `env` on a free port, once it answers; its process and base URL.
async fn serve(env: &[(&'static str, String)]) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut env = env.to_vec();
    env.push(("DEALS_SERVER__LISTEN", format!("127.0.0.1:{port}")));
    env.push(("DEALS_RATE_LIMIT__ENABLED", "false".into()));
    let server = deals(&env, &["serve"]).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(http.get(format!("{base}/health")).send().await, Ok(r) if r.status() == 200) {
        assert!(Instant::now() < deadline, "deals serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, base)
}

/// Registers a user and returns the access token.
async fn register(http: &reqwest::Client, base: &str) -> String {
    let reg: Value = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": "bench@example.com", "password": "bench-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reg["access_token"].as_str().unwrap().to_owned()
}

async fn discovery() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("DEALS_DATA_DIR", dir.path().display().to_string()),
        ("DEALS_SEED__DEMO_ON_EMPTY", "false".into()),
        ("DEALS_LOG__LEVEL", "warn".into()),
    ];
    let (_server, base) = serve(&env).await;
    let http = reqwest::Client::new();
    let token = register(&http, &base).await;
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
        _ => eprintln!("usage: jobs_bench throughput sqlite|postgres | jobs_bench discovery"),
    }
}
