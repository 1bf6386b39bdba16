//! The `jobs` table as a queue: claiming due rows, the next time one falls due, burying jobs
//! whose last attempt was abandoned, and the PostgreSQL `LISTEN/NOTIFY` wake-ups.
//!
//! A claim is one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING <every column>` statement on both
//! backends. On PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers claim disjoint rows without waiting for each other; SQLite takes its write lock at
//! the start of the statement, so claims there run one after the other (under the busy
//! timeout) and never see the same row as due.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LockBehavior, LockType, Order, Query};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, QueryFilter,
    QuerySelect, Statement,
};

use super::{Job, JobStatus, has_status, priority, status_in};
use crate::entity::job;
use crate::{Store, StoreError, now};

/// The PostgreSQL channel a transaction that makes a job due notifies.
pub const CHANNEL: &str = "deals_jobs";

/// Waiting jobs whose time has come.
fn due(at: DateTime<Utc>) -> Expr {
    status_in(&[JobStatus::Queued, JobStatus::Retrying]).and(Expr::col(job::Column::RunAt).lte(at))
}

/// Running jobs whose worker stopped renewing its lease.
fn abandoned(at: DateTime<Utc>) -> Expr {
    has_status(JobStatus::Running).and(Expr::col(job::Column::LeaseUntil).lt(at))
}

/// Which due jobs a claim may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Any due job.
    Any,
    /// Only a job of [`priority::INTERACTIVE`] or more whose owner has nothing else waiting: a
    /// user's new goal or "search now", not one job of a user's burst.
    Interactive,
}

/// The job's owner has no other job waiting (walks `idx_jobs_owner_status`).
const LONE_OWNER: &str = "NOT EXISTS (SELECT 1 FROM jobs AS other \
    WHERE other.owner_id = jobs.owner_id AND other.status IN ('queued', 'retrying') \
    AND other.id <> jobs.id)";

