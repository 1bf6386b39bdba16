//! The token ledger, the same on both backends: concurrent charges never overdraw, a key records
//! a movement once, holds are charged once per step and refunded when voided or expired.

use chrono::Duration;
use deals_core::{EntryKind, Pagination};
use deals_store::entity::token_account;
use deals_store::repo::tokens::{NewEntry, NewHold, Posted, Reserved};
use deals_store::testing::{Backend, TestDb};
use deals_store::{Store, StoreError, now};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::user;

fn entry(user_id: Uuid, kind: EntryKind, amount: i64, key: &str) -> NewEntry {
    NewEntry {
        user_id,
        kind,
        amount,
        reason: "test".into(),
        reference: None,
        goal_id: None,
        key: key.into(),
    }
}

async fn assert_balanced(store: &Store, user_id: Uuid, expected: i64) {
    assert_eq!(store.token_balance(user_id).await.unwrap(), expected);
    assert_eq!(store.ledger_sum(user_id).await.unwrap(), expected);
}

/// 100 charges at once against a balance that covers 37: exactly 37 succeed.
async fn concurrent_charges(store: &Store) {
    const PRICE: i64 = 1_500_000;
    let payer = user(store, "payer@example.com").await;
    let grant = entry(payer, EntryKind::AdminGrant, 37 * PRICE, "grant:payer");
    assert!(matches!(
        store.post_entry(grant).await.unwrap(),
        Posted::Applied(_)
    ));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let charge = entry(payer, EntryKind::Charge, PRICE, &format!("charge:{i}"));
                store.post_entry(charge).await.unwrap()
            })
        })
        .collect();
    let (mut paid, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Posted::Applied(e) => {
                assert!(e.balance_after >= 0);
                paid += 1;
            }
            Posted::Insufficient { balance } => {
                assert!(balance < PRICE);
                refused += 1;
            }
            Posted::Repeated(_) => panic!("distinct keys never repeat"),
        }
    }
    assert_eq!((paid, refused), (37, 63));
    assert_balanced(store, payer, 0).await;
    let charges = store
        .token_entries(
            payer,
            Some(EntryKind::Charge),
            Pagination::parse(Some(1), Some(100)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(charges.total, 37);
    let mut afters: Vec<i64> = charges.items.iter().map(|e| e.balance_after).collect();
    afters.sort_unstable();
    let expected: Vec<i64> = (0..37).map(|n| n * PRICE).collect();
    assert_eq!(
        afters, expected,
        "each charge saw the balance the one before left"
    );
}

async fn ledger_story(store: &Store) {
    let u = user(store, "ledger@example.com").await;
    assert_balanced(store, u, 0).await;
    let grant = entry(u, EntryKind::AdminGrant, 5_000_000, "grant:1");
    let Posted::Applied(first) = store.post_entry(grant.clone()).await.unwrap() else {
        panic!("first grant applies");
    };
    assert_eq!(first.balance_after, 5_000_000);
    assert_eq!(
        store.post_entry(grant.clone()).await.unwrap(),
        Posted::Repeated(first.clone()),
        "the same key and fields return the first entry"
    );
    let other = NewEntry {
        amount: 6_000_000,
        ..grant
    };
    assert!(matches!(
        store.post_entry(other).await,
        Err(StoreError::Conflict(_))
    ));
    let too_much = entry(u, EntryKind::Charge, 5_000_001, "charge:big");
    assert_eq!(
        store.post_entry(too_much).await.unwrap(),
        Posted::Insufficient { balance: 5_000_000 }
    );
    assert_eq!(store.entry_by_key("charge:big").await.unwrap(), None);
    assert_balanced(store, u, 5_000_000).await;

    // The database itself refuses a negative balance.
    let overdraw = token_account::Entity::update_many()
        .col_expr(token_account::Column::Balance, Expr::value(-1_i64))
        .filter(token_account::Column::UserId.eq(u))
        .exec(store.conn())
        .await;
    assert!(overdraw.is_err(), "CHECK (balance >= 0) holds");
    assert_balanced(store, u, 5_000_000).await;

    // Holds: one charge per step, refunded when voided or expired.
    let goal = None;
    let hold = |key: &str, expires_in: i64| NewHold {
        key: key.into(),
        user_id: u,
        goal_id: goal,
        operation: "deal_search".into(),
        amount: 1_000_000,
        expires_at: now() + Duration::seconds(expires_in),
    };
    let held = store.reserve_hold(hold("job:a:search", 600)).await.unwrap();
    assert_eq!(held, Reserved::Held);
    let again = store.reserve_hold(hold("job:a:search", 600)).await.unwrap();
    assert_eq!(
        again,
        Reserved::AlreadyHeld,
        "a retried step is charged once"
    );
    assert_balanced(store, u, 4_000_000).await;
    assert_eq!(store.held_tokens(u).await.unwrap(), 1_000_000);
    assert_eq!(store.post_holds("job:a:").await.unwrap(), 1);
    assert_eq!(store.held_tokens(u).await.unwrap(), 0);
    let after_post = store.reserve_hold(hold("job:a:search", 600)).await.unwrap();
    assert_eq!(after_post, Reserved::AlreadyHeld, "a paid step stays paid");

    store.reserve_hold(hold("job:b:search", 600)).await.unwrap();
    assert_eq!(store.void_holds("job:b:", "failed").await.unwrap(), 1);
    assert_eq!(store.void_holds("job:b:", "failed").await.unwrap(), 0);
    assert_balanced(store, u, 4_000_000).await;
    let refunds = store
        .token_entries(
            u,
            Some(EntryKind::Refund),
            Pagination::parse(Some(1), Some(10)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(refunds.total, 1);
    assert_eq!(refunds.items[0].reference.as_deref(), Some("job:b:search"));

    // A worker died between hold and post: the hold expires and is released.
    store.reserve_hold(hold("job:c:search", -1)).await.unwrap();
    assert_balanced(store, u, 3_000_000).await;
    assert_eq!(store.release_expired_holds(now()).await.unwrap(), 1);
    assert_balanced(store, u, 4_000_000).await;

    let poor = store.reserve_hold(NewHold {
        amount: 9_000_000,
        ..hold("job:d:search", 600)
    });
    assert_eq!(
        poor.await.unwrap(),
        Reserved::Insufficient { balance: 4_000_000 }
    );
    assert_balanced(store, u, 4_000_000).await;
    let all = store
        .token_entries(u, None, Pagination::parse(Some(1), Some(2)).unwrap())
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len()), (6, 2));
    assert_eq!(all.items[0].kind, EntryKind::Refund, "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_charges_never_overdraw_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::of(backend).await else {
            eprintln!("skipped {backend:?}: DEALS_TEST_DATABASE_URL is not set");
            continue;
        };
        concurrent_charges(&db.store).await;
    }
}

#[tokio::test]
async fn the_ledger_records_once_and_refunds_holds_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::of(backend).await else {
            eprintln!("skipped {backend:?}: DEALS_TEST_DATABASE_URL is not set");
            continue;
        };
        ledger_story(&db.store).await;
    }
}
