//! The job-queue transport: carries job ids (`Uuid`) from producers to workers, durably, on
//! apalis 1.0 with one of three backends chosen by configuration — SQLite (its own file, never
//! the app's database), PostgreSQL or Redis. The code path is the same for all three; only the
//! storage constructor differs.
//!
//! Delivery is at least once. The `jobs` table owns status, attempts and results; a duplicate
//! delivery is harmless because the handler's claim in that table turns it into a no-op.
//!
//! - **Ack**: a handler's `Ok(())` (or [`HandlerError::Discard`]) marks the apalis task done.
//! - **Retry**: [`HandlerError::Retry`] re-pushes the id as a new task with that delay, then acks
//!   the old one (apalis' own retries would run again at once, with no delay). If that re-push
//!   fails, the task is failed back to apalis, which delivers it again: each task is pushed with
//!   [`APALIS_MAX_ATTEMPTS`] so the transport never gives up on an id by itself.
//! - **Panics** in a handler are caught and treated as `Retry(PANIC_RETRY_DELAY)`.
//! - **Dead consumers** (SIGKILL, lost host): every consumer heartbeats every
//!   `heartbeat_interval`; ids held by a consumer silent for `heartbeat_interval ×
//!   missed_heartbeats` are put back on the queue by the next heartbeat of any live consumer of
//!   the same queue (apalis' orphan recovery, on all three backends). With no live consumer left
//!   (the embedded single process), that happens at the first heartbeat after restart.
//! - **Delays** are whole seconds in every apalis backend; `push` rounds the due time *up*, so an
//!   id never runs early and may run up to one second (plus one poll interval) late.

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    path::PathBuf,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use apalis::prelude::{
    BackendExt, BoxDynError, Event, EventListenerExt, WorkerBuilder, WorkerContext,
};
use apalis_postgres::PostgresStorage;
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::SqliteStorage;
use async_trait::async_trait;
use futures_util::{FutureExt, future::BoxFuture};
use sqlx::{
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tower::limit::ConcurrencyLimitLayer;
use uuid::Uuid;

use producer::ApalisQueue;

mod producer;

/// Attempts apalis may make per task before it gives up on it; high enough never to be reached
/// (a handler's own retries are re-pushes, each a new task).
pub const APALIS_MAX_ATTEMPTS: usize = 1_000_000;

/// Delay before an id whose handler panicked is delivered again.
pub const PANIC_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Key of the PostgreSQL advisory lock held while apalis' migrations run.
const PG_SETUP_LOCK: i64 = 0x6465_616c_735f_7131;

/// An apalis storage config for the queue in `settings`, fetching `batch` tasks at a time.
macro_rules! apalis_config {
    ($config:ty, $settings:expr, $batch:expr) => {
        <$config>::default()
            .queue(&$settings.queue_name)
            .heartbeat_interval($settings.heartbeat_interval)
            .missed_heartbeats($settings.missed_heartbeats)
            .batch_size($batch.max(1))
    };
}

/// Which backend carries job ids.
#[derive(Clone)]
pub enum QueueBackend {
    /// apalis-sqlite in its own database file (e.g. `./data/jobs.db`), created if missing.
    Sqlite {
        /// The queue's SQLite file; never the app's database file.
        path: PathBuf,
    },
    /// apalis-postgres in the `apalis` schema of this database.
    Postgres {
        /// `postgres://…` connection URL.
        url: String,
    },
    /// apalis-redis on this server.
    Redis {
        /// `redis://…` connection URL.
        url: String,
    },
}

impl std::fmt::Debug for QueueBackend {
    /// URLs may carry passwords: only the backend kind (and the SQLite path) is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Self::Postgres { .. } => f.write_str("Postgres { url: <redacted> }"),
            Self::Redis { .. } => f.write_str("Redis { url: <redacted> }"),
        }
    }
}

/// How to reach the queue and how its consumers behave.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// Which backend carries the ids.
    pub backend: QueueBackend,
    /// apalis queue name; isolates apps and tests sharing one backend.
    pub queue_name: String,
    /// How often an idle consumer looks for work (apalis waits 30 s if this is not set).
    pub poll_interval: Duration,
    /// How often a consumer reports it is alive (whole seconds, at least 1 s).
    pub heartbeat_interval: Duration,
    /// Heartbeats a consumer may miss before its ids are handed to other consumers.
    pub missed_heartbeats: usize,
}

