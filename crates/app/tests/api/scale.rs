//! Background work at scale (issue 18): one search shared by the goals that ask the same thing,
//! cross-goal matching through the incrementally kept goal index, a queue that serves new goals
//! first.

use serde_json::Value;

use crate::helpers::{TestApp, TestUser};

const HEADPHONES: &str = "Sony or Bose noise cancelling headphones under $300, new";

async fn deals_of(app: &TestApp, user: &TestUser, goal: &Value) -> Value {
    let id = goal["id"].as_str().unwrap();
    app.get_json(
        &format!("/api/v1/goals/{id}/deals?per_page=100"),
        &user.access,
    )
    .await
}

fn listing_ids(deals: &Value) -> Vec<String> {
    let mut ids: Vec<String> = deals["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn goals_with_the_same_words_share_one_store_search_and_one_ingest_and_are_both_matched() {
    let app = TestApp::spawn_with_markets().await;
    let world = app.state.sim.as_ref().unwrap().world().clone();
    let alice = app.register_user().await;
    let bob = app.register_user().await;

    let before = world.searches_served();
    let a = app.create_goal(&alice, HEADPHONES).await;
    app.drain_jobs().await;
    let first = world.searches_served() - before;
    assert!(first > 0, "the first goal's search asked the stores");
    let ingested = app.state.searches.ingests();
    assert!(ingested > 0);

    let b = app.create_goal(&bob, HEADPHONES).await;
    app.drain_jobs().await;
    assert_eq!(
        world.searches_served() - before,
        first,
        "the second goal's search was answered by the shared one"
    );
    assert_eq!(
        app.state.searches.ingests(),
        ingested,
        "nothing stored twice"
    );

    let (da, db) = (
        deals_of(&app, &alice, &a).await,
        deals_of(&app, &bob, &b).await,
    );
    assert!(da["total"].as_u64().unwrap() > 0, "{da}");
    assert_eq!(
        listing_ids(&da),
        listing_ids(&db),
        "both goals matched the same listings"
    );
    let goal: Value = app
        .get_json(
            &format!("/api/v1/goals/{}", b["id"].as_str().unwrap()),
            &bob.access,
        )
        .await;
    assert_eq!(goal["matches_found"], da["total"], "{goal}");
}

#[tokio::test]
async fn goals_join_and_leave_the_goal_index_as_they_are_created_and_deleted() {
    let app = TestApp::spawn_with_markets().await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    // Alice's first search builds the index.
    app.create_goal(&alice, "mechanical keyboard").await;
    app.drain_jobs().await;
    assert!(!app.state.goal_index.is_empty());
    // Bob's goal joins it at once, without a rebuild and before any job ran.
    let bobs = app.create_goal(&bob, "Sony or Bose headphones").await;
    let id: uuid::Uuid = bobs["id"].as_str().unwrap().parse().unwrap();
    let indexed = app
        .state
        .goal_index
        .read(&app.state.store, |index| index.len())
        .await
        .unwrap();
    assert_eq!(indexed, 2);
    // Delete: gone from the index.
    let res = app
        .delete(&format!("/api/v1/goals/{id}"), Some(&bob.access))
        .await;
    assert!(res.status().is_success());
    let left = app
        .state
        .goal_index
        .read(&app.state.store, |index| index.len())
        .await
        .unwrap();
    assert_eq!(left, 1);
}
