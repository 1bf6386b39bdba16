//! Alerts people trust: a new goal's first search sends one summary naming the goal and its best
//! deal; later searches alert only about listings worth it and new or meaningfully better, once;
//! every alert carries its goal, product, store, price, why, and links; each has a per-user
//! increasing event id.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser};

const TV: &str = "Sony or Bose noise cancelling headphones under $300, new";

async fn notes(app: &TestApp, user: &TestUser) -> Vec<Value> {
    app.get_json("/api/v1/notifications?per_page=100", &user.access)
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn search_again(app: &TestApp, user: &TestUser, goal_id: &str) {
    let res = app
        .post(
            &format!("/api/v1/goals/{goal_id}/search"),
            Some(&user.access),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    app.drain_jobs().await;
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| {
        s.sim.enabled = true;
        s.sim.speed = 0.0;
    })
    .await
}

#[tokio::test]
async fn the_first_search_of_a_goal_sends_one_summary_naming_the_goal_and_its_best_deal() {
    let app = spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, TV).await;
    app.drain_jobs().await;
    let deals = app
        .get_json(
            &format!("/api/v1/goals/{}/deals", goal["id"].as_str().unwrap()),
            &user.access,
        )
        .await;
    let total = deals["total"].as_u64().unwrap();
    assert!(total > 1, "{deals}");

    let all = notes(&app, &user).await;
    assert_eq!(
        all.len(),
        1,
        "one summary, not one alert per match: {all:#?}"
    );
    let summary = &all[0];
    let title = summary["title"].as_str().unwrap();
    assert!(
        title.starts_with(&format!("{total} matches for")),
        "{title}"
    );
    assert!(title.contains(goal["title"].as_str().unwrap()), "{title}");
    let data = &summary["data"];
    let best = &deals["items"][0];
    assert_eq!(data["goal_id"], goal["id"]);
    assert_eq!(data["deal_id"], best["id"]);
    assert_eq!(data["price"], best["price"]);
    assert_eq!(data["url"], best["url"]);
    assert_eq!(
        data["deal_url"],
        format!("/deals/{}", best["id"].as_str().unwrap())
    );
    assert_eq!(data["matches"], total);
    let body = summary["body"].as_str().unwrap();
    assert!(body.contains(best["title"].as_str().unwrap()), "{body}");
    assert!(
        body.contains("Why:") && body.contains("/100"),
        "the score explains itself: {body}"
    );
    assert_eq!(summary["event_id"], 1);
}

#[tokio::test]
async fn a_second_search_with_nothing_better_alerts_nothing() {
    let app = spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, TV).await;
    app.drain_jobs().await;
    assert_eq!(notes(&app, &user).await.len(), 1);
    search_again(&app, &user, goal["id"].as_str().unwrap()).await;
    assert_eq!(notes(&app, &user).await.len(), 1);
}