impl QueueSettings {
    /// Settings with the defaults: poll every 250 ms, heartbeat every 5 s, a consumer silent
    /// for 3 heartbeats (15 s) is dead.
    #[must_use]
    pub fn new(backend: QueueBackend, queue_name: impl Into<String>) -> Self {
        Self {
            backend,
            queue_name: queue_name.into(),
            poll_interval: Duration::from_millis(250),
            heartbeat_interval: Duration::from_secs(5),
            missed_heartbeats: 3,
        }
    }

    /// How long after its last heartbeat a consumer's ids are delivered to others.
    #[must_use]
    pub fn orphaned_after(&self) -> Duration {
        self.heartbeat_interval * u32::try_from(self.missed_heartbeats).unwrap_or(u32::MAX)
    }
}

/// A failure of the queue transport (not of a job).
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The settings cannot work (empty queue name, zero concurrency…).
    #[error("invalid queue settings: {0}")]
    Settings(String),
    /// The backend refused or failed an operation.
    #[error("job queue ({backend}): {action} failed")]
    Backend {
        /// `sqlite` | `postgres` | `redis`.
        backend: &'static str,
        /// What the transport was doing.
        action: &'static str,
        /// The backend's error.
        #[source]
        source: BoxDynError,
    },
}

/// How a handler asks the transport to treat the id it was given.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Deliver the id again, no earlier than this delay from now.
    #[error("retry in {0:?}")]
    Retry(Duration),
    /// Do not deliver the id again; the handler recorded why in the jobs table.
    #[error("discarded: {0}")]
    Discard(String),
}

/// Hands job ids from producers to the workers.
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Hands a job id to the workers, to run no earlier than `delay` from now.
    async fn push(&self, job_id: Uuid, delay: Option<Duration>) -> Result<(), QueueError>;
    /// `sqlite` | `postgres` | `redis`.
    fn backend_name(&self) -> &'static str;
    /// Cheap liveness check for /ready.
    async fn ping(&self) -> Result<(), QueueError>;
    /// Pending (not yet taken) ids, delayed ones included, for the queue-depth metric; best
    /// effort.
    async fn depth(&self) -> Result<u64, QueueError>;
    /// Deletes the transport's own records of delivered ids older than `older_than` (apalis
    /// keeps them); returns how many. The `jobs` table keeps the history that matters.
    async fn purge_done(&self, older_than: Duration) -> Result<u64, QueueError>;
}

/// Runs one job: called with the id, once per delivery.
pub type JobHandler =
    Arc<dyn Fn(Uuid) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync>;

/// One storage handle per backend; cheap to clone (pools and connection managers are shared).
#[derive(Clone)]
enum Storage {
    Sqlite(SqliteStorage<Uuid>),
    Postgres(PostgresStorage<Uuid>),
    Redis(RedisStorage<Uuid>),
}

impl Storage {
    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
            Self::Redis(_) => "redis",
        }
    }

    fn error(&self, action: &'static str) -> impl FnOnce(BoxDynError) -> QueueError {
        let backend = self.name();
        move |source| QueueError::Backend {
            backend,
            action,
            source,
        }
    }
}

/// The consumer side of a queue; see [`QueueConsumer::run`].
pub struct QueueConsumer {
    storage: Storage,
    producer: Arc<dyn JobQueue>,
    settings: QueueSettings,
}

impl std::fmt::Debug for QueueConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueConsumer")
            .field("backend", &self.storage.name())
            .field("queue_name", &self.settings.queue_name)
            .finish_non_exhaustive()
    }
}

