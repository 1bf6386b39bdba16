//! The two flows of the seed end to end, through the real router, the job queue and its runner,
//! the simulated marketplace (over HTTP, through the real adapters) and the offline agents.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem};

const HEADPHONES: &str = "Sony or Bose noise cancelling headphones under $300, new";

#[tokio::test]
async fn a_new_goal_finds_scored_matching_deals_and_alerts() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"query": HEADPHONES, "notify_threshold": 0.5}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let goal: Value = res.json().await.unwrap();
    let c = &goal["criteria"];
    assert_eq!(c["brands"], json!(["sony", "bose"]));
    assert_eq!(c["categories"], json!(["audio/headphones"]));
    assert_eq!(c["max_price"], "300.00");
    assert_eq!(c["conditions"], json!(["new"]));
    let id = goal["id"].as_str().unwrap();

    // The goal's own job: on the offline rules the words were read once, when the goal was
    // created (the Goal Analysis run is recorded), so the job is the first deal search itself.
    assert!(app.drain_jobs().await >= 1);
    let search = app
        .job(&user.access, goal["job_id"].as_str().unwrap())
        .await;
    assert_eq!(search["kind"], "search_deals");
    assert_eq!(search["status"], "succeeded", "{search}");
    let deals = app
        .get_json(&format!("/api/v1/goals/{id}/deals"), &user.access)
        .await;
    assert!(deals["total"].as_u64().unwrap() > 0, "{deals}");
    let items = deals["items"].as_array().unwrap();
    let mut markets = std::collections::BTreeSet::new();
    for d in items {
        let reasons = d["match_reasons"].to_string();
        assert!(
            reasons.contains("brand: sony") || reasons.contains("brand: bose"),
            "{d}"
        );
        let price: f64 = d["price"].as_str().unwrap().parse().unwrap();
        assert!(price <= 300.0, "{d}");
        assert!(d["score"].as_f64().is_some(), "every deal is scored: {d}");
        markets.insert(d["market"].as_str().unwrap().to_owned());
    }
    assert!(
        markets.len() >= 3,
        "deals come from several simulated stores: {markets:?}"
    );
    let notes = app.get_json("/api/v1/notifications", &user.access).await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["data"]["goal_id"] == goal["id"]),
        "{notes}"
    );

    // Every agent that worked is in the run log, answered by the offline rules (the first
    // search's one summary is written without the Notification Agent).
    let runs = app
        .get_json("/api/v1/agents/runs?per_page=100", &user.access)
        .await;
    let agents: Vec<&str> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agent"].as_str().unwrap())
        .collect();
    for a in ["goal_analysis", "deal_search"] {
        assert!(agents.contains(&a), "{a} in {agents:?}");
    }
    assert!(
        runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["provider"] == "rules" && r["cost"] == 0.0)
    );
    // Another user sees none of these runs.
    let other = app.register_user().await;
    let theirs: Value = app
        .get("/api/v1/agents/runs", Some(&other.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 0);
}

