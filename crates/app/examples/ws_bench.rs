//! WebSocket load measurement behind `docs/performance.md` ("Live updates").
//!
//! ```text
//! cargo build --release --bin deals --example ws_bench
//! target/release/examples/ws_bench 10000 5          # sockets, alerts: one user, every socket gets every alert
//! target/release/examples/ws_bench 10000 50 1000    # sockets spread over 1 000 users (10 each)
//! ```
//!
//! Starts `deals serve` (SQLite in a temporary directory, the simulated stores, rate limits off),
//! registers U users (default 1) and opens N WebSockets, socket `i` as user `i % U` (200
//! handshakes at a time). It reports the sockets held and the server's resident memory (`VmRSS`)
//! before and after, then creates K goals one after another, goal `k` by user `k % U`: each
//! goal's first search commits one summary notification, which every socket of its user
//! receives, while the public deal updates of the searches reach every socket. Latency is the
//! receive time minus the notification's `created_at` (written in the committing transaction),
//! p50 and p99 over every alert frame received. The `deals` binary is taken from the directory
//! above this example's own binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use tokio::process::Command;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let sockets: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let alerts: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let users: usize = args
        .get(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1)
        .clamp(1, sockets.max(1));
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("deals");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(&bin)
        .arg("serve")
        .env("DEALS_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("DEALS_DATA_DIR", dir.path())
        .env("DEALS_SEED__DEMO_ON_EMPTY", "false")
        .env("DEALS_SIM__CHAOS", "false")
        .env("DEALS_RATE_LIMIT__ENABLED", "false")
        .env("DEALS_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("deals starts");
    let pid = server.id().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    while http.get(format!("{base}/health")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tokens: Vec<String> = stream::iter(0..users)
        .map(|u| {
            let http = http.clone();
            let base = base.clone();
            async move {
                let reg: Value = http
                    .post(format!("{base}/api/v1/auth/register"))
                    .json(&json!({"email": format!("bench{u}@example.com"), "password": "bench-password"}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                reg["access_token"].as_str().unwrap().to_owned()
            }
        })
        .buffered(8)
        .collect()
        .await;
    // argon2's work buffers of the sign-ups are freed 2 s after the last hash: the idle
    // figure is the server at rest, not mid sign-up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = rss_kib(pid);

    let url = format!("ws://127.0.0.1:{port}/api/v1/ws");
    let started = Instant::now();
    let connected: Vec<_> = stream::iter(0..sockets)
        .map(|i| {
            let user = i % users;
            let token = &tokens[user];
            let mut req = url.as_str().into_client_request().unwrap();
            req.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(&format!("bearer, {token}")).unwrap(),
            );
            async move {
                let (mut s, _) = tokio_tungstenite::connect_async(req).await.ok()?;
                s.next().await?.ok()?;
                Some((user, s))
            }
        })
        .buffer_unordered(200)
        .filter_map(|s| async move { s })
        .collect()
        .await;
    let held = connected.len();
    let connect_secs = started.elapsed().as_secs_f64();
    let loaded_rss = rss_kib(pid);

    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let others: Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>> = Arc::default();
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    let mut idle = Vec::new();
    for (user, mut socket) in connected {
        let latencies = latencies.clone();
        let others = others.clone();
        let mut done = done_rx.clone();
        // How many of the alerts are this socket's user's.
        let expected = (0..alerts).filter(|k| k % users == user).count();
        let list = if expected > 0 {
            &mut readers
        } else {
            &mut idle
        };
        list.push(tokio::spawn(async move {
            // Counted per socket and merged at the end: no lock between readers.
            let mut mine: Vec<f64> = Vec::new();
            let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
            let mut got = 0;
            while got < expected || (expected == 0 && !*done.borrow()) {
                let next = tokio::select! {
                    next = socket.next() => next,
                    _ = done.changed(), if expected == 0 => continue,
                };
                let t = match next {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => break,
                };
                let at = Utc::now();
                // Only alerts are decoded: the client stays cheap, so the figures are the
                // server's (frames are `{"data":…,"id":…,"type":"…"}`, keys in order).
                let text = t.as_str();
                if !text.ends_with("\"type\":\"notification\"}") {
                    let kind = text
                        .rsplit("\"type\":\"")
                        .next()
                        .unwrap_or("?")
                        .trim_end_matches("\"}")
                        .to_owned();
                    *kinds.entry(kind).or_default() += 1;
                    continue;
                }
                let v: Value = serde_json::from_str(text).unwrap();
                got += 1;
                let created: DateTime<Utc> =
                    v["data"]["created_at"].as_str().unwrap().parse().unwrap();
                let ms = (at - created).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                mine.push(ms);
            }
            latencies.lock().await.extend(mine);
            let mut all = others.lock().unwrap();
            for (kind, n) in kinds {
                *all.entry(kind).or_default() += n;
            }
            drop(all);
            socket
        }));
    }
    for n in 0..alerts {
        let res = http
            .post(format!("{base}/api/v1/goals"))
            .bearer_auth(&tokens[n % users])
            .json(&json!({"query": format!("Sony headphones under ${}", 200 + n * 10)}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let mut kept = Vec::new();
    for r in readers {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_secs(120), r).await {
            kept.push(s);
        }
    }
    let _ = done_tx.send(true);
    for r in idle {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_secs(10), r).await {
            kept.push(s);
        }
    }
    let mut all = latencies.lock().await.clone();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "sockets asked {sockets} for {users} users, held {held} (connected in {connect_secs:.1} s), readers done {}",
        kept.len()
    );
    println!(
        "server RSS: idle {:.1} MiB, with sockets {:.1} MiB, {:.1} MiB per 1 000 sockets",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0,
        (loaded_rss.saturating_sub(idle_rss)) as f64 / 1024.0 / (held.max(1) as f64 / 1000.0)
    );
    println!(
        "alerts {alerts}, frames {}, latency commit→client p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(f64::NAN)
    );
    for (kind, n) in others.lock().unwrap().iter() {
        println!(
            "other frames received: {kind} {n} ({:.1} per socket)",
            *n as f64 / held.max(1) as f64
        );
    }
    server.kill().await.unwrap();
}
