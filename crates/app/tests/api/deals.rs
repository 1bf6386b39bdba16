//! The public deal search (full text, filters, sort, pagination) and deal pages, with caching
//! invalidated when a listing changes.

use deals_app::deals::cache::invalidate_listing;
use deals_core::{Availability, Condition};
use deals_store::repo::listings::NewListing;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, error_fields};

/// Five market listings, as the market adapters will store them.
pub async fn catalog(app: &TestApp) -> Vec<Uuid> {
    let deals = [
        (
            "Sony WH-1000XM5 Noise Cancelling Headphones",
            29_999,
            Some(39_999),
            "amazon",
            "headphones",
            Condition::New,
        ),
        (
            "Bose QuietComfort Ultra Headphones",
            34_900,
            Some(42_900),
            "bestbuy",
            "headphones",
            Condition::New,
        ),
        (
            "Sony WF-1000XM4 Earbuds",
            14_999,
            None,
            "ebay",
            "headphones",
            Condition::Refurbished,
        ),
        (
            "JBL Flip 6 Portable Speaker",
            9_995,
            Some(12_995),
            "walmart",
            "speakers",
            Condition::New,
        ),
        (
            "Sonos Era 100 Speaker",
            19_900,
            Some(24_900),
            "target",
            "speakers",
            Condition::OpenBox,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (title, price, original, market, category, condition)) in deals.into_iter().enumerate()
    {
        let saved = app
            .state
            .store
            .upsert_listing(market_listing(
                i, title, price, original, market, category, condition,
            ))
            .await
            .unwrap();
        ids.push(saved.listing.id);
    }
    ids
}

fn market_listing(
    i: usize,
    title: &str,
    price: i64,
    original: Option<i64>,
    market: &str,
    category: &str,
    condition: Condition,
) -> NewListing {
    NewListing {
        product_id: None,
        owner_id: None,
        market: market.into(),
        external_id: format!("item-{i}"),
        url: format!("https://{market}.example/item/{i}"),
        title: title.into(),
        brand: None,
        category: Some(category.into()),
        price_minor: price,
        original_price_minor: original,
        currency: deals_core::Currency::USD,
        condition,
        seller_name: Some(market.into()),
        seller_rating: Some(4.5),
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        seen_at: deals_store::now() + chrono::Duration::milliseconds(i as i64),
        flags: vec![],
    }
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn search(app: &TestApp, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/deals/search?{query}"), None)
        .await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn search_works_without_login_and_matches_words_and_stems() {
    let app = TestApp::spawn().await;
    catalog(&app).await;
    let page = search(&app, "q=headphone").await;
    assert_eq!(
        page["total"], 3,
        "two titles and one category say headphones"
    );
    let page = search(&app, "q=sony").await;
    assert_eq!(page["total"], 2);
    let page = search(&app, "q=sony%20or%20jbl&sort=price").await;
    assert_eq!(
        titles(&page),
        [
            "JBL Flip 6 Portable Speaker",
            "Sony WF-1000XM4 Earbuds",
            "Sony WH-1000XM5 Noise Cancelling Headphones"
        ]
    );
    let page = search(&app, "q=%22*%20NEAR(").await;
    assert_eq!(
        page["total"], 0,
        "operators in user text are treated as words"
    );
}

#[tokio::test]
async fn search_filters_combine() {
    let app = TestApp::spawn().await;
    catalog(&app).await;
    assert_eq!(search(&app, "category=speakers").await["total"], 2);
    assert_eq!(
        titles(&search(&app, "market=ebay").await),
        ["Sony WF-1000XM4 Earbuds"]
    );
    assert_eq!(
        titles(&search(&app, "condition=open_box").await),
        ["Sonos Era 100 Speaker"]
    );
    let page = search(&app, "min_price=100&max_price=300&sort=price").await;
    assert_eq!(
        titles(&page),
        [
            "Sony WF-1000XM4 Earbuds",
            "Sonos Era 100 Speaker",
            "Sony WH-1000XM5 Noise Cancelling Headphones"
        ]
    );
    assert_eq!(
        search(&app, "q=sony&category=headphones&condition=new").await["total"],
        1
    );
}

#[tokio::test]
async fn search_sorts_by_price_discount_and_newest() {
    let app = TestApp::spawn().await;
    catalog(&app).await;
    let by_discount = titles(&search(&app, "sort=discount").await);
    assert_eq!(
        by_discount[0], "Sony WH-1000XM5 Noise Cancelling Headphones",
        "25 % off is the largest discount"
    );
    assert_eq!(
        by_discount[4], "Sony WF-1000XM4 Earbuds",
        "no discount comes last"
    );
    let newest = titles(&search(&app, "sort=newest").await);
    assert_eq!(newest[0], "Sonos Era 100 Speaker");
    let cheapest = titles(&search(&app, "sort=price").await);
    assert_eq!(cheapest[0], "JBL Flip 6 Portable Speaker");
}

#[tokio::test]
async fn search_paginates_with_totals() {
    let app = TestApp::spawn().await;
    catalog(&app).await;
    let p1 = search(&app, "sort=price&per_page=2&page=1").await;
    let p3 = search(&app, "sort=price&per_page=2&page=3").await;
    assert_eq!(
        (p1["total"].as_u64(), p1["items"].as_array().unwrap().len()),
        (Some(5), 2)
    );
    assert_eq!(titles(&p3), ["Bose QuietComfort Ultra Headphones"]);
    assert_eq!(search(&app, "per_page=2&page=9").await["items"], json!([]));
}

#[tokio::test]
async fn search_rejects_bad_parameters_naming_them() {
    let app = TestApp::spawn().await;
    let res = app
        .get(
            "/api/v1/deals/search?min_price=abc&sort=best&condition=mint&per_page=0",
            None,
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(
        error_fields(&p),
        ["per_page", "min_price", "condition", "sort"]
    );
    let res = app
        .get("/api/v1/deals/search?min_price=300&max_price=100", None)
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["min_price"]);
}

#[tokio::test]
async fn deal_pages_are_public_and_unknown_ids_are_404() {
    let app = TestApp::spawn().await;
    catalog(&app).await;
    let first = &search(&app, "q=bose").await["items"][0];
    let id = first["id"].as_str().unwrap();
    let deal: Value = app
        .get(&format!("/api/v1/deals/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    for field in [
        "id",
        "title",
        "market",
        "url",
        "price",
        "original_price",
        "currency",
        "condition",
        "seller",
        "score",
    ] {
        assert!(deal.get(field).is_some(), "{field} missing");
    }
    assert_eq!(deal["price"], "349.00");
    assert_problem(
        app.get(&format!("/api/v1/deals/{}", uuid::Uuid::new_v4()), None)
            .await,
        404,
    )
    .await;
    // An id that is not a UUID names no deal: 404, like an unknown one, saying why.
    let res = app.get("/api/v1/deals/not-a-uuid", None).await;
    let p = assert_problem(res, 404).await;
    assert!(p["detail"].as_str().unwrap().contains("not-a-uuid"), "{p}");
}

#[tokio::test]
async fn cached_deal_and_search_results_follow_listing_changes() {
    let app = TestApp::spawn().await;
    let ids = catalog(&app).await;
    let before = search(&app, "q=bose").await;
    assert_eq!(before["items"][0]["price"], "349.00");
    let page: Value = app
        .get(&format!("/api/v1/deals/{}", ids[1]), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["price"], "349.00");
    // The market reports a lower price; the ingestion path stores it and invalidates.
    let cheaper = market_listing(
        1,
        "Bose QuietComfort Ultra Headphones",
        29_900,
        Some(42_900),
        "bestbuy",
        "headphones",
        Condition::New,
    );
    app.state.store.upsert_listing(cheaper).await.unwrap();
    let stale: Value = app
        .get(&format!("/api/v1/deals/{}", ids[1]), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stale["price"], "349.00",
        "served from the cache until invalidated"
    );
    invalidate_listing(&app.state, ids[1]).await;
    let page: Value = app
        .get(&format!("/api/v1/deals/{}", ids[1]), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["price"], "299.00", "deal page cache invalidated");
    let after = search(&app, "q=bose").await;
    assert_eq!(
        after["items"][0]["price"], "299.00",
        "search cache invalidated"
    );
}

#[tokio::test]
async fn deals_attached_by_hand_are_private_to_their_owner() {
    let app = TestApp::spawn().await;
    let ids = catalog(&app).await;
    let owner = app.register_user().await;
    let other = app.register_user().await;
    let goal = app.create_goal(&owner, "headphones").await;
    // The owner tries to pass off their own offer as the Amazon listing.
    let attached = app
        .attach_deal(
            &owner,
            goal["id"].as_str().unwrap(),
            json!({"title": "Sony WH-1000XM5 (my find)", "price": "1.00", "url": "https://phish.example/sony",
                   "market": "amazon", "external_id": "item-0", "category": "headphones"}),
        )
        .await;
    assert_ne!(
        attached["id"].as_str().unwrap(),
        ids[0].to_string(),
        "a new deal, not the market listing"
    );
    let market: Value = app
        .get(&format!("/api/v1/deals/{}", ids[0]), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(market["price"], "299.99");
    assert_eq!(market["url"], "https://amazon.example/item/0");
    let private = format!("/api/v1/deals/{}", attached["id"].as_str().unwrap());
    assert_eq!(app.get(&private, Some(&owner.access)).await.status(), 200);
    assert_problem(app.get(&private, Some(&other.access)).await, 404).await;
    assert_problem(app.get(&private, None).await, 404).await;
    assert_problem(app.get(&private, Some("not-a-token")).await, 401).await;
    let page = search(&app, "q=sony").await;
    assert_eq!(
        page["total"], 2,
        "private deals stay out of the public search"
    );
}
