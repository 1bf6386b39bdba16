//! Background jobs: the durable record of every job, its lease while a worker runs it, its
//! retries and its result.
//!
//! A job row is written in the same transaction as whatever asked for it (a goal and its
//! AnalyzeGoal job are committed together). The queue transport only carries ids; a worker
//! *claims* a row before running it, so a duplicate delivery is a no-op, and a worker that dies
//! leaves a lease that expires, after which the sweeper hands the job out again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::Page;
use crate::entity::job;
use crate::{Scope, Store, StoreError, now};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker holds its lease.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Failed; will run again at `run_at`.
    Retrying,
    /// Failed for good on an error that retrying cannot fix.
    Failed,
    /// Failed after its last attempt; kept with its error until an admin retries it.
    Dead,
}

impl JobStatus {
    /// Every status.
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Retrying,
        JobStatus::Failed,
        JobStatus::Dead,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Retrying => "retrying",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }
}

/// A job to store.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Job kind, e.g. `search_deals`.
    pub kind: String,
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
}

/// The outcome of trying to claim a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The caller now holds the lease and must run the job.
    Claimed(Box<job::Model>),
    /// Not yet: the job runs at, or its current lease ends at, this time.
    NotBefore(DateTime<Utc>),
    /// Nothing to do: the job is finished, dead, or does not exist.
    Settled,
}

/// Counts and timings for the monitor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobStats {
    /// `(kind, status, count)` over every stored job.
    pub counts: Vec<(String, String, u64)>,
    /// Jobs finished in the window.
    pub finished_in_window: u64,
    /// Mean run time of jobs finished in the window, in milliseconds.
    pub mean_run_ms: Option<f64>,
    /// Mean wait from `run_at` to start of jobs started in the window, in milliseconds.
    pub mean_wait_ms: Option<f64>,
    /// The latest failures (dead, failed or retrying with an error), newest first.
    pub recent_failures: Vec<job::Model>,
}

/// `(run_at, started_at, finished_at)` of a finished job.
type Timing = (DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>);

fn active(status: JobStatus) -> Expr {
    Expr::col(job::Column::Status).eq(status.as_str())
}

/// Stores a job inside the caller's transaction. With a `dedup_key` that is already stored,
/// nothing is written and the existing job is returned with `false`.
pub async fn insert_job_in<C: ConnectionTrait>(
    db: &C,
    new: NewJob,
) -> Result<(job::Model, bool), StoreError> {
    if let Some(key) = &new.dedup_key
        && let Some(existing) = job::Entity::find()
            .filter(job::Column::DedupKey.eq(key.as_str()))
            .one(db)
            .await?
    {
        return Ok((existing, false));
    }
    let at = now();
    let model = job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(new.kind),
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
        result: Set(None),
        error: Set(None),
        created_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(at),
    };
    Ok((model.insert(db).await?, true))
}

