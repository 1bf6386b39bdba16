//! Scores that explain themselves: the analysis and price-history endpoints.

use chrono::Duration;
use deals_core::{Availability, Condition};
use deals_store::now;
use deals_store::repo::listings::{NewListing, NewProduct};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, error_fields};

fn offer(
    market: &str,
    ext: &str,
    price: i64,
    original: Option<i64>,
    product: Option<Uuid>,
) -> NewListing {
    NewListing {
        product_id: product,
        owner_id: None,
        market: market.into(),
        external_id: ext.into(),
        url: format!("https://{market}.example/{ext}"),
        title: "Bose QuietComfort Ultra Headphones".into(),
        brand: Some("bose".into()),
        category: Some("headphones".into()),
        price_minor: price,
        original_price_minor: original,
        currency: deals_core::Currency::USD,
        condition: Condition::New,
        seller_name: Some(market.into()),
        seller_rating: Some(4.6),
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        seen_at: now(),
        flags: vec![],
    }
}

async fn product(app: &TestApp) -> Uuid {
    app.state
        .store
        .find_or_create_product(NewProduct {
            title: "Bose QuietComfort Ultra".into(),
            brand: Some("bose".into()),
            model: Some("QC Ultra".into()),
            gtin: Some("0017817841795".into()),
            mpn: None,
            category: Some("headphones".into()),
        })
        .await
        .unwrap()
        .id
}

async fn analysis(app: &TestApp, id: Uuid) -> Value {
    let res = app.get(&format!("/api/v1/deals/{id}/analysis"), None).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_score_is_the_seed_formula_with_every_modifier_explained() {
    let app = TestApp::spawn().await;
    let p = product(&app).await;
    let store = &app.state.store;
    // Same product at three stores: 300, 400, 440 → for the 300 one, the others average 420.
    let cheap = store
        .upsert_listing(offer("amazon", "A1", 30_000, Some(42_900), Some(p)))
        .await
        .unwrap()
        .listing;
    store
        .upsert_listing(offer("walmart", "W1", 40_000, Some(42_900), Some(p)))
        .await
        .unwrap();
    store
        .upsert_listing(offer("target", "T1", 44_000, Some(42_900), Some(p)))
        .await
        .unwrap();
    let a = analysis(&app, cheap.id).await;
    let m = &a["modifiers"];
    for name in [
        "price_trend",
        "source_reliability",
        "discount",
        "competitiveness",
    ] {
        assert!(
            m[name]["value"].is_number() && !m[name]["explanation"].as_str().unwrap().is_empty(),
            "{name}: {a}"
        );
    }
    // 300/429 → 30.07 % off: +7; 300 < 80 % of 420: +10; amazon: (0.95 − 0.8) × 10 = +1.5.
    assert_eq!(m["discount"]["value"], 7.0);
    assert_eq!(m["competitiveness"]["value"], 10.0);
    assert!((m["source_reliability"]["value"].as_f64().unwrap() - 1.5).abs() < 1e-9);
    assert_eq!(a["market_average"], "420.00");
    assert_eq!(a["details"]["market_average"]["basis"], "same_product");
    let sum: f64 = [
        "price_trend",
        "source_reliability",
        "discount",
        "competitiveness",
    ]
    .iter()
    .map(|n| m[*n]["value"].as_f64().unwrap())
    .sum::<f64>()
        + a["base_score"].as_f64().unwrap();
    let final_score = a["final_score"].as_f64().unwrap();
    assert!((final_score - sum.clamp(0.0, 100.0)).abs() < 1e-9);
    assert!((a["normalized_score"].as_f64().unwrap() - final_score / 100.0).abs() < 1e-9);
    assert_eq!(a["is_anomaly"], false);
    assert!(
        a["formula_version"].is_string() && a["explanation"].as_str().unwrap().contains("amazon")
    );
    // The score is now the deal's score, in the search ranking too.
    let deal: Value = app
        .get(&format!("/api/v1/deals/{}", cheap.id), None)
        .await
        .json()
        .await
        .unwrap();
    assert!((deal["score"].as_f64().unwrap() - final_score / 100.0).abs() < 1e-9);
}

#[tokio::test]
async fn an_inflated_was_price_is_measured_against_our_own_prior_30_days() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let mut listing = offer("walmart", "FAKE", 19_999, None, None);
    for days_ago in [25, 18, 10] {
        listing.seen_at = now() - Duration::days(days_ago);
        listing.price_minor = 19_999 + days_ago * 10;
        store.upsert_listing(listing.clone()).await.unwrap();
    }
    // Now "was $399.99, now $179.99" — it never sold at $399.99 here.
    listing.seen_at = now();
    listing.price_minor = 17_999;
    listing.original_price_minor = Some(39_999);
    let id = store.upsert_listing(listing).await.unwrap().listing.id;
    let a = analysis(&app, id).await;
    let check = &a["details"]["reference_check"];
    assert_eq!(check["supported"], false, "{a}");
    assert_eq!(
        check["reference_minor"], 20_099,
        "the lowest price of the prior 30 days"
    );
    // 179.99 vs 200.99 is 10.4 % off: +3, not the +10 the claimed 55 % would give.
    assert_eq!(a["modifiers"]["discount"]["value"], 3.0);
}

