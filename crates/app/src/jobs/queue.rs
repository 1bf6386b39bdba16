//! The job queue is the `jobs` table: workers claim due rows directly (see
//! `deals_store::repo::jobs::queue`), so there is no second store of job ids and the same code
//! runs on SQLite and PostgreSQL.
//!
//! - **Wake-ups**: an enqueue in this process wakes its workers at once (an in-process watch
//!   channel); on PostgreSQL the enqueueing transaction also sends `NOTIFY deals_jobs`, which
//!   every worker process hears through a `LISTEN` connection (a supervised task: restarted
//!   with backoff when the connection is lost, `job_listener` in `/ready`). A timer for the
//!   next due time starts delayed jobs (retries, scheduled runs) on time; polling every
//!   `poll_interval` is only the safety net.
//! - **Leases**: a claim takes a lease that the runner renews while the job runs; a worker that
//!   dies stops renewing, and once the lease expires the row is due again for any worker.
//! - **Panics** in a handler are caught: the job is failed and retried with its backoff.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use deals_store::repo::jobs::{Job, priority};
use deals_store::{Store, StoreError, now};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::watch;

use super::kinds;
use crate::supervisor::{Loops, Signal, supervise};

mod worker;

pub use worker::WorkerOptions;

/// Name of the supervised LISTEN task (a loop of `/ready` and `deals_loop_restarts_total`).
pub const JOB_LISTENER: &str = "job_listener";

/// Runs one claimed job to its end and records the outcome in the jobs table.
pub type JobHandler = Arc<dyn Fn(Job) -> BoxFuture<'static, ()> + Send + Sync>;

/// The queue on the jobs table of one database, with the wake-up channel of this process.
#[derive(Clone)]
pub struct JobQueue {
    store: Store,
    wake: Arc<watch::Sender<u64>>,
    /// Set by a wake-up that may be for an interactive job (see [`Lane::Interactive`]): the
    /// workers then also look for one for their reserved slots.
    interactive: Arc<AtomicBool>,
    loops: Arc<Loops>,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobQueue")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

impl JobQueue {
    /// The queue on `store`'s jobs table.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            wake: Arc::new(watch::channel(0).0),
            interactive: Arc::new(AtomicBool::new(true)),
            loops: Arc::default(),
        }
    }

    /// `sqlite` | `postgres`: the database the queue runs on.
    pub fn backend_name(&self) -> &'static str {
        self.store.queue_backend()
    }

    /// Reads the jobs table, for /ready.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping_jobs().await
    }

    /// Jobs waiting for a worker, delayed ones included.
    pub async fn depth(&self) -> Result<u64, StoreError> {
        self.store.waiting_jobs().await
    }

    /// Wakes this process's workers: a job was stored (and committed) or became due.
    pub fn wake(&self) {
        self.wake_for(priority::INTERACTIVE);
    }

    /// Wakes this process's workers for a stored (committed) job of `priority`.
    pub fn wake_for(&self, priority: i32) {
        if priority >= priority::INTERACTIVE {
            self.interactive.store(true, Ordering::Release);
        }
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Whether a wake-up since the last call may have been for an interactive job.
    fn take_interactive(&self) -> bool {
        self.interactive.swap(false, Ordering::AcqRel)
    }

    /// Runs every due job to completion in this process, `batch` at a time, including the jobs
    /// those jobs enqueue that are due at once; returns how many ran. Delayed jobs (a retry's
    /// backoff) are left for later.
    pub async fn drain(
        &self,
        worker: &str,
        lease: chrono::Duration,
        batch: usize,
        handler: &JobHandler,
    ) -> Result<usize, StoreError> {
        let worker: Arc<str> = Arc::from(worker);
        let mut ran = 0;
        loop {
            self.store.bury_abandoned_jobs().await?;
            let claimed = self
                .store
                .claim_due_jobs(&worker, lease, batch.max(1) as u64)
                .await?;
            if claimed.is_empty() {
                return Ok(ran);
            }
            ran += claimed.len();
            let runs = claimed
                .into_iter()
                .map(|job| run_guarded(self.store.clone(), handler.clone(), job, worker.clone()));
            futures_util::future::join_all(runs).await;
        }
    }

    /// The loops this queue's listener reports to (`/ready`, `deals_loop_restarts_total`);
    /// a queue made with [`JobQueue::new`] has loops of its own.
    pub fn supervised_by(mut self, loops: Arc<Loops>) -> Self {
        self.loops = loops;
        self
    }

    /// The state of this queue's supervised loops (the LISTEN task's is [`JOB_LISTENER`]).
    pub fn loops(&self) -> &Arc<Loops> {
        &self.loops
    }

    /// On PostgreSQL, the supervised task that wakes this process's workers whenever another
    /// transaction notifies `deals_jobs`, until `stop` is sent; `None` on SQLite. A lost or
    /// unobtainable listening connection fails the run: the supervisor restarts it with backoff
    /// (`/ready` shows it down meanwhile; workers poll), and each run starts with a wake-up,
    /// since notifications sent while nobody listened are gone.
    fn listen(&self, stop: watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
        if !self.store.is_postgres() {
            return None;
        }
        let signal: Signal = Arc::new(move || {
            let mut stop = stop.clone();
            Box::pin(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            })
        });
        let queue = self.clone();
        Some(tokio::spawn(supervise(
            self.loops.clone(),
            JOB_LISTENER,
            signal,
            move |stopped| {
                let queue = queue.clone();
                async move { queue.listen_once(stopped).await }
            },
        )))
    }

    /// One run of the LISTEN task: `Ok` once `stopped` completes, an error when the connection
    /// cannot be had or is lost.
    async fn listen_once(
        &self,
        stopped: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> anyhow::Result<()> {
        let mut listener = self
            .store
            .job_listener()
            .await?
            .ok_or_else(|| anyhow::anyhow!("the queue's database has no LISTEN"))?;
        self.wake();
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                biased;
                () = &mut stopped => return Ok(()),
                got = listener.recv() => {
                    self.wake();
                    if !got? {
                        anyhow::bail!("the connection listening for job notifications was lost");
                    }
                }
            }
        }
    }
}

/// Runs `handler` on a claimed job; if it panics, the job is failed and retried with its
/// backoff (or dead when that was its last attempt), and the worker goes on.
async fn run_guarded(store: Store, handler: JobHandler, job: Job, worker: Arc<str>) {
    let (id, kind, attempts, max_attempts) = (job.id, job.kind, job.attempts, job.max_attempts);
    let run = AssertUnwindSafe(async move { handler(job).await });
    if run.catch_unwind().await.is_ok() {
        return;
    }
    let retry_at = (attempts < max_attempts)
        .then(|| now() + chrono::Duration::from_std(kinds::backoff(attempts)).unwrap_or_default());
    tracing::error!(job_id = %id, %kind, attempt = attempts, "job handler panicked");
    let failed = store
        .fail_job(id, &worker, "the job's handler panicked", retry_at, false)
        .await;
    if let Err(e) = failed {
        tracing::error!(job_id = %id, error = %e, "recording a panicked job failed");
    }
}

/// Aborts a spawned task when dropped (a job's lease renewal).
#[derive(Debug)]
pub(crate) struct AbortOnDrop<T>(pub(crate) tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
