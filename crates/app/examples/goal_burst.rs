//! The goal-burst benchmark behind `docs/performance.md` ("Goal bursts", issue 18).
//!
//! ```text
//! cargo build --release --bin deals && cargo build --example goal_burst
//! BURST_DEALS_BIN=target/release/deals target/debug/examples/goal_burst 1000
//! BURST_DEALS_BIN=target/release/deals target/debug/examples/goal_burst 6000
//! BURST_DEALS_BIN=target/release/deals target/debug/examples/goal_burst 6000 postgres
//! ```
//!
//! Starts the product on its default configuration (a fresh temporary data directory: SQLite,
//! the in-process store simulator, one `deals serve`), or with `postgres` a scratch database on
//! `DEALS_BENCH_PG` plus Redis on `DEALS_BENCH_REDIS` (a fresh key prefix) with one
//! `deals serve --role api` and two `deals worker` processes. Then it registers
//! `BURST_USERS` users (default 200) and creates N goals through `POST /api/v1/goals` as fast as
//! 32 connections allow, round-robin over the users, with ordinary product sentences (a few
//! dozen, so most searches repeat). The only settings changed from the default are the ones a
//! load test needs: rate limits off and a signup bonus large enough for N goals.
//!
//! It reports: the burst's duration, the time until every goal's first search is done, jobs/s,
//! the wall time per job kind (from the jobs table) and the CPU time of the server processes,
//! RSS (sum over server processes) before / peak / when drained / one minute after, and the
//! time until the first search (which stores its matches) is done of two goals created in the
//! middle of the burst: one of a bursting user, one of another user. The server binary is `BURST_DEALS_BIN`, else `target/<profile>/deals` beside this example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deals_store::entity::job;
use futures_util::{StreamExt, stream};
use sea_orm::prelude::DateTimeUtc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use uuid::Uuid;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";

/// Ordinary sentences people type (the kind the seed's Locust file sends): most goals of a
/// burst repeat one of these.
const SENTENCES: &[&str] = &[
    "Sony or Bose noise cancelling headphones under $300, new",
    "27 inch 4k monitor under $400",
    "mechanical keyboard",
    "robot vacuum under $250",
    "air fryer",
    "wireless earbuds under $100",
    "gaming laptop with rtx 4060 under $1200",
    "ipad air",
    "nintendo switch oled",
    "espresso machine under $500",
    "standing desk",
    "4k tv 55 inch under $600",
    "kindle paperwhite",
    "usb c charger 65w",
    "office chair under $300",
    "apple watch series 9",
    "bluetooth speaker waterproof",
    "electric toothbrush",
    "running shoes size 10",
    "instant pot 6 quart",
    "dyson cordless vacuum",
    "macbook air m2 under $1000",
    "ps5 controller",
    "external ssd 1tb",
    "webcam 1080p",
    "coffee grinder",
    "smart thermostat",
    "portable monitor",
    "gaming mouse wireless",
    "airpods pro",
    "samsung galaxy s24",
    "camping tent 4 person",
];

fn deals_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("BURST_DEALS_BIN") {
        return PathBuf::from(bin);
    }
    let me = std::env::current_exe().unwrap();
    me.parent().unwrap().parent().unwrap().join("deals")
}

fn deals(env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(deals_bin());
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// RSS in bytes and CPU time (user + system) of a process, from `/proc`.
fn proc_stats(pid: u32) -> (u64, Duration) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which ends at the last ')'): utime and stime are 14th
    // and 15th of the whole line, so 12th and 13th after it.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // Linux reports in USER_HZ, 100 on every common build.
    (rss_kb * 1024, Duration::from_millis(ticks * 10))
}

struct Servers {
    children: Vec<Child>,
    base: String,
}

impl Servers {
    fn pids(&self) -> Vec<u32> {
        self.children.iter().filter_map(Child::id).collect()
    }

    fn rss(&self) -> u64 {
        self.pids().into_iter().map(|p| proc_stats(p).0).sum()
    }

