//! End to end: the real adapters against the simulated marketplace's per-store listeners.

use crate::support::fast;
use deals_markets::config::MarketsConfig;
use deals_markets::sim::{SimConfig, SimHandle, SimServer, SimWorld, StoreMood};
use deals_markets::{MarketError, Registry, STORES, SearchQuery, SourceKind, SourceStatus};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

fn config() -> MarketsConfig {
    let mut c = MarketsConfig::default();
    c.bestbuy.http = fast();
    c.ebay.http = fast();
    c.oxylabs.http = fast();
    c.page.http = fast();
    c
}

async fn simulator() -> (SimHandle, Registry) {
    let world = Arc::new(SimWorld::new(SimConfig {
        chaos: false,
        ..SimConfig::default()
    }));
    let handle = SimServer::start(world, IpAddr::V4(Ipv4Addr::LOCALHOST))
        .await
        .unwrap();
    let registry = Registry::simulated(&handle, &config()).unwrap();
    (handle, registry)
}

fn status(registry: &Registry, store: &str) -> SourceStatus {
    registry
        .health()
        .into_iter()
        .find(|h| h.name == store)
        .unwrap()
        .status
}

#[tokio::test]
async fn all_five_stores_answer_through_the_real_adapters_and_one_stopped_store_is_down() {
    let (handle, registry) = simulator().await;
    let results = registry
        .search_all(&SearchQuery::new("noise cancelling headphones"))
        .await;
    let mut names: Vec<&str> = results.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let mut five = STORES.to_vec();
    five.sort_unstable();
    assert_eq!(names, five);
    for (store, result) in &results {
        let offers = result.as_ref().unwrap_or_else(|e| panic!("{store}: {e}"));
        assert!(!offers.is_empty(), "{store} found nothing");
        assert!(offers.len() <= 20);
        for o in offers {
            assert_eq!(&o.market, store);
            assert!(o.price_minor > 0 && o.currency == "USD");
            assert!(!o.title.is_empty());
            assert!(
                o.url.starts_with(&handle.base_url(store).unwrap()),
                "{}",
                o.url
            );
        }
    }
    let kinds: Vec<(String, SourceKind)> = registry
        .health()
        .into_iter()
        .map(|h| (h.name, h.kind))
        .collect();
    assert!(kinds.contains(&("amazon".into(), SourceKind::Oxylabs)));
    assert!(kinds.contains(&("ebay".into(), SourceKind::Ebay)));

    assert!(handle.stop("target").await);
    let results = registry.search_all(&SearchQuery::new("headphones")).await;
    for (store, result) in &results {
        if store == "target" {
            assert!(matches!(result, Err(MarketError::Connect(_))), "{result:?}");
        } else {
            assert!(!result.as_ref().unwrap().is_empty(), "{store}");
        }
    }
    assert_eq!(status(&registry, "target"), SourceStatus::Down);
    for store in ["amazon", "walmart", "bestbuy", "ebay"] {
        assert_eq!(status(&registry, store), SourceStatus::Ok, "{store}");
    }

    handle.restart("target").await.unwrap();
    let back = registry
        .get("target")
        .unwrap()
        .search(&SearchQuery::new("wireless earbuds"))
        .await
        .unwrap();
    assert!(!back.is_empty());
    assert_eq!(
        status(&registry, "target"),
        SourceStatus::Degraded,
        "answering again after a recent failure"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn products_and_pages_round_trip_through_every_store() {
    let (handle, registry) = simulator().await;
    let page = registry.get("page").unwrap();
    for store in STORES {
        let market = registry.get(store).unwrap();
        let found = market
            .search(&SearchQuery::new("headphones"))
            .await
            .unwrap();
        let first = &found[0];
        let again = market.product(&first.external_id).await.unwrap();
        assert_eq!(again.external_id, first.external_id, "{store}");
        assert_eq!(again.title, first.title, "{store}");
        assert_eq!(again.condition, first.condition, "{store}");
        let from_page = page.product(&first.url).await.unwrap();
        assert_eq!(from_page.market, "127.0.0.1");
        assert_eq!(from_page.title, first.title, "{store}");
        assert_eq!(from_page.gtin, first.gtin, "{store}");
        let missing = market.product("0000000").await.unwrap_err();
        assert!(
            matches!(missing, MarketError::NotFound(_)),
            "{store}: {missing:?}"
        );
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn store_moods_reach_health() {
    let (handle, registry) = simulator().await;
    let world = Arc::clone(handle.world());
    world.set_mood_override("walmart", Some(StoreMood::RateLimited { retry_after_s: 1 }));
    world.set_mood_override("bestbuy", Some(StoreMood::Unavailable));
    let results = registry.search_all(&SearchQuery::new("headphones")).await;
    let get = |s: &str| &results.iter().find(|(n, _)| n == s).unwrap().1;
    assert!(matches!(
        get("walmart"),
        Err(MarketError::RateLimited { .. })
    ));
    assert!(matches!(
        get("bestbuy"),
        Err(MarketError::Status { status: 503, .. })
    ));
    assert!(get("amazon").is_ok());
    assert_eq!(status(&registry, "walmart"), SourceStatus::Blocked);
    assert_eq!(status(&registry, "bestbuy"), SourceStatus::Down);
    handle.shutdown().await;
}

#[tokio::test]
async fn one_port_serves_all_five_stores_under_their_prefixes() {
    let world = Arc::new(SimWorld::new(SimConfig {
        chaos: false,
        ..SimConfig::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, deals_markets::sim::router_all(world))
            .await
            .unwrap();
    });
    let mut cfg = config();
    cfg.bestbuy.base_url = format!("http://{addr}/bestbuy");
    cfg.bestbuy.api_key = deals_markets::config::Secret::new("k");
    let bestbuy = deals_markets::adapters::BestBuy::new(cfg.bestbuy).unwrap();
    let mut ox = cfg.oxylabs;
    ox.base_url = format!("http://{addr}/walmart");
    ox.username = deals_markets::config::Secret::new("u");
    ox.password = deals_markets::config::Secret::new("p");
    let walmart =
        deals_markets::adapters::Oxylabs::new(deals_markets::adapters::OxylabsStore::Walmart, ox)
            .unwrap();
    use deals_markets::Market;
    let q = SearchQuery::new("headphones");
    let bb = bestbuy.search(&q).await.unwrap();
    let wm = walmart.search(&q).await.unwrap();
    assert!(
        bb[0].url.starts_with(&format!("http://{addr}/bestbuy/")),
        "{}",
        bb[0].url
    );
    assert!(
        wm[0].url.starts_with(&format!("http://{addr}/walmart/")),
        "{}",
        wm[0].url
    );
    let page = deals_markets::adapters::ProductPage::new(cfg.page).unwrap();
    assert_eq!(page.product(&bb[0].url).await.unwrap().title, bb[0].title);
}
