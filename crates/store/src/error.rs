//! Errors of the storage layer. Unique-constraint violations become [`StoreError::Conflict`] here,
//! in one place, so callers never inspect driver messages.

use sea_orm::{DbErr, SqlErr};

/// Failure of a storage operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data could not be read back into domain types.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database settings are unusable.
    #[error("database configuration: {0}")]
    Config(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(DbErr),
}

impl StoreError {
    /// Whether the database could not be reached (no connection, pool exhausted, or the
    /// connection broke under a query): worth a 503 and a retry, not a 500.
    pub fn is_unreachable(&self) -> bool {
        use sea_orm::RuntimeErr;
        use sea_orm::sqlx::Error as Sqlx;
        match self {
            StoreError::Db(DbErr::ConnectionAcquire(_)) | StoreError::Db(DbErr::Conn(_)) => true,
            StoreError::Db(
                DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)),
            ) => matches!(
                **e,
                Sqlx::Io(_)
                    | Sqlx::Tls(_)
                    | Sqlx::PoolTimedOut
                    | Sqlx::PoolClosed
                    | Sqlx::WorkerCrashed
            ),
            _ => false,
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => StoreError::Conflict(msg),
            _ => match e {
                DbErr::RecordNotFound(_) => StoreError::NotFound,
                other => StoreError::Db(other),
            },
        }
    }
}

impl From<sea_orm::TransactionError<StoreError>> for StoreError {
    fn from(e: sea_orm::TransactionError<StoreError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

/// Runs `op` again (at most three attempts in all) when a concurrent writer won a race on a unique
/// key: the next attempt sees that writer's row and updates it instead of inserting.
pub(crate) async fn retry_on_conflict<T, F, Fut>(mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(StoreError::Conflict(what)) if attempt < 3 => {
                tracing::debug!(%what, attempt, "unique-key race; retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}
