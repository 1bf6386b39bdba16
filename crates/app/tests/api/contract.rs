//! The OpenAPI document states the rules the server enforces, and the server accepts what the
//! document allows (issue 15: what `scripts/fuzz-api.sh` holds the two to, pinned here).

use deals_core::TokenAmount;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, error_fields};

async fn document(app: &TestApp) -> Value {
    app.get("/openapi.json", None).await.json().await.unwrap()
}

/// The schema of `name` under `components.schemas`.
fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

/// The schema of the query parameter `name` of `method path`.
fn query_param<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

#[tokio::test]
async fn the_document_states_each_field_rule_the_server_enforces() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;

    let register = component(&doc, "RegisterRequest");
    assert_eq!(register["properties"]["password"]["minLength"], 8);
    assert_eq!(register["properties"]["password"]["maxLength"], 128);
    assert_eq!(register["properties"]["email"]["format"], "email");

    let prefs = component(&doc, "Preferences");
    assert_eq!(prefs["additionalProperties"], false, "{prefs}");
    assert_eq!(
        prefs["properties"]["channels"]["additionalProperties"],
        false
    );
    let zones = prefs["properties"]["timezone"]["enum"].as_array().unwrap();
    assert!(zones.contains(&json!("Europe/Berlin")) && zones.contains(&json!("UTC")));
    assert!(prefs["properties"]["digest_time"]["pattern"].is_string());
    assert_eq!(prefs["properties"]["muted_goals"]["maxItems"], 1000);

    let channel = &component(&doc, "TestSendIn")["properties"]["channel"]["enum"];
    assert_eq!(
        channel,
        &json!(["webhook", "ntfy", "email", "telegram", "discord"])
    );
    let criteria = component(&doc, "CriteriaInputDoc");
    assert_eq!(criteria["additionalProperties"], false);
    assert!(
        criteria["properties"]["currency"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("EUR"))
    );
    assert_eq!(
        criteria["properties"]["markets"]["items"]["enum"],
        json!(["amazon", "walmart", "bestbuy", "target", "ebay"])
    );
    let create = component(&doc, "CreateGoalRequest");
    assert_eq!(create["properties"]["max_matches"]["minimum"], 1);
    assert_eq!(create["properties"]["max_matches"]["maximum"], 500);
    let track = component(&doc, "TrackRequest");
    assert_eq!(
        track["properties"]["notify_on_drop_pct"]["exclusiveMinimum"],
        0
    );
    assert!(track["properties"]["target_price"]["pattern"].is_string());

    let sig = query_param(&doc, "/api/v1/unsubscribe", "post", "sig");
    assert_eq!(sig["pattern"], "^[0-9a-f]{64}$");
    let per_page = query_param(&doc, "/api/v1/tokens/transactions", "get", "per_page");
    assert_eq!(
        (&per_page["minimum"], &per_page["maximum"]),
        (&json!(1), &json!(100))
    );
    let sort = query_param(&doc, "/api/v1/deals/search", "get", "sort");
    assert!(sort["enum"].as_array().unwrap().contains(&json!("")));
}

#[tokio::test]
async fn an_empty_filter_is_no_filter_and_a_blank_one_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .get(
            "/api/v1/deals/search?sort=&condition=&min_price=&max_price=",
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .get(
            "/api/v1/deals/search?sort=%20&condition=%20&min_price=%20",
            None,
        )
        .await;
    let problem = assert_problem(res, 422).await;
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["condition", "min_price", "sort"]);

    let res = app.get("/api/v1/goals?status=", Some(&user.access)).await;
    assert_eq!(res.status(), 200);
    let res = app
        .get("/api/v1/goals?status=%20", Some(&user.access))
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["status"]);
    let res = app
        .get("/api/v1/tokens/transactions?kind=", Some(&user.access))
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["kind"]);
}

#[tokio::test]
async fn a_deposit_without_a_linked_wallet_is_a_conflict_even_where_deposits_are_off() {
    // The default configuration has no token mint: deposits are off (503 for a linked wallet).
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let signature = bs58::encode([7u8; 64]).into_string();
    let res = app
        .post(
            "/api/v1/tokens/deposits",
            Some(&user.access),
            json!({ "signature": signature }),
        )
        .await;
    let problem = assert_problem(res, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("link a wallet")
    );
}

#[tokio::test]
async fn preferences_with_every_field_the_document_allows_are_accepted() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let prefs = json!({
        "channels": {"in_app": true, "email": false, "webhook_url": "https://hooks.example.com/a",
            "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "ntfy_url": null,
            "telegram_chat_id": "@deals", "discord_webhook_url": null},
        "min_priority": "medium",
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "timezone": "Europe/Berlin",
        "digest": "daily",
        "digest_time": "08:30",
        "muted_goals": []
    });
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(prefs.clone()),
        )
        .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved, prefs);
    let res = app
        .post(
            "/api/v1/users/me/preferences/test",
            Some(&user.access),
            json!({"channel": ""}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["channel"]);
}

#[tokio::test]
async fn an_invalid_goal_is_refused_as_invalid_before_its_price_is_checked() {
    let app = TestApp::spawn_with(|s| s.tokens.signup_bonus = TokenAmount::ZERO).await;
    let user = app.register_user().await;
    // The query alone would be read by the (metered) Goal Analysis agent first.
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"query": "a 4k tv", "priority": "urgent", "max_matches": 0}),
        )
        .await;
    let mut fields = error_fields(&assert_problem(res, 422).await);
    fields.sort();
    assert_eq!(fields, ["max_matches", "priority"]);
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"query": "a 4k tv"}),
        )
        .await;
    assert_problem(res, 402).await;
}
