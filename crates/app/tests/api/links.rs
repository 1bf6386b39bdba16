//! Product links at ingest and for administrators: a listing is (re-)linked when a better
//! match appears and its market average follows; an administrator sees by which rule it was
//! linked and undoes the link, which the next ingest respects.

use deals_app::deals::ingest::ingest;
use deals_core::{Availability, Condition};
use deals_markets::{Offer, SourceKind};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem};

/// Valid UPC-A codes of two colours of one model.
const BLACK: &str = "027242923782";
const SILVER: &str = "027242923799";

fn offer(market: &str, id: &str, title: &str, gtin: Option<&str>, price_minor: i64) -> Offer {
    Offer {
        market: market.into(),
        source: SourceKind::Simulated,
        external_id: id.into(),
        url: format!("https://example.invalid/{market}/{id}"),
        title: title.into(),
        brand: Some("Sony".into()),
        model: None,
        gtin: gtin.map(Into::into),
        mpn: None,
        category: Some("headphones".into()),
        price_minor,
        original_price_minor: None,
        currency: "USD".into(),
        condition: Condition::New,
        seller_name: None,
        seller_rating: None,
        seller_review_count: None,
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        flags: Vec::new(),
    }
}

/// The Amazon listing with its GTIN (it creates the product) and the Best Buy one without,
/// which the title links to it.
fn amazon() -> Offer {
    offer(
        "amazon",
        "B0BXYZ",
        "Sony WH-1000XM5 Wireless Noise Canceling Headphones, Black",
        Some(BLACK),
        30_000,
    )
}

fn bestbuy(gtin: Option<&str>) -> Offer {
    offer(
        "bestbuy",
        "6505727",
        "Sony - WH1000XM5 Wireless Noise-Canceling Headphones - Black",
        gtin,
        35_000,
    )
}

async fn ingested(app: &TestApp, o: &Offer) -> Uuid {
    ingest(&app.state, o).await.unwrap().listing.id
}

async fn link(app: &TestApp, token: &str, listing: Uuid) -> Value {
    app.get_json(&format!("/api/v1/admin/listings/{listing}/link"), token)
        .await
}

async fn market_average(app: &TestApp, listing: Uuid) -> Value {
    let a: Value = app
        .get(&format!("/api/v1/deals/{listing}/analysis"), None)
        .await
        .json()
        .await
        .unwrap();
    a["market_average"].clone()
}

#[tokio::test]
async fn a_listing_is_linked_when_its_product_appears_and_moves_to_a_better_match() {
    let app = TestApp::spawn().await;
    let admin = app.register_admin().await;
    // Best Buy first: no product known yet.
    let b = ingested(&app, &bestbuy(None)).await;
    assert_eq!(link(&app, &admin.access, b).await["product"], Value::Null);
    // Amazon's GTIN creates the product; Best Buy's next observation links to it by title.
    let a = ingested(&app, &amazon()).await;
    let black = link(&app, &admin.access, a).await;
    assert_eq!(black["rule"], "gtin");
    assert!(ingest(&app.state, &bestbuy(None)).await.is_ok());
    let linked = link(&app, &admin.access, b).await;
    assert_eq!(linked["product"]["id"], black["product"]["id"]);
    assert_eq!(linked["rule"], "title");
    assert!(linked["score"].as_f64().unwrap() >= 0.0, "{linked}");
    assert_eq!(
        market_average(&app, b).await,
        "300.00",
        "the same product at Amazon"
    );
    // Walmart's silver one is another product; once Best Buy gives the silver GTIN, the listing
    // moves to it, and its market average with it.
    let w = offer(
        "walmart",
        "W1",
        "Sony WH-1000XM5 Wireless Headphones, Silver",
        Some(SILVER),
        28_000,
    );
    let w = ingested(&app, &w).await;
    let silver = link(&app, &admin.access, w).await;
    assert_ne!(silver["product"]["id"], black["product"]["id"]);
    ingested(&app, &bestbuy(Some(SILVER))).await;
    let moved = link(&app, &admin.access, b).await;
    assert_eq!(moved["product"]["id"], silver["product"]["id"]);
    assert_eq!(moved["rule"], "gtin");
    assert_eq!(moved["score"], Value::Null);
    assert_eq!(market_average(&app, b).await, "280.00");
}

