//! DEAL tokens through the API: the public price list, the signup bonus, agent work charged to
//! the goal's owner (once per job step, refunded when it fails, released when its worker died),
//! 402 when the user cannot pay, and a goal paused when its owner runs out.

use deals_app::agents::Origin;
use deals_app::jobs::{JobKind, Jobs};
use deals_core::TokenAmount;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, assert_problem};

async fn balance(app: &TestApp, user: &TestUser) -> String {
    let body = app.get_json("/api/v1/tokens/balance", &user.access).await;
    body["balance"].as_str().unwrap().to_owned()
}

async fn transactions(app: &TestApp, user: &TestUser, query: &str) -> Value {
    app.get_json(&format!("/api/v1/tokens/transactions{query}"), &user.access)
        .await
}

#[tokio::test]
async fn the_price_list_is_public_and_says_what_the_bonus_covers() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/tokens/pricing", None).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["token"], "DEAL");
    assert_eq!(list["decimals"], 6);
    assert_eq!(list["signup_bonus"], "20.000000");
    assert_eq!(list["goals_covered_by_signup_bonus"], 18);
    let price = |op: &str| {
        list["prices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["operation"] == op)
            .unwrap()["price"]
            .clone()
    };
    assert_eq!(price("goal_analysis"), "1.000000");
    assert_eq!(price("deal_search"), "0.100000");
    assert_eq!(
        price("price_analysis"),
        "0.000000",
        "free on the offline rules"
    );
}

#[tokio::test]
async fn a_new_user_starts_with_the_bonus_and_pays_for_a_goal_and_its_search() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    assert_eq!(balance(&app, &user).await, "20.000000");
    let history = transactions(&app, &user, "").await;
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["kind"], "signup_bonus");
    assert_eq!(history["items"][0]["amount"], "20.000000");

    let goal = app
        .create_goal(&user, "sony noise cancelling headphones under $300")
        .await;
    app.drain_jobs().await;
    assert_eq!(balance(&app, &user).await, "18.900000");
    let charges = transactions(&app, &user, "?kind=charge").await;
    assert_eq!(charges["total"], 2);
    let search = &charges["items"][0];
    assert_eq!(search["amount"], "-0.100000");
    assert_eq!(search["balance_after"], "18.900000");
    assert_eq!(
        search["goal_id"], goal["id"],
        "scheduled work names its goal"
    );
    assert_eq!(charges["items"][1]["amount"], "-1.000000");
    let id = goal["id"].as_str().unwrap();
    let read = app
        .get_json(&format!("/api/v1/goals/{id}"), &user.access)
        .await;
    assert_eq!(read["tokens_spent"], "0.100000", "the goal's own searches");
    assert_eq!(read["max_tokens"], Value::Null);

    let bad = app
        .get("/api/v1/tokens/transactions?kind=gift", Some(&user.access))
        .await;
    assert_problem(bad, 422).await;
    assert_eq!(app.get("/api/v1/tokens/balance", None).await.status(), 401);
}

#[tokio::test]
async fn a_user_who_cannot_pay_gets_402_with_the_cost_and_the_balance() {
    let app = TestApp::spawn_with(|s| s.tokens.signup_bonus = TokenAmount::ZERO).await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"query": "a used bike"}),
        )
        .await;
    let problem = assert_problem(res, 402).await;
    assert_eq!(problem["cost"], "1.100000");
    assert_eq!(problem["balance"], "0.000000");
    let goals = app.get_json("/api/v1/goals", &user.access).await;
    assert_eq!(goals["total"], 0, "nothing was created");
}

