//! Oxylabs Realtime API adapter (Amazon, Walmart, Target) against a fake API.

use crate::support::{Canned, Fake, fast, fixture};
use deals_core::Availability;
use deals_markets::adapters::{Oxylabs, OxylabsStore};
use deals_markets::config::{OxylabsConfig, OxylabsStoreConfig, Secret};
use deals_markets::{Market, MarketError, SearchQuery};
use serde_json::{Value, json};

pub fn config(fake: &Fake) -> OxylabsConfig {
    let on = OxylabsStoreConfig {
        enabled: true,
        domain: "com".into(),
    };
    OxylabsConfig {
        base_url: fake.url(),
        username: Secret::new("oxy-user"),
        password: Secret::new("oxy-pass"),
        amazon: on.clone(),
        walmart: on.clone(),
        target: on,
        http: fast(),
    }
}

fn body(seen: &crate::support::Seen) -> Value {
    serde_json::from_str(&seen.body).unwrap()
}

#[tokio::test]
async fn amazon_search_posts_a_parsed_job_and_reads_organic_results() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/queries",
        vec![Canned::json(fixture("oxylabs_amazon_search.json"))],
    );
    let amazon = Oxylabs::new(OxylabsStore::Amazon, config(&fake)).unwrap();
    let offers = amazon
        .search(&SearchQuery::new("Noise cancelling headphones"))
        .await
        .unwrap();

    let asins: Vec<&str> = offers.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(
        asins,
        ["B09XS7JWHH", "B08HMWZBXC"],
        "the unreadable price is dropped"
    );
    let xm5 = &offers[0];
    assert_eq!(xm5.market, "amazon");
    assert_eq!(xm5.price_minor, 32_800);
    assert_eq!(xm5.original_price_minor, Some(39_999));
    assert_eq!(xm5.brand.as_deref(), Some("Sony"));
    assert_eq!(xm5.seller_review_count, Some(12_011));
    assert_eq!(
        xm5.url,
        "https://www.amazon.com/Sony-WH-1000XM5-Canceling-Headphones-Hands-Free/dp/B09XS7JWHH/ref=sr_1_1"
    );

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    // base64("oxy-user:oxy-pass")
    assert_eq!(
        seen[0].header("authorization"),
        Some("Basic b3h5LXVzZXI6b3h5LXBhc3M=")
    );
    assert_eq!(
        body(&seen[0]),
        json!({"source": "amazon_search", "domain": "com", "query": "noise cancelling headphones",
               "parse": true, "pages": 1, "start_page": 1})
    );
}

#[tokio::test]
async fn walmart_search_reads_the_nested_shape() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/queries",
        vec![Canned::json(fixture("oxylabs_walmart_search.json"))],
    );
    let walmart = Oxylabs::new(OxylabsStore::Walmart, config(&fake)).unwrap();
    let offers = walmart
        .search(&SearchQuery::new("headphones"))
        .await
        .unwrap();
    assert_eq!(offers.len(), 2);
    let beats = &offers[0];
    assert_eq!(beats.external_id, "5027275834");
    assert_eq!(
        beats.title,
        "Beats Studio Pro Wireless Noise Cancelling Headphones - Black"
    );
    assert_eq!(beats.price_minor, 16_900);
    assert_eq!(beats.original_price_minor, Some(34_999));
    assert_eq!(beats.seller_name.as_deref(), Some("Walmart.com"));
    assert_eq!(beats.seller_rating, Some(4.5));
    assert_eq!(beats.seller_review_count, Some(3210));
    assert_eq!(beats.shipping_minor, Some(0));
    assert_eq!(beats.availability, Availability::InStock);
    assert_eq!(
        beats.url,
        "https://www.walmart.com/ip/Beats-Studio-Pro-Wireless-Noise-Cancelling-Headphones-Black/5027275834"
    );
    assert_eq!(offers[1].availability, Availability::OutOfStock);
    assert_eq!(body(&fake.seen()[0])["source"], "walmart_search");
}

#[tokio::test]
async fn target_search_reads_the_flat_shape() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/queries",
        vec![Canned::json(fixture("oxylabs_target_search.json"))],
    );
    let target = Oxylabs::new(OxylabsStore::Target, config(&fake)).unwrap();
    let offers = target.search(&SearchQuery::new("bose")).await.unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].external_id, "88789211");
    assert_eq!(offers[0].price_minor, 37_999);
    assert_eq!(offers[0].seller_name.as_deref(), Some("Target"));
    assert_eq!(offers[0].market, "target");
    assert_eq!(body(&fake.seen()[0])["source"], "target_search");
}

#[tokio::test]
async fn products_send_the_asin_as_query_or_the_product_id() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/queries",
        vec![Canned::json(fixture("oxylabs_amazon_product.json"))],
    );
    let cfg = config(&fake);
    let offer = Oxylabs::new(OxylabsStore::Amazon, cfg.clone())
        .unwrap()
        .product("B09XS7JWHH")
        .await
        .unwrap();
    assert_eq!(offer.availability, Availability::LowStock);
    assert_eq!(offer.category.as_deref(), Some("Headphones"));
    assert_eq!(offer.seller_name.as_deref(), Some("Amazon.com"));
    assert_eq!(offer.model.as_deref(), Some("WH1000XM5/B"));
    assert_eq!(
        body(&fake.seen()[0]),
        json!({"source": "amazon_product", "domain": "com", "query": "B09XS7JWHH", "parse": true})
    );

    Oxylabs::new(OxylabsStore::Walmart, cfg)
        .unwrap()
        .product("5027275834")
        .await
        .unwrap();
    let walmart = body(&fake.seen()[1]);
    assert_eq!(walmart["source"], "walmart_product");
    assert_eq!(walmart["product_id"], "5027275834");
}

#[tokio::test]
async fn a_target_page_that_is_gone_is_not_found() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/queries",
        vec![Canned::json(
            r#"{"results":[{"content":{},"status_code":404,"url":"https://www.target.com/p/-/A-1"}],"job":{"status":"done"}}"#,
        )],
    );
    let target = Oxylabs::new(OxylabsStore::Target, config(&fake)).unwrap();
    let err = target.product("1").await.unwrap_err();
    assert!(matches!(err, MarketError::NotFound(_)), "{err:?}");
}
