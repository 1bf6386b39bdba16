//! The job queue (the `jobs` table) behaves the same on SQLite and PostgreSQL.
//!
//! SQLite always runs (a temporary file); PostgreSQL runs in a fresh schema when
//! `DEALS_TEST_DATABASE_URL` is set (and must, with `CI=true`). The safety-net poll is set far
//! longer than any wait here, so every job that starts in time was started by a wake-up or by
//! the next-due timer. Latencies are printed, not asserted: `--nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deals_app::jobs::queue::{JOB_LISTENER, JobHandler, JobQueue, WorkerOptions};
use deals_app::jobs::{JobKind, JobStatus, Jobs};
use deals_store::repo::jobs::{Job, finish_job_in};
use deals_store::testing::{Backend, TestDb};
use deals_store::{Scope, Store, now};
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Far longer than any wait of these tests: nothing here may depend on polling.
const POLL: Duration = Duration::from_secs(60);
/// The longest a test waits for one event.
const LIMIT: Duration = Duration::from_secs(20);

/// One start of a job: (job, worker number, attempt, when).
type Start = (Uuid, usize, i32, Instant);

/// What a test handler does with a job after recording its start.
type Work = Arc<dyn Fn(Store, Job) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Records every start on a channel, then does `work`.
fn handler(
    store: &Store,
    worker: usize,
    starts: &mpsc::UnboundedSender<Start>,
    work: Work,
) -> JobHandler {
    let (store, starts) = (store.clone(), starts.clone());
    Arc::new(move |job: Job| {
        let _ = starts.send((job.id, worker, job.attempts, Instant::now()));
        work(store.clone(), job).boxed()
    })
}

/// Waits `d`, then marks the job succeeded.
fn finish_after(d: Duration) -> Work {
    Arc::new(move |store, job| {
        async move {
            tokio::time::sleep(d).await;
            let worker = job.worker.clone().unwrap();
            let json = serde_json::json!({});
            assert!(
                finish_job_in(store.conn(), job.id, &worker, json)
                    .await
                    .unwrap()
            );
        }
        .boxed()
    })
}

fn finish() -> Work {
    finish_after(Duration::ZERO)
}

/// Never finishes.
fn hang() -> Work {
    Arc::new(|_, _| std::future::pending().boxed())
}

struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    fn start(queue: &JobQueue, concurrency: usize, handler: JobHandler) -> Self {
        Self::with(
            queue,
            concurrency,
            handler,
            chrono::Duration::seconds(30),
            LIMIT,
        )
    }

    fn with(
        queue: &JobQueue,
        concurrency: usize,
        handler: JobHandler,
        lease: chrono::Duration,
        grace: Duration,
    ) -> Self {
        Self::with_reserved(queue, concurrency, 0, handler, lease, grace)
    }

    fn with_reserved(
        queue: &JobQueue,
        concurrency: usize,
        reserved: usize,
        handler: JobHandler,
        lease: chrono::Duration,
        grace: Duration,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let options = WorkerOptions {
            name: format!("test-worker-{}", Uuid::new_v4().simple()),
            concurrency,
            reserved,
            lease,
            poll_interval: POLL,
            grace,
        };
        let queue = queue.clone();
        let task = tokio::spawn(async move {
            queue
                .run_worker(options, handler, async move {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            stop: Some(stop),
            task,
        }
    }

    /// Tells the worker to stop, without waiting for it.
    fn signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    async fn shutdown(mut self) {
        self.signal();
        tokio::time::timeout(LIMIT, self.task)
            .await
            .expect("the worker stops within its grace period")
            .unwrap();
    }
}

/// The next `n` starts, in order.
async fn starts(rx: &mut mpsc::UnboundedReceiver<Start>, n: usize) -> Vec<Start> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = tokio::time::timeout(LIMIT, rx.recv()).await;
        out.push(next.expect("a job started in time").unwrap());
    }
    out
}