#[tokio::test]
async fn a_goal_whose_owner_runs_out_is_paused_and_the_owner_told() {
    let app = TestApp::spawn_with(|s| {
        s.tokens.signup_bonus = TokenAmount::parse("1.1").unwrap();
    })
    .await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "a used road bike").await;
    app.drain_jobs().await;
    assert_eq!(balance(&app, &user).await, "0.000000");
    let id = goal["id"].as_str().unwrap();

    let asked = app
        .post(
            &format!("/api/v1/goals/{id}/search"),
            Some(&user.access),
            json!({}),
        )
        .await;
    assert_eq!(assert_problem(asked, 402).await["cost"], "0.100000");

    let user_id = Uuid::parse_str(&user.id).unwrap();
    let goal_id = Uuid::parse_str(id).unwrap();
    let scheduled = Jobs::new_job(
        JobKind::SearchDeals,
        Some(user_id),
        Some(goal_id),
        json!({}),
    );
    let (job, _) = app
        .state
        .jobs
        .enqueue(&app.state.store, scheduled)
        .await
        .unwrap();
    app.drain_jobs().await;
    let ran = app.job(&user.access, &job.id.to_string()).await;
    assert_eq!(ran["status"], "failed", "refused work is not retried");
    assert!(ran["error"].as_str().unwrap().contains("not enough tokens"));
    let goal = app
        .get_json(&format!("/api/v1/goals/{id}"), &user.access)
        .await;
    assert_eq!(goal["status"], "paused");
    let notes = app.get_json("/api/v1/notifications", &user.access).await;
    let paused = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "out_of_tokens")
        .expect("the owner is told");
    assert!(paused["body"].as_str().unwrap().contains("0.100000"));
}

#[tokio::test]
async fn a_retried_step_is_charged_once_and_refunded_when_the_job_fails_for_good() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "a used road bike").await;
    app.drain_jobs().await;
    let before = balance(&app, &user).await;
    let user_id = Uuid::parse_str(&user.id).unwrap();
    let goal_id = Uuid::parse_str(goal["id"].as_str().unwrap()).unwrap();
    let job = Uuid::now_v7();
    let origin = Origin::new(Some(user_id), Some(job)).for_goal(goal_id);
    for _ in 0..3 {
        deals_app::goals::discovery::search(&app.state, origin, goal_id)
            .await
            .unwrap();
    }
    let after = TokenAmount::parse(&before).unwrap().minor() - 100_000;
    let after = TokenAmount::from_minor(after).unwrap().to_string();
    assert_eq!(
        balance(&app, &user).await,
        after,
        "three attempts, one charge"
    );
    let held = app.get_json("/api/v1/tokens/balance", &user.access).await;
    assert_eq!(held["held"], "0.100000");

    deals_app::tokens::settle_job(&app.state, job, false).await;
    assert_eq!(
        balance(&app, &user).await,
        before,
        "the failed work is refunded"
    );
    let refunds = transactions(&app, &user, "?kind=refund").await;
    assert_eq!(refunds["total"], 1);
    assert_eq!(refunds["items"][0]["amount"], "0.100000");
}

#[tokio::test]
async fn a_hold_left_by_a_dead_worker_is_released_when_it_expires() {
    let app = TestApp::spawn_with(|s| s.tokens.hold_ttl_secs = 0).await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "a used road bike").await;
    app.drain_jobs().await;
    let before = balance(&app, &user).await;
    let user_id = Uuid::parse_str(&user.id).unwrap();
    let goal_id = Uuid::parse_str(goal["id"].as_str().unwrap()).unwrap();
    let origin = Origin::new(Some(user_id), Some(Uuid::now_v7())).for_goal(goal_id);
    deals_app::goals::discovery::search(&app.state, origin, goal_id)
        .await
        .unwrap();
    assert_ne!(
        balance(&app, &user).await,
        before,
        "the hold took its price"
    );
    // The worker "died" here: nothing posts or voids the hold. The hourly upkeep releases it.
    let released = deals_app::tokens::release_expired_holds(&app.state)
        .await
        .unwrap();
    assert_eq!(released, 1);
    assert_eq!(balance(&app, &user).await, before);
}

#[tokio::test]
async fn an_administrator_grants_tokens_with_a_reason_once_per_key() {
    let app = TestApp::spawn().await;
    let admin = app.register_admin().await;
    let user = app.register_user().await;
    let path = format!("/api/v1/admin/users/{}/tokens", user.id);
    let body =
        json!({"amount": "5.5", "reason": "sorry for the outage", "idempotency_key": "outage-1"});
    let res = app.post(&path, Some(&admin.access), body.clone()).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["kind"], "admin_grant");
    assert_eq!(first["reference"], format!("admin:{}", admin.id));
    let again: Value = app
        .post(&path, Some(&admin.access), body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], first["id"], "the same key grants once");
    assert_eq!(balance(&app, &user).await, "25.500000");

    let other =
        json!({"amount": "6", "reason": "sorry for the outage", "idempotency_key": "outage-1"});
    assert_problem(app.post(&path, Some(&admin.access), other).await, 409).await;
    let no_reason = json!({"amount": "1", "reason": " "});
    assert_problem(app.post(&path, Some(&admin.access), no_reason).await, 422).await;
    let by_user = json!({"amount": "1", "reason": "me"});
    assert_problem(app.post(&path, Some(&user.access), by_user).await, 403).await;
    assert_eq!(balance(&app, &user).await, "25.500000");
}

