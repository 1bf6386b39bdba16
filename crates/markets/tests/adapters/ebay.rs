//! eBay Browse API adapter against a fake API and OAuth server.

use crate::support::{Canned, Fake, fast, fixture};
use deals_core::{Availability, Condition};
use deals_markets::adapters::Ebay;
use deals_markets::config::{EbayConfig, Secret};
use deals_markets::{Market, MarketError, SearchQuery, SourceStatus};

const TOKEN: &str = "/identity/v1/oauth2/token";
const SEARCH: &str = "/buy/browse/v1/item_summary/search";

pub fn ebay(fake: &Fake) -> Ebay {
    Ebay::new(EbayConfig {
        enabled: true,
        base_url: fake.url(),
        auth_base_url: fake.url(),
        client_id: Secret::new("app-id"),
        client_secret: Secret::new("cert-id"),
        page_size: 2,
        http: fast(),
        ..EbayConfig::default()
    })
    .unwrap()
}

fn token(value: &str, expires_in: u64) -> Canned {
    Canned::json(format!(
        r#"{{"access_token":"{value}","expires_in":{expires_in},"token_type":"Application Access Token"}}"#
    ))
}

#[tokio::test]
async fn search_authenticates_filters_and_follows_next() {
    let fake = Fake::start().await;
    fake.on(TOKEN, vec![Canned::json(fixture("ebay_token.json"))]);
    fake.on(
        SEARCH,
        vec![
            Canned::json(fixture("ebay_search_page1.json")),
            Canned::json(fixture("ebay_search_page2.json")),
        ],
    );
    let mut q = SearchQuery::new("noise cancelling headphones");
    q.max_price_minor = Some(30_000);
    q.conditions = vec![Condition::Used, Condition::New];
    let offers = ebay(&fake).search(&q).await.unwrap();

    let ids: Vec<&str> = offers.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(
        ids,
        ["v1|256123456789|0", "v1|115987654321|0"],
        "the offer priced in 'US DOLLARS' is dropped"
    );
    let used = &offers[0];
    assert_eq!(used.price_minor, 17_800);
    assert_eq!(used.original_price_minor, Some(34_800));
    assert_eq!(used.condition, Condition::Used);
    assert_eq!(used.seller_name.as_deref(), Some("audio_outlet"));
    assert_eq!(used.seller_rating, Some(99.2 / 20.0));
    assert_eq!(used.seller_review_count, Some(15_234));
    assert_eq!(used.shipping_minor, Some(750));
    assert_eq!(used.category.as_deref(), Some("Headphones"));
    assert_eq!(used.url, "https://www.ebay.com/itm/256123456789");

    let tokens = fake.seen_on(TOKEN);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].method, "POST");
    // base64("app-id:cert-id")
    assert_eq!(
        tokens[0].header("authorization"),
        Some("Basic YXBwLWlkOmNlcnQtaWQ=")
    );
    assert!(tokens[0].body.contains("grant_type=client_credentials"));
    assert!(
        tokens[0]
            .body
            .contains("scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope")
    );

    let searches = fake.seen_on(SEARCH);
    assert_eq!(searches.len(), 2);
    assert_eq!(
        searches[0].header("authorization"),
        Some("Bearer v^1.1#i^1#TOKEN-ONE")
    );
    assert_eq!(
        searches[0].header("x-ebay-c-marketplace-id"),
        Some("EBAY_US")
    );
    assert_eq!(searches[0].param("q"), Some("noise cancelling headphones"));
    assert_eq!(
        searches[0].param("filter"),
        Some("price:[..300.00],priceCurrency:USD,conditions:{NEW|USED}")
    );
    assert_eq!(searches[0].param("offset"), Some("0"));
    assert_eq!(searches[1].param("offset"), Some("2"));
}

#[tokio::test]
async fn the_token_is_reused_until_it_nears_expiry() {
    let fake = Fake::start().await;
    fake.on(TOKEN, vec![token("long-lived", 7200)]);
    fake.on(
        SEARCH,
        vec![Canned::json(fixture("ebay_search_page2.json"))],
    );
    let e = ebay(&fake);
    e.search(&SearchQuery::new("bose")).await.unwrap();
    e.search(&SearchQuery::new("sony")).await.unwrap();
    assert_eq!(fake.seen_on(TOKEN).len(), 1);

    let fake = Fake::start().await;
    // 30 s of life is inside the 60 s refresh margin: every call needs a new token.
    fake.on(TOKEN, vec![token("short-1", 30), token("short-2", 30)]);
    fake.on(
        SEARCH,
        vec![Canned::json(fixture("ebay_search_page2.json"))],
    );
    let e = ebay(&fake);
    e.search(&SearchQuery::new("bose")).await.unwrap();
    e.search(&SearchQuery::new("sony")).await.unwrap();
    assert_eq!(fake.seen_on(TOKEN).len(), 2);
    let searches = fake.seen_on(SEARCH);
    assert_eq!(searches[1].header("authorization"), Some("Bearer short-2"));
}

#[tokio::test]
async fn a_401_refetches_the_token_once() {
    let fake = Fake::start().await;
    fake.on(TOKEN, vec![token("stale", 7200), token("fresh", 7200)]);
    fake.on(
        SEARCH,
        vec![
            Canned::status(
                401,
                r#"{"errors":[{"errorId":1001,"message":"Invalid access token"}]}"#,
            ),
            Canned::json(fixture("ebay_search_page2.json")),
        ],
    );
    let e = ebay(&fake);
    let offers = e.search(&SearchQuery::new("bose")).await.unwrap();
    assert_eq!(offers.len(), 1);
    let searches = fake.seen_on(SEARCH);
    assert_eq!(searches[0].header("authorization"), Some("Bearer stale"));
    assert_eq!(searches[1].header("authorization"), Some("Bearer fresh"));
    assert_eq!(fake.seen_on(TOKEN).len(), 2);
}

#[tokio::test]
async fn credentials_refused_twice_block_the_source() {
    let fake = Fake::start().await;
    fake.on(TOKEN, vec![token("t", 7200)]);
    fake.on(SEARCH, vec![Canned::status(401, "{}")]);
    let e = ebay(&fake);
    let err = e.search(&SearchQuery::new("bose")).await.unwrap_err();
    assert!(matches!(err, MarketError::Blocked(_)), "{err:?}");
    assert_eq!(
        fake.seen_on(SEARCH).len(),
        2,
        "one retry with a fresh token, no more"
    );
    assert_eq!(e.health().status, SourceStatus::Blocked);
}

#[tokio::test]
async fn product_reads_brand_mpn_gtin_and_availability() {
    let fake = Fake::start().await;
    fake.on(TOKEN, vec![token("t", 7200)]);
    fake.on(
        "/buy/browse/v1/item/",
        vec![Canned::json(fixture("ebay_item.json"))],
    );
    let offer = ebay(&fake).product("v1|115987654321|0").await.unwrap();
    assert_eq!(offer.brand.as_deref(), Some("Bose"));
    assert_eq!(offer.mpn.as_deref(), Some("866724-0100"));
    assert_eq!(offer.gtin.as_deref(), Some("00017817835459"));
    assert_eq!(offer.availability, Availability::LowStock);
    assert_eq!(offer.category.as_deref(), Some("Headphones"));
    assert_eq!(offer.seller_rating, Some(5.0));
    let seen = fake.seen_on("/buy/browse/v1/item/");
    assert_eq!(seen[0].path, "/buy/browse/v1/item/v1|115987654321|0");
}
