//! Logging and metrics set-up: human-readable lines on a terminal, JSON lines with
//! `DEALS_LOG__FORMAT=json`, optional size-rotated files, and the Prometheus recorder.

use std::sync::OnceLock;

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
        let rotating = FileRotate::new(
            dir.join("deals.log"),
            AppendCount::new(settings.log.file_max_files),
            ContentLimit::BytesSurpassed(settings.log.file_max_bytes),
            Compression::None,
            None,
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
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; ours then simply stays unused.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
