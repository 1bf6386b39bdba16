//! The job-queue transport behaves the same on SQLite, PostgreSQL and Redis.
//!
//! SQLite always runs (a temporary file). PostgreSQL and Redis run when
//! `DEALS_TEST_DATABASE_URL` / `DEALS_TEST_REDIS_URL` are set; with `CI=true` a missing or
//! unreachable one fails the test. Every test uses its own queue name and removes its rows/keys.
//! Timings (throughput, enqueue-to-start latency) are printed, not asserted: `--nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use deals_app::jobs::queue::{
    HandlerError, JobHandler, JobQueue, QueueBackend, QueueConsumer, QueueError, QueueSettings,
    connect,
};
use futures_util::FutureExt;
use tokio::{sync::oneshot, task::JoinHandle};
use uuid::Uuid;

#[derive(Clone, Copy, Debug)]
enum Target {
    Sqlite,
    Postgres,
    Redis,
}

/// A fresh queue on one backend.
struct TestQueue {
    target: Target,
    settings: QueueSettings,
    _dir: Option<tempfile::TempDir>,
}

fn env_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("{var} must be set when CI=true")
        }
        _ => {
            eprintln!("{var} is not set: skipping this backend");
            None
        }
    }
}

impl TestQueue {
    fn new(target: Target) -> Option<Self> {
        let queue_name = format!("test-{}", Uuid::new_v4().simple());
        let mut dir = None;
        let backend = match target {
            Target::Sqlite => {
                let tmp = tempfile::tempdir().unwrap();
                let path = tmp.path().join("data").join("jobs.db");
                dir = Some(tmp);
                QueueBackend::Sqlite { path }
            }
            Target::Postgres => QueueBackend::Postgres {
                url: env_url("DEALS_TEST_DATABASE_URL")?,
            },
            Target::Redis => QueueBackend::Redis {
                url: env_url("DEALS_TEST_REDIS_URL")?,
            },
        };
        let mut settings = QueueSettings::new(backend, queue_name);
        settings.poll_interval = Duration::from_millis(200);
        settings.heartbeat_interval = Duration::from_secs(1);
        settings.missed_heartbeats = 2;
        Some(Self {
            target,
            settings,
            _dir: dir,
        })
    }

    async fn connect(&self) -> (Arc<dyn JobQueue>, QueueConsumer) {
        connect(&self.settings)
            .await
            .unwrap_or_else(|e| panic!("{:?} queue unreachable: {e:?}", self.target))
    }

    /// Removes this queue's rows or keys (the SQLite file goes with its temporary directory).
    async fn cleanup(&self) {
        let queue = &self.settings.queue_name;
        match &self.settings.backend {
            QueueBackend::Sqlite { .. } => {}
            QueueBackend::Postgres { url } => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::query("DELETE FROM apalis.jobs WHERE job_type = $1")
                    .bind(queue)
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::query("DELETE FROM apalis.workers WHERE worker_type = $1")
                    .bind(queue)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            QueueBackend::Redis { url } => {
                let client = ::redis::Client::open(url.as_str()).unwrap();
                let mut conn = client.get_multiplexed_async_connection().await.unwrap();
                let keys: Vec<String> = ::redis::cmd("KEYS")
                    .arg(format!("{queue}:*"))
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                if !keys.is_empty() {
                    let _: () = ::redis::cmd("DEL")
                        .arg(&keys)
                        .query_async(&mut conn)
                        .await
                        .unwrap();
                }
                let _: () = ::redis::cmd("ZREM")
                    .arg("core:apalis:queues:list")
                    .arg(format!("{queue}:workers"))
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
}

/// Every delivery a handler saw: (id, consumer number, when).
#[derive(Clone, Default)]
struct Deliveries(Arc<Mutex<Vec<(Uuid, usize, Instant)>>>);

impl Deliveries {
    fn record(&self, id: Uuid, consumer: usize) {
        self.0.lock().unwrap().push((id, consumer, Instant::now()));
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn all(&self) -> Vec<(Uuid, usize, Instant)> {
        self.0.lock().unwrap().clone()
    }
    fn count(&self, id: Uuid) -> usize {
        self.0.lock().unwrap().iter().filter(|d| d.0 == id).count()
    }
    fn first(&self, id: Uuid) -> Option<Instant> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|d| d.0 == id)
            .map(|d| d.2)
    }
}

/// A handler that records the delivery, then waits `work`.
fn recording(deliveries: &Deliveries, consumer: usize, work: Duration) -> JobHandler {
    let deliveries = deliveries.clone();
    Arc::new(move |id| {
        deliveries.record(id, consumer);
        async move {
            if !work.is_zero() {
                tokio::time::sleep(work).await;
            }
            Ok(())
        }
        .boxed()
    })
}

struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), QueueError>>,
}