/// Marks a running job succeeded inside the caller's transaction, so the job's effects and its
/// completion commit together. `false` when the caller no longer holds the lease.
pub async fn finish_job_in<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    worker: &str,
    result: serde_json::Value,
) -> Result<bool, StoreError> {
    let at = now();
    let res = job::Entity::update_many()
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
        .filter(active(JobStatus::Running))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

impl Store {
    /// Stores a job on its own.
    pub async fn enqueue_job(&self, new: NewJob) -> Result<(job::Model, bool), StoreError> {
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
    pub async fn get_job(&self, scope: Scope, id: Uuid) -> Result<job::Model, StoreError> {
        let mut q = job::Entity::find_by_id(id);
        if let Scope::Owner(user) = scope {
            q = q.filter(job::Column::OwnerId.eq(user));
        }
        q.one(self.conn()).await?.ok_or(StoreError::NotFound)
    }

    /// Takes the lease of a job that is due, or of a running job whose lease has expired (its
    /// worker died). Each claim counts an attempt. A job whose expired lease used its last
    /// attempt becomes dead instead.
    pub async fn claim_job(
        &self,
        id: Uuid,
        worker: &str,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let at = now();
        let due = Expr::col(job::Column::Status)
            .is_in([JobStatus::Queued.as_str(), JobStatus::Retrying.as_str()])
            .and(Expr::col(job::Column::RunAt).lte(at));
        let abandoned = active(JobStatus::Running).and(Expr::col(job::Column::LeaseUntil).lt(at));
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::val(JobStatus::Running.as_str()))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .col_expr(job::Column::LeaseUntil, Expr::val(at + lease))
            .col_expr(job::Column::Worker, Expr::val(worker))
            .col_expr(job::Column::StartedAt, Expr::val(at))
            .col_expr(job::Column::UpdatedAt, Expr::val(at))
            .filter(job::Column::Id.eq(id))
            .filter(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
            .filter(due.or(abandoned))
            .exec(self.conn())
            .await?;
        let Some(row) = job::Entity::find_by_id(id).one(self.conn()).await? else {
            return Ok(Claim::Settled);
        };
        if res.rows_affected == 1 {
            return Ok(Claim::Claimed(Box::new(row)));
        }
        match row.status.as_str() {
            "queued" | "retrying" if row.run_at > at => Ok(Claim::NotBefore(row.run_at)),
            "running" => match row.lease_until {
                Some(until) if until >= at => Ok(Claim::NotBefore(until)),
                _ => {
                    self.bury_exhausted(id, "the worker running the last attempt stopped")
                        .await?;
                    Ok(Claim::Settled)
                }
            },
            "queued" | "retrying" => {
                self.bury_exhausted(id, "no attempts left").await?;
                Ok(Claim::Settled)
            }
            _ => Ok(Claim::Settled),
        }
    }

    async fn bury_exhausted(&self, id: Uuid, why: &str) -> Result<(), StoreError> {
        let at = now();
        job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::val(JobStatus::Dead.as_str()))
            .col_expr(
                job::Column::Error,
                Func::coalesce([Expr::col(job::Column::Error), Expr::val(why)]).into(),
            )
            .col_expr(
                job::Column::LeaseUntil,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::FinishedAt, Expr::val(at))
            .col_expr(job::Column::UpdatedAt, Expr::val(at))
            .filter(job::Column::Id.eq(id))
            .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
            .filter(job::Column::Status.is_in([
                JobStatus::Queued.as_str(),
                JobStatus::Retrying.as_str(),
                JobStatus::Running.as_str(),
            ]))
            .exec(self.conn())
            .await?;
        Ok(())
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
            .filter(active(JobStatus::Running))
            .exec(self.conn())
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Records a failed attempt: `retry_at` schedules another one; `None` makes the job `dead`
    /// (attempts used up) or `failed` (when `permanent`). Returns the stored row.
    pub async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        permanent: bool,
    ) -> Result<Option<job::Model>, StoreError> {
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
            .filter(active(JobStatus::Running))
            .exec(self.conn())
            .await?;
        if res.rows_affected == 0 {
            return Ok(None);
        }
        Ok(job::Entity::find_by_id(id).one(self.conn()).await?)
    }

    /// Re-queues a dead or failed job with a fresh set of attempts.
    pub async fn retry_job(&self, id: Uuid) -> Result<job::Model, StoreError> {
        let at = now();
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
            .filter(
                job::Column::Status.is_in([JobStatus::Dead.as_str(), JobStatus::Failed.as_str()]),
            )
            .exec(self.conn())
            .await?;
        let row = job::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict(format!(
                "job is {}, only dead or failed jobs can be retried",
                row.status
            )));
        }
        Ok(row)
    }

    /// Jobs that should be in a worker's hands but may not be: due jobs that have waited
    /// longer than `overdue` (their id was lost or never handed over) and running jobs whose
    /// lease has expired (their worker died). At most `limit`, oldest first.
    ///
    /// Waiting jobs returned here are stamped (`updated_at`), so the next sweeps leave them
    /// alone for another `overdue`: a backlog older than `overdue` is handed out again once per
    /// `overdue`, not on every sweep.
    pub async fn stale_jobs(&self, overdue: Duration, limit: u64) -> Result<Vec<Uuid>, StoreError> {
        let at = now();
        let waiting = || {
            Expr::col(job::Column::Status)
                .is_in([JobStatus::Queued.as_str(), JobStatus::Retrying.as_str()])
        };
        let overdue_waiting = waiting()
            .and(Expr::col(job::Column::RunAt).lte(at - overdue))
            .and(Expr::col(job::Column::UpdatedAt).lte(at - overdue));
        let abandoned = active(JobStatus::Running).and(Expr::col(job::Column::LeaseUntil).lt(at));
        let ids: Vec<Uuid> = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(overdue_waiting.or(abandoned))
            .order_by_asc(job::Column::RunAt)
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await?;
        if !ids.is_empty() {
            job::Entity::update_many()
                .col_expr(job::Column::UpdatedAt, Expr::val(at))
                .filter(job::Column::Id.is_in(ids.iter().copied()))
                .filter(waiting())
                .exec(self.conn())
                .await?;
        }
        Ok(ids)
    }

    /// Jobs visible in `scope`, newest first, optionally of one status.
    pub async fn list_jobs(
        &self,
        scope: Scope,
        status: Option<JobStatus>,
        page: deals_core::Pagination,
    ) -> Result<Page<job::Model>, StoreError> {
        let mut q = job::Entity::find();
        if let Scope::Owner(user) = scope {
            q = q.filter(job::Column::OwnerId.eq(user));
        }
        if let Some(s) = status {
            q = q.filter(job::Column::Status.eq(s.as_str()));
        }
        let total = q.clone().count(self.conn()).await?;
        let items = q
            .order_by_desc(job::Column::CreatedAt)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page { items, total })
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
        let finished: Vec<Timing> = job::Entity::find()
            .select_only()
            .column(job::Column::RunAt)
            .column(job::Column::StartedAt)
            .column(job::Column::FinishedAt)
            .filter(job::Column::FinishedAt.gte(since))
            .filter(job::Column::Status.eq(JobStatus::Succeeded.as_str()))
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
            .filter(job::Column::Status.is_in([
                JobStatus::Dead.as_str(),
                JobStatus::Failed.as_str(),
                JobStatus::Retrying.as_str(),
            ]))
            .order_by_desc(job::Column::UpdatedAt)
            .limit(20)
            .all(self.conn())
            .await?;
        Ok(JobStats {
            counts: counts
                .into_iter()
                .map(|(k, s, n)| (k, s, u64::try_from(n).unwrap_or(0)))
                .collect(),
            finished_in_window: finished.len() as u64,
            mean_run_ms,
            mean_wait_ms,
            recent_failures,
        })
    }

    /// Deletes finished jobs (succeeded, failed, dead) that ended before `before`.
    pub async fn delete_finished_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let res = job::Entity::delete_many()
            .filter(job::Column::Status.is_in([
                JobStatus::Succeeded.as_str(),
                JobStatus::Failed.as_str(),
                JobStatus::Dead.as_str(),
            ]))
            .filter(job::Column::FinishedAt.lt(before))
            .exec(self.conn())
            .await?;
        Ok(res.rows_affected)
    }
}

impl Store {
    /// A job of `kind` about `subject` that is waiting or running, if there is one (so that a
    /// second request for the same work joins it instead of queuing a duplicate).
    pub async fn pending_job(
        &self,
        kind: &str,
        subject_id: Uuid,
    ) -> Result<Option<job::Model>, StoreError> {
        Ok(job::Entity::find()
            .filter(job::Column::Kind.eq(kind))
            .filter(job::Column::SubjectId.eq(subject_id))
            .filter(job::Column::Status.is_in([
                JobStatus::Queued.as_str(),
                JobStatus::Running.as_str(),
                JobStatus::Retrying.as_str(),
            ]))
            .order_by_desc(job::Column::CreatedAt)
            .one(self.conn())
            .await?)
    }
}