#[tokio::test]
async fn a_referral_rewards_both_sides_once_per_new_user() {
    let app = TestApp::spawn().await;
    let referrer = app.register_user().await;
    let code = app
        .get_json("/api/v1/tokens/referral", &referrer.access)
        .await;
    assert_eq!(code["reward"], "5.000000");
    let code = code["code"].as_str().unwrap().to_owned();
    let own = json!({ "code": code });
    let res = app
        .post("/api/v1/tokens/referral", Some(&referrer.access), own)
        .await;
    assert_problem(res, 422).await;

    let newcomer = app.register_user().await;
    let res = app
        .post(
            "/api/v1/tokens/referral",
            Some(&newcomer.access),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(balance(&app, &newcomer).await, "25.000000");
    assert_eq!(balance(&app, &referrer).await, "25.000000");
    let again = app
        .post(
            "/api/v1/tokens/referral",
            Some(&newcomer.access),
            json!({ "code": code }),
        )
        .await;
    assert_problem(again, 409).await;
    assert_eq!(
        balance(&app, &referrer).await,
        "25.000000",
        "one reward per referred user"
    );
    let history = transactions(&app, &referrer, "?kind=referral_reward").await;
    assert_eq!(history["total"], 1);
    let bogus = app
        .post(
            "/api/v1/tokens/referral",
            Some(&newcomer.access),
            json!({"code": "xyz"}),
        )
        .await;
    assert_problem(bogus, 422).await;
}

#[tokio::test]
async fn a_goal_pauses_when_its_budget_is_spent() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "a used road bike").await;
    let id = goal["id"].as_str().unwrap();
    let path = format!("/api/v1/goals/{id}/budget");
    let res = app
        .request(
            reqwest::Method::PUT,
            &path,
            Some(&user.access),
            Some(json!({"max_tokens": "0.15"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.drain_jobs().await;
    let read = app
        .get_json(&format!("/api/v1/goals/{id}"), &user.access)
        .await;
    assert_eq!(
        (read["tokens_spent"].as_str(), read["max_tokens"].as_str()),
        (Some("0.100000"), Some("0.150000"))
    );

    let asked = app
        .post(
            &format!("/api/v1/goals/{id}/search"),
            Some(&user.access),
            json!({}),
        )
        .await;
    let problem = assert_problem(asked, 402).await;
    assert_eq!(
        (
            problem["cost"].as_str(),
            problem["budget_remaining"].as_str()
        ),
        (Some("0.100000"), Some("0.050000"))
    );

    let user_id = Uuid::parse_str(&user.id).unwrap();
    let goal_id = Uuid::parse_str(id).unwrap();
    let scheduled = Jobs::new_job(
        JobKind::SearchDeals,
        Some(user_id),
        Some(goal_id),
        json!({}),
    );
    app.state
        .jobs
        .enqueue(&app.state.store, scheduled)
        .await
        .unwrap();
    app.drain_jobs().await;
    let read = app
        .get_json(&format!("/api/v1/goals/{id}"), &user.access)
        .await;
    assert_eq!(read["status"], "paused");
    assert_eq!(
        read["tokens_spent"], "0.100000",
        "nothing spent over the budget"
    );
    let notes = app.get_json("/api/v1/notifications", &user.access).await;
    assert!(notes["items"].as_array().unwrap().iter().any(|n| n["kind"] == "out_of_tokens"
        && n["body"].as_str().unwrap().contains("budget")));
    assert_eq!(
        balance(&app, &user).await,
        "18.900000",
        "the balance is untouched"
    );

    let other = app.register_user().await;
    let res = app
        .request(
            reqwest::Method::PUT,
            &path,
            Some(&other.access),
            Some(json!({"max_tokens": "9"})),
        )
        .await;
    assert_problem(res, 404).await;
}