    fn cpu(&self) -> Duration {
        self.pids().into_iter().map(|p| proc_stats(p).1).sum()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_healthy(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !matches!(http.get(format!("{base}/health")).send().await, Ok(r) if r.status() == 200) {
        assert!(Instant::now() < deadline, "deals serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Registers a user and returns the access token.
async fn register(http: &reqwest::Client, base: &str, i: usize) -> String {
    let reg: Value = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": format!("burst{i}@example.com"), "password": "burst-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reg["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("register: {reg}"))
        .to_owned()
}

async fn create_goal(http: &reqwest::Client, base: &str, token: &str, words: &str) -> Uuid {
    for attempt in 0..5 {
        let response = http
            .post(format!("{base}/api/v1/goals"))
            .bearer_auth(token)
            .json(&json!({"query": words}))
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => {
                let goal: Value = r.json().await.unwrap();
                return goal["id"].as_str().unwrap().parse().unwrap();
            }
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                assert!(attempt < 4, "creating a goal: {status} {body}");
            }
            Err(e) => assert!(attempt < 4, "creating a goal: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    unreachable!()
}

/// Waits until a goal's first search has finished (its matches are stored then); the time
/// since `at` and the number of deals the goal then has.
fn first_match(
    http: reqwest::Client,
    db: DatabaseConnection,
    base: String,
    token: String,
    id: Uuid,
    at: Instant,
) -> tokio::task::JoinHandle<(Duration, u64)> {
    tokio::spawn(async move {
        let key = format!("search_deals:{id}:first");
        loop {
            let done = job::Entity::find()
                .filter(job::Column::DedupKey.eq(key.as_str()))
                .filter(job::Column::Status.is_in(FINISHED))
                .one(&db)
                .await
                .ok()
                .flatten();
            if let Some(job) = done {
                let took = at.elapsed();
                // Where the time went: waiting for a worker, then running.
                if let (Some(started), Some(finished)) = (job.started_at, job.finished_at) {
                    let secs = |d: chrono::TimeDelta| d.num_milliseconds() as f64 / 1000.0;
                    println!(
                        "  goal {id}: its first search (priority {}) waited {:.2} s for a \
                         worker and ran {:.2} s",
                        job.priority,
                        secs(started - job.created_at),
                        secs(finished - started)
                    );
                }
                let deals: Value = http
                    .get(format!("{base}/api/v1/goals/{id}/deals"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap_or_default();
                return (took, deals["total"].as_u64().unwrap_or(0));
            }
            assert!(
                at.elapsed() < Duration::from_secs(900),
                "no first search in 15 min"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

const FINISHED: [&str; 3] = ["succeeded", "failed", "dead"];

/// First searches finished (any outcome) and of those, failed ones.
async fn first_searches_done(db: &DatabaseConnection) -> (u64, u64) {
    let first = || {
        job::Entity::find()
            .filter(job::Column::Kind.eq("search_deals"))
            .filter(job::Column::DedupKey.like("search_deals:%:first"))
    };
    let done = first()
        .filter(job::Column::Status.is_in(FINISHED))
        .count(db)
        .await
        .unwrap_or(0);
    let failed = first()
        .filter(job::Column::Status.is_in(["failed", "dead"]))
        .count(db)
        .await
        .unwrap_or(0);
    (done, failed)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(1000, |a| a.parse().expect("N goals"));
    let backend = args.get(1).map_or("sqlite", String::as_str);
    let users: usize = std::env::var("BURST_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        .min(n.max(1));
    let dir = tempfile::tempdir().unwrap();
    let per_user = n.div_ceil(users) + 2;
    let mut env: Vec<(String, String)> = vec![
        ("DEALS_DATA_DIR".into(), dir.path().display().to_string()),
        ("DEALS_SEED__DEMO_ON_EMPTY".into(), "false".into()),
        ("DEALS_LOG__LEVEL".into(), "warn".into()),
        ("DEALS_RATE_LIMIT__ENABLED".into(), "false".into()),
        // Each goal costs its analysis and first search; enough for `per_user` goals.
        (
            "DEALS_TOKENS__SIGNUP_BONUS".into(),
            format!("{}", per_user * 2),
        ),
    ];
    let mut cleanup = None;
    let db_url = match backend {
        "sqlite" => format!("sqlite://{}", dir.path().join("deals.db").display()),
        "postgres" => {
            let admin_url = std::env::var("DEALS_BENCH_PG").unwrap_or_else(|_| DEFAULT_PG.into());
            let name = format!("t_goal_burst_{}", Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let (server, _) = admin_url.rsplit_once('/').unwrap();
            let redis = std::env::var("DEALS_BENCH_REDIS").unwrap_or_else(|_| DEFAULT_REDIS.into());
            env.push(("DEALS_REDIS__URL".into(), redis));
            env.push((
                "DEALS_REDIS__KEY_PREFIX".into(),
                format!("burst{}:", Uuid::new_v4().simple()),
            ));
            cleanup = Some((admin_url.clone(), name.clone()));
            format!("{server}/{name}")
        }
        other => panic!("unknown backend {other}: sqlite | postgres"),
    };
    env.push(("DEALS_DATABASE__URL".into(), db_url.clone()));
    let port = free_port();
    env.push(("DEALS_SERVER__LISTEN".into(), format!("127.0.0.1:{port}")));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let mut servers = Servers {
        children: vec![],
        base: base.clone(),
    };
    if backend == "postgres" {
        servers
            .children
            .push(deals(&env, &["serve", "--role", "api"]).spawn().unwrap());
        wait_healthy(&http, &base).await;
        for _ in 0..2 {
            servers
                .children
                .push(deals(&env, &["worker"]).spawn().unwrap());
        }
        servers
            .children
            .push(deals(&env, &["scheduler"]).spawn().unwrap());
    } else {
        servers
            .children
            .push(deals(&env, &["serve"]).spawn().unwrap());
        wait_healthy(&http, &base).await;
    }
    let db = Database::connect(&db_url).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle = servers.rss();

    let registering = Instant::now();
    let tokens: Vec<String> = stream::iter(0..users)
        .map(|i| {
            let http = http.clone();
            let base = base.clone();
            async move { register(&http, &base, i).await }
        })
        .buffered(8)
        .collect()
        .await;
    let registered = registering.elapsed();
    let probe_token = register(&http, &base, users).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = servers.rss();
    let cpu_before = servers.cpu();

    // RSS sampler.
    let peak = Arc::new(AtomicU64::new(rss_before));
    let pids = servers.pids();
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let rss: u64 = pids.iter().map(|&p| proc_stats(p).0).sum();
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let started = Instant::now();
    let mid = n / 2;
    type Probe = tokio::task::JoinHandle<(Duration, u64)>;
    let mid_probe: Arc<tokio::sync::OnceCell<(Probe, Probe)>> =
        Arc::new(tokio::sync::OnceCell::new());
    let tokens = Arc::new(tokens);
    stream::iter(0..n)
        .map(|i| {
            let http = http.clone();
            let base = base.clone();
            let tokens = tokens.clone();
            let mid_probe = mid_probe.clone();
            let probe_token = probe_token.clone();
            let db = db.clone();
            async move {
                let token = &tokens[i % tokens.len()];
                let words = SENTENCES[(i * 7 + i / 13) % SENTENCES.len()];
                let at = Instant::now();
                let id = create_goal(&http, &base, token, words).await;
                if i == mid {
                    let burst_goal = first_match(
                        http.clone(),
                        db.clone(),
                        base.clone(),
                        token.clone(),
                        id,
                        at,
                    );
                    // Someone else creating a goal while the burst is queued.
                    let at = Instant::now();
                    let theirs =
                        create_goal(&http, &base, &probe_token, "Sony or Bose headphones").await;
                    let fresh_goal = first_match(http, db, base, probe_token.clone(), theirs, at);
                    let _ = mid_probe.set((burst_goal, fresh_goal));
                }
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    let burst = started.elapsed();
    println!(
        "burst: {n} goals created by {users} users in {:.1} s ({:.0} goals/s); registering took {:.1} s",
        burst.as_secs_f64(),
        n as f64 / burst.as_secs_f64(),
        registered.as_secs_f64()
    );

    let mut last_report = Instant::now();
    let (failed, drained) = loop {
        let (done, failed) = first_searches_done(&db).await;
        if done as usize > n {
            break (failed, started.elapsed());
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            println!(
                "  {:>5.0} s: {done}/{} first searches done, RSS {} MiB",
                started.elapsed().as_secs_f64(),
                n + 1,
                servers.rss() >> 20
            );
            last_report = Instant::now();
        }
        assert!(
            started.elapsed() < Duration::from_secs(3600),
            "not drained in an hour"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let cpu = servers.cpu().saturating_sub(cpu_before);
    let rss_drained = servers.rss();
    let mid_latency = match Arc::try_unwrap(mid_probe).ok().and_then(|p| p.into_inner()) {
        Some((burst_goal, fresh_goal)) => {
            Some((burst_goal.await.unwrap(), fresh_goal.await.unwrap()))
        }
        None => None,
    };

    // Jobs by kind: how many ran and their wall time.
    // Only the columns every version of the table has (the "before" binary's too).
    type Row = (String, String, Option<DateTimeUtc>, Option<DateTimeUtc>);
    let rows: Vec<Row> = job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column(job::Column::Status)
        .column(job::Column::StartedAt)
        .column(job::Column::FinishedAt)
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    let mut kinds: BTreeMap<String, (u64, f64, f64)> = BTreeMap::new();
    for (kind, _, started, finished) in &rows {
        let e = kinds.entry(kind.clone()).or_default();
        e.0 += 1;
        if let (Some(s), Some(f)) = (started, finished) {
            let ms = (*f - *s).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            e.1 += ms;
            e.2 = e.2.max(ms);
        }
    }
    let finished = rows
        .iter()
        .filter(|(_, status, _, _)| FINISHED.contains(&status.as_str()))
        .count();
    println!(
        "drained: every goal's first search done {:.1} s after the burst began ({failed} failed); \
         {finished} jobs finished, {:.0} jobs/s",
        drained.as_secs_f64(),
        finished as f64 / drained.as_secs_f64()
    );
    println!(
        "server CPU during burst+drain: {:.1} s ({:.0} % of one core)",
        cpu.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / drained.as_secs_f64()
    );
    for (kind, (count, total_ms, max_ms)) in &kinds {
        println!(
            "  {kind:<22} {count:>6} jobs, wall {:>8.1} s total, mean {:>7.1} ms, max {:>7.0} ms",
            total_ms / 1000.0,
            total_ms / (*count).max(1) as f64,
            max_ms
        );
    }
    match mid_latency {
        Some(((burst_goal, burst_deals), (fresh_goal, fresh_deals))) => println!(
            "first search of goal #{mid} of the burst (a bursting user's) done after {:.2} s \
             ({burst_deals} deals); of a goal another user created at that moment after {:.2} s \
             ({fresh_deals} deals)",
            burst_goal.as_secs_f64(),
            fresh_goal.as_secs_f64()
        ),
        None => println!("goal created mid-burst: not probed"),
    }
    println!(
        "RSS: idle {} MiB, after {users} sign-ups {} MiB, peak {} MiB, drained {} MiB",
        rss_idle >> 20,
        rss_before >> 20,
        peak.load(Ordering::Relaxed) >> 20,
        rss_drained >> 20
    );
    let wait: u64 = std::env::var("BURST_AFTER_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    if wait > 0 {
        tokio::time::sleep(Duration::from_secs(wait)).await;
        println!("RSS {wait} s after drained: {} MiB", servers.rss() >> 20);
    }
    sampler.abort();
    let _ = &servers.base;
    for mut c in servers.children {
        let _ = c.kill().await;
    }
    drop(db);
    if let Some((admin_url, name)) = cleanup {
        let admin = Database::connect(&admin_url).await.unwrap();
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}
