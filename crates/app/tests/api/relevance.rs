//! What a shopper notices of relevance through the API: a console goal lists consoles first (not
//! their controllers), context words never empty a search, a goal's deals are ranked by match
//! one product at a time, with what cannot be bought last, and a search that finds nothing says
//! why.

use serde_json::Value;

use crate::helpers::TestApp;

async fn deals_of(app: &TestApp, token: &str, goal_id: &str) -> Vec<Value> {
    let page: Value = app
        .get(
            &format!("/api/v1/goals/{goal_id}/deals?per_page=100"),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_console_goal_lists_consoles_and_never_their_controllers() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "nintendo switch").await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let deals = deals_of(&app, &user.access, id).await;
    assert!(!deals.is_empty());
    for d in &deals {
        let title = d["title"].as_str().unwrap().to_lowercase();
        assert!(
            !title.contains("controller") && !title.contains("joy-con pair"),
            "an accessory matched the console goal: {title}"
        );
    }
}

#[tokio::test]
async fn context_words_rank_but_never_empty_the_search() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "a blender that can crush ice").await;
    assert!(
        !goal["criteria"]["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "crush" || k == "ice"),
        "context words are wishes, not required words: {}",
        goal["criteria"]
    );
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    assert!(!deals_of(&app, &user.access, id).await.is_empty());
}

#[tokio::test]
async fn a_goal_for_something_no_store_has_says_why_nothing_was_found() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "sony tv under $100").await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    assert!(deals_of(&app, &user.access, id).await.is_empty());
    let goal: Value = app
        .get(&format!("/api/v1/goals/{id}"), Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    let last = &goal["last_search"];
    assert_eq!(last["found"], 0, "{last}");
    let summary = last["summary"].as_str().unwrap();
    assert!(
        summary.contains("100.00") && summary.contains("cheapest"),
        "the reason names the price bound and the cheapest listing seen: {summary}"
    );
}

#[tokio::test]
async fn a_goals_deals_are_ranked_by_match_then_score_with_stock_outs_last() {
    let app = TestApp::spawn_with_markets().await;
    let user = app.register_user().await;
    let goal = app
        .create_goal(&user, "sony noise cancelling headphones")
        .await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let deals = deals_of(&app, &user.access, id).await;
    assert!(deals.len() >= 2);
    let available = |d: &Value| d["availability"] != "out_of_stock" && d["status"] == "active";
    let first_gone = deals.iter().position(|d| !available(d));
    if let Some(i) = first_gone {
        assert!(
            deals[i..].iter().all(|d| !available(d)),
            "nothing buyable after a stock-out"
        );
    }
    // Each product's best listing comes before any other store's listing of it, and each is
    // in match order among the first listings.
    let buyable = &deals[..first_gone.unwrap_or(deals.len())];
    let mut seen = std::collections::HashSet::new();
    let firsts: Vec<&Value> = buyable
        .iter()
        .take_while(|d| d["product_id"].is_null() || seen.insert(d["product_id"].to_string()))
        .collect();
    assert!(
        buyable[firsts.len()..]
            .iter()
            .all(|d| seen.contains(&d["product_id"].to_string())),
        "a new product after a repeat"
    );
    for pair in firsts.windows(2) {
        let a = pair[0]["match_score"].as_f64().unwrap();
        let b = pair[1]["match_score"].as_f64().unwrap();
        assert!(a + 0.05 >= b, "match order: {a} before {b}");
    }
    assert!(
        deals
            .iter()
            .any(|d| d["other_stores"].as_u64().unwrap() > 0),
        "the same headphones are sold at other stores too"
    );
}