/// Connects (creating the backend's tables / running its migrations; on PostgreSQL under a
/// `pg_advisory_lock` so several processes or tests starting at once don't race) and returns the
/// producer handle and a consumer for the same queue.
pub async fn connect(
    settings: &QueueSettings,
) -> Result<(Arc<dyn JobQueue>, QueueConsumer), QueueError> {
    if settings.queue_name.trim().is_empty() {
        return Err(QueueError::Settings("queue_name is empty".into()));
    }
    if settings.heartbeat_interval < Duration::from_secs(1) || settings.missed_heartbeats == 0 {
        return Err(QueueError::Settings(
            "heartbeat_interval must be at least 1 s and missed_heartbeats at least 1".into(),
        ));
    }
    let storage = match &settings.backend {
        QueueBackend::Sqlite { path } => {
            let err = |action| move |e: sqlx::Error| backend_error("sqlite", action, e);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| backend_error("sqlite", "create dir", e))?;
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(err("connect"))?;
            SqliteStorage::setup(&pool)
                .await
                .map_err(|e| backend_error("sqlite", "migrate", e))?;
            let config = apalis_config!(apalis_sqlite::Config, settings, 1);
            Storage::Sqlite(SqliteStorage::new(&pool).with_config(config))
        }
        QueueBackend::Postgres { url } => {
            let err = |action| move |e: sqlx::Error| backend_error("postgres", action, e);
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(err("connect"))?;
            let mut lock = pool.acquire().await.map_err(err("connect"))?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(PG_SETUP_LOCK)
                .execute(&mut *lock)
                .await
                .map_err(err("lock"))?;
            let setup = PostgresStorage::setup(&pool).await;
            let unlock = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(PG_SETUP_LOCK)
                .execute(&mut *lock)
                .await;
            setup.map_err(|e| backend_error("postgres", "migrate", e))?;
            unlock.map_err(err("unlock"))?;
            let config = apalis_config!(apalis_postgres::Config, settings, 1);
            Storage::Postgres(PostgresStorage::new(&pool).with_config(config))
        }
        QueueBackend::Redis { url } => {
            let conn: ConnectionManager = apalis_redis::connect(url.as_str())
                .await
                .map_err(|e| backend_error("redis", "connect", e))?;
            let config = apalis_config!(apalis_redis::Config, settings, 1).emit_events(false);
            Storage::Redis(RedisStorage::new(conn).with_config(config))
        }
    };
    let producer: Arc<dyn JobQueue> = Arc::new(ApalisQueue {
        storage: storage.clone(),
        queue_name: settings.queue_name.clone(),
    });
    let consumer = QueueConsumer {
        storage,
        producer: producer.clone(),
        settings: settings.clone(),
    };
    Ok((producer, consumer))
}

impl QueueConsumer {
    /// Runs `concurrency` concurrent handler calls until `shutdown` resolves; then stops taking
    /// work and waits up to `grace` for running handlers before returning.
    ///
    /// `worker_name` is a prefix: a random suffix is added, because apalis refuses a second
    /// live worker of the same name on one queue. Ids fetched but not yet started are handed
    /// back at shutdown; handlers still running after `grace` are cancelled and their ids are
    /// delivered again once this worker counts as dead (see the module docs).
    pub async fn run(
        self,
        worker_name: &str,
        concurrency: usize,
        handler: JobHandler,
        shutdown: impl Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> Result<(), QueueError> {
        if concurrency == 0 {
            return Err(QueueError::Settings(
                "concurrency must be at least 1".into(),
            ));
        }
        let backend = self.storage.name();
        let ctx = WorkerContext::new(&format!("{worker_name}-{}", Uuid::new_v4().simple()));
        let dispatch = Arc::new(Dispatch {
            handler,
            producer: self.producer,
        });
        let service = move |id: Uuid| {
            let dispatch = dispatch.clone();
            async move { dispatch.deliver(id).await }
        };

        let settings = &self.settings;
        // The same worker for every backend; only the storage type differs.
        macro_rules! worker {
            ($storage:expr) => {
                WorkerBuilder::new(&ctx)
                    .backend($storage.poll_with_interval(settings.poll_interval))
                    .layer(ConcurrencyLimitLayer::new(concurrency))
                    .on_event(log_event)
                    .build(service)
                    .run()
                    .boxed()
            };
        }
        // A fetch batch the size of the concurrency: a consumer holds no more ids than it can
        // start, other consumers get the rest.
        let mut worker = match self.storage {
            Storage::Sqlite(s) => {
                worker!(s.with_config(apalis_config!(apalis_sqlite::Config, settings, concurrency)))
            }
            Storage::Postgres(s) => {
                worker!(s.with_config(apalis_config!(
                    apalis_postgres::Config,
                    settings,
                    concurrency
                )))
            }
            Storage::Redis(s) => worker!(s.with_config(
                apalis_config!(apalis_redis::Config, settings, concurrency).emit_events(false)
            )),
        };

        tokio::select! {
            res = &mut worker => return res.map_err(|e| backend_error(backend, "worker", e)),
            () = shutdown => {}
        }
        tracing::info!(worker = ctx.name(), ?grace, "job queue consumer stopping");
        if let Err(e) = ctx.stop() {
            tracing::warn!(error = %e, "job queue consumer was not running");
            return Ok(());
        }
        match tokio::time::timeout(grace, worker).await {
            Ok(res) => res.map_err(|e| backend_error(backend, "worker", e)),
            Err(_) => {
                tracing::warn!(
                    worker = ctx.name(),
                    "handlers still running after the grace period were cancelled"
                );
                Ok(())
            }
        }
    }
}

/// Calls the handler for one delivery and turns its answer into an ack or a re-push.
struct Dispatch {
    handler: JobHandler,
    producer: Arc<dyn JobQueue>,
}

impl Dispatch {
    async fn deliver(&self, id: Uuid) -> Result<(), QueueError> {
        // Its own task, so handlers run in parallel across the runtime's threads; aborted if
        // the worker is dropped (grace period over).
        let handle = AbortOnDrop(tokio::spawn(
            AssertUnwindSafe((self.handler)(id)).catch_unwind(),
        ));
        let outcome = match (&mut { handle }.0).await {
            Ok(Ok(res)) => res,
            Ok(Err(_panic)) => {
                tracing::error!(job_id = %id, "job handler panicked; delivering again later");
                Err(HandlerError::Retry(PANIC_RETRY_DELAY))
            }
            Err(e) => {
                tracing::error!(job_id = %id, error = %e, "job handler task failed");
                Err(HandlerError::Retry(PANIC_RETRY_DELAY))
            }
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(HandlerError::Discard(reason)) => {
                tracing::warn!(job_id = %id, %reason, "job discarded by its handler");
                Ok(())
            }
            // If this push fails the error fails the apalis task, which apalis delivers again.
            Err(HandlerError::Retry(delay)) => self.producer.push(id, Some(delay)).await,
        }
    }
}

/// Aborts the spawned handler when the delivery future is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn log_event(ctx: &WorkerContext, event: &Event) {
    match event {
        Event::Error(e) => {
            tracing::warn!(worker = ctx.name(), error = %e, "job queue delivery failed")
        }
        other => tracing::debug!(worker = ctx.name(), event = %other, "job queue event"),
    }
}

