//! The worker loop: claim as many due jobs as there are free slots, run each on its own task,
//! and sleep until a wake-up, a free slot, the next due time or the next poll.
//!
//! Besides its `concurrency` slots a worker keeps `reserved` slots that only take
//! [`Lane::Interactive`] jobs: a user's new goal or "search now" while that user has nothing
//! else waiting. However long the other slots are busy (another user's burst of searches
//! waiting for the stores), such a job starts at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deals_store::now;
use deals_store::repo::jobs::Lane;
use tokio::task::JoinSet;

use super::{JobHandler, JobQueue, run_guarded};

/// Wait before looking again when the earliest due job was already due but not claimable
/// (another worker was claiming it at that moment).
const BUSY_RETRY: Duration = Duration::from_millis(10);

/// How one worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Unique per process: leases, completions and failures are checked against it.
    pub name: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// Further slots kept for [`Lane::Interactive`] jobs.
    pub reserved: usize,
    /// Lease taken with each claim (the runner renews it while the job runs).
    pub lease: chrono::Duration,
    /// Safety-net poll when no wake-up comes.
    pub poll_interval: Duration,
    /// How long running jobs may take to finish after shutdown before they are cancelled.
    pub grace: Duration,
}

impl JobQueue {
    /// Runs jobs until `shutdown` resolves; then claims nothing new and waits up to `grace`
    /// for the running ones (cancelled after that: their leases expire and another worker
    /// takes them over).
    pub async fn run_worker(
        &self,
        options: WorkerOptions,
        handler: JobHandler,
        shutdown: impl Future<Output = ()> + Send,
    ) {
        let WorkerOptions {
            name,
            concurrency,
            reserved,
            lease,
            poll_interval,
            grace,
        } = options;
        let worker: Arc<str> = Arc::from(name);
        let concurrency = concurrency.max(1);
        let mut wake = self.wake.subscribe();
        let (stop_listening, listening) = tokio::sync::watch::channel(false);
        let listener = self.listen(listening);
        let mut running = JoinSet::new();
        let mut express = JoinSet::new();
        let mut last_sweep: Option<Instant> = None;
        // Whether an interactive job may be waiting for a reserved slot.
        let mut express_due = true;
        tokio::pin!(shutdown);
        loop {
            wake.borrow_and_update();
            express_due |= self.take_interactive();
            if last_sweep.is_none_or(|t| t.elapsed() >= poll_interval) {
                last_sweep = Some(Instant::now());
                express_due = true;
                if let Err(e) = self.store.bury_abandoned_jobs().await {
                    tracing::warn!(error = %e, "burying abandoned jobs failed");
                }
            }
            let mut wait = poll_interval;
            let free = concurrency - running.len();
            // A worker told to stop claims nothing more, even when work arrived at the same time.
            let stopping = tokio::select! {
                biased;
                () = &mut shutdown => true,
                () = std::future::ready(()) => false,
            };
            if stopping {
                break;
            }
            let free_express = reserved - express.len();
            let mut idle = false;
            for (slots, free, lane) in [
                (&mut running, free, Lane::Any),
                (&mut express, free_express, Lane::Interactive),
            ] {
                if free == 0 || (lane == Lane::Interactive && !express_due) {
                    continue;
                }
                match self
                    .store
                    .claim_due_jobs_in(&worker, lease, free as u64, lane)
                    .await
                {
                    Ok(claimed) => {
                        // The general slots see every due job: fewer than asked means nothing
                        // else is due now.
                        idle |= lane == Lane::Any && claimed.len() < free;
                        if lane == Lane::Interactive && claimed.len() < free {
                            express_due = false;
                        }
                        for job in claimed {
                            let store = self.store.clone();
                            slots.spawn(run_guarded(store, handler.clone(), job, worker.clone()));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
                }
            }
            if idle {
                wait = wait.min(self.until_next_due().await);
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                _ = wake.changed() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                Some(_) = express.join_next(), if !express.is_empty() => express_due = true,
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(
            worker = %worker,
            running = running.len() + express.len(),
            "job worker stopping"
        );
        let _ = stop_listening.send(true);
        if let Some(listener) = listener
            && let Err(e) = listener.await
        {
            tracing::warn!(error = %e, "the job listener's supervisor ended abnormally");
        }
        let finished = tokio::time::timeout(grace, async {
            while running.join_next().await.is_some() {}
            while express.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                worker = %worker,
                "jobs still running after the grace period were cancelled; their leases will expire"
            );
            running.shutdown().await;
            express.shutdown().await;
        }
    }

    /// Time until the next job falls due (a little after, so it is due when we look).
    async fn until_next_due(&self) -> Duration {
        match self.store.next_job_due_at().await {
            Ok(Some(at)) => match (at - now()).to_std() {
                Ok(left) => left + Duration::from_millis(1),
                Err(_) => BUSY_RETRY,
            },
            Ok(None) => Duration::MAX,
            Err(e) => {
                tracing::warn!(error = %e, "reading the next due job failed");
                Duration::MAX
            }
        }
    }
}