#[tokio::test]
async fn an_unlinked_listing_is_not_linked_to_that_product_again() {
    let app = TestApp::spawn().await;
    let admin = app.register_admin().await;
    let a = ingested(&app, &amazon()).await;
    let b = ingested(&app, &bestbuy(None)).await;
    let product = link(&app, &admin.access, a).await["product"]["id"].clone();
    assert_eq!(link(&app, &admin.access, b).await["product"]["id"], product);
    let res = app
        .delete(
            &format!("/api/v1/admin/listings/{b}/link"),
            Some(admin.access.as_str()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["product"], Value::Null);
    assert_eq!(after["rule"], Value::Null);
    assert_eq!(after["blocked_products"][0]["id"], product);
    assert_eq!(
        market_average(&app, b).await,
        Value::Null,
        "no same product, too few comparables"
    );
    // The next observation finds the same product again, and leaves it alone.
    ingested(&app, &bestbuy(None)).await;
    let again = link(&app, &admin.access, b).await;
    assert_eq!(again["product"], Value::Null, "{again}");
    let stored = app.state.store.get_listing(b).await.unwrap();
    assert_eq!(stored.product_id, None);
    // Undoing twice is a conflict.
    let res = app
        .delete(
            &format!("/api/v1/admin/listings/{b}/link"),
            Some(admin.access.as_str()),
        )
        .await;
    let p = assert_problem(res, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("not linked"), "{p}");
}

#[tokio::test]
async fn product_links_are_for_administrators_and_known_listings() {
    let app = TestApp::spawn().await;
    let a = ingested(&app, &amazon()).await;
    let path = format!("/api/v1/admin/listings/{a}/link");
    assert_problem(app.get(&path, None).await, 401).await;
    let user = app.register_user().await;
    assert_problem(app.get(&path, Some(user.access.as_str())).await, 403).await;
    assert_problem(app.delete(&path, Some(user.access.as_str())).await, 403).await;
    let admin = app.register_admin().await;
    let unknown = format!("/api/v1/admin/listings/{}/link", Uuid::now_v7());
    assert_problem(app.get(&unknown, Some(admin.access.as_str())).await, 404).await;
    assert_problem(app.delete(&unknown, Some(admin.access.as_str())).await, 404).await;
    let p = assert_problem(
        app.get(
            "/api/v1/admin/listings/nope/link",
            Some(admin.access.as_str()),
        )
        .await,
        404,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("nope"), "{p}");
}

#[tokio::test]
async fn an_administrator_sees_a_link_and_undoes_it_on_the_links_page() {
    let app = TestApp::spawn().await;
    ingested(&app, &amazon()).await;
    let b = ingested(&app, &bestbuy(None)).await;
    let http = crate::ui::no_redirects();
    let email = format!("links-{}@example.com", Uuid::new_v4().simple());
    let (cookie, csrf) = crate::ui::sign_up_as(&app, &http, &email).await;
    let user = app
        .state
        .store
        .find_user_by_email(&deals_core::Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .update_user_credentials(user.id, deals_core::Role::Admin, user.password_hash)
        .await
        .unwrap();
    let page = |path: String| {
        http.get(app.url(&path))
            .header("cookie", format!("deals_session={cookie}"))
            .send()
    };
    let html = page(format!("/admin/links?listing={b}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Sony WH-1000XM5 Wireless Noise Canceling Headphones, Black"),
        "the product: {html}"
    );
    assert!(html.contains("title (score"), "the rule and score: {html}");
    let res = http
        .post(app.url(&format!("/admin/links/{b}/unlink")))
        .header("cookie", format!("deals_session={cookie}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = page(format!("/admin/links?listing={b}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Not linked to a product."), "{html}");
    assert!(html.contains("Unlinked by an administrator"), "{html}");
    let res = page("/admin/links?listing=nope".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("not a listing id"));
}
