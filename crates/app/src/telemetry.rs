//! Logging and metrics set-up: human-readable lines on a terminal, JSON lines with
//! `DEALS_LOG__FORMAT=json`, optional size-rotated files, and the Prometheus recorder.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::config::{LogFormat, Settings};
use crate::state::AppState;

pub mod monitor;

pub use monitor::{ProcessResources, RequestUser, monitor};

/// Keeps the background log writer alive; drop it last.
pub struct LogGuard {
    _worker: Option<WorkerGuard>,
}

/// Installs the global tracing subscriber. Call once, from `main`.
pub fn init_logging(settings: &Settings) -> anyhow::Result<LogGuard> {
    let filter = EnvFilter::try_new(&settings.log.level)
        .with_context(|| format!("invalid log.level {:?}", settings.log.level))?;
    let stdout = match settings.log.format {
        LogFormat::Json => fmt::layer().json().with_current_span(true).boxed(),
        LogFormat::Pretty => fmt::layer().with_target(false).boxed(),
    };
    let (file_layer, guard) = if settings.log.file {
        let dir = settings.data_dir.join("logs");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let rotating = rotating_file(
            &dir,
            settings.log.file_max_bytes,
            settings.log.file_max_files,
        );
        let (writer, guard) = tracing_appender::non_blocking(rotating);
        (
            Some(fmt::layer().json().with_writer(writer).boxed()),
            Some(guard),
        )
    } else {
        (None, None)
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stdout)
        .with(file_layer)
        .try_init()
        .context("a global tracing subscriber is already installed")?;
    Ok(LogGuard { _worker: guard })
}

/// `<dir>/deals.log`, rotated by size: once it holds more than `max_bytes` it becomes
/// `deals.log.1` (older ones shift up) and at most `max_files` rotated files are kept.
/// (tracing-appender's own rolling writer rotates by time only.)
fn rotating_file(
    dir: &std::path::Path,
    max_bytes: usize,
    max_files: usize,
) -> FileRotate<AppendCount> {
    FileRotate::new(
        dir.join("deals.log"),
        AppendCount::new(max_files),
        ContentLimit::BytesSurpassed(max_bytes),
        Compression::None,
        None,
    )
}

/// Seconds buckets of the request latency histogram.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder, installed on first use (tests build many apps in one
/// process; a recorder can be installed only once).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("deals_request_latency_seconds".into()),
                        LATENCY_BUCKETS,
                    )
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; ours then simply stays unused.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// How often the figures that cost a database query (listings per market, jobs per status) are
/// recounted; scrapes in between reuse the last values.
const SLOW_REFRESH: Duration = Duration::from_secs(15);
/// Deadline of each dependency check made during a scrape.
const CHECK_DEADLINE: Duration = Duration::from_secs(1);

/// Registers the gauges that must exist from the first scrape, before anything happened
/// (adding 0 leaves a value another part of the process set untouched).
pub fn register_gauges(markets: &[String]) {
    metrics::gauge!("deals_websocket_connections").increment(0.0);
    metrics::gauge!("ws_connections").increment(0.0);
    for status in ["queued", "running", "dead"] {
        metrics::gauge!("deals_jobs", "status" => status).increment(0.0);
    }
    for market in markets {
        metrics::gauge!("deals_deal_count", "market" => market.clone()).increment(0.0);
    }
}

