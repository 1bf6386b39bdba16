//! Persistence for agentic-deals on SQLite (embedded default) or PostgreSQL (production).
//!
//! One SeaORM entity model and one set of repository functions serve both backends; the only
//! per-backend code is in the migrations (full-text search, partitioning) and in the full-text
//! predicate of the deal search.

pub mod entity;
pub mod error;
pub mod migration;
pub mod repo;
pub mod rows;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sqlx::sqlite::SqliteSynchronous;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use error::StoreError;
pub use settings::DbSettings;

/// Advisory lock key held while migrating (ASCII "deals" as a number).
const MIGRATION_LOCK: i64 = 0x64_65_61_6c_73;

/// Which rows a caller may touch: their own, or everyone's (administrators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only rows owned by this user.
    Owner(uuid::Uuid),
    /// Every row.
    All,
}

/// The current time at the precision both backends store (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A connected database with the repository operations of the application.
///
/// With a read replica configured, [`Store::reader`] hands out a view on the replica for public
/// reads; everything else (writes, a user's own rows) stays on the primary.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// Where writes go: on SQLite a pool of one connection, so writers queue for it in
    /// order (an async wait) instead of meeting SQLite's lock and its sleeping busy handler;
    /// on PostgreSQL the same pool as `db`.
    write: DatabaseConnection,
    replica: Option<Arc<Replica>>,
}

/// How long a SQLite statement waits for another connection's write lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a pooled connection may stay unused before it is closed (down to the pool's
/// minimum). A SQLite connection holds its own page cache (up to 2 MiB): the readers a burst
/// opened are closed within a minute after it, and their memory returned. A PostgreSQL
/// connection is a server process: kept longer.
fn idle_timeout(settings: &DbSettings) -> Duration {
    if settings.is_sqlite() {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(600)
    }
}

/// Seconds between two health probes of the replica.
const REPLICA_PROBE_EVERY: Duration = Duration::from_secs(2);
/// How long one probe of the replica may take before it counts as down.
const REPLICA_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The read replica's pool and whether its last probe answered.
#[derive(Debug)]
struct Replica {
    db: DatabaseConnection,
    up: AtomicBool,
}

impl Replica {
    async fn probe(&self) -> bool {
        let ok = tokio::time::timeout(
            REPLICA_PROBE_TIMEOUT,
            self.db.execute_unprepared("SELECT 1"),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        let was = self.up.swap(ok, Ordering::Relaxed);
        if was != ok {
            if ok {
                tracing::info!("read replica answers again; public reads go to it");
            } else {
                tracing::warn!("read replica does not answer; public reads go to the primary");
            }
        }
        ok
    }
}

/// Connections of a pool: handed out and idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections in use by a query or transaction.
    pub in_use: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
}

/// State of the read replica, for readiness checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// No replica configured.
    None,
    /// Its last probe answered: public reads use it.
    Up,
    /// Its last probe failed: public reads use the primary.
    Down,
}