/// Stores a job due after `delay` and wakes `queue`'s workers, as `Jobs::enqueue` does.
async fn enqueue_in(store: &Store, queue: &JobQueue, delay: Duration) -> Uuid {
    let mut new = Jobs::new_job(JobKind::AnalyzeDeal, None, None, serde_json::json!({}));
    new.run_at = now() + chrono::Duration::from_std(delay).unwrap();
    let (job, created) = store.enqueue_job(new).await.unwrap();
    assert!(created);
    queue.wake();
    job.id
}

async fn enqueue(store: &Store, queue: &JobQueue) -> Uuid {
    enqueue_in(store, queue, Duration::ZERO).await
}

async fn status(store: &Store, id: Uuid) -> Job {
    store.get_job(Scope::All, id).await.unwrap()
}

async fn every_enqueued_job_runs_exactly_once(store: Store) {
    let queue = JobQueue::new(store.clone());
    let mut ids = HashSet::new();
    for _ in 0..200 {
        ids.insert(enqueue(&store, &queue).await);
    }
    assert_eq!(queue.depth().await.unwrap(), 200);
    queue.ping().await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let worker = Running::start(&queue, 4, handler(&store, 0, &tx, finish()));
    let seen = starts(&mut rx, 200).await;
    let elapsed = started.elapsed();
    worker.shutdown().await;
    drop(tx);
    assert!(rx.recv().await.is_none(), "no job started twice");
    let unique: HashSet<Uuid> = seen.iter().map(|s| s.0).collect();
    assert_eq!(unique, ids);
    assert!(seen.iter().all(|s| s.2 == 1));
    assert_eq!(queue.depth().await.unwrap(), 0);
    for id in ids {
        assert_eq!(status(&store, id).await.status, JobStatus::Succeeded);
    }
    println!(
        "[{}] one worker × 4: 200 jobs in {elapsed:?}",
        queue.backend_name()
    );
}