impl Running {
    fn start(consumer: QueueConsumer, concurrency: usize, handler: JobHandler) -> Self {
        Self::start_with_grace(consumer, concurrency, handler, Duration::from_secs(10))
    }

    fn start_with_grace(
        consumer: QueueConsumer,
        concurrency: usize,
        handler: JobHandler,
        grace: Duration,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(async move {
            consumer
                .run("test-worker", concurrency, handler, shutdown, grace)
                .await
        });
        Self {
            stop: Some(stop),
            task,
        }
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("consumer stops within its grace period")
            .unwrap()
            .unwrap();
    }
}

/// Waits (polling, no fixed sleep) until `done` holds, or panics after `limit`.
async fn wait_until(limit: Duration, what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn push_all(queue: &Arc<dyn JobQueue>, ids: &[Uuid]) {
    for id in ids {
        queue.push(*id, None).await.unwrap();
    }
}

fn ids(n: usize) -> Vec<Uuid> {
    (0..n).map(|_| Uuid::new_v4()).collect()
}

async fn each_pushed_id_is_handled_exactly_once(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let ids = ids(200);
    let pushed = Instant::now();
    push_all(&queue, &ids).await;
    let push_time = pushed.elapsed();
    assert_eq!(queue.depth().await.unwrap(), 200);
    queue.ping().await.unwrap();

    let seen = Deliveries::default();
    let started = Instant::now();
    let running = Running::start(consumer, 4, recording(&seen, 0, Duration::ZERO));
    wait_until(Duration::from_secs(60), "200 deliveries", || {
        seen.len() >= 200
    })
    .await;
    let elapsed = started.elapsed();
    // Late duplicates would show up within a few polls.
    tokio::time::sleep(Duration::from_millis(800)).await;
    running.shutdown().await;

    let all = seen.all();
    let unique: HashSet<Uuid> = all.iter().map(|d| d.0).collect();
    assert_eq!(all.len(), 200, "no id delivered twice");
    assert_eq!(unique, ids.iter().copied().collect(), "every id delivered");
    assert_eq!(queue.depth().await.unwrap(), 0);
    println!(
        "[{:?}] push 200: {:.0} ids/s; one consumer (concurrency 4): {:.0} ids/s",
        q.target,
        200.0 / push_time.as_secs_f64(),
        200.0 / elapsed.as_secs_f64()
    );
    q.cleanup().await;
}

async fn delayed_id_is_not_handled_before_its_delay(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let seen = Deliveries::default();
    let running = Running::start(consumer, 4, recording(&seen, 0, Duration::ZERO));
    let (late, now) = (Uuid::new_v4(), Uuid::new_v4());
    let pushed = Instant::now();
    queue
        .push(late, Some(Duration::from_secs(2)))
        .await
        .unwrap();
    queue.push(now, None).await.unwrap();
    wait_until(Duration::from_secs(10), "both ids", || seen.len() >= 2).await;
    running.shutdown().await;

    let late_after = seen.first(late).unwrap() - pushed;
    assert!(seen.first(now).unwrap() < seen.first(late).unwrap());
    assert!(
        late_after >= Duration::from_secs(2),
        "ran after {late_after:?}"
    );
    assert!(
        late_after < Duration::from_secs(6),
        "ran after {late_after:?}"
    );
    q.cleanup().await;
}

async fn retry_delivers_the_id_again_after_its_delay(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let seen = Deliveries::default();
    let handler: JobHandler = {
        let seen = seen.clone();
        Arc::new(move |id| {
            seen.record(id, 0);
            let first = seen.count(id) == 1;
            async move {
                if first {
                    Err(HandlerError::Retry(Duration::from_secs(1)))
                } else {
                    Ok(())
                }
            }
            .boxed()
        })
    };
    let running = Running::start(consumer, 4, handler);
    let ids = ids(3);
    push_all(&queue, &ids).await;
    wait_until(Duration::from_secs(15), "6 deliveries", || seen.len() >= 6).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    running.shutdown().await;

    let all = seen.all();
    for id in &ids {
        let times: Vec<Instant> = all.iter().filter(|d| d.0 == *id).map(|d| d.2).collect();
        assert_eq!(times.len(), 2, "delivered once, retried once");
        assert!(times[1] - times[0] >= Duration::from_secs(1));
    }
    q.cleanup().await;
}

async fn two_consumers_split_the_work_without_sharing_an_id(q: TestQueue) {
    let (queue, first) = q.connect().await;
    let (_, second) = q.connect().await;
    let seen = Deliveries::default();
    let work = Duration::from_millis(20);
    let a = Running::start(first, 4, recording(&seen, 1, work));
    let b = Running::start(second, 4, recording(&seen, 2, work));
    let ids = ids(200);
    push_all(&queue, &ids).await;
    wait_until(Duration::from_secs(60), "200 deliveries", || {
        seen.len() >= 200
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    a.shutdown().await;
    b.shutdown().await;

    let all = seen.all();
    let unique: HashSet<Uuid> = all.iter().map(|d| d.0).collect();
    assert_eq!(all.len(), 200, "no id delivered twice");
    assert_eq!(unique.len(), 200);
    let mut per_consumer: HashMap<usize, usize> = HashMap::new();
    for d in &all {
        *per_consumer.entry(d.1).or_default() += 1;
    }
    assert!(
        per_consumer.len() == 2,
        "both consumers worked: {per_consumer:?}"
    );
    println!(
        "[{:?}] two consumers split 200 ids: {per_consumer:?}",
        q.target
    );
    q.cleanup().await;
}

async fn shutdown_lets_running_handlers_finish_and_takes_no_new_ids(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let seen = Deliveries::default();
    let finished = Deliveries::default();
    let handler: JobHandler = {
        let (seen, finished) = (seen.clone(), finished.clone());
        Arc::new(move |id| {
            seen.record(id, 0);
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                finished.record(id, 0);
                Ok(())
            }
            .boxed()
        })
    };
    let running = Running::start(consumer, 4, handler);
    let slow = Uuid::new_v4();
    queue.push(slow, None).await.unwrap();
    wait_until(Duration::from_secs(10), "the slow id to start", || {
        seen.len() == 1
    })
    .await;

    let stopping = Instant::now();
    let stop = tokio::spawn(running.shutdown());
    let after = Uuid::new_v4();
    queue.push(after, None).await.unwrap();
    stop.await.unwrap();
    assert_eq!(finished.count(slow), 1, "the running handler finished");
    assert!(stopping.elapsed() >= Duration::from_millis(1000));
    assert_eq!(seen.count(after), 0, "no new id taken after shutdown");

    // The id pushed during shutdown is still on the queue for the next consumer.
    let (_, next) = q.connect().await;
    let next_seen = Deliveries::default();
    let next_run = Running::start(next, 4, recording(&next_seen, 1, Duration::ZERO));
    wait_until(Duration::from_secs(15), "the next consumer", || {
        next_seen.count(after) == 1
    })
    .await;
    next_run.shutdown().await;
    q.cleanup().await;
}

async fn shutdown_cancels_handlers_still_running_after_the_grace_period(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let seen = Deliveries::default();
    let running = Running::start_with_grace(
        consumer,
        2,
        recording(&seen, 0, Duration::from_secs(3600)),
        Duration::from_millis(300),
    );
    queue.push(Uuid::new_v4(), None).await.unwrap();
    wait_until(Duration::from_secs(10), "the handler to start", || {
        seen.len() == 1
    })
    .await;
    let stopping = Instant::now();
    running.shutdown().await;
    assert!(stopping.elapsed() < Duration::from_secs(3));
    q.cleanup().await;
}

async fn ids_held_by_a_killed_consumer_are_delivered_again(q: TestQueue) {
    let (queue, doomed) = q.connect().await;
    let seen = Deliveries::default();
    let killed = Running::start(doomed, 4, recording(&seen, 1, Duration::from_secs(3600)));
    let ids = ids(3);
    push_all(&queue, &ids).await;
    wait_until(Duration::from_secs(10), "3 deliveries", || seen.len() == 3).await;
    // Dropping the worker future without its shutdown path: no ack, no release, no more
    // heartbeats — what the backend sees of a SIGKILLed process.
    killed.task.abort();
    let killed_at = Instant::now();

    let (_, survivor) = q.connect().await;
    let survivor = Running::start(survivor, 4, recording(&seen, 2, Duration::ZERO));
    wait_until(Duration::from_secs(30), "re-delivery", || {
        ids.iter().all(|id| seen.count(*id) == 2)
    })
    .await;
    println!(
        "[{:?}] ids of a killed consumer re-delivered after {:?} (heartbeat {:?} × {})",
        q.target,
        killed_at.elapsed(),
        q.settings.heartbeat_interval,
        q.settings.missed_heartbeats
    );
    survivor.shutdown().await;
    q.cleanup().await;
}

async fn enqueue_to_start_latency(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let seen = Deliveries::default();
    let running = Running::start(consumer, 4, recording(&seen, 0, Duration::ZERO));
    let mut samples = Vec::new();
    for n in 1..=20 {
        let id = Uuid::new_v4();
        let pushed = Instant::now();
        queue.push(id, None).await.unwrap();
        wait_until(Duration::from_secs(10), "the id", || seen.len() == n).await;
        samples.push(seen.first(id).unwrap() - pushed);
        // Push at varying points of the poll cycle.
        tokio::time::sleep(Duration::from_millis(37 * (n as u64 % 7))).await;
    }
    running.shutdown().await;
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / 20;
    println!(
        "[{:?}] enqueue-to-start latency (poll {:?}): mean {mean:?}, p95 {:?}, max {:?}",
        q.target, q.settings.poll_interval, samples[18], samples[19]
    );
    q.cleanup().await;
}

async fn delivered_ids_are_purged_from_the_transport(q: TestQueue) {
    let (queue, consumer) = q.connect().await;
    let ids = ids(20);
    push_all(&queue, &ids).await;
    let seen = Deliveries::default();
    let running = Running::start(consumer, 4, recording(&seen, 0, Duration::ZERO));
    wait_until(Duration::from_secs(30), "20 deliveries", || {
        seen.len() >= 20
    })
    .await;
    running.shutdown().await;
    // Nothing is old enough yet; a second later everything delivered is.
    assert_eq!(
        queue.purge_done(Duration::from_secs(3600)).await.unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let purged = queue.purge_done(Duration::ZERO).await.unwrap();
    assert!(purged >= 20, "{:?}: purged {purged}", q.target);
    assert_eq!(queue.purge_done(Duration::ZERO).await.unwrap(), 0);
    q.cleanup().await;
}

macro_rules! on_backend {
    ($module:ident, $target:expr, $($scenario:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    if let Some(q) = super::TestQueue::new($target) {
                        super::$scenario(q).await;
                    }
                }
            )*
        }
    };
}

macro_rules! on_all_backends {
    ($($scenario:ident),* $(,)?) => {
        on_backend!(sqlite, super::Target::Sqlite, $($scenario),*);
        on_backend!(postgres, super::Target::Postgres, $($scenario),*);
        on_backend!(redis, super::Target::Redis, $($scenario),*);
    };
}

on_all_backends!(
    each_pushed_id_is_handled_exactly_once,
    delayed_id_is_not_handled_before_its_delay,
    retry_delivers_the_id_again_after_its_delay,
    two_consumers_split_the_work_without_sharing_an_id,
    shutdown_lets_running_handlers_finish_and_takes_no_new_ids,
    shutdown_cancels_handlers_still_running_after_the_grace_period,
    ids_held_by_a_killed_consumer_are_delivered_again,
    enqueue_to_start_latency,
    delivered_ids_are_purged_from_the_transport,
);
