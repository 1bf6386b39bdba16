//! Worker processes on PostgreSQL: two `deals worker` processes and one `deals scheduler` run
//! 1 000 jobs exactly once; a worker killed with SIGKILL mid-job loses nothing and duplicates no
//! alert; a worker stopped with SIGTERM finishes its running jobs and loses nothing. Runs with
//! `DEALS_TEST_BACKEND=postgres` (CI's second pass).

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Json, State};
use axum::routing::post;
use deals_app::jobs::{JobKind, JobStatus, Jobs};
use deals_core::{Availability, Condition, Email, Role};
use deals_store::entity::{job, notification};
use deals_store::repo::background::NewNotification;
use deals_store::repo::jobs::Job;
use deals_store::repo::listings::NewListing;
use deals_store::repo::users::NewUser;
use deals_store::testing::{Backend, postgres_url};
use deals_store::{DbSettings, Store, now};
use futures_util::{StreamExt, stream};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use uuid::Uuid;

/// How long the test webhook takes to answer: long enough for a signal to land mid-delivery.
const WEBHOOK_DELAY: Duration = Duration::from_secs(2);

/// A database of its own (and so a job queue of its own) and the processes working on it.
struct Cluster {
    name: String,
    admin: DatabaseConnection,
    url: String,
    store: Store,
}

impl Cluster {
    /// A fresh, migrated database; `None` (skip) unless the backend under test is PostgreSQL.
    async fn start() -> Option<Self> {
        if Backend::from_env() != Backend::Postgres {
            eprintln!("skipped: runs with DEALS_TEST_BACKEND=postgres");
            return None;
        }
        let Some(pg) = postgres_url() else {
            panic!("DEALS_TEST_BACKEND=postgres needs DEALS_TEST_DATABASE_URL");
        };
        let name = format!("t_workers_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&pg).await.expect("PostgreSQL answers");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let url = match pg.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("DEALS_TEST_DATABASE_URL has no database name"),
        };
        let migrated = command(&url, &["migrate"]).status().await.unwrap();
        assert!(migrated.success(), "deals migrate failed");
        let mut db = DbSettings::new(url.clone());
        db.pool_size = 8;
        let store = Store::connect(&db).await.unwrap();
        Some(Self {
            name,
            admin,
            url,
            store,
        })
    }

    fn worker(&self) -> Child {
        command(&self.url, &["worker", "--concurrency", "4"])
            .spawn()
            .expect("deals worker starts")
    }

    fn scheduler(&self) -> Child {
        command(&self.url, &["scheduler"])
            .spawn()
            .expect("deals scheduler starts")
    }

    /// A user whose webhook is `hook`.
    async fn user_with_webhook(&self, hook: &str) -> Uuid {
        let user = self
            .store
            .create_user(NewUser {
                email: Email::parse("hooked@example.com").unwrap(),
                name: None,
                password_hash: "not-a-hash".into(),
                role: Role::User,
            })
            .await
            .unwrap();
        self.store
            .put_preferences(
                user.id,
                &serde_json::from_value(json!({"channels": {"webhook_url": hook}})).unwrap(),
            )
            .await
            .unwrap();
        user.id
    }

    /// `n` notifications for `user`, each with its own dedup key.
    async fn notifications(&self, user: Uuid, n: usize) -> Vec<Uuid> {
        let mut ids = Vec::new();
        for i in 0..n {
            let note = self
                .store
                .insert_notification(NewNotification {
                    user_id: user,
                    kind: deals_core::NotificationKind::NewMatch,
                    priority: deals_core::Priority::High,
                    title: format!("Deal {i}"),
                    body: "A deal worth a look".into(),
                    data: json!({"n": i}),
                    dedup_key: Some(format!("deal_match:{i}")),
                })
                .await
                .unwrap()
                .expect("a new dedup key stores a notification");
            ids.push(note.id);
        }
        ids
    }

    /// `n` listings to analyse.
    async fn listings(&self, n: usize) -> Vec<Uuid> {
        stream::iter(0..n)
            .map(|i| async move {
                let upserted = self.store.upsert_listing(listing(i)).await.unwrap();
                upserted.listing.id
            })
            .buffered(16)
            .collect()
            .await
    }