async fn a_delayed_job_starts_at_its_time_not_before(store: Store) {
    let queue = JobQueue::new(store.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Running::start(&queue, 4, handler(&store, 0, &tx, finish()));
    let enqueued = Instant::now();
    let later = enqueue_in(&store, &queue, Duration::from_millis(1500)).await;
    let now_id = enqueue(&store, &queue).await;
    let seen = starts(&mut rx, 2).await;
    worker.shutdown().await;
    assert_eq!((seen[0].0, seen[1].0), (now_id, later));
    let waited = seen[1].3 - enqueued;
    assert!(
        waited >= Duration::from_millis(1500),
        "ran after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "ran after {waited:?}");
}

async fn a_failed_attempt_runs_again_after_its_backoff(store: Store) {
    let queue = JobQueue::new(store.clone());
    let fail_first: Work = Arc::new(|store, job| {
        async move {
            let worker = job.worker.clone().unwrap();
            if job.attempts == 1 {
                let retry_at = Some(now() + chrono::Duration::seconds(1));
                let failed = store.fail_job(job.id, &worker, "boom", retry_at, false);
                assert!(failed.await.unwrap().is_some());
            } else {
                let json = serde_json::json!({});
                assert!(
                    finish_job_in(store.conn(), job.id, &worker, json)
                        .await
                        .unwrap()
                );
            }
        }
        .boxed()
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Running::start(&queue, 4, handler(&store, 0, &tx, fail_first));
    let id = enqueue(&store, &queue).await;
    let seen = starts(&mut rx, 2).await;
    worker.shutdown().await;
    assert_eq!((seen[0].2, seen[1].2), (1, 2));
    let gap = seen[1].3 - seen[0].3;
    assert!(
        gap >= Duration::from_secs(1) && gap < Duration::from_secs(3),
        "{gap:?}"
    );
    let job = status(&store, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
}

async fn two_workers_split_the_work_without_sharing_a_job(store: Store) {
    let (first, second) = (JobQueue::new(store.clone()), JobQueue::new(store.clone()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let work = finish_after(Duration::from_millis(20));
    let a = Running::start(&first, 4, handler(&store, 1, &tx, work.clone()));
    let b = Running::start(&second, 4, handler(&store, 2, &tx, work));
    for _ in 0..200 {
        enqueue(&store, &first).await;
        second.wake();
    }
    let seen = starts(&mut rx, 200).await;
    a.shutdown().await;
    b.shutdown().await;
    drop(tx);
    assert!(rx.recv().await.is_none(), "no job started twice");
    let unique: HashSet<Uuid> = seen.iter().map(|s| s.0).collect();
    assert_eq!(unique.len(), 200);
    let mut per_worker: HashMap<usize, usize> = HashMap::new();
    for s in &seen {
        *per_worker.entry(s.1).or_default() += 1;
    }
    assert_eq!(per_worker.len(), 2, "both workers worked: {per_worker:?}");
}

async fn shutdown_lets_running_jobs_finish_and_claims_nothing_new(store: Store) {
    let queue = JobQueue::new(store.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let slow = finish_after(Duration::from_millis(1500));
    let worker = Running::start(&queue, 4, handler(&store, 1, &tx, slow));
    let running = enqueue(&store, &queue).await;
    starts(&mut rx, 1).await;
    let stopping = Instant::now();
    let mut worker = worker;
    // The stop is told before the next job is stored: a stopping worker claims nothing new.
    worker.signal();
    let stop = tokio::spawn(worker.shutdown());
    let after = enqueue(&store, &queue).await;
    stop.await.unwrap();
    assert!(stopping.elapsed() >= Duration::from_millis(1000));
    assert_eq!(status(&store, running).await.status, JobStatus::Succeeded);
    assert_eq!(status(&store, after).await.status, JobStatus::Queued);

    // The job stored during shutdown waits for the next worker.
    let next = Running::start(&queue, 4, handler(&store, 2, &tx, finish()));
    let seen = starts(&mut rx, 1).await;
    next.shutdown().await;
    assert_eq!((seen[0].0, seen[0].1), (after, 2));
}

async fn shutdown_cancels_jobs_still_running_after_the_grace_period(store: Store) {
    let queue = JobQueue::new(store.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let lease = chrono::Duration::seconds(30);
    let grace = Duration::from_millis(300);
    let worker = Running::with(&queue, 2, handler(&store, 0, &tx, hang()), lease, grace);
    enqueue(&store, &queue).await;
    starts(&mut rx, 1).await;
    let stopping = Instant::now();
    worker.shutdown().await;
    assert!(stopping.elapsed() < Duration::from_secs(3));
}

async fn a_job_of_a_killed_worker_is_taken_over_when_its_lease_expires(store: Store) {
    let queue = JobQueue::new(store.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let lease = chrono::Duration::seconds(1);
    let doomed = Running::with(&queue, 4, handler(&store, 1, &tx, hang()), lease, LIMIT);
    let id = enqueue(&store, &queue).await;
    starts(&mut rx, 1).await;
    // Dropping the worker without its shutdown path: what the database sees of a SIGKILL.
    doomed.task.abort();
    let killed_at = Instant::now();
    let survivor = Running::with(&queue, 4, handler(&store, 2, &tx, finish()), lease, LIMIT);
    let seen = starts(&mut rx, 1).await;
    survivor.shutdown().await;
    assert_eq!((seen[0].0, seen[0].1, seen[0].2), (id, 2, 2));
    println!(
        "[{}] a killed worker's job was taken over after {:?} (lease 1 s)",
        queue.backend_name(),
        killed_at.elapsed()
    );
}

async fn a_panicking_handler_fails_its_job_and_the_worker_goes_on(store: Store) {
    let queue = JobQueue::new(store.clone());
    let panic_first: Work = Arc::new(|store, job| {
        async move {
            assert!(job.attempts > 1, "the first attempt panics");
            let worker = job.worker.clone().unwrap();
            let json = serde_json::json!({});
            assert!(
                finish_job_in(store.conn(), job.id, &worker, json)
                    .await
                    .unwrap()
            );
        }
        .boxed()
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Running::start(&queue, 1, handler(&store, 0, &tx, panic_first));
    let id = enqueue(&store, &queue).await;
    starts(&mut rx, 1).await;
    let seen = starts(&mut rx, 1).await;
    worker.shutdown().await;
    assert_eq!((seen[0].0, seen[0].2), (id, 2), "retried after its backoff");
    let job = status(&store, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
}

async fn an_enqueued_job_starts_at_once_in_an_idle_worker(store: Store) {
    // A second queue on the same database stands for another process: on PostgreSQL only the
    // enqueueing transaction's NOTIFY can wake the worker; on SQLite the in-process wake-up.
    let queue = JobQueue::new(store.clone());
    let producer = if queue.backend_name() == "postgres" {
        JobQueue::new(store.clone())
    } else {
        queue.clone()
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Running::start(&queue, 4, handler(&store, 0, &tx, finish()));
    let mut samples = Vec::new();
    for n in 0..20u64 {
        let enqueued = Instant::now();
        let id = enqueue(&store, &producer).await;
        let seen = starts(&mut rx, 1).await;
        assert_eq!(seen[0].0, id);
        samples.push(seen[0].3 - enqueued);
        tokio::time::sleep(Duration::from_millis(7 * (n % 5))).await;
    }
    worker.shutdown().await;
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / 20;
    println!(
        "[{}] enqueue-to-start (poll {POLL:?}): mean {mean:?}, p95 {:?}, max {:?}",
        queue.backend_name(),
        samples[18],
        samples[19]
    );
}

/// PostgreSQL: the process ids of the connections listening for job notifications.
async fn listening_backends(store: &Store) -> HashSet<i32> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT pid FROM pg_stat_activity \
               WHERE datname = current_database() AND query LIKE 'LISTEN %deals_jobs%'";
    let rows = store
        .conn()
        .query_all_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<i32>("", "pid").unwrap())
        .collect()
}

async fn a_lost_listen_connection_is_restarted_and_wakes_the_worker_again(store: Store) {
    let queue = JobQueue::new(store.clone());
    let producer = JobQueue::new(store.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Running::start(&queue, 2, handler(&store, 0, &tx, finish()));
    // Listening: another process's enqueue starts the job (the poll is a minute away).
    let id = enqueue(&store, &producer).await;
    assert_eq!(starts(&mut rx, 1).await[0].0, id);

    // The listening connection is killed (as a database restart or a cut network would).
    let before = listening_backends(&store).await;
    assert!(!before.is_empty());
    for pid in &before {
        use sea_orm::ConnectionTrait;
        store
            .conn()
            .execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
            .await
            .unwrap();
    }
    let deadline = Instant::now() + LIMIT;
    loop {
        let state = queue.loops().get(JOB_LISTENER).unwrap();
        let relistening = !listening_backends(&store).await.is_subset(&before);
        if state.restarts >= 1 && state.up && relistening {
            assert!(state.last_error.is_some(), "the restart says why");
            break;
        }
        assert!(Instant::now() < deadline, "the listener was not restarted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Woken again by the next enqueue of another process, without waiting for the poll.
    let id = enqueue(&store, &producer).await;
    assert_eq!(starts(&mut rx, 1).await[0].0, id);
    worker.shutdown().await;
    assert!(
        !queue.loops().get(JOB_LISTENER).unwrap().up,
        "the listener stops with its worker"
    );
}

async fn draining_runs_due_jobs_and_what_they_enqueue_but_not_delayed_ones(store: Store) {
    let queue = JobQueue::new(store.clone());
    let follow_up: Work = Arc::new(|store, job| {
        async move {
            if job.payload.get("follow_up").is_some() {
                let new = Jobs::new_job(JobKind::Retention, None, None, serde_json::json!({}));
                store.enqueue_job(new).await.unwrap();
            }
            let worker = job.worker.clone().unwrap();
            let json = serde_json::json!({});
            assert!(
                finish_job_in(store.conn(), job.id, &worker, json)
                    .await
                    .unwrap()
            );
        }
        .boxed()
    });
    let mut first = Jobs::new_job(JobKind::AnalyzeDeal, None, None, serde_json::json!({}));
    first.payload = serde_json::json!({"follow_up": true});
    store.enqueue_job(first).await.unwrap();
    let later = enqueue_in(&store, &queue, Duration::from_secs(3600)).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = handler(&store, 0, &tx, follow_up);
    let ran = queue
        .drain("drain", chrono::Duration::seconds(30), 4, &run)
        .await
        .unwrap();
    assert_eq!(ran, 2, "the job and the one it enqueued");
    drop((tx, run));
    let mut kinds = Vec::new();
    while let Some((id, ..)) = rx.recv().await {
        kinds.push(status(&store, id).await.kind);
    }
    assert_eq!(kinds, [JobKind::AnalyzeDeal, JobKind::Retention]);
    assert_eq!(status(&store, later).await.status, JobStatus::Queued);
}

/// A user's new goal starts at once in a reserved slot while every other slot is held by a
/// burst (one user's jobs that do not finish); another job of the bursting user does not take
/// the reserved slot.
async fn a_lone_users_interactive_job_starts_while_a_burst_holds_every_slot(store: Store) {
    let queue = JobQueue::new(store.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let user = |email: &str| {
        let store = store.clone();
        let email = email.to_owned();
        async move {
            store
                .create_user(deals_store::repo::users::NewUser {
                    email: deals_core::Email::parse(&email).unwrap(),
                    name: None,
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
                    role: deals_core::Role::User,
                })
                .await
                .unwrap()
                .id
        }
    };
    let (bursting, other) = (
        user("burst@example.com").await,
        user("new@example.com").await,
    );
    let interactive = |owner: Uuid| {
        let mut new = Jobs::new_job(
            JobKind::SearchDeals,
            Some(owner),
            None,
            serde_json::json!({}),
        );
        new.priority = deals_store::repo::jobs::priority::INTERACTIVE;
        new
    };
    // The burst is queued before the worker starts (its first job alone would have been a
    // lone user's job at that moment).
    let mut burst = Vec::new();
    for _ in 0..4 {
        burst.push(store.enqueue_job(interactive(bursting)).await.unwrap().0.id);
    }
    let worker = Running::with_reserved(
        &queue,
        2,
        1,
        handler(&store, 0, &tx, hang()),
        chrono::Duration::seconds(30),
        Duration::from_millis(100),
    );
    // The two general slots take two of the burst's jobs and hold them.
    let held: HashSet<Uuid> = starts(&mut rx, 2).await.iter().map(|s| s.0).collect();
    assert!(held.iter().all(|id| burst.contains(id)));
    // Nothing else starts: the burst's other jobs may not take the reserved slot.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err()
    );
    let (theirs, _) = store.enqueue_job(interactive(other)).await.unwrap();
    queue.wake_for(theirs.priority);
    let started = starts(&mut rx, 1).await;
    assert_eq!(started[0].0, theirs.id);
    worker.shutdown().await;
}

macro_rules! on_backend {
    ($module:ident, $backend:expr, $($scenario:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    if let Some(db) = super::TestDb::of($backend).await {
                        super::$scenario(db.store.clone()).await;
                    }
                }
            )*
        }
    };
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        on_backend!(sqlite, super::Backend::Sqlite, $($scenario),*);
        on_backend!(postgres, super::Backend::Postgres, $($scenario),*);
    };
}

on_both_backends!(
    every_enqueued_job_runs_exactly_once,
    a_delayed_job_starts_at_its_time_not_before,
    a_failed_attempt_runs_again_after_its_backoff,
    two_workers_split_the_work_without_sharing_a_job,
    shutdown_lets_running_jobs_finish_and_claims_nothing_new,
    shutdown_cancels_jobs_still_running_after_the_grace_period,
    a_job_of_a_killed_worker_is_taken_over_when_its_lease_expires,
    a_panicking_handler_fails_its_job_and_the_worker_goes_on,
    an_enqueued_job_starts_at_once_in_an_idle_worker,
    draining_runs_due_jobs_and_what_they_enqueue_but_not_delayed_ones,
    a_lone_users_interactive_job_starts_while_a_burst_holds_every_slot,
);

// SQLite has no LISTEN connection to lose.
on_backend!(
    postgres_listener,
    super::Backend::Postgres,
    a_lost_listen_connection_is_restarted_and_wakes_the_worker_again,
);
