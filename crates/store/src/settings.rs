//! Connection settings of the database pool.

use std::path::PathBuf;
use std::time::Duration;

/// How to reach the database and size its pool. Pool defaults follow the original deployment:
/// 20 connections plus 10 overflow, 30 s timeout, connections recycled after 1800 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSettings {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    /// Steady pool size.
    pub pool_size: u32,
    /// Extra connections allowed under load (PostgreSQL).
    pub max_overflow: u32,
    /// Connections kept open when idle.
    pub min_connections: u32,
    /// Seconds to wait for a connection.
    pub pool_timeout_secs: u64,
    /// Seconds after which a connection is replaced.
    pub pool_recycle_secs: u64,
    /// PostgreSQL schema to use (tests isolate themselves in one schema each).
    pub schema: Option<String>,
    /// A read replica (PostgreSQL) for public reads; `None`: every read goes to `url`.
    pub replica_url: Option<String>,
}

impl DbSettings {
    /// Settings for `url` with the default pool.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 20,
            max_overflow: 10,
            min_connections: 1,
            pool_timeout_secs: 5,
            pool_recycle_secs: 1800,
            schema: None,
            replica_url: None,
        }
    }

    /// Whether the URL names a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    /// The file of a SQLite URL, if any (`None` for in-memory databases).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or("");
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// The URL, with `mode=rwc` added to SQLite URLs so the file is created when missing.
    pub fn url_with_create_mode(&self) -> String {
        if self.is_sqlite() && !self.url.contains("mode=") {
            let sep = if self.url.contains('?') { '&' } else { '?' };
            format!("{}{sep}mode=rwc", self.url)
        } else {
            self.url.clone()
        }
    }

    /// Pool acquire timeout.
    pub fn pool_timeout(&self) -> Duration {
        Duration::from_secs(self.pool_timeout_secs)
    }

    /// Connection lifetime.
    pub fn pool_recycle(&self) -> Duration {
        Duration::from_secs(self.pool_recycle_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_a_path_and_create_mode() {
        let s = DbSettings::new("sqlite://./data/deals.db");
        assert_eq!(s.sqlite_path(), Some(PathBuf::from("./data/deals.db")));
        assert_eq!(
            s.url_with_create_mode(),
            "sqlite://./data/deals.db?mode=rwc"
        );
        let s = DbSettings::new("sqlite::memory:");
        assert_eq!(s.sqlite_path(), None);
        let pg = DbSettings::new("postgres://localhost/test");
        assert!(!pg.is_sqlite());
        assert_eq!(pg.url_with_create_mode(), "postgres://localhost/test");
    }
}