/// Updates the collectors' gauges, then renders every metric in the Prometheus text format.
pub async fn render_metrics(state: &AppState) -> String {
    let m = monitor();
    metrics::gauge!("deals_error_rate").set(m.error_rate());
    metrics::gauge!("deals_active_users").set(m.active_users() as f64);

    let db_up = tokio::time::timeout(CHECK_DEADLINE, state.store.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    metrics::gauge!("deals_database_up").set(f64::from(u8::from(db_up)));
    match state.store.replica_state() {
        deals_store::ReplicaState::None => {}
        deals_store::ReplicaState::Up => metrics::gauge!("deals_database_replica_up").set(1.0),
        deals_store::ReplicaState::Down => metrics::gauge!("deals_database_replica_up").set(0.0),
    }
    let pool = state.store.pool_stats();
    metrics::gauge!("deals_db_pool_connections", "state" => "in_use").set(f64::from(pool.in_use));
    metrics::gauge!("deals_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    if let Some(redis) = &state.redis {
        let up = redis.ping(CHECK_DEADLINE).await;
        metrics::gauge!("deals_redis_up").set(f64::from(u8::from(up)));
    }
    if db_up {
        refresh_slow_gauges(state).await;
    }

    let mut text = state.metrics.render();
    if let Some(p) = ProcessResources::read() {
        use std::fmt::Write;
        // Rendered here: a counter of the `metrics` crate holds integers, CPU time is not one.
        let _ = write!(
            text,
            "# HELP deals_process_cpu_seconds_total User and system CPU time of this process.\n\
             # TYPE deals_process_cpu_seconds_total counter\n\
             deals_process_cpu_seconds_total {}\n\
             # HELP deals_process_resident_memory_bytes Resident memory of this process.\n\
             # TYPE deals_process_resident_memory_bytes gauge\n\
             deals_process_resident_memory_bytes {}\n\
             # HELP deals_process_open_fds Open file descriptors of this process.\n\
             # TYPE deals_process_open_fds gauge\n\
             deals_process_open_fds {}\n",
            p.cpu_seconds, p.resident_bytes, p.open_fds
        );
    }
    text
}

/// Recounts listings per market and jobs per status when the last count is older than
/// [`SLOW_REFRESH`] (one count per process at a time, whatever the scrape rate).
async fn refresh_slow_gauges(state: &AppState) {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    {
        let Ok(mut last) = LAST.lock() else { return };
        if last.is_some_and(|at| at.elapsed() < SLOW_REFRESH) {
            return;
        }
        *last = Some(Instant::now());
    }
    let counts = tokio::time::timeout(CHECK_DEADLINE * 3, async {
        (
            state.store.active_listings_by_market().await,
            state.store.job_status_counts().await,
        )
    })
    .await;
    let Ok((listings, jobs)) = counts else {
        tracing::warn!("counting listings and jobs for /metrics timed out");
        return;
    };
    match listings {
        Ok(rows) => {
            // Every known market gets a value, 0 when it has no active listing.
            for market in state.markets.searchable() {
                let n = rows.iter().find(|(m, _)| *m == market).map_or(0, |r| r.1);
                metrics::gauge!("deals_deal_count", "market" => market).set(n as f64);
            }
            for (market, n) in rows {
                metrics::gauge!("deals_deal_count", "market" => market).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "counting listings for /metrics failed"),
    }
    match jobs {
        Ok(rows) => {
            use deals_core::JobStatus;
            let sum = |want: &[JobStatus]| {
                rows.iter()
                    .filter(|(s, _)| want.contains(s))
                    .map(|r| r.1)
                    .sum::<u64>() as f64
            };
            let queued = sum(&[JobStatus::Queued, JobStatus::Retrying]);
            metrics::gauge!("deals_jobs", "status" => "queued").set(queued);
            metrics::gauge!("deals_jobs", "status" => "running").set(sum(&[JobStatus::Running]));
            metrics::gauge!("deals_jobs", "status" => "dead").set(sum(&[JobStatus::Dead]));
        }
        Err(e) => tracing::warn!(error = %e, "counting jobs for /metrics failed"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_log_file_rotates_by_size_and_keeps_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = rotating_file(dir.path(), 1_000, 3);
        let line = format!("{}\n", "x".repeat(99));
        for _ in 0..100 {
            file.write_all(line.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["deals.log", "deals.log.1", "deals.log.2", "deals.log.3"]
        );
        for name in &names {
            let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
            assert!(len <= 1_100, "{name} holds {len} bytes");
        }
    }
}
