//! The jobs table as a queue, the same on both backends: dedup keys, claims that count attempts
//! and hand each due row to one worker only, lease takeover, retries, dead jobs, the monitor.

use std::collections::HashSet;

use chrono::Duration;
use deals_core::{GoalCriteria, Pagination, Priority};
use deals_store::entity::job;
use deals_store::repo::goals::{NewGoal, insert_goal_in};
use deals_store::repo::jobs::{
    JobKind, JobStatus, Lane, NewJob, finish_job_in, insert_job_in, priority,
};
use deals_store::testing::{Backend, TestDb};
use deals_store::{Scope, Store, StoreError, now};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::user;

fn new_job(kind: JobKind, dedup: Option<&str>, max_attempts: i32) -> NewJob {
    NewJob {
        kind,
        owner_id: None,
        subject_id: None,
        payload: serde_json::json!({"n": 1}),
        max_attempts,
        run_at: now(),
        priority: 0,
        dedup_key: dedup.map(str::to_owned),
    }
}

async fn claim(store: &Store, worker: &str, lease: Duration, limit: u64) -> Vec<Uuid> {
    let jobs = store.claim_due_jobs(worker, lease, limit).await.unwrap();
    for j in &jobs {
        assert_eq!(j.status, JobStatus::Running);
        assert_eq!(j.worker.as_deref(), Some(worker));
    }
    jobs.into_iter().map(|j| j.id).collect()
}

