//! WebSocket load measurement behind `docs/performance.md` ("Live updates").
//!
//! ```text
//! cargo build --bin deals --example ws_bench        # or --release for both
//! target/debug/examples/ws_bench 10000 5            # sockets, alerts
//! ```
//!
//! Starts `deals serve` (SQLite in a temporary directory, the simulated stores, rate limits off),
//! registers one user and opens N WebSockets as that user (200 handshakes at a time). It reports
//! the sockets held and the server's resident memory (`VmRSS`) before and after, then creates K
//! goals one after another: each goal's first search commits one summary notification, which
//! every socket receives. Latency is the receive time minus the notification's `created_at`
//! (written in the committing transaction), p50 and p99 over all sockets and alerts. The `deals`
//! binary is taken from the directory above this example's own binary.

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
    let idle_rss = rss_kib(pid);

    let url = format!("ws://127.0.0.1:{port}/api/v1/ws");
    let started = Instant::now();
    let connected: Vec<_> = stream::iter(0..sockets)
        .map(|_| {
            let mut req = url.as_str().into_client_request().unwrap();
            req.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(&format!("bearer, {token}")).unwrap(),
            );
            async move {
                let (mut s, _) = tokio_tungstenite::connect_async(req).await.ok()?;
                s.next().await?.ok()?;
                Some(s)
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
    let mut readers = Vec::new();
    for mut socket in connected {
        let latencies = latencies.clone();
        readers.push(tokio::spawn(async move {
            let mut got = 0;
            while got < alerts {
                let Some(Ok(Message::Text(t))) = socket.next().await else {
                    continue;
                };
                let at = Utc::now();
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] != "notification" {
                    continue;
                }
                got += 1;
                let created: DateTime<Utc> =
                    v["data"]["created_at"].as_str().unwrap().parse().unwrap();
                let ms = (at - created).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                latencies.lock().await.push(ms);
            }
            socket
        }));
    }
    for n in 0..alerts {
        let res = http
            .post(format!("{base}/api/v1/goals"))
            .bearer_auth(&token)
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
    let mut all = latencies.lock().await.clone();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "sockets asked {sockets}, held {held} (connected in {connect_secs:.1} s), readers done {}",
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
    server.kill().await.unwrap();
}
