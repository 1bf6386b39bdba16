//! Background jobs: the durable record of every job, its lease while a worker runs it, its
//! retries and its result. The `jobs` table is also the queue: workers claim due rows directly
//! ([`queue`]), so there is no second store of job ids.
//!
//! A job row is written in the same transaction as whatever asked for it (a goal and its
//! AnalyzeGoal job are committed together). A worker claims a row before running it; a worker
//! that dies leaves a lease that expires, after which the row is simply claimable again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, UpdateMany,
};
use uuid::Uuid;

use super::Page;
use crate::entity::job;
use crate::{Scope, Store, StoreError, now};

pub use deals_core::enums::{JobKind, JobStatus};

pub mod queue;
pub use queue::Lane;

/// One stored job, with its kind and status read into their enums.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Id.
    pub id: Uuid,
    /// What it does.
    pub kind: JobKind,
    /// Where it is in its life.
    pub status: JobStatus,
    /// The user it works for, if any.
    pub owner_id: Option<Uuid>,
    /// The goal, listing, tracker or notification it is about.
    pub subject_id: Option<Uuid>,
    /// Arguments.
    pub payload: serde_json::Value,
    /// Attempts started so far.
    pub attempts: i32,
    /// Attempts before it is dead.
    pub max_attempts: i32,
    /// Earliest (next) start.
    pub run_at: DateTime<Utc>,
    /// End of the running worker's lease.
    pub lease_until: Option<DateTime<Utc>>,
    /// The worker that holds (or last held) it.
    pub worker: Option<String>,
    /// At most one job per key is ever stored.
    pub dedup_key: Option<String>,
    /// Among due jobs, higher runs first (see [`NewJob::priority`]).
    pub priority: i32,
    /// What it produced.
    pub result: Option<serde_json::Value>,
    /// The last error.
    pub error: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// When the last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<job::Model> for Job {
    type Error = StoreError;

    /// Reads a row; an unknown kind or status is [`StoreError::Corrupt`].
    fn try_from(m: job::Model) -> Result<Self, StoreError> {
        let corrupt = |what: &str, value: &str, e: deals_core::enums::UnknownVariant| {
            StoreError::Corrupt(format!("job {} has {what} {value:?}: {e}", m.id))
        };
        Ok(Self {
            kind: JobKind::parse(&m.kind).map_err(|e| corrupt("kind", &m.kind, e))?,
            status: JobStatus::parse(&m.status).map_err(|e| corrupt("status", &m.status, e))?,
            id: m.id,
            owner_id: m.owner_id,
            subject_id: m.subject_id,
            payload: m.payload,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            run_at: m.run_at,
            lease_until: m.lease_until,
            worker: m.worker,
            dedup_key: m.dedup_key,
            priority: m.priority,
            result: m.result,
            error: m.error,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            updated_at: m.updated_at,
        })
    }
}

/// A job to store.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What it does.
    pub kind: JobKind,
    /// The user the job works for, if any.
    pub owner_id: Option<Uuid>,
    /// The goal, listing or tracker the job is about.
    pub subject_id: Option<Uuid>,
    /// Arguments.
    pub payload: serde_json::Value,
    /// Attempts before the job is dead.
    pub max_attempts: i32,
    /// Earliest start.
    pub run_at: DateTime<Utc>,
    /// At most one job per key is ever stored (scheduled runs use `kind:subject:slot`).
    pub dedup_key: Option<String>,
    /// Among due jobs, higher runs first ([`priority`] has the classes). A job with an owner
    /// and a priority above [`priority::BACKGROUND`] is stored lower by one for each such job
    /// of that owner still waiting (at most by half), so one user's burst cannot starve the
    /// first search of another user's goal.
    pub priority: i32,
}

/// Priority classes of jobs (`jobs.priority`; higher runs first among due jobs).
pub mod priority {
    /// Scheduled upkeep: re-searches, price checks, expiry, retention.
    pub const BACKGROUND: i32 = 0;
    /// Delivering a notification someone waits for.
    pub const DELIVERY: i32 = 50;
    /// Work a person just asked for: analysing a new goal, its first search, "search now".
    pub const INTERACTIVE: i32 = 100;
}