#[tokio::test]
async fn searching_now_returns_a_job_whose_progress_and_result_can_be_read() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, HEADPHONES).await;
    let id = goal["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/goals/{id}/search"),
            Some(&user.access),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let job_id = res.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.drain_jobs().await;
    let job = app.job(&user.access, &job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["kind"], "search_deals");
    assert_eq!(job["attempts"], 1, "{job}");
    assert!(job["result"]["found"].as_u64().unwrap() > 0, "{job}");
    // Every store is asked (a store with nothing fitting is asked again, relaxed).
    let markets: std::collections::BTreeSet<&str> = job["result"]["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["market"].as_str().unwrap())
        .collect();
    assert_eq!(markets.len(), 5, "{job}");
    assert!(
        job["result"]["summary"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let goal = app
        .get_json(&format!("/api/v1/goals/{id}"), &user.access)
        .await;
    assert_eq!(goal["last_search"]["markets"].as_array().unwrap().len(), 5);
    assert_eq!(goal["last_search"]["summary"], job["result"]["summary"]);

    // Someone else's job is not found; a paused goal is not searched.
    let other = app.register_user().await;
    let res = app
        .get(&format!("/api/v1/jobs/{job_id}"), Some(&other.access))
        .await;
    assert_problem(res, 404).await;
    let res = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/goals/{id}"),
            Some(&user.access),
            Some(json!({"status": "paused"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &format!("/api/v1/goals/{id}/search"),
            Some(&user.access),
            json!({}),
        )
        .await;
    assert_problem(res, 409).await;
}

#[tokio::test]
async fn a_price_drop_on_a_tracked_listing_alerts_exactly_once() {
    let app = TestApp::spawn_with(|s| {
        s.sim.enabled = true;
        s.jobs.price_check_interval_secs = 3600;
    })
    .await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, HEADPHONES).await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let deals = app
        .get_json(&format!("/api/v1/goals/{id}/deals"), &user.access)
        .await;
    assert!(deals["total"].as_u64().unwrap() > 0, "{deals}");
    let deal = &deals["items"][0];
    let deal_id = deal["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/deals/{deal_id}/track"),
            Some(&user.access),
            json!({"notify_on_drop_pct": 5}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let tracker: Value = res.json().await.unwrap();
    let tracker_id = Uuid::parse_str(tracker["id"].as_str().unwrap()).unwrap();

    // The store saw it 20 % dearer a moment ago: the next check finds the simulator's price.
    let listing_id = Uuid::parse_str(deal_id).unwrap();
    let store = &app.state.store;
    let listing = store.get_listing(listing_id).await.unwrap();
    let dearer = listing.price_minor * 12 / 10;
    store
        .update_tracker_state(tracker_id, dearer, json!({}))
        .await
        .unwrap();

    // Two overlapping checks (a job enqueued twice, or run again after a crash) alert once.
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let new = deals_app::jobs::Jobs::new_job(
            deals_app::jobs::JobKind::CheckPrices,
            None,
            None,
            json!({"tracker_ids": [tracker_id]}),
        );
        let (job, _) = app.state.jobs.enqueue(store, new).await.unwrap();
        jobs.push(job.id);
    }
    assert_eq!(app.drain_jobs().await, 2);
    let admin = app.register_admin().await;
    for j in &jobs {
        let job = app.job(&admin.access, &j.to_string()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
    }
    let notes = app.get_json("/api/v1/notifications", &user.access).await;
    let drops: Vec<&Value> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "price_drop")
        .collect();
    assert_eq!(drops.len(), 1, "{notes}");
    let body = drops[0]["body"].as_str().unwrap();
    assert!(body.contains('%'), "the alert says by how much: {body}");

    // The tracker shows the checked price; the unread count and read-all work.
    let tracked: Value = app
        .get("/api/v1/tracked", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tracked["total"], 1);
    assert!(tracked["items"][0]["last_checked_at"].is_string());
    let unread: Value = app
        .get("/api/v1/notifications/unread-count", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(unread["count"].as_u64().unwrap() >= 1);
    let res = app
        .post(
            "/api/v1/notifications/read-all",
            Some(&user.access),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let after: Value = app
        .get("/api/v1/notifications?per_page=100", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    let drop = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "price_drop")
        .unwrap();
    assert!(drop["read_at"].is_string(), "{drop}");
    let res = app
        .delete(&format!("/api/v1/tracked/{tracker_id}"), Some(&user.access))
        .await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn tracking_rejects_bad_thresholds_by_field() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let res = app
        .post(
            &format!("/api/v1/deals/{}/track", Uuid::new_v4()),
            Some(&user.access),
            json!({"target_price": "-1", "notify_on_drop_pct": 150}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["target_price", "notify_on_drop_pct"]);
}

#[tokio::test]
async fn the_monitor_shows_failures_and_a_dead_job_can_be_retried() {
    let app = TestApp::spawn_with_markets().await;
    let admin = app.register_admin().await;
    let user = app.register_user().await;
    // A job about a deal that does not exist fails for good.
    let new = deals_app::jobs::Jobs::new_job(
        deals_app::jobs::JobKind::AnalyzeDeal,
        None,
        Some(Uuid::new_v4()),
        json!({}),
    );
    let (job, _) = app.state.jobs.enqueue(&app.state.store, new).await.unwrap();
    let id = job.id.to_string();
    assert_eq!(app.drain_jobs().await, 1);
    let failed = app.job(&admin.access, &id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("no longer exists")
    );

    let monitor: Value = app
        .get("/api/v1/admin/jobs?status=failed", Some(&admin.access))
        .await
        .json()
        .await
        .unwrap();
    let expected = match deals_store::testing::Backend::from_env() {
        deals_store::testing::Backend::Postgres => "postgres",
        deals_store::testing::Backend::Sqlite => "sqlite",
    };
    assert_eq!(monitor["queue_backend"], expected);
    assert!(
        monitor["recent_failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == id.as_str())
    );
    assert_eq!(monitor["jobs"]["total"], 1);
    assert!(
        monitor["counts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "analyze_deal" && c["status"] == "failed" && c["count"] == 1)
    );
    let res = app.get("/api/v1/admin/jobs", Some(&user.access)).await;
    assert_problem(res, 403).await;
    let res = app
        .get("/api/v1/admin/jobs?status=lost", Some(&admin.access))
        .await;
    assert_problem(res, 422).await;

    let res = app
        .post(
            &format!("/api/v1/admin/jobs/{id}/retry"),
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.drain_jobs().await, 1);
    let again = app.job(&admin.access, &id).await;
    assert_eq!(
        (again["status"].as_str(), again["attempts"].as_i64()),
        (Some("failed"), Some(1))
    );
    let res = app
        .post(
            &format!("/api/v1/admin/jobs/{}/retry", Uuid::new_v4()),
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn markets_and_agent_providers_report_their_health() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let markets: Value = app.get("/api/v1/markets", None).await.json().await.unwrap();
    let names: Vec<&str> = markets
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "simulated")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for s in ["amazon", "walmart", "bestbuy", "target", "ebay"] {
        assert!(names.contains(&s), "{markets}");
    }
    // Stopping one store's simulator marks it down; the others keep answering.
    let sim = app.state.sim.clone().unwrap();
    sim.stop("target").await;
    let goal = app.create_goal(&user, HEADPHONES).await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let deals = app
        .get_json(&format!("/api/v1/goals/{id}/deals"), &user.access)
        .await;
    assert!(deals["total"].as_u64().unwrap() > 0, "{deals}");
    let markets = app.get_json("/api/v1/markets", &user.access).await;
    assert!(
        markets
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "target" && m["status"] == "down"),
        "{markets}"
    );
    assert!(
        markets
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "bestbuy" && m["status"] == "ok"),
        "{markets}"
    );
    let status: Value = app
        .get("/api/v1/agents/status", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["rules_only"], true);
    assert_eq!(
        status["providers"].as_array().unwrap().last().unwrap()["name"],
        "rules"
    );
}

#[tokio::test]
async fn a_listing_found_for_one_goal_is_matched_to_other_users_goals_that_fit() {
    let app = TestApp::spawn_with_markets().await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    // Bob's goal is stored without a job of its own, so it is never searched: only the goal
    // index can match it.
    let criteria = deals_core::GoalCriteria::from_json(json!({
        "keywords": ["headphones"],
        "brands": ["sony"],
        "categories": ["audio/headphones"]
    }))
    .unwrap();
    let bobs = deals_store::repo::goals::insert_goal_in(
        app.state.store.conn(),
        deals_store::repo::goals::NewGoal {
            user_id: Uuid::parse_str(&bob.id).unwrap(),
            title: "Sony headphones".into(),
            query: None,
            criteria,
            priority: deals_core::Priority::Low,
            deadline: None,
            max_matches: 50,
            notify_threshold: 0.99,
            target_price_minor: None,
        },
    )
    .await
    .unwrap();
    app.create_goal(&alice, HEADPHONES).await;
    app.drain_jobs().await;
    let deals: Value = app
        .get(
            &format!("/api/v1/goals/{}/deals?per_page=100", bobs.id),
            Some(&bob.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = deals["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{deals}");
    assert!(items.iter().all(|d| d["source"] == "index"), "{deals}");
    assert!(
        items
            .iter()
            .all(|d| d["match_reasons"].to_string().contains("brand: sony")),
        "{deals}"
    );
}
