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

use chrono::{DateTime, SubsecRound, Utc};
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
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
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
        let mut opts = ConnectOptions::new(settings.url_with_create_mode());
        let max = if settings.is_sqlite() {
            settings.pool_size.clamp(1, 8)
        } else {
            settings.pool_size + settings.max_overflow
        };
        opts.max_connections(max)
            .min_connections(settings.min_connections.min(max))
            .acquire_timeout(settings.pool_timeout())
            .connect_timeout(settings.pool_timeout())
            .max_lifetime(settings.pool_recycle())
            .idle_timeout(std::time::Duration::from_secs(600))
            .sqlx_logging(false);
        if let Some(schema) = &settings.schema {
            opts.set_schema_search_path(schema.clone());
        }
        let db = Database::connect(opts).await?;
        if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        }
        Ok(Self { db })
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
        Ok(self.db.begin_with_options(options).await?)
    }

    /// The underlying connection, for code that builds its own queries.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }
}