async fn jobs_story(store: &Store) {
    // A goal and its job commit together, or neither does.
    let owner = user(store, "jobs@example.com").await;
    let txn = store.begin_write().await.unwrap();
    let goal = insert_goal_in(
        &txn,
        NewGoal {
            user_id: owner,
            title: "t".into(),
            query: None,
            criteria: GoalCriteria::default(),
            priority: Priority::Medium,
            deadline: None,
            max_matches: 10,
            notify_threshold: 0.7,
            target_price_minor: None,
        },
    )
    .await
    .unwrap();
    let (job, created) = insert_job_in(
        &txn,
        NewJob {
            owner_id: Some(owner),
            subject_id: Some(goal.id),
            ..new_job(JobKind::AnalyzeGoal, None, 3)
        },
    )
    .await
    .unwrap();
    assert!(created);
    txn.rollback().await.unwrap();
    assert!(matches!(
        store.get_goal(Scope::All, goal.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_job(Scope::All, job.id).await,
        Err(StoreError::NotFound)
    ));

    // A dedup key stores one job only.
    let (a, created_a) = store
        .enqueue_job(new_job(JobKind::SearchDeals, Some("k:1"), 3))
        .await
        .unwrap();
    let (b, created_b) = store
        .enqueue_job(new_job(JobKind::SearchDeals, Some("k:1"), 3))
        .await
        .unwrap();
    assert!(created_a && !created_b);
    assert_eq!(a.id, b.id);
    assert_eq!(store.waiting_jobs().await.unwrap(), 1);

    // One worker claims it, counting an attempt; nobody else sees it as due.
    let lease = Duration::seconds(30);
    let run = store.claim_due_jobs("w1", lease, 10).await.unwrap();
    assert_eq!(run.len(), 1);
    assert_eq!((run[0].id, run[0].attempts), (a.id, 1));
    assert!(claim(store, "w2", lease, 10).await.is_empty());
    // Only the lease holder finishes it, once.
    assert!(
        !finish_job_in(store.conn(), a.id, "w2", serde_json::json!({}))
            .await
            .unwrap()
    );
    assert!(
        finish_job_in(store.conn(), a.id, "w1", serde_json::json!({"found": 3}))
            .await
            .unwrap()
    );
    assert!(
        !finish_job_in(store.conn(), a.id, "w1", serde_json::json!({}))
            .await
            .unwrap()
    );
    assert!(claim(store, "w2", lease, 10).await.is_empty());
    let done = store.get_job(Scope::All, a.id).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(serde_json::json!({"found": 3})));

    // A dead worker's lease expires and another worker takes the job over; when the taker
    // dies during the last attempt, the job is dead.
    let (c, _) = store
        .enqueue_job(new_job(JobKind::CheckPrices, None, 2))
        .await
        .unwrap();
    let expired = Duration::milliseconds(-1);
    assert_eq!(claim(store, "w1", expired, 10).await, [c.id]);
    let again = store.claim_due_jobs("w2", lease, 10).await.unwrap();
    assert_eq!(
        (again[0].id, again[0].attempts, again[0].worker.as_deref()),
        (c.id, 2, Some("w2"))
    );
    // The old worker can no longer settle or renew it.
    assert!(
        store
            .fail_job(c.id, "w1", "late", None, false)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.renew_lease(c.id, "w1", lease).await.unwrap());
    assert!(store.renew_lease(c.id, "w2", expired).await.unwrap());
    assert!(
        claim(store, "w3", lease, 10).await.is_empty(),
        "no attempt left"
    );
    assert_eq!(store.bury_abandoned_jobs().await.unwrap(), 1);
    let buried = store.get_job(Scope::All, c.id).await.unwrap();
    assert_eq!(buried.status, JobStatus::Dead);
    assert!(buried.error.unwrap().contains("last attempt"));

    // Failing retries until the attempts are used up; then the job is dead, and an admin
    // can retry it. A retry is not due before its time, which is the next due time.
    let (d, _) = store
        .enqueue_job(new_job(JobKind::AnalyzeDeal, None, 2))
        .await
        .unwrap();
    assert_eq!(claim(store, "w1", lease, 10).await, [d.id]);
    let later = now() + Duration::seconds(60);
    let retrying = store
        .fail_job(d.id, "w1", "boom 1", Some(later), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retrying.status, JobStatus::Retrying);
    assert!(claim(store, "w1", lease, 10).await.is_empty());
    assert_eq!(store.next_job_due_at().await.unwrap(), Some(later));
    let (e, _) = store
        .enqueue_job(new_job(JobKind::AnalyzeDeal, None, 1))
        .await
        .unwrap();
    assert_eq!(claim(store, "w1", lease, 10).await, [e.id]);
    let dead = store
        .fail_job(e.id, "w1", "boom", None, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (dead.status, dead.error.as_deref()),
        (JobStatus::Dead, Some("boom"))
    );
    assert!(matches!(
        store.retry_job(a.id).await,
        Err(StoreError::Conflict(_))
    ));
    let requeued = store.retry_job(e.id).await.unwrap();
    assert_eq!((requeued.status, requeued.attempts), (JobStatus::Queued, 0));
    assert_eq!(claim(store, "w1", lease, 10).await, [e.id]);

    // Oldest due first, at most `limit` at a time.
    let mut old = Vec::new();
    for minutes in [3, 2, 1] {
        let (o, _) = store
            .enqueue_job(NewJob {
                run_at: now() - Duration::minutes(minutes),
                ..new_job(JobKind::ExpireGoals, None, 3)
            })
            .await
            .unwrap();
        old.push(o.id);
    }
    let first: HashSet<Uuid> = claim(store, "w3", lease, 2).await.into_iter().collect();
    assert_eq!(first, HashSet::from([old[0], old[1]]));
    assert_eq!(claim(store, "w3", lease, 2).await, [old[2]]);

    // Higher priority first; one user's waiting jobs lower that user's next one, so another
    // user's first job overtakes a burst.
    let (upkeep, _) = store
        .enqueue_job(NewJob {
            run_at: now() - Duration::minutes(5),
            ..new_job(JobKind::CheckPrices, None, 3)
        })
        .await
        .unwrap();
    let bursting = user(store, "burst@example.com").await;
    let other = user(store, "other@example.com").await;
    let interactive = |owner: Uuid| NewJob {
        owner_id: Some(owner),
        priority: priority::INTERACTIVE,
        ..new_job(JobKind::AnalyzeGoal, None, 3)
    };
    let mut burst = Vec::new();
    for _ in 0..3 {
        let (j, _) = store.enqueue_job(interactive(bursting)).await.unwrap();
        burst.push(j);
    }
    let (theirs, _) = store.enqueue_job(interactive(other)).await.unwrap();
    let stored: Vec<i32> = burst.iter().map(|j| j.priority).collect();
    assert_eq!(stored, [100, 99, 98]);
    assert_eq!(theirs.priority, 100);
    assert_eq!(upkeep.priority, 0);
    let mut order = Vec::new();
    for _ in 0..5 {
        order.extend(claim(store, "w3", lease, 1).await);
    }
    assert_eq!(
        order,
        [burst[0].id, theirs.id, burst[1].id, burst[2].id, upkeep.id]
    );
    for id in order {
        let finished = finish_job_in(store.conn(), id, "w3", serde_json::json!({})).await;
        assert!(finished.unwrap());
    }
    for id in &old {
        assert!(
            finish_job_in(store.conn(), *id, "w3", serde_json::json!({}))
                .await
                .unwrap()
        );
    }

    // The reserved slots' lane takes only an interactive job whose owner has nothing else
    // waiting: another user's new goal, not one of a burst (not even its first), nor upkeep.
    let mut burst = Vec::new();
    for _ in 0..3 {
        burst.push(store.enqueue_job(interactive(bursting)).await.unwrap().0.id);
    }
    let (theirs, _) = store.enqueue_job(interactive(other)).await.unwrap();
    let (upkeep, _) = store
        .enqueue_job(new_job(JobKind::CheckPrices, None, 3))
        .await
        .unwrap();
    let lane = store
        .claim_due_jobs_in("w4", lease, 5, Lane::Interactive)
        .await
        .unwrap();
    assert_eq!(lane.iter().map(|j| j.id).collect::<Vec<_>>(), [theirs.id]);
    assert!(
        store
            .claim_due_jobs_in("w4", lease, 5, Lane::Interactive)
            .await
            .unwrap()
            .is_empty()
    );
    let rest: HashSet<Uuid> = claim(store, "w4", lease, 10).await.into_iter().collect();
    assert_eq!(
        rest,
        burst
            .iter()
            .copied()
            .chain([upkeep.id])
            .collect::<HashSet<_>>()
    );
    for id in rest.into_iter().chain([theirs.id]) {
        assert!(
            finish_job_in(store.conn(), id, "w4", serde_json::json!({}))
                .await
                .unwrap()
        );
    }

    // Four workers claiming at once share 40 due jobs without running one twice.
    for _ in 0..40 {
        store
            .enqueue_job(new_job(JobKind::Retention, None, 3))
            .await
            .unwrap();
    }
    let workers = (0..4).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let name = format!("racer-{w}");
            let mut mine = Vec::new();
            loop {
                let batch = claim(&store, &name, Duration::seconds(30), 3).await;
                if batch.is_empty() {
                    return mine;
                }
                for id in batch {
                    let json = serde_json::json!({});
                    assert!(finish_job_in(store.conn(), id, &name, json).await.unwrap());
                    mine.push(id);
                }
            }
        })
    });
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let unique: HashSet<Uuid> = all.iter().copied().collect();
    assert_eq!((all.len(), unique.len()), (40, 40));

    // A waiting or running job about a subject is found, a finished one is not.
    let subject = Uuid::now_v7();
    let (p, _) = store
        .enqueue_job(NewJob {
            subject_id: Some(subject),
            ..new_job(JobKind::SearchDeals, None, 3)
        })
        .await
        .unwrap();
    let pending = store.pending_job(JobKind::SearchDeals, subject).await;
    assert_eq!(pending.unwrap().map(|j| j.id), Some(p.id));
    assert_eq!(claim(store, "w1", lease, 10).await, [p.id]);
    let pending = store.pending_job(JobKind::SearchDeals, subject).await;
    assert!(pending.unwrap().is_some());
    assert!(
        finish_job_in(store.conn(), p.id, "w1", serde_json::json!({}))
            .await
            .unwrap()
    );
    let pending = store.pending_job(JobKind::SearchDeals, subject).await;
    assert_eq!(pending.unwrap(), None);

    // The monitor counts by kind and status and lists the failures.
    let stats = store.job_stats(Duration::minutes(5)).await.unwrap();
    let count = |k: JobKind, s: JobStatus| {
        stats
            .counts
            .iter()
            .find(|(kk, ss, _)| *kk == k && *ss == s)
            .map_or(0, |c| c.2)
    };
    assert_eq!(count(JobKind::SearchDeals, JobStatus::Succeeded), 2);
    assert_eq!(count(JobKind::Retention, JobStatus::Succeeded), 40);
    assert_eq!(count(JobKind::AnalyzeDeal, JobStatus::Retrying), 1);
    assert_eq!(stats.finished_in_window, 55);
    assert!(stats.mean_run_ms.is_some());
    assert!(stats.recent_failures.iter().any(|j| j.id == d.id));
    let page = store
        .list_jobs(
            Scope::All,
            Some(JobStatus::Running),
            Pagination::parse(None, None).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        store
            .delete_finished_jobs(now() + Duration::seconds(1))
            .await
            .unwrap(),
        56
    );

    // A row of a kind this version does not know is an error, never a default: reading it
    // fails, and a worker that claims it fails it for good instead of running something else.
    let at = now();
    let mystery = job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set("mystery".into()),
        status: Set("queued".into()),
        owner_id: Set(None),
        subject_id: Set(None),
        payload: Set(serde_json::json!({})),
        attempts: Set(0),
        max_attempts: Set(3),
        run_at: Set(at),
        lease_until: Set(None),
        worker: Set(None),
        priority: Set(0),
        dedup_key: Set(None),
        result: Set(None),
        error: Set(None),
        created_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(at),
    }
    .insert(store.conn())
    .await
    .unwrap();
    assert!(matches!(
        store.get_job(Scope::All, mystery.id).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.job_stats(Duration::minutes(5)).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(claim(store, "w1", lease, 10).await.is_empty());
    let failed = job::Entity::find_by_id(mystery.id)
        .one(store.conn())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, JobStatus::Failed.as_str());
    assert!(failed.error.unwrap().contains("mystery"));
}

