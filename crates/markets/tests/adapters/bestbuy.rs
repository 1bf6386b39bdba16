//! Best Buy Products API adapter against a fake API.

use crate::support::{Canned, Fake, fast, fixture};
use deals_core::{Availability, Condition};
use deals_markets::adapters::BestBuy;
use deals_markets::config::{BestBuyConfig, Secret};
use deals_markets::{Market, MarketError, SearchQuery, SourceStatus};

pub fn bestbuy(fake: &Fake) -> BestBuy {
    BestBuy::new(BestBuyConfig {
        enabled: true,
        base_url: fake.url(),
        api_key: Secret::new("bb-key"),
        page_size: 2,
        http: fast(),
    })
    .unwrap()
}

#[tokio::test]
async fn search_follows_pages_and_drops_impossible_offers() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/products(",
        vec![
            Canned::json(fixture("bestbuy_search_page1.json")),
            Canned::json(fixture("bestbuy_search_page2.json")),
        ],
    );
    let mut q = SearchQuery::new("Noise cancelling");
    q.max_price_minor = Some(3_000_000);
    let offers = bestbuy(&fake).search(&q).await.unwrap();

    let skus: Vec<&str> = offers.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(skus, ["6505727", "6554397"], "the $0.00 offer is dropped");
    let xm5 = &offers[0];
    assert_eq!(xm5.price_minor, 32_999);
    assert_eq!(xm5.original_price_minor, Some(39_999));
    assert_eq!(xm5.currency, "USD");
    assert_eq!(xm5.brand.as_deref(), Some("Sony"));
    assert_eq!(xm5.gtin.as_deref(), Some("00027242923782"));
    assert_eq!(xm5.seller_name.as_deref(), Some("Best Buy"));
    assert_eq!(xm5.seller_rating, Some(4.6));
    assert_eq!(xm5.seller_review_count, Some(5321));
    assert_eq!(xm5.shipping_minor, Some(0));
    assert_eq!(xm5.category.as_deref(), Some("All Headphones"));
    assert_eq!(xm5.availability, Availability::InStock);
    assert!(xm5.flags.is_empty());
    let refurb = &offers[1];
    assert_eq!(refurb.condition, Condition::Refurbished);
    assert_eq!(refurb.availability, Availability::OutOfStock);
    assert_eq!(refurb.shipping_minor, Some(599));
    assert_eq!(
        refurb.flags,
        ["price_jump"],
        "89.99 is under 30 % of 549.00"
    );

    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].path,
        "/v1/products(search=noise&search=cancelling&salePrice<=30000.00)"
    );
    assert_eq!(seen[0].param("apiKey"), Some("bb-key"));
    assert_eq!(seen[0].param("format"), Some("json"));
    assert_eq!(
        seen[0].param("show"),
        Some(deals_markets::adapters::bestbuy::SHOW)
    );
    assert_eq!(seen[0].param("pageSize"), Some("2"));
    assert_eq!(seen[0].param("page"), Some("1"));
    assert_eq!(seen[1].param("page"), Some("2"));
}

#[tokio::test]
async fn search_stops_paging_at_the_limit() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/products(",
        vec![Canned::json(fixture("bestbuy_search_page1.json"))],
    );
    let mut q = SearchQuery::new("noise cancelling");
    q.limit = 1;
    let offers = bestbuy(&fake).search(&q).await.unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_repeated_search_is_answered_from_the_cache() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/products(",
        vec![Canned::json(fixture("bestbuy_search_page2.json"))],
    );
    let bb = bestbuy(&fake);
    let first = bb.search(&SearchQuery::new("AirPods max")).await.unwrap();
    let second = bb.search(&SearchQuery::new("airpods  MAX")).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.seen().len(), 1, "the second search sent no request");
    bb.search(&SearchQuery::new("airpods pro")).await.unwrap();
    assert_eq!(fake.seen().len(), 2, "another query is not a cache hit");
}

#[tokio::test]
async fn product_reads_one_sku_and_404_is_not_found() {
    let fake = Fake::start().await;
    fake.on(
        "/v1/products/6505727.json",
        vec![Canned::json(fixture("bestbuy_product.json"))],
    );
    let bb = bestbuy(&fake);
    let offer = bb.product("6505727").await.unwrap();
    assert_eq!(
        offer.title,
        "Sony - WH-1000XM5 Wireless Noise Cancelling Over-the-Ear Headphones - Black"
    );
    assert_eq!(offer.model.as_deref(), Some("WH1000XM5/B"));
    let seen = fake.seen_on("/v1/products/6505727.json");
    assert_eq!(seen[0].param("apiKey"), Some("bb-key"));

    let err = bb.product("1234567").await.unwrap_err();
    assert!(matches!(err, MarketError::NotFound(_)), "{err:?}");
    assert_eq!(
        bb.health().status,
        SourceStatus::Ok,
        "a missing SKU says nothing about the API"
    );
}

#[tokio::test]
async fn an_impossible_product_is_an_error() {
    let fake = Fake::start().await;
    let zero =
        fixture("bestbuy_product.json").replace("\"salePrice\": 329.99", "\"salePrice\": -1");
    fake.on("/v1/products/6505727.json", vec![Canned::json(zero)]);
    let err = bestbuy(&fake).product("6505727").await.unwrap_err();
    assert!(
        matches!(err, MarketError::ImpossibleOffer { .. }),
        "{err:?}"
    );
}

#[test]
fn a_missing_api_key_is_a_config_error() {
    let err = BestBuy::new(BestBuyConfig::default()).unwrap_err();
    assert!(matches!(err, MarketError::Config(_)));
}