impl Store {
    /// Connects with the given settings. SQLite files are created with their directory, and put in
    /// WAL mode.
    pub async fn connect(settings: &DbSettings) -> Result<Self, StoreError> {
        if let Some(path) = settings.sqlite_path()
            && let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!(
                    "cannot create database directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let url = settings.url_with_create_mode();
        let db = Self::open(settings, &url, false).await?;
        let write = if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
            // A second pool on an in-memory database would be another database.
            match settings.sqlite_path() {
                Some(_) => Self::open_sqlite_writer(settings, &url).await?,
                None => db.clone(),
            }
        } else {
            db.clone()
        };
        let replica = match settings.replica_url.as_deref().filter(|u| !u.is_empty()) {
            None => None,
            Some(_) if settings.is_sqlite() => {
                return Err(StoreError::Config(
                    "a read replica needs PostgreSQL; SQLite has none".into(),
                ));
            }
            Some(url) => {
                // Lazy: an unreachable replica must not keep the service from starting.
                let replica = Arc::new(Replica {
                    db: Self::open(settings, url, true).await?,
                    up: AtomicBool::new(false),
                });
                replica.probe().await;
                let weak = Arc::downgrade(&replica);
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(REPLICA_PROBE_EVERY).await;
                        match weak.upgrade() {
                            Some(r) => {
                                r.probe().await;
                            }
                            None => break,
                        }
                    }
                });
                Some(replica)
            }
        };
        Ok(Self { db, write, replica })
    }

    /// A pool on `url` with the settings' sizes. Connections are tested before they are handed
    /// out, so connections the server dropped (restart, failover, `pg_terminate_backend`) are
    /// replaced instead of failing a query.
    async fn open(
        settings: &DbSettings,
        url: &str,
        lazy: bool,
    ) -> Result<DatabaseConnection, StoreError> {
        let mut opts = ConnectOptions::new(url.to_owned());
        let max = if settings.is_sqlite() {
            settings.pool_size.clamp(1, 8)
        } else {
            settings.pool_size + settings.max_overflow
        };
        opts.max_connections(max)
            .min_connections(if lazy {
                0
            } else {
                settings.min_connections.min(max)
            })
            .acquire_timeout(settings.pool_timeout())
            .connect_timeout(settings.pool_timeout())
            .max_lifetime(settings.pool_recycle())
            .idle_timeout(idle_timeout(settings))
            .test_before_acquire(!settings.is_sqlite())
            .connect_lazy(lazy)
            .sqlx_logging(false);
        if let Some(schema) = &settings.schema {
            opts.set_schema_search_path(schema.clone());
        }
        // SQLite is put in WAL mode once connected ([`Store::connect`]); in WAL mode
        // `synchronous = NORMAL` keeps the database consistent after any crash and
        // loses no commit when the process dies; only a power loss can lose the last commits.
        // It spares an fsync per commit, which a job system committing per step pays hardest.
        opts.map_sqlx_sqlite_opts(|o| {
            o.synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
        });
        Ok(Database::connect(opts).await?)
    }

    /// The one connection SQLite writes go through ([`Store::write_conn`]).
    async fn open_sqlite_writer(
        settings: &DbSettings,
        url: &str,
    ) -> Result<DatabaseConnection, StoreError> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(1)
            .min_connections(1)
            // Writers wait here for their turn, possibly behind a burst of others.
            .acquire_timeout(settings.pool_timeout().max(SQLITE_BUSY_TIMEOUT))
            .connect_timeout(settings.pool_timeout())
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .sqlx_logging(false);
        opts.map_sqlx_sqlite_opts(|o| {
            o.synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
        });
        Ok(Database::connect(opts).await?)
    }

    /// The store to run public reads on (search, deal pages, price history): the replica while
    /// it answers, else the primary. Never write through it, and never read through it what a
    /// user just wrote (replication lags); [`Store::read`] adds the fallback on failure.
    pub fn reader(&self) -> Store {
        match &self.replica {
            Some(r) if r.up.load(Ordering::Relaxed) => Store {
                db: r.db.clone(),
                write: r.db.clone(),
                replica: None,
            },
            _ => self.writer(),
        }
    }

    /// The store on the primary: writes and read-your-writes.
    pub fn writer(&self) -> Store {
        Store {
            db: self.db.clone(),
            write: self.write.clone(),
            replica: self.replica.clone(),
        }
    }

    /// Runs the public read `op` on [`Store::reader`]; when the replica fails to answer it is
    /// marked down and `op` runs again on the primary.
    pub async fn read<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(Store) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let reader = self.reader();
        let Some(replica) = self.replica.as_ref().filter(|_| reader.replica.is_none()) else {
            return op(self.clone()).await;
        };
        match op(reader).await {
            Err(e @ StoreError::Db(_)) => {
                tracing::warn!(error = %e, "read on the replica failed; using the primary");
                replica.up.store(false, Ordering::Relaxed);
                op(self.clone()).await
            }
            other => other,
        }
    }

    /// Whether a replica is configured and answering.
    pub fn replica_state(&self) -> ReplicaState {
        match &self.replica {
            None => ReplicaState::None,
            Some(r) if r.up.load(Ordering::Relaxed) => ReplicaState::Up,
            Some(_) => ReplicaState::Down,
        }
    }

    /// Overrides the replica's last probe (tests of the fallback).
    #[cfg(feature = "testing")]
    pub fn force_replica_state(&self, up: bool) {
        if let Some(r) = &self.replica {
            r.up.store(up, Ordering::Relaxed);
        }
    }

    /// Probes the replica now (readiness checks) and returns its state.
    pub async fn check_replica(&self) -> ReplicaState {
        match &self.replica {
            None => ReplicaState::None,
            Some(r) if r.probe().await => ReplicaState::Up,
            Some(_) => ReplicaState::Down,
        }
    }

    /// Connections of the primary's pool.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match self.backend() {
            DbBackend::Postgres => {
                let p = self.db.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
            DbBackend::Sqlite => {
                let p = self.db.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
            _ => (0, 0),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolStats {
            in_use: size - idle,
            idle,
        }
    }

    /// Applies pending migrations and creates the price-point partitions around now.
    ///
    /// On PostgreSQL the migrations run in one transaction holding an advisory lock, so replicas
    /// that start together migrate one after the other instead of racing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.backend() == DbBackend::Postgres {
            let txn = self.db.begin().await?;
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
            migration::Migrator::up(&txn, None).await?;
            txn.commit().await?;
            // Partition upkeep must never keep the service from starting: log and go on; the
            // default partition takes the rows meanwhile.
            if let Err(e) = self.maintain_partitions(now()).await {
                tracing::warn!(error = %e, "creating price-point partitions failed; rows go to the default partition");
            }
        } else {
            migration::Migrator::up(&self.db, None).await?;
        }
        Ok(())
    }

    /// Creates the monthly price-point partitions around `at` (PostgreSQL; nothing on SQLite).
    /// Run at start-up and periodically by the scheduler.
    pub async fn maintain_partitions(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(migration::partitions::ensure_price_partitions(&self.db, at).await?)
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `to` while it stays in use (`VACUUM
    /// INTO`: one read transaction, so writers carry on and the copy is a single point in time).
    /// `to` must not exist. PostgreSQL is backed up with `pg_dump` (docs/operations.md): this
    /// returns [`StoreError::Config`] there.
    pub async fn backup_to(&self, to: &std::path::Path) -> Result<(), StoreError> {
        if self.is_postgres() {
            return Err(StoreError::Config(
                "backups of PostgreSQL are taken with pg_dump (see docs/operations.md)".into(),
            ));
        }
        if to.exists() {
            return Err(StoreError::Config(format!(
                "{} already exists",
                to.display()
            )));
        }
        let path = to
            .to_str()
            .ok_or_else(|| StoreError::Config("the backup path is not UTF-8".into()))?;
        self.db
            .execute_unprepared(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
            .await?;
        Ok(())
    }

    /// Whether the database is PostgreSQL (which can notify other processes; SQLite cannot).
    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// The backend in use.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN`
    /// (`BEGIN IMMEDIATE`), so concurrent writers wait for each other (busy timeout) instead of
    /// failing when a read transaction tries to upgrade; on PostgreSQL it is a plain `BEGIN`.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.write.begin_with_options(options).await?)
    }

    /// The underlying connection, for code that builds its own queries.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The connection for a write outside [`Store::begin_write`]'s transactions: on SQLite the
    /// one writer connection, so the write waits its turn in order instead of retrying
    /// against SQLite's lock; on PostgreSQL the pool of [`Store::conn`]. Never use it while
    /// holding a write transaction of the same store (on SQLite that waits for itself).
    pub fn write_conn(&self) -> &DatabaseConnection {
        &self.write
    }
}