#[tokio::test]
async fn price_history_lists_every_store_of_the_product_with_stats() {
    let app = TestApp::spawn().await;
    let p = product(&app).await;
    let store = &app.state.store;
    let mut a = offer("amazon", "A2", 35_000, None, Some(p));
    a.seen_at = now() - Duration::days(20);
    let first = store.upsert_listing(a.clone()).await.unwrap().listing;
    a.seen_at = now() - Duration::days(5);
    a.price_minor = 33_000;
    store.upsert_listing(a).await.unwrap();
    store
        .upsert_listing(offer("bestbuy", "B2", 34_000, None, Some(p)))
        .await
        .unwrap();
    let res = app
        .get(
            &format!("/api/v1/deals/{}/price-history?days=30", first.id),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    let points: Vec<(String, String)> = h["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["market"].as_str().unwrap().to_owned(),
                p["price"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        points,
        [
            ("amazon".into(), "350.00".into()),
            ("amazon".into(), "330.00".into()),
            ("bestbuy".into(), "340.00".into())
        ]
    );
    assert_eq!(h["stats"]["min"], "330.00");
    assert_eq!(h["stats"]["max"], "350.00");
    assert_eq!(h["stats"]["avg"], "340.00");
    assert!(["falling", "stable", "rising"].contains(&h["stats"]["trend"].as_str().unwrap()));
    let short: Value = app
        .get(
            &format!("/api/v1/deals/{}/price-history?days=3", first.id),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        short["points"].as_array().unwrap().len(),
        1,
        "only the last 3 days"
    );
    let p = assert_problem(
        app.get(
            &format!("/api/v1/deals/{}/price-history?days=0", first.id),
            None,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["days"]);
    assert_problem(
        app.get(&format!("/api/v1/deals/{}/analysis", Uuid::new_v4()), None)
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn an_attached_deal_is_scored_and_matched_with_reasons() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/goals",
            Some(&user.access),
            json!({"criteria": {"keywords": ["noise cancelling", "headphones"], "brands": ["sony"], "max_price": "300"}}),
        )
        .await;
    let goal: Value = res.json().await.unwrap();
    let deal = app
        .attach_deal(
            &user,
            goal["id"].as_str().unwrap(),
            json!({"title": "Sony WH-1000XM5 Wireless Noise Canceling Headphones", "price": "279.99", "original_price": "399.99",
                   "url": "https://bestbuy.example/xm5", "market": "bestbuy", "brand": "Sony", "category": "headphones"}),
        )
        .await;
    assert!(
        deal["score"].as_f64().unwrap() > 0.0,
        "scored on attach: {deal}"
    );
    assert!(deal["match_score"].as_f64().unwrap() > 0.5, "{deal}");
    let reasons: Vec<&str> = deal["match_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("sony")), "{reasons:?}");
    let id = deal["id"].as_str().unwrap();
    let a: Value = app
        .get(&format!("/api/v1/deals/{id}/analysis"), Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        a["modifiers"]["discount"]["value"], 7.0,
        "30 % off the list price"
    );
    assert_problem(
        app.get(&format!("/api/v1/deals/{id}/analysis"), None).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn an_attached_deal_finds_the_same_product_at_the_other_stores() {
    let app = TestApp::spawn().await;
    deals_app::seed::load_demo(
        &app.state.store,
        &deals_app::startup::sim_world(&app.state.settings),
    )
    .await
    .unwrap();
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "sony headphones").await;
    let gid = goal["id"].as_str().unwrap();
    let deal = app
        .attach_deal(
            &user,
            gid,
            json!({"title": "Sony WH-1000XM5 Wireless Noise Canceling Headphones", "price": "259.00",
                   "url": "https://shop.example/xm5", "market": "costco", "brand": "Sony", "category": "headphones"}),
        )
        .await;
    assert!(
        deal["product_id"].is_string(),
        "linked to the catalogue product: {deal}"
    );
    let id = deal["id"].as_str().unwrap();
    let a: Value = app
        .get(&format!("/api/v1/deals/{id}/analysis"), Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        a["details"]["market_average"]["basis"], "same_product",
        "{a}"
    );
    let h: Value = app
        .get(
            &format!("/api/v1/deals/{id}/price-history"),
            Some(&user.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let markets: std::collections::BTreeSet<&str> = h["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["market"].as_str().unwrap())
        .collect();
    assert!(
        markets.len() >= 3 && markets.contains("costco"),
        "{markets:?}"
    );
    // A different variant is not the same product.
    let other = app
        .attach_deal(
            &user,
            gid,
            json!({"title": "Sony WH-1000XM4 Wireless Noise Canceling Headphones", "price": "199.00",
                   "url": "https://shop.example/xm4", "market": "costco", "brand": "Sony", "category": "headphones"}),
        )
        .await;
    assert_ne!(
        other["product_id"], deal["product_id"],
        "the XM4 is not the XM5: {other}"
    );
    let bad = app
        .post(
            &format!("/api/v1/goals/{gid}/deals"),
            Some(&user.access),
            json!({"title": "x", "price": "1", "url": "https://x.example", "market": "x", "gtin": "4548736132611"}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(bad, 422).await), ["gtin"]);
}