    /// Stores one job per `(kind, subject)`, in order; each commit notifies the workers.
    async fn enqueue(&self, jobs: &[(JobKind, Uuid)], owner: Uuid) -> Vec<Uuid> {
        stream::iter(jobs.iter().copied())
            .map(|(kind, subject)| async move {
                let payload = match kind {
                    JobKind::DeliverNotification => json!({"channel": "webhook"}),
                    _ => json!({}),
                };
                let new = Jobs::new_job(kind, Some(owner), Some(subject), payload);
                let (row, created) = self.store.enqueue_job(new).await.unwrap();
                assert!(created);
                row.id
            })
            .buffered(8)
            .collect()
            .await
    }

    /// The rows of the jobs this test enqueued (the scheduler adds periodic ones of its own).
    async fn jobs(&self, ids: &HashSet<Uuid>) -> Vec<Job> {
        job::Entity::find()
            .filter(job::Column::Kind.is_in([
                JobKind::AnalyzeDeal.as_str(),
                JobKind::DeliverNotification.as_str(),
            ]))
            .all(self.store.conn())
            .await
            .unwrap()
            .into_iter()
            .filter(|j| ids.contains(&j.id))
            .map(|j| Job::try_from(j).unwrap())
            .collect()
    }

    /// Polls until every job in `ids` succeeded; panics with the stragglers after `limit`.
    async fn wait_all_succeeded(&self, ids: &HashSet<Uuid>, limit: Duration) -> Vec<Job> {
        let deadline = Instant::now() + limit;
        loop {
            let rows = self.jobs(ids).await;
            if rows.len() == ids.len() && rows.iter().all(|j| j.status == JobStatus::Succeeded) {
                return rows;
            }
            if Instant::now() > deadline {
                let mut by_status: HashMap<JobStatus, usize> = HashMap::new();
                for j in &rows {
                    *by_status.entry(j.status).or_default() += 1;
                }
                panic!(
                    "after {limit:?}: {} of {} jobs stored, by status {by_status:?}",
                    rows.len(),
                    ids.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Running jobs leased to the worker process `pid`.
    async fn running_on(&self, pid: u32) -> Vec<Job> {
        job::Entity::find()
            .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
            .filter(job::Column::Worker.starts_with(worker_prefix(pid)))
            .all(self.store.conn())
            .await
            .unwrap()
            .into_iter()
            .map(|j| Job::try_from(j).unwrap())
            .collect()
    }

    /// Polls until the worker `pid` is running at least one delivery, after `min_done` of this
    /// test's jobs have succeeded.
    async fn wait_mid_delivery(&self, pid: u32, ids: &HashSet<Uuid>, min_done: usize) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let delivering = self
                .running_on(pid)
                .await
                .iter()
                .any(|j| j.kind == JobKind::DeliverNotification);
            if delivering {
                let done = self
                    .jobs(ids)
                    .await
                    .iter()
                    .filter(|j| j.status == JobStatus::Succeeded)
                    .count();
                if done >= min_done {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "worker {pid} never ran a delivery"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stored_notifications(&self, user: Uuid) -> Vec<notification::Model> {
        notification::Entity::find()
            .filter(notification::Column::UserId.eq(user))
            .all(self.store.conn())
            .await
            .unwrap()
    }

    async fn drop_database(self) {
        self.store.conn().clone().close().await.unwrap();
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

/// The `deals` binary on database `url`: 3 s leases, a scheduler round every second, no
/// simulated markets (these jobs do not search).
fn command(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deals"));
    cmd.args(args)
        .env("DEALS_DATABASE__URL", url)
        .env("DEALS_DATABASE__POOL_SIZE", "8")
        .env("DEALS_JOBS__LEASE_SECS", "3")
        .env("DEALS_JOBS__SWEEP_INTERVAL_SECS", "1")
        .env("DEALS_JOBS__SHUTDOWN_GRACE_SECS", "10")
        .env("DEALS_SIM__ENABLED", "false")
        .env("DEALS_SIM__CHAOS", "false")
        .env("DEALS_SEED__DEMO_ON_EMPTY", "false")
        // The tests' webhook endpoints listen on loopback.
        .env("DEALS_ALERTS__ALLOW_PRIVATE_HOSTS", "[\"127.0.0.1\"]")
        .env("DEALS_LOG__LEVEL", "warn")
        .env_remove("DEALS_REDIS__URL")
        .env_remove("DEALS_TEST_BACKEND")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Worker names are `worker-<pid>-<random>`.
fn worker_prefix(pid: u32) -> String {
    format!("worker-{pid}-")
}

fn ran_on(j: &Job, pid: u32) -> bool {
    j.worker
        .as_deref()
        .is_some_and(|w| w.starts_with(&worker_prefix(pid)))
}

fn listing(i: usize) -> NewListing {
    let price = 10_000 + (i as i64 % 97) * 250;
    NewListing {
        product_id: None,
        owner_id: None,
        market: ["amazon", "walmart", "bestbuy", "target", "ebay"][i % 5].into(),
        external_id: format!("ext-{i}"),
        url: format!("https://shop.example/{i}"),
        title: format!("Headphones model {i}"),
        brand: Some("sony".into()),
        category: Some("headphones".into()),
        price_minor: price,
        original_price_minor: Some(price + 5_000),
        currency: deals_core::Currency::USD,
        condition: Condition::New,
        seller_name: Some("Store".into()),
        seller_rating: Some(4.5),
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        seen_at: now(),
        flags: vec![],
    }
}

/// A webhook receiver that records the notification id of every POST and answers after
/// [`WEBHOOK_DELAY`].
#[derive(Clone, Default)]
struct Webhook {
    received: Arc<Mutex<Vec<Uuid>>>,
}

impl Webhook {
    async fn serve() -> (Self, String) {
        let hook = Self::default();
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(hook.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hook, url)
    }

    /// Deliveries per notification id.
    fn counts(&self) -> HashMap<Uuid, usize> {
        let mut counts = HashMap::new();
        for id in self.received.lock().unwrap().iter() {
            *counts.entry(*id).or_default() += 1;
        }
        counts
    }
}

async fn receive(State(hook): State<Webhook>, Json(body): Json<Value>) -> &'static str {
    // Standard Webhooks payload: the notification is under `data`.
    let id = body["data"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap();
    hook.received.lock().unwrap().push(id);
    tokio::time::sleep(WEBHOOK_DELAY).await;
    "ok"
}

/// Sends `signal` (e.g. `-KILL`, `-TERM`) to a child process.
async fn signal(child: &Child, signal: &str) {
    let pid = child.id().expect("the child is running").to_string();
    let sent = Command::new("kill")
        .args([signal, &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success(), "kill {signal} {pid} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_run_a_thousand_jobs_exactly_once_and_survive_a_sigkill() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (hook, hook_url) = Webhook::serve().await;
    let user = cluster.user_with_webhook(&hook_url).await;
    const DELIVERIES: usize = 20;
    const TOTAL: usize = 1_000;
    let notes = cluster.notifications(user, DELIVERIES).await;
    let listings = cluster.listings(TOTAL - DELIVERIES).await;
    // One slow delivery among every 50 jobs, so a kill at any moment likely lands mid-delivery.
    let mut plan = Vec::with_capacity(TOTAL);
    let mut notes_left = notes.iter();
    for (i, listing) in listings.iter().enumerate() {
        if i % 49 == 0
            && let Some(note) = notes_left.next()
        {
            plan.push((JobKind::DeliverNotification, *note));
        }
        plan.push((JobKind::AnalyzeDeal, *listing));
    }
    plan.extend(notes_left.map(|n| (JobKind::DeliverNotification, *n)));
    assert_eq!(plan.len(), TOTAL);

    let mut doomed = cluster.worker();
    let survivor = cluster.worker();
    let _scheduler = cluster.scheduler();
    let (doomed_pid, survivor_pid) = (doomed.id().unwrap(), survivor.id().unwrap());
    let started = Instant::now();
    let ids: HashSet<Uuid> = cluster.enqueue(&plan, user).await.into_iter().collect();
    assert_eq!(ids.len(), TOTAL);

    cluster.wait_mid_delivery(doomed_pid, &ids, 100).await;
    doomed.kill().await.unwrap();
    // Dead now: whatever it still holds is exactly what it was running when it died.
    let killed: HashMap<Uuid, JobKind> = cluster
        .running_on(doomed_pid)
        .await
        .into_iter()
        .map(|j| (j.id, j.kind))
        .collect();
    let killed_deliveries = killed
        .values()
        .filter(|k| **k == JobKind::DeliverNotification)
        .count();
    assert!(killed_deliveries >= 1);

    let rows = cluster
        .wait_all_succeeded(&ids, Duration::from_secs(60))
        .await;
    eprintln!(
        "{TOTAL} jobs in {:.1} s; SIGKILL interrupted {} jobs ({killed_deliveries} deliveries)",
        started.elapsed().as_secs_f64(),
        killed.len()
    );
    assert_eq!(rows.len(), TOTAL, "no job is lost");
    for j in &rows {
        if killed.contains_key(&j.id) {
            assert_eq!(j.attempts, 2, "{} was taken over once: {j:?}", j.kind);
            assert!(ran_on(j, survivor_pid), "taken over by the survivor: {j:?}");
        } else {
            assert_eq!(j.attempts, 1, "{} ran exactly once: {j:?}", j.kind);
        }
    }
    assert!(rows.iter().any(|j| ran_on(j, doomed_pid)));
    assert!(rows.iter().any(|j| ran_on(j, survivor_pid)));
    assert!(
        rows.iter()
            .all(|j| ran_on(j, doomed_pid) || ran_on(j, survivor_pid))
    );

    // No duplicate alert: one stored notification per dedup key, each sent to the webhook; a
    // POST in flight at the kill may have been sent again, nothing else.
    let stored = cluster.stored_notifications(user).await;
    let keys: HashSet<_> = stored.iter().map(|n| n.dedup_key.clone()).collect();
    assert_eq!((stored.len(), keys.len()), (DELIVERIES, DELIVERIES));
    let counts = hook.counts();
    let repeats: usize = counts.values().map(|n| n - 1).sum();
    eprintln!(
        "webhook: {} notifications, {repeats} repeated",
        counts.len()
    );
    assert_eq!(counts.len(), DELIVERIES);
    assert!(counts.keys().all(|id| notes.contains(id)));
    assert!(
        repeats <= killed_deliveries,
        "{repeats} repeats > {killed_deliveries}"
    );

    drop((survivor, _scheduler));
    cluster.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_stopped_with_sigterm_finishes_its_running_jobs() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (hook, hook_url) = Webhook::serve().await;
    let user = cluster.user_with_webhook(&hook_url).await;
    const DELIVERIES: usize = 12;
    let notes = cluster.notifications(user, DELIVERIES).await;
    let plan: Vec<_> = notes
        .iter()
        .map(|n| (JobKind::DeliverNotification, *n))
        .collect();

    let mut stopping = cluster.worker();
    let _scheduler = cluster.scheduler();
    let pid = stopping.id().unwrap();
    let ids: HashSet<Uuid> = cluster.enqueue(&plan, user).await.into_iter().collect();
    cluster.wait_mid_delivery(pid, &ids, 0).await;
    let running: HashSet<Uuid> = cluster.running_on(pid).await.iter().map(|j| j.id).collect();
    signal(&stopping, "-TERM").await;
    let exit = tokio::time::timeout(Duration::from_secs(20), stopping.wait())
        .await
        .expect("the worker stops within its grace period")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    for j in cluster.jobs(&running).await {
        assert_eq!(
            (j.status, j.attempts),
            (JobStatus::Succeeded, 1),
            "a job running at SIGTERM finished: {j:?}"
        );
    }

    let _next = cluster.worker();
    let rows = cluster
        .wait_all_succeeded(&ids, Duration::from_secs(45))
        .await;
    assert!(rows.iter().all(|j| j.attempts == 1), "{rows:?}");
    let counts = hook.counts();
    assert_eq!(counts.len(), DELIVERIES);
    assert!(
        counts.values().all(|n| *n == 1),
        "a graceful stop repeats no delivery: {counts:?}"
    );

    drop((_next, _scheduler));
    cluster.drop_database().await;
}
