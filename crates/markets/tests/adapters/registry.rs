//! The registry: building from config, concurrent search, health.

use crate::oxylabs;
use crate::support::{Canned, Fake, fast, fixture};
use deals_markets::config::{BestBuyConfig, EbayConfig, MarketsConfig, Secret};
use deals_markets::{Registry, SearchQuery, SourceKind, SourceStatus};

#[tokio::test]
async fn search_all_answers_for_every_store_even_when_one_is_down() {
    let bb = Fake::start().await;
    bb.on(
        "/v1/products(",
        vec![Canned::json(fixture("bestbuy_search_page2.json"))],
    );
    let oxy = Fake::start().await;
    oxy.on(
        "/v1/queries",
        vec![Canned::json(fixture("oxylabs_target_search.json"))],
    );
    let dead = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut ox = oxylabs::config(&oxy);
    ox.amazon.enabled = false;
    ox.walmart.enabled = false;
    let config = MarketsConfig {
        bestbuy: BestBuyConfig {
            enabled: true,
            base_url: bb.url(),
            api_key: Secret::new("k"),
            http: fast(),
            ..BestBuyConfig::default()
        },
        ebay: EbayConfig {
            enabled: true,
            base_url: dead.clone(),
            auth_base_url: dead,
            client_id: Secret::new("id"),
            client_secret: Secret::new("secret"),
            http: fast(),
            ..EbayConfig::default()
        },
        oxylabs: ox,
        ..MarketsConfig::default()
    };
    let registry = Registry::from_config(&config).unwrap();
    assert_eq!(registry.searchable(), ["bestbuy", "ebay", "target"]);

    let results = registry.search_all(&SearchQuery::new("headphones")).await;
    let names: Vec<&str> = results.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["bestbuy", "ebay", "target"]);
    assert_eq!(results[0].1.as_ref().unwrap().len(), 1);
    assert!(results[1].1.is_err());
    assert_eq!(results[2].1.as_ref().unwrap()[0].market, "target");

    let health = registry.health();
    let status = |n: &str| health.iter().find(|h| h.name == n).unwrap().clone();
    assert_eq!(status("bestbuy").status, SourceStatus::Ok);
    assert_eq!(status("ebay").status, SourceStatus::Down);
    assert_eq!(status("target").status, SourceStatus::Ok);
    assert_eq!(status("target").kind, SourceKind::Oxylabs);
    let page = status("page");
    assert!(
        !page.enabled,
        "the page reader is listed, disabled by default"
    );
}

#[test]
fn an_enabled_source_without_credentials_is_refused() {
    let mut config = MarketsConfig::default();
    config.ebay.enabled = true;
    assert!(Registry::from_config(&config).is_err());
    assert_eq!(
        Registry::from_config(&MarketsConfig::default())
            .unwrap()
            .searchable()
            .len(),
        0
    );
}
