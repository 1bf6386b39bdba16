//! Goals: create, list, read, update, delete, matched deals; every route refuses other users' ids.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, error_fields};

fn deal(title: &str, price: &str, market: &str) -> Value {
    json!({"title": title, "price": price, "url": format!("https://{market}.example/p/{}", title.len()), "market": market})
}

#[tokio::test]
async fn create_goal_from_plain_language_reads_the_criteria_out_of_it() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app
        .create_goal(
            &user,
            "Sony or Bose noise cancelling headphones under $300, new",
        )
        .await;
    assert_eq!(
        goal["query"],
        "Sony or Bose noise cancelling headphones under $300, new"
    );
    assert_eq!(goal["status"], "active");
    assert_eq!(goal["priority"], "medium");
    assert_eq!(goal["matches_found"], 0);
    assert_eq!(goal["notify_threshold"], 0.7);
    let c = &goal["criteria"];
    assert_eq!(c["brands"], json!(["sony", "bose"]));
    assert_eq!(c["categories"], json!(["audio/headphones"]));
    assert_eq!(c["keywords"], json!(["noise cancelling", "headphones"]));
    assert_eq!(c["conditions"], json!(["new"]));
    assert_eq!(c["max_price"], "300.00");
    assert_eq!(c["currency"], "USD");
    let laptop = app
        .create_goal(
            &user,
            "find me a gaming laptop with 16GB RAM under $1200, no refurbished, on eBay or Amazon",
        )
        .await;
    let c = &laptop["criteria"];
    assert_eq!(c["markets"], json!(["ebay", "amazon"]));
    assert_eq!(c["conditions"], json!(["new", "used", "open_box"]));
    assert_eq!(c["max_price"], "1200.00");
    assert!(
        !laptop["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with("find me"),
        "{laptop}"
    );
}

#[tokio::test]
async fn create_goal_with_criteria_normalises_them() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({
                "criteria": {"keywords": ["Headphones"], "brands": ["Sony", "Bose"], "max_price": 300, "conditions": ["new"]},
                "priority": "high",
                "target_price": "249.99",
                "deadline": "2099-01-01T00:00:00Z"
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let goal: Value = res.json().await.unwrap();
    assert_eq!(goal["criteria"]["brands"], json!(["sony", "bose"]));
    assert_eq!(goal["criteria"]["max_price"], "300.00");
    assert_eq!(goal["target_price"], "249.99");
    assert_eq!(goal["priority"], "high");
    assert_eq!(goal["title"], "sony bose headphones");
    assert_eq!(goal["deadline"], "2099-01-01T00:00:00Z");
}

#[tokio::test]
async fn create_goal_validation_names_each_field() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post("/api/v1/goals", Some(&user.access), json!({}))
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["query"]);
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({
                "query": "tv",
                "criteria": {"max_price": "-5", "conditions": ["mint"]},
                "priority": "urgent",
                "notify_threshold": 1.5,
                "max_matches": 0,
                "deadline": "2001-01-01T00:00:00Z"
            }),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(
        error_fields(&p),
        [
            "query",
            "criteria.conditions[0]",
            "criteria.max_price",
            "priority",
            "deadline",
            "max_matches",
            "notify_threshold"
        ]
    );
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"query": "a tv", "criteria": {"max_prce": 3}}),
        )
        .await;
    assert_eq!(
        error_fields(&assert_problem(res, 422).await),
        ["criteria.max_prce"]
    );
    let res = app
        .post("/api/v1/goals", Some(&user.access), json!({"query": 42}))
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["query"]);
}