/// Counts and timings for the monitor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobStats {
    /// `(kind, status, count)` over every stored job.
    pub counts: Vec<(JobKind, JobStatus, u64)>,
    /// Jobs finished in the window.
    pub finished_in_window: u64,
    /// Mean run time of jobs finished in the window, in milliseconds.
    pub mean_run_ms: Option<f64>,
    /// Mean wait from `run_at` to start of jobs started in the window, in milliseconds.
    pub mean_wait_ms: Option<f64>,
    /// The latest failures (dead, failed or retrying with an error), newest first.
    pub recent_failures: Vec<Job>,
}

/// `(run_at, started_at, finished_at)` of a finished job.
type Timing = (DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>);

fn has_status(status: JobStatus) -> Expr {
    Expr::col(job::Column::Status).eq(status.as_str())
}

fn status_in(statuses: &[JobStatus]) -> Expr {
    Expr::col(job::Column::Status).is_in(statuses.iter().map(|s| s.as_str()))
}

fn read_all(rows: Vec<job::Model>) -> Result<Vec<Job>, StoreError> {
    rows.into_iter().map(Job::try_from).collect()
}

/// Stores a job inside the caller's transaction. With a `dedup_key` that is already stored,
/// nothing is written and the existing job is returned with `false`. On PostgreSQL the
/// transaction also notifies the workers' listeners, which hear it when it commits.
pub async fn insert_job_in<C: ConnectionTrait>(
    db: &C,
    new: NewJob,
) -> Result<(Job, bool), StoreError> {
    if let Some(key) = &new.dedup_key
        && let Some(existing) = job::Entity::find()
            .filter(job::Column::DedupKey.eq(key.as_str()))
            .one(db)
            .await?
    {
        return Ok((existing.try_into()?, false));
    }
    let at = now();
    let priority = match new.owner_id {
        Some(owner) if new.priority > priority::BACKGROUND => {
            let waiting = job::Entity::find()
                .filter(job::Column::OwnerId.eq(owner))
                .filter(status_in(&[JobStatus::Queued, JobStatus::Retrying]))
                .filter(job::Column::Priority.gt(priority::BACKGROUND))
                .count(db)
                .await?;
            let cut = Ord::min(i32::try_from(waiting).unwrap_or(i32::MAX), new.priority / 2);
            new.priority - cut
        }
        _ => new.priority,
    };
    let model = job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(new.kind.as_str().to_owned()),
        status: Set(JobStatus::Queued.as_str().to_owned()),
        owner_id: Set(new.owner_id),
        subject_id: Set(new.subject_id),
        payload: Set(new.payload),
        attempts: Set(0),
        max_attempts: Set(Ord::max(new.max_attempts, 1)),
        run_at: Set(new.run_at),
        lease_until: Set(None),
        worker: Set(None),
        dedup_key: Set(new.dedup_key),
        priority: Set(priority),
        result: Set(None),
        error: Set(None),
        created_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(at),
    };
    let stored = model.insert(db).await?;
    queue::notify_workers(db).await?;
    Ok((stored.try_into()?, true))
}

/// Marks a running job succeeded inside the caller's transaction, so the job's effects and its
/// completion commit together. `false` when the caller no longer holds the lease.
pub async fn finish_job_in<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    worker: &str,
    result: serde_json::Value,
) -> Result<bool, StoreError> {
    let res = finish(id, worker, result).exec(db).await?;
    Ok(res.rows_affected == 1)
}

/// The update that marks `id` succeeded while `worker` holds its lease.
fn finish(id: Uuid, worker: &str, result: serde_json::Value) -> UpdateMany<job::Entity> {
    let at = now();
    job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            Expr::val(JobStatus::Succeeded.as_str()),
        )
        .col_expr(job::Column::Result, Expr::val(result))
        .col_expr(job::Column::Error, Expr::val(Option::<String>::None))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::FinishedAt, Expr::val(at))
        .col_expr(job::Column::UpdatedAt, Expr::val(at))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Worker.eq(worker))
        .filter(has_status(JobStatus::Running))
}

