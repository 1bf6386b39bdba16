//! Test databases: a fresh SQLite file, or a fresh PostgreSQL schema when
//! `DEALS_TEST_DATABASE_URL` is set. Under `CI=true` the PostgreSQL variant is mandatory: a test
//! asking for it fails instead of skipping when the variable is missing.

use sea_orm::{ConnectionTrait, Database};

use crate::{DbSettings, Store, StoreError};

/// A migrated, empty database that lives as long as this value (SQLite) or until the schema is
/// dropped (PostgreSQL schemas are named `t_<uuid>` and cleaned up by `.ci/run`).
pub struct TestDb {
    /// Settings that reach this database.
    pub settings: DbSettings,
    /// The connected store.
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

/// Which backend a test database should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A new schema in the database of `DEALS_TEST_DATABASE_URL`.
    Postgres,
}

/// The PostgreSQL URL for tests: `Some` when configured, `None` to skip on a laptop without it.
///
/// # Panics
/// When `CI=true` and `DEALS_TEST_DATABASE_URL` is not set: CI must not silently skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("DEALS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but DEALS_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI"
            )
        }
        _ => None,
    }
}

/// The Redis URL for tests, with the same CI rule as [`postgres_url`].
///
/// # Panics
/// When `CI=true` and `DEALS_TEST_REDIS_URL` is not set.
pub fn redis_url() -> Option<String> {
    match std::env::var("DEALS_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but DEALS_TEST_REDIS_URL is not set: Redis tests must run in CI")
        }
        _ => None,
    }
}

impl TestDb {
    /// A fresh SQLite database.
    pub async fn sqlite() -> Result<Self, StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Config(e.to_string()))?;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let mut settings = DbSettings::new(url);
        settings.pool_size = 4;
        let store = Store::connect(&settings).await?;
        store.migrate().await?;
        Ok(Self {
            settings,
            store,
            _dir: Some(dir),
        })
    }

    /// A fresh schema in the test PostgreSQL database at `url`.
    pub async fn postgres(url: &str) -> Result<Self, StoreError> {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(url).await?;
        admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await?;
        admin.close().await?;
        let mut settings = DbSettings::new(url);
        settings.pool_size = 4;
        settings.max_overflow = 0;
        settings.schema = Some(schema);
        let store = Store::connect(&settings).await?;
        store.migrate().await?;
        Ok(Self {
            settings,
            store,
            _dir: None,
        })
    }

    /// A fresh database of the requested backend; `None` when PostgreSQL is asked for and not
    /// configured outside CI.
    pub async fn of(backend: Backend) -> Option<Self> {
        let db = match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres(&postgres_url()?).await,
        };
        Some(db.unwrap_or_else(|e| panic!("cannot create {backend:?} test database: {e}")))
    }

    /// The backend named by `DEALS_TEST_BACKEND` (`sqlite`, the default, or `postgres`).
    ///
    /// # Panics
    /// When `postgres` is asked for and `DEALS_TEST_DATABASE_URL` is missing or unreachable.
    pub async fn from_env() -> Self {
        match Self::of(Backend::from_env()).await {
            Some(db) => db,
            None => panic!("DEALS_TEST_BACKEND=postgres needs DEALS_TEST_DATABASE_URL"),
        }
    }
}

impl Backend {
    /// Reads `DEALS_TEST_BACKEND`: `postgres` (or `pg`) selects PostgreSQL, anything else SQLite.
    pub fn from_env() -> Self {
        match std::env::var("DEALS_TEST_BACKEND").as_deref() {
            Ok("postgres" | "pg" | "postgresql") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}