#[tokio::test]
async fn jobs_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::of(backend).await else {
            eprintln!("skipped {backend:?}: DEALS_TEST_DATABASE_URL is not set");
            continue;
        };
        jobs_story(&db.store).await;
    }
}

/// A claim on SQLite goes on working on the same pooled connection after a column is added to
/// `jobs` (a migration of a newer replica): the claim names its columns, so SQLite's re-prepare
/// of the cached statement cannot change what the row holds (with `RETURNING *` sqlx's worker
/// thread panicked on an index past its cached column list).
#[tokio::test]
async fn a_claim_survives_a_column_added_under_its_cached_statement() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings =
        deals_store::DbSettings::new(format!("sqlite://{}", dir.path().join("t.db").display()));
    settings.pool_size = 1;
    let store = Store::connect(&settings).await.unwrap();
    store.migrate().await.unwrap();
    store
        .enqueue_job(new_job(JobKind::SearchDeals, None, 3))
        .await
        .unwrap();
    assert_eq!(claim(&store, "w1", Duration::seconds(60), 1).await.len(), 1);
    use sea_orm::ConnectionTrait;
    store
        .conn()
        .execute_unprepared("ALTER TABLE jobs ADD COLUMN added_later TEXT")
        .await
        .unwrap();
    let (second, _) = store
        .enqueue_job(new_job(JobKind::SearchDeals, None, 3))
        .await
        .unwrap();
    assert_eq!(
        claim(&store, "w1", Duration::seconds(60), 1).await,
        vec![second.id]
    );
}
