//! Background processing: durable jobs, the workers that run them and the scheduler.
//!
//! A job is a row of the `jobs` table (the source of truth: status, attempts, lease, result);
//! the queue ([`queue`], on apalis) only carries job ids to workers. Producers write the row in
//! the same transaction as whatever asked for it, then hand the id to the queue. A worker claims
//! the row before running it, so a duplicate delivery does nothing; a worker that dies leaves a
//! lease that expires, and the scheduler's sweeper hands the id out again.

pub mod handlers;
pub mod kinds;
pub mod queue;
pub mod runner;
pub mod scheduler;

use std::sync::Arc;
use std::time::Duration;

use deals_store::entity::job;
use deals_store::repo::jobs::NewJob;
use deals_store::{Store, StoreError, now};
use uuid::Uuid;

pub use kinds::JobKind;
use queue::JobQueue;

use crate::live::{EventBus, JobUpdate, LiveEvent};

/// The producer side of the job system, shared by request handlers and workers.
#[derive(Clone)]
pub struct Jobs {
    queue: Arc<dyn JobQueue>,
    events: Arc<EventBus>,
}

impl Jobs {
    /// Wraps a queue.
    pub fn new(queue: Arc<dyn JobQueue>, events: Arc<EventBus>) -> Self {
        Self { queue, events }
    }

    /// The queue transport.
    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    /// A job of `kind` due now.
    pub fn new_job(
        kind: JobKind,
        owner_id: Option<Uuid>,
        subject_id: Option<Uuid>,
        payload: serde_json::Value,
    ) -> NewJob {
        NewJob {
            kind: kind.as_str().to_owned(),
            owner_id,
            subject_id,
            payload,
            max_attempts: kind.max_attempts(),
            run_at: now(),
            dedup_key: None,
        }
    }

    /// Hands a stored job to the workers. A failure is logged, not returned: the row is
    /// committed, and the sweeper hands out jobs that wait too long.
    pub async fn dispatch(&self, job: &job::Model) {
        let delay = (job.run_at - now()).to_std().ok().filter(|d| !d.is_zero());
        if let Err(e) = self.queue.push(job.id, delay).await {
            tracing::warn!(job_id = %job.id, error = %e, "queue push failed; the sweeper will retry");
        }
        self.announce(job).await;
    }

    /// Stores a job and hands it to the workers. `false` when its dedup key already existed
    /// (nothing new was stored or dispatched).
    pub async fn enqueue(
        &self,
        store: &Store,
        new: NewJob,
    ) -> Result<(job::Model, bool), StoreError> {
        let (job, created) = store.enqueue_job(new).await?;
        if created {
            self.dispatch(&job).await;
        }
        Ok((job, created))
    }

    /// Re-sends an id whose delivery may have been lost.
    pub async fn redeliver(&self, id: Uuid, delay: Option<Duration>) {
        if let Err(e) = self.queue.push(id, delay).await {
            tracing::warn!(job_id = %id, error = %e, "queue push failed");
        }
    }

    /// Publishes a `job_update` event for the job's owner.
    pub async fn announce(&self, job: &job::Model) {
        self.events
            .publish(LiveEvent::JobUpdate(JobUpdate {
                owner_id: job.owner_id,
                id: job.id,
                kind: job.kind.clone(),
                status: job.status.clone(),
                attempts: job.attempts,
                error: job.error.clone(),
            }))
            .await;
    }
}
