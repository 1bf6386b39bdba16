//! Background processing: durable jobs, the workers that run them and the scheduler.
//!
//! A job is a row of the `jobs` table, which is also the queue ([`queue`]): status, attempts,
//! lease and result live there, and workers claim due rows directly. Producers write the row in
//! the same transaction as whatever asked for it, then wake the workers. A worker that dies
//! leaves a lease that expires, after which any worker claims the row again.

pub mod admin;
pub mod handlers;
pub mod kinds;
pub mod queue;
pub mod runner;
pub mod scheduler;

use std::sync::Arc;

use deals_store::repo::jobs::{Job, NewJob};
use deals_store::{Store, StoreError, now};
use uuid::Uuid;

pub use deals_core::enums::{JobKind, JobStatus};
use queue::JobQueue;

use crate::live::{EventBus, JobUpdate, LiveEvent};

/// The producer side of the job system, shared by request handlers and workers.
#[derive(Clone)]
pub struct Jobs {
    queue: JobQueue,
    events: Arc<EventBus>,
}

impl Jobs {
    /// Wraps a queue.
    pub fn new(queue: JobQueue, events: Arc<EventBus>) -> Self {
        Self { queue, events }
    }

    /// The queue.
    pub fn queue(&self) -> &JobQueue {
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
            kind,
            owner_id,
            subject_id,
            payload,
            max_attempts: kinds::max_attempts(kind),
            run_at: now(),
            dedup_key: None,
            priority: kinds::priority(kind),
        }
    }

    /// Wakes this process's workers for a stored (committed) job and announces it. Workers in
    /// other processes were notified by the storing transaction (PostgreSQL) or find it at
    /// their next poll.
    pub async fn dispatch(&self, job: &Job) {
        self.queue.wake_for(job.priority);
        self.announce(job).await;
    }

    /// Stores a job and wakes the workers. `false` when its dedup key already existed
    /// (nothing new was stored).
    pub async fn enqueue(&self, store: &Store, new: NewJob) -> Result<(Job, bool), StoreError> {
        let (job, created) = store.enqueue_job(new).await?;
        if created {
            self.dispatch(&job).await;
        }
        Ok((job, created))
    }

    /// Publishes a `job_update` event for the job's owner.
    pub async fn announce(&self, job: &Job) {
        self.events
            .publish(LiveEvent::JobUpdate(JobUpdate {
                owner_id: job.owner_id,
                id: job.id,
                kind: job.kind,
                status: job.status,
                attempts: job.attempts,
                error: job.error.clone(),
            }))
            .await;
    }
}