#[tokio::test]
async fn list_goals_filters_by_status_and_paginates() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.create_goal(&user, &format!("goal number {i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let res = app
        .patch(
            &format!("/api/v1/goals/{}", ids[0]),
            Some(&user.access),
            json!({"status": "paused"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = app
        .get("/api/v1/goals?per_page=2&page=2", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Goal number 2", "Goal number 1"], "newest first");
    let paused: Value = app
        .get("/api/v1/goals?status=paused", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["total"], 1);
    assert_eq!(paused["items"][0]["id"], ids[0].as_str());
    let p = assert_problem(
        app.get("/api/v1/goals?status=sleeping", Some(&user.access))
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["status"]);
    let p = assert_problem(
        app.get("/api/v1/goals?per_page=101", Some(&user.access))
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["per_page"]);
    let p = assert_problem(
        app.get("/api/v1/goals?page=abc", Some(&user.access)).await,
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["page"]);
}

#[tokio::test]
async fn patch_updates_only_what_is_sent_and_null_clears() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "gaming laptop").await;
    let path = format!("/api/v1/goals/{}", goal["id"].as_str().unwrap());
    let res = app
        .patch(
            &path,
            Some(&user.access),
            json!({"target_price": "999", "priority": "critical"}),
        )
        .await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["target_price"], "999.00");
    assert_eq!(updated["priority"], "critical");
    assert_eq!(updated["title"], "Gaming laptop");
    let cleared: Value = app
        .patch(&path, Some(&user.access), json!({"target_price": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(cleared["target_price"].is_null());
    assert_eq!(cleared["priority"], "critical");
    let p = assert_problem(
        app.patch(
            &path,
            Some(&user.access),
            json!({"status": "done", "title": " "}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["title", "status"]);
    let unchanged: Value = app
        .get(&path, Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        unchanged["status"], "active",
        "a refused patch changes nothing"
    );
}

#[tokio::test]
async fn delete_removes_the_goal() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "espresso machine").await;
    let path = format!("/api/v1/goals/{}", goal["id"].as_str().unwrap());
    assert_eq!(app.delete(&path, Some(&user.access)).await.status(), 204);
    assert_problem(app.get(&path, Some(&user.access)).await, 404).await;
    assert_problem(app.delete(&path, Some(&user.access)).await, 404).await;
}

#[tokio::test]
async fn another_users_goal_is_404_on_every_route() {
    let app = TestApp::spawn().await;
    let owner = app.register_user().await;
    let intruder = app.register_user().await;
    let goal = app.create_goal(&owner, "4k monitor").await;
    let id = goal["id"].as_str().unwrap();
    let path = format!("/api/v1/goals/{id}");
    let deals = format!("{path}/deals");
    let t = Some(intruder.access.as_str());
    assert_problem(app.get(&path, t).await, 404).await;
    assert_problem(app.patch(&path, t, json!({"title": "mine now"})).await, 404).await;
    assert_problem(app.delete(&path, t).await, 404).await;
    assert_problem(app.get(&deals, t).await, 404).await;
    assert_problem(
        app.post(&deals, t, deal("Dell U2723QE", "499", "bestbuy"))
            .await,
        404,
    )
    .await;
    let list: Value = app.get("/api/v1/goals", t).await.json().await.unwrap();
    assert_eq!(list["total"], 0);
    // Nothing changed for the owner.
    let mine: Value = app
        .get(&path, Some(&owner.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["title"], "4k monitor");
    assert_eq!(mine["matches_found"], 0);
    // An unknown id answers exactly like someone else's.
    let unknown = app
        .get(&format!("/api/v1/goals/{}", uuid::Uuid::new_v4()), t)
        .await;
    let a = assert_problem(unknown, 404).await;
    let b = assert_problem(app.get(&path, t).await, 404).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn admins_reach_any_goal_by_id() {
    let app = TestApp::spawn().await;
    let owner = app.register_user().await;
    let admin = app.register_admin().await;
    let goal = app.create_goal(&owner, "robot vacuum").await;
    let path = format!("/api/v1/goals/{}", goal["id"].as_str().unwrap());
    assert_eq!(app.get(&path, Some(&admin.access)).await.status(), 200);
    assert_eq!(app.delete(&path, Some(&admin.access)).await.status(), 204);
}

#[tokio::test]
async fn attached_deals_are_stored_once_and_listed_for_the_goal() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "noise cancelling headphones").await;
    let gid = goal["id"].as_str().unwrap();
    let body = json!({
        "title": "Sony WH-1000XM5", "price": "279.99", "original_price": 399.99, "url": "https://www.bestbuy.com/site/6505727",
        "market": "BestBuy", "condition": "open_box", "seller": "Best Buy", "seller_rating": 4.7, "category": "Headphones"
    });
    let matched = app.attach_deal(&user, gid, body.clone()).await;
    assert_eq!(matched["price"], "279.99");
    assert_eq!(matched["original_price"], "399.99");
    assert_eq!(matched["discount_pct"], 30.0);
    assert_eq!(matched["market"], "bestbuy");
    assert_eq!(matched["condition"], "open_box");
    assert_eq!(matched["source"], "manual");
    let again = app.attach_deal(&user, gid, body).await;
    assert_eq!(
        again["id"], matched["id"],
        "same URL at the same market is the same deal"
    );
    app.attach_deal(&user, gid, deal("Bose QC45", "199.00", "walmart"))
        .await;
    let list: Value = app
        .get(&format!("/api/v1/goals/{gid}/deals"), Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    let g: Value = app
        .get(&format!("/api/v1/goals/{gid}"), Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(g["matches_found"], 2);
    let mine: Value = app
        .get(
            &format!("/api/v1/deals/{}", matched["id"].as_str().unwrap()),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["title"], "Sony WH-1000XM5");
}

#[tokio::test]
async fn attaching_an_impossible_deal_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "standing desk").await;
    let path = format!("/api/v1/goals/{}/deals", goal["id"].as_str().unwrap());
    let res = app
        .post(&path, Some(&user.access), json!({"title": "", "price": "0", "url": "javascript:alert(1)", "market": "best buy!", "seller_rating": 9}))
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(
        error_fields(&p),
        ["title", "price", "url", "market", "seller_rating"]
    );
    let res = app.post(&path, Some(&user.access), json!({"title": "Desk", "price": "1.999", "url": "https://x.example/d", "market": "amazon"})).await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["price"]);
    assert_eq!(app.state.store.count_listings().await.unwrap(), 0);
    let g: Value = app
        .get(
            &format!("/api/v1/goals/{}", goal["id"].as_str().unwrap()),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(g["matches_found"], 0);
}

#[tokio::test]
async fn concurrent_attaches_of_the_same_and_different_deals_all_succeed() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "usb-c charger").await;
    let path = format!("/api/v1/goals/{}/deals", goal["id"].as_str().unwrap());
    let same = json!({"title": "Anker 735", "price": "49.99", "url": "https://amazon.example/anker735", "market": "amazon"});
    let requests = (0..24).map(|i| {
        let body = if i % 2 == 0 {
            same.clone()
        } else {
            json!({"title": format!("Charger {i}"), "price": "19.99", "url": format!("https://walmart.example/c/{i}"), "market": "walmart"})
        };
        app.post(&path, Some(&user.access), body)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let g: Value = app
        .get(
            &format!("/api/v1/goals/{}", goal["id"].as_str().unwrap()),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        g["matches_found"], 13,
        "12 distinct deals and one deal attached 12 times"
    );
    assert_eq!(app.state.store.count_listings().await.unwrap(), 13);
}