fn backend_error(
    backend: &'static str,
    action: &'static str,
    source: impl Into<BoxDynError>,
) -> QueueError {
    QueueError::Backend {
        backend,
        action,
        source: source.into(),
    }
}

/// The Unix second at which a task delayed by `delay` is due, rounded up so it never runs early.
fn due_second(delay: Duration) -> u64 {
    let due = (SystemTime::now() + delay)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    due.as_secs() + u64::from(due.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_delayed_task_is_never_due_before_its_delay() {
        for millis in [1, 999, 1000, 1500, 60_000] {
            let delay = Duration::from_millis(millis);
            let earliest = (SystemTime::now() + delay)
                .duration_since(UNIX_EPOCH)
                .unwrap();
            assert!(Duration::from_secs(due_second(delay)) >= earliest);
            assert!(Duration::from_secs(due_second(delay)) < earliest + Duration::from_secs(2));
        }
    }

    #[test]
    fn default_settings_declare_a_consumer_dead_after_three_missed_heartbeats() {
        let settings = QueueSettings::new(
            QueueBackend::Sqlite {
                path: "./data/jobs.db".into(),
            },
            "deals",
        );
        assert_eq!(settings.orphaned_after(), Duration::from_secs(15));
        assert!(settings.poll_interval <= Duration::from_millis(500));
    }

    #[test]
    fn backend_urls_are_redacted_in_debug_output() {
        let backend = QueueBackend::Postgres {
            url: "postgres://user:secret@db/app".into(),
        };
        assert!(!format!("{backend:?}").contains("secret"));
    }

    #[tokio::test]
    async fn connect_refuses_an_empty_queue_name_or_a_sub_second_heartbeat() {
        let dir = std::env::temp_dir().join(format!("queue-{}", Uuid::new_v4()));
        let backend = QueueBackend::Sqlite {
            path: dir.join("jobs.db"),
        };
        let empty = QueueSettings::new(backend.clone(), " ");
        assert!(matches!(
            connect(&empty).await,
            Err(QueueError::Settings(_))
        ));
        let mut fast = QueueSettings::new(backend, "deals");
        fast.heartbeat_interval = Duration::from_millis(500);
        assert!(matches!(connect(&fast).await, Err(QueueError::Settings(_))));
        assert!(!dir.exists(), "nothing created for refused settings");
    }
}
