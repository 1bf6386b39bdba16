//! The same repository story on SQLite and on PostgreSQL: both backends must behave alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use deals_core::preferences::Digest;
use deals_core::{
    Availability, Condition, Currency, DealSort, Email, GoalCriteria, GoalStatus, Pagination,
    Preferences, Priority, Role,
};
use deals_store::entity::goal_match;
use deals_store::repo::goals::{GoalChanges, NewGoal};
use deals_store::repo::listings::{NewListing, NewProduct};
use deals_store::repo::search::DealQuery;
use deals_store::repo::sessions::Rotation;
use deals_store::repo::users::NewUser;
use deals_store::rows::MatchSource;
use deals_store::testing::{Backend, TestDb};
use deals_store::{Scope, Store, StoreError, now};
use sea_orm::{EntityTrait, PaginatorTrait};

#[path = "conformance/jobs.rs"]
mod jobs;
#[path = "conformance/tokens.rs"]
mod tokens;

fn listing(market: &str, ext: &str, title: &str, price: i64, original: Option<i64>) -> NewListing {
    NewListing {
        product_id: None,
        owner_id: None,
        market: market.into(),
        external_id: ext.into(),
        url: format!("https://{market}.example/{ext}"),
        title: title.into(),
        brand: title.split_whitespace().next().map(str::to_lowercase),
        category: Some("headphones".into()),
        price_minor: price,
        original_price_minor: original,
        currency: Currency::USD,
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

/// Gives a listing a score the way the application does: by storing an analysis.
async fn set_score(store: &Store, listing_id: uuid::Uuid, normalized: f64) {
    store
        .save_analysis(deals_store::repo::analyses::NewAnalysis {
            listing_id,
            formula_version: "test".into(),
            base_score: normalized * 100.0,
            modifiers: serde_json::json!({}),
            final_score: normalized * 100.0,
            normalized_score: normalized,
            is_anomaly: false,
            moving_average: None,
            stddev: None,
            price_stability: None,
            market_average_minor: None,
            explanation: String::new(),
            details: serde_json::json!({}),
        })
        .await
        .unwrap();
}

async fn user(store: &Store, email: &str) -> uuid::Uuid {
    store
        .create_user(NewUser {
            email: Email::parse(email).unwrap(),
            name: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
            role: Role::User,
        })
        .await
        .unwrap()
        .id
}

async fn story(store: &Store) {
    // Users: unique e-mail.
    let alice = user(store, "alice@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let dup = store
        .create_user(NewUser {
            email: Email::parse("ALICE@example.com").unwrap(),
            name: None,
            password_hash: "h".into(),
            role: Role::User,
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    // Preferences: the defaults, then replaced as a whole.
    assert_eq!(
        store.get_preferences(alice).await.unwrap(),
        Preferences::default()
    );
    let daily = Preferences {
        digest: Digest::Daily,
        ..Preferences::default()
    };
    let weekly = Preferences {
        digest: Digest::Weekly,
        min_priority: Priority::High,
        ..Preferences::default()
    };
    store.put_preferences(alice, &daily).await.unwrap();
    store.put_preferences(alice, &weekly).await.unwrap();
    assert_eq!(store.get_preferences(alice).await.unwrap(), weekly);

    // Sessions: rotation, then reuse revokes the family.
    let exp = now() + Duration::days(7);
    let family = store.start_session(alice, "h1".into(), exp).await.unwrap();
    let r = store
        .rotate_refresh_token("h1", "h2".into(), exp)
        .await
        .unwrap();
    assert_eq!(
        r,
        Rotation::Rotated {
            user_id: alice,
            family_id: family
        }
    );
    let r = store
        .rotate_refresh_token("h1", "h3".into(), exp)
        .await
        .unwrap();
    assert_eq!(r, Rotation::ReuseDetected { family_id: family });
    assert_eq!(store.live_session_role(family, alice).await.unwrap(), None);
    let r = store
        .rotate_refresh_token("h2", "h4".into(), exp)
        .await
        .unwrap();
    assert_eq!(
        r,
        Rotation::Invalid,
        "the successor of a reused token dies with its family"
    );
    let expired = store
        .start_session(bob, "old".into(), now() - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .rotate_refresh_token("old", "x".into(), exp)
            .await
            .unwrap(),
        Rotation::Invalid
    );
    assert!(store.revoke_session(expired, bob, "logout").await.unwrap());
    assert!(!store.revoke_session(expired, bob, "logout").await.unwrap());

    // Goals: scoped to their owner.
    let criteria = GoalCriteria::parse(
        serde_json::from_value(serde_json::json!({"keywords": ["headphones"], "max_price": "300"}))
            .unwrap(),
    )
    .unwrap();
    let goal = store
        .create_goal(NewGoal {
            user_id: alice,
            title: "Headphones".into(),
            query: Some("noise cancelling headphones under $300".into()),
            criteria: criteria.clone(),
            priority: Priority::High,
            deadline: None,
            max_matches: 50,
            notify_threshold: 0.7,
            target_price_minor: Some(25_000),
        })
        .await
        .unwrap();
    assert_eq!(goal.criteria, criteria);
    assert!(matches!(
        store.get_goal(Scope::Owner(bob), goal.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.get_goal(Scope::All, goal.id).await.unwrap().id,
        goal.id
    );
    let changes = GoalChanges {
        status: Some(GoalStatus::Paused),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_goal(Scope::Owner(bob), goal.id, changes.clone())
            .await,
        Err(StoreError::NotFound)
    ));
    let paused = store
        .update_goal(Scope::Owner(alice), goal.id, changes)
        .await
        .unwrap();
    assert_eq!(paused.status, GoalStatus::Paused);
    assert!(paused.updated_at >= goal.updated_at);
    let active = store
        .list_goals(
            Scope::Owner(alice),
            Some(GoalStatus::Active),
            Pagination::default(),
        )
        .await
        .unwrap();
    assert_eq!(active.total, 0);
    assert_eq!(
        store
            .list_goals(Scope::Owner(alice), None, Pagination::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .list_goals(Scope::Owner(bob), None, Pagination::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Listings: upsert records price points only on change.
    let sony = store
        .upsert_listing(listing(
            "amazon",
            "B0SONY",
            "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
            29_999,
            Some(39_999),
        ))
        .await
        .unwrap();
    assert!(sony.created && sony.price_changed);
    assert_eq!(sony.listing.discount_bp, Some(2_500));
    let same = store
        .upsert_listing(listing(
            "amazon",
            "B0SONY",
            "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
            29_999,
            Some(39_999),
        ))
        .await
        .unwrap();
    assert!(!same.created && !same.price_changed);
    assert_eq!(same.listing.id, sony.listing.id);
    let mut cheaper = listing(
        "amazon",
        "B0SONY",
        "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
        27_900,
        Some(39_999),
    );
    cheaper.seen_at = now() + Duration::seconds(1);
    assert!(store.upsert_listing(cheaper).await.unwrap().price_changed);
    let history = store
        .price_history(sony.listing.id, now() - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|p| p.price_minor).collect::<Vec<_>>(),
        [29_999, 27_900]
    );
    store
        .record_price(sony.listing.id, history[0].at, 1, Currency::USD)
        .await
        .unwrap();
    assert_eq!(
        store
            .price_history(sony.listing.id, now() - Duration::days(1))
            .await
            .unwrap()
            .len(),
        2
    );

    let bose = store
        .upsert_listing(listing(
            "bestbuy",
            "6505727",
            "Bose QuietComfort Ultra Headphones",
            34_900,
            Some(42_900),
        ))
        .await
        .unwrap();
    let mut speaker = listing("walmart", "W1", "JBL Flip 6 Portable Speaker", 9_900, None);
    speaker.category = Some("speakers".into());
    store.upsert_listing(speaker).await.unwrap();
    set_score(store, bose.listing.id, 0.81).await;
    set_score(store, sony.listing.id, 0.64).await;

    // Search: full text, filters, sort, pagination.
    let search = |text: Option<&str>, sort| DealQuery {
        text: text.map(Into::into),
        sort,
        ..Default::default()
    };
    let r = store
        .search_listings(&search(Some("noise cancelling"), None))
        .await
        .unwrap();
    assert_eq!(
        r.items
            .iter()
            .map(|l| l.market.as_str())
            .collect::<Vec<_>>(),
        ["amazon"]
    );
    let r = store
        .search_listings(&search(Some("headphone"), None))
        .await
        .unwrap();
    assert_eq!(r.total, 2, "stemming matches the plural");
    assert_eq!(r.items[0].id, bose.listing.id, "best score first");
    let r = store
        .search_listings(&search(Some("sony or jbl"), Some(DealSort::Price)))
        .await
        .unwrap();
    assert_eq!(
        r.items
            .iter()
            .map(|l| l.market.as_str())
            .collect::<Vec<_>>(),
        ["walmart", "amazon"]
    );
    let r = store
        .search_listings(&search(None, Some(DealSort::Discount)))
        .await
        .unwrap();
    assert_eq!(
        r.items
            .iter()
            .map(|l| l.market.as_str())
            .collect::<Vec<_>>(),
        ["amazon", "bestbuy", "walmart"]
    );
    let r = store
        .search_listings(&DealQuery {
            max_price: Some(30_000),
            min_price: Some(10_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        r.items
            .iter()
            .map(|l| l.market.as_str())
            .collect::<Vec<_>>(),
        ["amazon"]
    );
    let r = store
        .search_listings(&DealQuery {
            market: Some("BestBuy".into()),
            category: Some("headphones".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 1);
    let r = store
        .search_listings(&DealQuery {
            sort: Some(DealSort::Price),
            page: Pagination::parse(Some(2), Some(2)).unwrap(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((r.total, r.items.len()), (3, 1));
    assert_eq!(r.items[0].market, "bestbuy");
    let r = store
        .search_listings(&DealQuery {
            condition: Some(Condition::Used),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.total, 0);

    // Stop words and dangling `or` are ignored alike on both backends.
    let r = store
        .search_listings(&search(Some("the sony"), None))
        .await
        .unwrap();
    assert_eq!(r.total, 1);
    let r = store
        .search_listings(&search(Some("sony or"), None))
        .await
        .unwrap();
    assert_eq!(r.total, 1);
    let r = store
        .search_listings(&search(Some("of the"), None))
        .await
        .unwrap();
    assert_eq!(r.total, 3, "only stop words: no text filter");

    // A deal attached by hand is private: not in the public search, visible to its owner only.
    let mut mine = listing(
        "amazon",
        "B0SONY",
        "Sony WH-1000XM5 (seen in a shop)",
        19_900,
        None,
    );
    mine.owner_id = Some(bob);
    mine.external_id = format!("manual:{bob}:B0SONY");
    let mine = store.upsert_listing(mine).await.unwrap().listing;
    assert_eq!(
        store
            .search_listings(&search(Some("sony"), None))
            .await
            .unwrap()
            .total,
        1
    );
    assert!(
        store
            .get_visible_listing(mine.id, Some(Scope::Owner(bob)))
            .await
            .is_ok()
    );
    assert!(
        store
            .get_visible_listing(mine.id, Some(Scope::All))
            .await
            .is_ok()
    );
    assert!(matches!(
        store
            .get_visible_listing(mine.id, Some(Scope::Owner(alice)))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_visible_listing(mine.id, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get_visible_listing(sony.listing.id, None)
            .await
            .unwrap()
            .price_minor,
        27_900
    );

    // Matches: unique per goal and listing; counted once.
    for _ in 0..2 {
        store
            .match_listing(
                goal.id,
                sony.listing.id,
                0.9,
                &["keyword: headphones".to_owned()],
                MatchSource::Manual,
            )
            .await
            .unwrap();
    }
    store
        .match_listing(goal.id, bose.listing.id, 0.7, &[], MatchSource::Search)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_goal(Scope::Owner(alice), goal.id)
            .await
            .unwrap()
            .matches_found,
        2
    );
    let deals = store
        .goal_deals(Scope::Owner(alice), goal.id, Pagination::default())
        .await
        .unwrap();
    assert_eq!(deals.total, 2);
    // The better match first (0.9 against 0.7), whatever the deal scores.
    assert_eq!(deals.items[0].listing.id, sony.listing.id);
    assert!(matches!(
        store
            .goal_deals(Scope::Owner(bob), goal.id, Pagination::default())
            .await,
        Err(StoreError::NotFound)
    ));

    // Delete: scoped, cascades the matches.
    assert!(matches!(
        store.delete_goal(Scope::Owner(bob), goal.id).await,
        Err(StoreError::NotFound)
    ));
    let matches = || async {
        goal_match::Entity::find()
            .count(store.conn())
            .await
            .unwrap()
    };
    assert_eq!(matches().await, 2);
    store
        .delete_goal(Scope::Owner(alice), goal.id)
        .await
        .unwrap();
    assert!(matches!(
        store.get_goal(Scope::All, goal.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(matches().await, 0, "the goal's matches went with it");
    assert_eq!(store.count_listings().await.unwrap(), 4, "listings stay");
}

#[tokio::test]
async fn repository_story_on_sqlite() {
    let db = TestDb::of(Backend::Sqlite).await.unwrap();
    story(&db.store).await;
}

#[tokio::test]
async fn repository_story_on_postgres() {
    let Some(db) = TestDb::of(Backend::Postgres).await else {
        eprintln!(
            "skipped: DEALS_TEST_DATABASE_URL is not set (set it, or CI=true makes this fail)"
        );
        return;
    };
    story(&db.store).await;
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let db = TestDb::of(Backend::Sqlite).await.unwrap();
    db.store.migrate().await.unwrap();
    if let Some(pg) = TestDb::of(Backend::Postgres).await {
        pg.store.migrate().await.unwrap();
    }
}

#[tokio::test]
async fn a_new_month_partition_takes_over_rows_from_the_default_partition() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(db) = TestDb::of(Backend::Postgres).await else {
        eprintln!("skipped: DEALS_TEST_DATABASE_URL is not set");
        return;
    };
    let store = &db.store;
    let listing = store
        .upsert_listing(listing("amazon", "FUTURE", "Sony headphones", 10_000, None))
        .await
        .unwrap()
        .listing;
    // Six months ahead is past the partitions created at start-up: the row lands in the default.
    let later = now() + Duration::days(183);
    store
        .record_price(listing.id, later, 9_000, Currency::USD)
        .await
        .unwrap();
    let in_default = |sql: &'static str| async move {
        store
            .conn()
            .query_one_raw(Statement::from_string(store.backend(), sql))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    assert_eq!(
        in_default("SELECT count(*) AS n FROM price_points_default").await,
        1
    );
    // Months later the service restarts: that month's partition is created and the row moves.
    store.maintain_partitions(later).await.unwrap();
    assert_eq!(
        in_default("SELECT count(*) AS n FROM price_points_default").await,
        0
    );
    let history = store
        .price_history(listing.id, now() - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|p| p.price_minor).collect::<Vec<_>>(),
        [10_000, 9_000]
    );
    store.migrate().await.unwrap();
}

async fn analysis_story(store: &Store) {
    use deals_store::repo::analyses::{AverageBasis, NewAnalysis};
    let p = store
        .find_or_create_product(NewProduct {
            title: "Sony WH-1000XM5".into(),
            brand: Some("sony".into()),
            model: Some("WH-1000XM5".into()),
            gtin: Some("4548736132610".into()),
            mpn: None,
            category: Some("headphones".into()),
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (market, price) in [("amazon", 30_000), ("walmart", 32_000), ("bestbuy", 34_000)] {
        let mut l = listing(
            market,
            "XM5",
            "Sony WH-1000XM5 Headphones",
            price,
            Some(40_000),
        );
        l.product_id = Some(p.id);
        ids.push(store.upsert_listing(l).await.unwrap().listing);
    }
    // A private copy of the product is neither a peer nor part of the market.
    let mut private = listing("target", "XM5", "Sony WH-1000XM5 (mine)", 1_000, None);
    private.product_id = Some(p.id);
    private.owner_id = Some(
        store
            .find_user_by_email(&Email::parse("alice@example.com").unwrap())
            .await
            .unwrap()
            .unwrap()
            .id,
    );
    private.external_id = "manual:x:XM5".into();
    store.upsert_listing(private).await.unwrap();

    let avg = store.market_average(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (avg.average_minor, avg.listings, avg.basis),
        (33_000, 2, AverageBasis::SameProduct)
    );
    let history = store
        .product_history(&ids[0], now() - Duration::days(1))
        .await
        .unwrap();
    let mut markets: Vec<&str> = history.iter().map(|h| h.market.as_str()).collect();
    markets.sort_unstable();
    assert_eq!(markets, ["amazon", "bestbuy", "walmart"]);

    // Without a product: comparable listings of the category within ±40 %.
    let lone = store
        .upsert_listing(listing(
            "ebay",
            "LONE",
            "Generic ANC headphones",
            31_000,
            None,
        ))
        .await
        .unwrap()
        .listing;
    let avg = store.market_average(&lone).await.unwrap().unwrap();
    assert_eq!(avg.basis, AverageBasis::Comparable);
    assert_eq!(avg.listings, 3);
    let cheap = store
        .upsert_listing(listing("ebay", "CHEAP", "Wired earphones", 500, None))
        .await
        .unwrap()
        .listing;
    assert_eq!(
        store.market_average(&cheap).await.unwrap(),
        None,
        "nothing comparable within ±40 %"
    );

    for (i, final_score) in [55.0, 60.0, 65.0].into_iter().enumerate() {
        let saved = store
            .save_analysis(NewAnalysis {
                listing_id: ids[0].id,
                formula_version: "test".into(),
                base_score: 50.0,
                modifiers: serde_json::json!({}),
                final_score,
                normalized_score: final_score / 100.0,
                is_anomaly: false,
                moving_average: None,
                stddev: None,
                price_stability: Some(0.9),
                market_average_minor: Some(33_000),
                explanation: format!("run {i}"),
                details: serde_json::json!({"run": i}),
            })
            .await
            .unwrap();
        assert_eq!(saved.details["run"], i);
    }
    assert_eq!(
        store.recent_scores(ids[0].id, 2).await.unwrap(),
        [60.0, 65.0]
    );
    assert_eq!(
        store
            .latest_analysis(ids[0].id)
            .await
            .unwrap()
            .unwrap()
            .explanation,
        "run 2"
    );
    assert_eq!(
        store.get_listing(ids[0].id).await.unwrap().score,
        Some(0.65)
    );
    assert_eq!(store.latest_analysis(ids[1].id).await.unwrap(), None);
}

#[tokio::test]
async fn analysis_context_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::of(backend).await else {
            eprintln!("skipped {backend:?}: DEALS_TEST_DATABASE_URL is not set");
            continue;
        };
        user(&db.store, "alice@example.com").await;
        analysis_story(&db.store).await;
    }
}

#[tokio::test]
async fn source_flags_are_kept_with_the_latest_observation() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::of(backend).await else {
            eprintln!("skipped {backend:?}: DEALS_TEST_DATABASE_URL is not set");
            continue;
        };
        let mut jump = listing("ebay", "v1|1|0", "Sony WH-1000XM5", 4_999, Some(39_999));
        jump.flags = vec!["price_jump".into()];
        let up = db.store.upsert_listing(jump).await.unwrap();
        assert_eq!(up.listing.flags, vec!["price_jump".to_owned()]);
        let calm = listing("ebay", "v1|1|0", "Sony WH-1000XM5", 29_999, Some(39_999));
        let up = db.store.upsert_listing(calm).await.unwrap();
        assert!(up.listing.flags.is_empty());
        assert!(up.price_changed);
    }
}