#[tokio::test]
async fn a_listing_meaningfully_cheaper_than_when_told_alerts_once_with_its_goal_and_links() {
    let app = spawn().await;
    let user = app.register_user().await;
    let goal = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"query": TV, "notify_threshold": 0.0}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let goal_id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let deals = app
        .get_json(&format!("/api/v1/goals/{goal_id}/deals"), &user.access)
        .await;
    let deal = &deals["items"][0];
    let deal_id = Uuid::parse_str(deal["id"].as_str().unwrap()).unwrap();
    let listing = app.state.store.get_listing(deal_id).await.unwrap();
    // The goal last told about this listing when it cost 20 % more.
    app.state
        .store
        .mark_goal_alerts(
            Uuid::parse_str(goal_id).unwrap(),
            &[(deal_id, listing.price_minor * 12 / 10)],
        )
        .await
        .unwrap();

    search_again(&app, &user, goal_id).await;
    search_again(&app, &user, goal_id).await;
    let all = notes(&app, &user).await;
    assert_eq!(all.len(), 2, "summary + one drop alert: {all:#?}");
    let alert = &all[0];
    assert_eq!(alert["kind"], "price_drop");
    let data = &alert["data"];
    assert_eq!(data["reason"], "drop");
    assert_eq!(data["goal_id"], goal["id"]);
    assert_eq!(data["goal_title"], goal["title"]);
    assert_eq!(data["deal_id"], deal["id"]);
    assert_eq!(data["product"], deal["title"]);
    assert_eq!(data["price"], deal["price"]);
    assert_eq!(data["url"], deal["url"]);
    assert_eq!(data["deal_url"], format!("/deals/{deal_id}"));
    assert!(data["store"].is_string() && data["explanation"].is_string());
    let body = alert["body"].as_str().unwrap();
    assert!(body.contains(goal["title"].as_str().unwrap()), "{body}");
    assert!(body.contains("Why:"), "{body}");
    let ids: Vec<i64> = all
        .iter()
        .map(|n| n["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![2, 1], "newest first, increasing per user");
}

#[tokio::test]
async fn a_goal_with_no_match_still_says_its_first_search_ran() {
    let app = spawn().await;
    let user = app.register_user().await;
    app.create_goal(&user, "zzqx flux capacitor, new").await;
    app.drain_jobs().await;
    let all = notes(&app, &user).await;
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(
        all[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("No matches yet"),
        "{}",
        all[0]
    );
    assert_eq!(all[0]["data"]["matches"], 0);
}

#[tokio::test]
async fn event_ids_stay_unique_and_increasing_per_user_under_concurrent_alerts() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let other = app.register_user().await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let state = app.state.clone();
        let who = if n % 4 == 0 { &other } else { &user };
        let id = Uuid::parse_str(&who.id).unwrap();
        tasks.push(tokio::spawn(async move {
            deals_app::notify::notify(
                &state,
                id,
                deals_app::notify::Alert {
                    kind: deals_core::NotificationKind::NewMatch,
                    priority: deals_core::Priority::Low,
                    title: format!("n{n}"),
                    body: String::new(),
                    data: json!({}),
                    dedup_key: format!("concurrent:{n}"),
                },
            )
            .await
            .unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    for (who, count) in [(&user, 15), (&other, 5)] {
        let mut ids: Vec<i64> = notes(&app, who)
            .await
            .iter()
            .map(|n| n["event_id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=count).collect::<Vec<i64>>());
    }
}

async fn put_prefs(app: &TestApp, user: &TestUser, prefs: Value) {
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(prefs),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn matches(app: &TestApp, user: &TestUser, goal_id: &str) -> u64 {
    app.get_json(&format!("/api/v1/goals/{goal_id}/deals"), &user.access)
        .await["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_muted_goal_keeps_matching_but_alerts_nothing_until_unmuted() {
    let app = spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, TV).await;
    let id = goal["id"].as_str().unwrap();
    put_prefs(&app, &user, json!({"muted_goals": [id]})).await;
    app.drain_jobs().await;
    assert!(matches(&app, &user, id).await > 1);
    assert_eq!(notes(&app, &user).await.len(), 0, "muted");
    put_prefs(&app, &user, json!({"muted_goals": []})).await;
    search_again(&app, &user, id).await;
    let all = notes(&app, &user).await;
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["data"]["goal_id"], goal["id"]);
}

#[tokio::test]
async fn a_crash_after_the_matches_commit_loses_no_alert() {
    use sea_orm::ConnectionTrait;
    let app = spawn().await;
    let user = app.register_user().await;
    put_prefs(&app, &user, json!({"timezone": "UTC"})).await;
    let db = app.state.store.conn();
    // Injected failure: the alert step cannot read the user's preferences, so the search job
    // fails right after its matches (and their outbox rows) committed.
    db.execute_unprepared(r#"UPDATE user_preferences SET data = '{"digest": 42}'"#)
        .await
        .unwrap();
    let goal = app.create_goal(&user, TV).await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let total = matches(&app, &user, id).await;
    assert!(total > 1, "the matches committed");
    assert_eq!(notes(&app, &user).await.len(), 0, "the alert did not");
    let goal_id = Uuid::parse_str(id).unwrap();
    assert_eq!(
        app.state.store.goal_outbox(goal_id).await.unwrap().len() as u64,
        total,
        "one outbox row per match"
    );
    // The process is gone and its job never runs again; the outbox alone must recover it.
    db.execute_unprepared("UPDATE jobs SET status = 'dead' WHERE kind = 'search_deals'")
        .await
        .unwrap();
    put_prefs(&app, &user, json!({"timezone": "UTC"})).await;
    let origin = deals_app::agents::Origin::new(None, None);
    let fresh = deals_app::notify::goals::flush_stale(&app.state, origin)
        .await
        .unwrap();
    assert_eq!(
        fresh.goals, 0,
        "rows younger than a minute may belong to a running step"
    );
    db.execute_unprepared("UPDATE goal_alert_outbox SET created_at = '2000-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    let flushed = deals_app::notify::goals::flush_stale(&app.state, origin)
        .await
        .unwrap();
    assert_eq!((flushed.goals, flushed.alerts), (1, 1));
    let all = notes(&app, &user).await;
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["data"]["goal_id"], goal["id"]);
    assert_eq!(all[0]["data"]["matches"], total);
    assert!(
        app.state
            .store
            .goal_outbox(goal_id)
            .await
            .unwrap()
            .is_empty()
    );
    // Running the step again (a second crash, a second sweeper) alerts nothing more.
    let again = deals_app::notify::goals::flush_stale(&app.state, origin)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
    search_again(&app, &user, id).await;
    assert_eq!(notes(&app, &user).await.len(), 1);
}
