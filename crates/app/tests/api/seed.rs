//! The demo data of a first run.

use deals_app::seed::{DEMO_EMAIL, DEMO_PASSWORD, load_demo};
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn demo_data_loads_once_and_the_demo_account_signs_in() {
    let app = TestApp::spawn().await;
    load_demo(
        &app.state.store,
        &deals_app::startup::sim_world(&app.state.settings),
    )
    .await
    .unwrap();
    let listings = app.state.store.count_listings().await.unwrap();
    assert!(listings >= 40, "{listings} demo listings");
    load_demo(
        &app.state.store,
        &deals_app::startup::sim_world(&app.state.settings),
    )
    .await
    .unwrap();
    assert_eq!(
        app.state.store.count_listings().await.unwrap(),
        listings,
        "loading again adds nothing"
    );

    let demo = app.login(DEMO_EMAIL, DEMO_PASSWORD).await;
    let goals: Value = app
        .get("/api/v1/goals", Some(&demo.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(goals["total"], 2);
    let tokens = app.get_json("/api/v1/tokens/balance", &demo.access).await;
    assert_eq!(
        tokens["balance"], "100.000000",
        "the demo account can pay for work"
    );
    let found: Value = app
        .get(
            "/api/v1/deals/search?q=noise%20cancelling&market=amazon",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(found["total"].as_u64().unwrap() >= 1, "{found}");
    let id = uuid::Uuid::parse_str(found["items"][0]["id"].as_str().unwrap()).unwrap();
    let history = app
        .state
        .store
        .price_history(id, deals_store::now() - chrono::Duration::days(91))
        .await
        .unwrap();
    assert!(
        history.len() >= 5,
        "weekly prices over 90 days, {} points",
        history.len()
    );
}