/// The claim on SQLite: the same rows as the general statement, chosen from the three kinds of
/// due rows separately so that each choice walks the index `(status, priority DESC, run_at)`
/// in order and stops after `limit` rows, instead of sorting every waiting job (the general
/// statement's `OR` of statuses makes SQLite sort them all, per claim).
fn sqlite_claim(
    worker: &str,
    at: DateTime<Utc>,
    lease: Duration,
    limit: u64,
    lane: Lane,
) -> Statement {
    let only = match lane {
        Lane::Any => String::new(),
        Lane::Interactive => format!("AND priority >= $5 AND {LONE_OWNER}"),
    };
    let pick = |status: &str, due: &str| {
        format!(
            "SELECT id, priority, run_at FROM (SELECT id, priority, run_at FROM jobs \
             WHERE status = '{status}' AND {due} AND attempts < max_attempts {only} \
             ORDER BY priority DESC, run_at LIMIT $1)"
        )
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, \
         worker = $3, started_at = $4, updated_at = $4 \
         WHERE id IN (SELECT id FROM ({} UNION ALL {} UNION ALL {}) \
         ORDER BY priority DESC, run_at LIMIT $1) RETURNING {}",
        pick(JobStatus::Queued.as_str(), "run_at <= $4"),
        pick(JobStatus::Retrying.as_str(), "run_at <= $4"),
        pick(JobStatus::Running.as_str(), "lease_until < $4"),
        // Named columns, never `*` (see the general claim below).
        job::Column::iter()
            .map(|c| format!("\"{}\"", c.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Statement::from_sql_and_values(
        DbBackend::Sqlite,
        sql,
        [
            limit.into(),
            (at + lease).into(),
            worker.into(),
            at.into(),
            priority::INTERACTIVE.into(),
        ],
    )
}

/// On PostgreSQL, tells listening workers (when the caller's transaction commits) that a job
/// may be due; nothing on SQLite, whose workers share one process with the writer.
pub(crate) async fn notify_workers<C: ConnectionTrait>(db: &C) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

impl Store {
    /// Takes the lease of up to `limit` jobs for `worker`, highest priority first, then oldest
    /// due first: waiting jobs whose `run_at` has come, and running jobs whose lease expired
    /// (their worker died) that have an attempt left. Each claim counts an attempt.
    ///
    /// A claimed row that cannot be read (an unknown kind) is failed for good with that error
    /// instead of being returned.
    pub async fn claim_due_jobs(
        &self,
        worker: &str,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<Job>, StoreError> {
        self.claim_due_jobs_in(worker, lease, limit, Lane::Any)
            .await
    }

    /// [`Store::claim_due_jobs`] among the jobs of `lane` only (a worker's slots kept for
    /// interactive work take [`Lane::Interactive`]).
    pub async fn claim_due_jobs_in(
        &self,
        worker: &str,
        lease: Duration,
        limit: u64,
        lane: Lane,
    ) -> Result<Vec<Job>, StoreError> {
        let at = now();
        let ids = Query::select()
            .column(job::Column::Id)
            .from(job::Entity)
            .cond_where(due(at).or(abandoned(at)))
            .and_where(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
            .and_where(match lane {
                Lane::Any => Expr::val(true),
                Lane::Interactive => Expr::col(job::Column::Priority)
                    .gte(priority::INTERACTIVE)
                    .and(Expr::cust(LONE_OWNER)),
            })
            .order_by(job::Column::Priority, Order::Desc)
            .order_by(job::Column::RunAt, Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let claim = Query::update()
            .table(job::Entity)
            .value(job::Column::Status, JobStatus::Running.as_str())
            .value(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .value(job::Column::LeaseUntil, at + lease)
            .value(job::Column::Worker, worker)
            .value(job::Column::StartedAt, at)
            .value(job::Column::UpdatedAt, at)
            .and_where(Expr::col(job::Column::Id).in_subquery(ids))
            // Named columns, never `*`: SQLite re-prepares a statement whose schema changed
            // under it, and a `*` that grew by a column then no longer matches the column list
            // sqlx cached at the first prepare (a panic in its worker thread).
            .returning(Query::returning().columns(job::Column::iter()))
            .to_owned();
        let statement = match self.backend() {
            DbBackend::Sqlite => sqlite_claim(worker, at, lease, limit, lane),
            backend => backend.build(&claim),
        };
        let rows = job::Entity::find()
            .from_raw_sql(statement)
            .all(self.write_conn())
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            match Job::try_from(row) {
                Ok(job) => claimed.push(job),
                Err(e) => {
                    tracing::error!(job_id = %id, error = %e, "claimed a job that cannot be read");
                    self.fail_job(id, worker, &e.to_string(), None, true)
                        .await
                        .or_else(|e| match e {
                            StoreError::Corrupt(_) => Ok(None),
                            other => Err(other),
                        })?;
                }
            }
        }
        Ok(claimed)
    }

    /// When the next job falls due: the earliest `run_at` of a waiting job or lease end of a
    /// running one that has an attempt left. `None` when nothing waits or runs.
    pub async fn next_job_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let left = || Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts));
        let waiting: Option<Option<DateTime<Utc>>> = job::Entity::find()
            .select_only()
            .column_as(job::Column::RunAt.min(), "at")
            .filter(status_in(&[JobStatus::Queued, JobStatus::Retrying]))
            .filter(left())
            .into_tuple()
            .one(self.conn())
            .await?;
        let leased: Option<Option<DateTime<Utc>>> = job::Entity::find()
            .select_only()
            .column_as(job::Column::LeaseUntil.min(), "at")
            .filter(has_status(JobStatus::Running))
            .filter(left())
            .into_tuple()
            .one(self.conn())
            .await?;
        Ok([waiting.flatten(), leased.flatten()]
            .into_iter()
            .flatten()
            .min())
    }

    /// Makes `dead` the running jobs whose worker stopped during their last attempt (the lease
    /// expired and no attempt is left, so no worker will claim them). Returns how many.
    pub async fn bury_abandoned_jobs(&self) -> Result<u64, StoreError> {
        let at = now();
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::val(JobStatus::Dead.as_str()))
            .col_expr(
                job::Column::Error,
                Func::coalesce([
                    Expr::col(job::Column::Error),
                    Expr::val("the worker running the last attempt stopped"),
                ])
                .into(),
            )
            .col_expr(
                job::Column::LeaseUntil,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::FinishedAt, Expr::val(at))
            .col_expr(job::Column::UpdatedAt, Expr::val(at))
            .filter(abandoned(at))
            .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
            .exec(self.write_conn())
            .await?;
        Ok(res.rows_affected)
    }

    /// Jobs waiting for a worker (due or delayed), for the queue-depth metric.
    pub async fn waiting_jobs(&self) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(job::Entity::find()
            .filter(status_in(&[JobStatus::Queued, JobStatus::Retrying]))
            .count(self.conn())
            .await?)
    }

    /// The database the queue runs on: `postgres` or `sqlite`.
    pub fn queue_backend(&self) -> &'static str {
        match self.backend() {
            DbBackend::Postgres => "postgres",
            _ => "sqlite",
        }
    }

    /// A cheap read of the jobs table, for readiness checks.
    pub async fn ping_jobs(&self) -> Result<(), StoreError> {
        job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .into_tuple::<uuid::Uuid>()
            .one(self.conn())
            .await?;
        Ok(())
    }

    /// A listener for the notifications of [`CHANNEL`] on its own connection; `None` on SQLite.
    pub async fn job_listener(&self) -> Result<Option<JobListener>, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let pool = self.conn().get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool).await.map_err(listen_error)?;
        listener.listen(CHANNEL).await.map_err(listen_error)?;
        Ok(Some(JobListener(listener)))
    }
}

/// Notifications that jobs may be due, from other processes' transactions.
pub struct JobListener(PgListener);

impl std::fmt::Debug for JobListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobListener")
    }
}

impl JobListener {
    /// Waits for the next notification. `Ok(false)` when the connection was lost (and will be
    /// re-established by the next call): notifications sent meanwhile are lost, so the caller
    /// should look for due jobs anyway.
    pub async fn recv(&mut self) -> Result<bool, StoreError> {
        Ok(self.0.try_recv().await.map_err(listen_error)?.is_some())
    }
}

fn listen_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(DbErr::Custom(format!("listening for jobs: {e}")))
}
