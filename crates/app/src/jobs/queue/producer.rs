//! The producer side of the job queue: pushes ids, answers liveness and depth questions.

use std::time::Duration;

use apalis::prelude::{BoxDynError, TaskBuilder, TaskSink};
use apalis_core::backend::Vacuum;
use async_trait::async_trait;
use uuid::Uuid;

use super::{APALIS_MAX_ATTEMPTS, JobQueue, QueueError, Storage, due_second};

/// The producer side: an apalis storage handle for one queue.
pub(super) struct ApalisQueue {
    pub(super) storage: Storage,
    pub(super) queue_name: String,
}

#[async_trait]
impl JobQueue for ApalisQueue {
    async fn push(&self, job_id: Uuid, delay: Option<Duration>) -> Result<(), QueueError> {
        let mut task = TaskBuilder::new(job_id).max_attempts(APALIS_MAX_ATTEMPTS);
        if let Some(delay) = delay.filter(|d| !d.is_zero()) {
            task = task.run_at_timestamp(due_second(delay));
        }
        let task = task.build();
        let err = self.storage.error("push");
        let res = match self.storage.clone() {
            Storage::Sqlite(mut s) => s.push_task(task).await.map_err(BoxDynError::from),
            Storage::Postgres(mut s) => s.push_task(task).await.map_err(BoxDynError::from),
            Storage::Redis(mut s) => s.push_task(task).await.map_err(BoxDynError::from),
        };
        res.map_err(err)
    }

    fn backend_name(&self) -> &'static str {
        self.storage.name()
    }

    async fn ping(&self) -> Result<(), QueueError> {
        let err = self.storage.error("ping");
        let res: Result<(), BoxDynError> = match &self.storage {
            Storage::Sqlite(s) => sqlx::query("SELECT 1")
                .execute(s.pool())
                .await
                .map(drop)
                .map_err(Into::into),
            Storage::Postgres(s) => sqlx::query("SELECT 1")
                .execute(s.pool())
                .await
                .map(drop)
                .map_err(Into::into),
            Storage::Redis(s) => {
                let mut conn = s.clone().get_connection().clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            }
        };
        res.map_err(err)
    }

    async fn depth(&self) -> Result<u64, QueueError> {
        let err = self.storage.error("depth");
        let res: Result<i64, BoxDynError> = match &self.storage {
            Storage::Sqlite(s) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 \
                 AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))",
            )
            .bind(&self.queue_name)
            .fetch_one(s.pool())
            .await
            .map_err(Into::into),
            Storage::Postgres(s) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM apalis.jobs WHERE job_type = $1 \
                 AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))",
            )
            .bind(&self.queue_name)
            .fetch_one(s.pool())
            .await
            .map_err(Into::into),
            Storage::Redis(s) => {
                let config = s.get_config().clone();
                let mut conn = s.clone().get_connection().clone();
                redis::pipe()
                    .llen(config.active_jobs_list())
                    .zcard(config.scheduled_jobs_set())
                    .query_async::<(i64, i64)>(&mut conn)
                    .await
                    .map(|(active, scheduled)| active + scheduled)
                    .map_err(Into::into)
            }
        };
        res.map(|n| u64::try_from(n).unwrap_or(0)).map_err(err)
    }

    async fn purge_done(&self, older_than: Duration) -> Result<u64, QueueError> {
        let err = self.storage.error("purge");
        let res: Result<u64, BoxDynError> = match self.storage.clone() {
            // Not apalis' `vacuum_before`: in apalis-sqlite 1.0 it compares the integer
            // `run_at` with a text date, which deletes every finished task whatever its age.
            Storage::Sqlite(s) => sqlx::query(
                "DELETE FROM Jobs WHERE job_type = ?1 \
                 AND (status IN ('Done', 'Killed') OR (status = 'Failed' AND attempts >= max_attempts)) \
                 AND done_at < CAST(strftime('%s', 'now') AS INTEGER) - ?2",
            )
            .bind(&self.queue_name)
            .bind(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX))
            .execute(s.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(Into::into),
            // A shared schema: only this queue's finished tasks.
            Storage::Postgres(s) => sqlx::query(
                "DELETE FROM apalis.jobs WHERE job_type = $1 \
                 AND (status IN ('Done', 'Killed') OR (status = 'Failed' AND attempts >= max_attempts)) \
                 AND done_at < now() - make_interval(secs => $2)",
            )
            .bind(&self.queue_name)
            .bind(older_than.as_secs_f64())
            .execute(s.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(Into::into),
            Storage::Redis(mut s) => s
                .vacuum_before(older_than)
                .await
                .map(|n| n as u64)
                .map_err(Into::into),
        };
        res.map_err(err)
    }
}