impl Store {
    /// Marks a running job succeeded and returns it as stored (one statement); `None` when
    /// `worker` no longer holds its lease.
    pub async fn finish_job(
        &self,
        id: Uuid,
        worker: &str,
        result: serde_json::Value,
    ) -> Result<Option<Job>, StoreError> {
        finish(id, worker, result)
            .exec_with_returning(self.write_conn())
            .await?
            .into_iter()
            .next()
            .map(Job::try_from)
            .transpose()
    }

    /// Stores a job on its own.
    pub async fn enqueue_job(&self, new: NewJob) -> Result<(Job, bool), StoreError> {
        let txn = self.begin_write().await?;
        let out = insert_job_in(&txn, new).await;
        match out {
            Ok(v) => {
                txn.commit().await?;
                Ok(v)
            }
            Err(StoreError::Conflict(_)) => {
                // Another process stored the same dedup key between our read and our write.
                txn.rollback().await?;
                Err(StoreError::Conflict("job already stored".into()))
            }
            Err(e) => Err(e),
        }
    }

    /// One job visible in `scope`.
    pub async fn get_job(&self, scope: Scope, id: Uuid) -> Result<Job, StoreError> {
        let mut q = job::Entity::find_by_id(id);
        if let Scope::Owner(user) = scope {
            q = q.filter(job::Column::OwnerId.eq(user));
        }
        q.one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    /// Extends the lease of a job the caller is running. `false` when it lost the lease.
    pub async fn renew_lease(
        &self,
        id: Uuid,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let at = now();
        let res = job::Entity::update_many()
            .col_expr(job::Column::LeaseUntil, Expr::val(at + lease))
            .col_expr(job::Column::UpdatedAt, Expr::val(at))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::Worker.eq(worker))
            .filter(has_status(JobStatus::Running))
            .exec(self.write_conn())
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Records a failed attempt: `retry_at` schedules another one; `None` makes the job `dead`
    /// (attempts used up) or `failed` (when `permanent`). Returns the stored row, or `None`
    /// when the caller no longer holds the lease.
    pub async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        permanent: bool,
    ) -> Result<Option<Job>, StoreError> {
        let at = now();
        let (status, run_at, finished) = match (retry_at, permanent) {
            (Some(t), false) => (JobStatus::Retrying, t, None),
            (_, true) => (JobStatus::Failed, at, Some(at)),
            (None, false) => (JobStatus::Dead, at, Some(at)),
        };
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::val(status.as_str()))
            .col_expr(job::Column::Error, Expr::val(error))
            .col_expr(job::Column::RunAt, Expr::val(run_at))
            .col_expr(
                job::Column::LeaseUntil,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::FinishedAt, Expr::val(finished))
            .col_expr(job::Column::UpdatedAt, Expr::val(at))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::Worker.eq(worker))
            .filter(has_status(JobStatus::Running))
            .exec(self.write_conn())
            .await?;
        if res.rows_affected == 0 {
            return Ok(None);
        }
        let row = job::Entity::find_by_id(id).one(self.conn()).await?;
        row.map(Job::try_from).transpose()
    }

    /// Re-queues a dead or failed job with a fresh set of attempts.
    pub async fn retry_job(&self, id: Uuid) -> Result<Job, StoreError> {
        let at = now();
        let txn = self.begin_write().await?;
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::val(JobStatus::Queued.as_str()))
            .col_expr(job::Column::Attempts, Expr::val(0))
            .col_expr(job::Column::RunAt, Expr::val(at))
            .col_expr(
                job::Column::FinishedAt,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::UpdatedAt, Expr::val(at))
            .filter(job::Column::Id.eq(id))
            .filter(status_in(&[JobStatus::Dead, JobStatus::Failed]))
            .exec(&txn)
            .await?;
        let row: Job = job::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict(format!(
                "job is {}, only dead or failed jobs can be retried",
                row.status
            )));
        }
        queue::notify_workers(&txn).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Jobs visible in `scope`, newest first, optionally of one status.
    pub async fn list_jobs(
        &self,
        scope: Scope,
        status: Option<JobStatus>,
        page: deals_core::Pagination,
    ) -> Result<Page<Job>, StoreError> {
        let mut q = job::Entity::find();
        if let Scope::Owner(user) = scope {
            q = q.filter(job::Column::OwnerId.eq(user));
        }
        if let Some(s) = status {
            q = q.filter(has_status(s));
        }
        let total = q.clone().count(self.conn()).await?;
        let items = q
            .order_by_desc(job::Column::CreatedAt)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: read_all(items)?,
            total,
        })
    }

    /// Counts by kind and status, plus throughput and timings of the last `window`.
    pub async fn job_stats(&self, window: Duration) -> Result<JobStats, StoreError> {
        let since = now() - window;
        let counts: Vec<(String, String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::Kind)
            .column(job::Column::Status)
            .column_as(job::Column::Id.count(), "n")
            .group_by(job::Column::Kind)
            .group_by(job::Column::Status)
            .into_tuple()
            .all(self.conn())
            .await?;
        let counts = counts
            .into_iter()
            .map(|(k, s, n)| {
                let corrupt = |e| StoreError::Corrupt(format!("stored job {k}/{s}: {e}"));
                Ok((
                    JobKind::parse(&k).map_err(corrupt)?,
                    JobStatus::parse(&s).map_err(corrupt)?,
                    u64::try_from(n).unwrap_or(0),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let finished: Vec<Timing> = job::Entity::find()
            .select_only()
            .column(job::Column::RunAt)
            .column(job::Column::StartedAt)
            .column(job::Column::FinishedAt)
            .filter(job::Column::FinishedAt.gte(since))
            .filter(has_status(JobStatus::Succeeded))
            .into_tuple::<(DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>()
            .all(self.conn())
            .await?
            .into_iter()
            .filter_map(|(r, s, f)| f.map(|f| (r, s, f)))
            .collect();
        let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let ms = |d: Duration| d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0;
        let mean_run_ms = mean(
            finished
                .iter()
                .filter_map(|(_, s, f)| s.map(|s| ms(*f - s)))
                .collect(),
        );
        let mean_wait_ms = mean(
            finished
                .iter()
                .filter_map(|(r, s, _)| s.map(|s| ms(s - *r).max(0.0)))
                .collect(),
        );
        let recent_failures = job::Entity::find()
            .filter(job::Column::Error.is_not_null())
            .filter(status_in(&[
                JobStatus::Dead,
                JobStatus::Failed,
                JobStatus::Retrying,
            ]))
            .order_by_desc(job::Column::UpdatedAt)
            .limit(20)
            .all(self.conn())
            .await?;
        Ok(JobStats {
            counts,
            finished_in_window: finished.len() as u64,
            mean_run_ms,
            mean_wait_ms,
            recent_failures: read_all(recent_failures)?,
        })
    }

    /// Deletes finished jobs (succeeded, failed, dead) that ended before `before`.
    pub async fn delete_finished_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let res = job::Entity::delete_many()
            .filter(status_in(&[
                JobStatus::Succeeded,
                JobStatus::Failed,
                JobStatus::Dead,
            ]))
            .filter(job::Column::FinishedAt.lt(before))
            .exec(self.write_conn())
            .await?;
        Ok(res.rows_affected)
    }

    /// A job of `kind` about `subject` that is waiting or running, if there is one (so that a
    /// second request for the same work joins it instead of queuing a duplicate).
    pub async fn pending_job(
        &self,
        kind: JobKind,
        subject_id: Uuid,
    ) -> Result<Option<Job>, StoreError> {
        job::Entity::find()
            .filter(job::Column::Kind.eq(kind.as_str()))
            .filter(job::Column::SubjectId.eq(subject_id))
            .filter(status_in(&[
                JobStatus::Queued,
                JobStatus::Running,
                JobStatus::Retrying,
            ]))
            .order_by_desc(job::Column::CreatedAt)
            .one(self.conn())
            .await?
            .map(Job::try_from)
            .transpose()
    }
}
