//! The product-page reader on saved pages.

use crate::support::{Canned, Fake, fast, fixture};
use deals_core::{Availability, Condition};
use deals_markets::adapters::ProductPage;
use deals_markets::adapters::page::extract;
use deals_markets::config::PageConfig;
use deals_markets::{Market, MarketError, SearchQuery, SourceStatus};

#[test]
fn json_ld_product_with_an_offer() {
    let url = "https://shop.example.com/p/sony-wh-1000xm5";
    let o = extract(&fixture("page_jsonld_product.html"), url).unwrap();
    assert_eq!(
        o.title,
        "Sony WH-1000XM5 Wireless Noise Canceling Headphones"
    );
    assert_eq!(o.price_minor, 32_999);
    assert_eq!(o.currency, "USD");
    assert_eq!(o.brand.as_deref(), Some("Sony"));
    assert_eq!(o.gtin.as_deref(), Some("00027242923782"));
    assert_eq!(o.mpn.as_deref(), Some("WH1000XM5/B"));
    assert_eq!(
        o.image_url.as_deref(),
        Some("https://shop.example.com/img/xm5-1.jpg")
    );
    assert_eq!(o.availability, Availability::InStock);
    assert_eq!(o.condition, Condition::New);
    assert_eq!(o.seller_name.as_deref(), Some("Example Audio"));
    assert_eq!(o.seller_rating, Some(4.6));
    assert_eq!(o.seller_review_count, Some(1289));
    assert_eq!(o.market, "shop.example.com");
    assert_eq!(o.external_id, url);
}

#[test]
fn json_ld_graph_with_an_aggregate_offer_takes_the_low_price() {
    let o = extract(
        &fixture("page_jsonld_graph_aggregate.html"),
        "https://deals.example.org/p/bose-qc45",
    )
    .unwrap();
    assert_eq!(o.title, "Bose QuietComfort 45");
    assert_eq!(o.price_minor, 24_900);
    assert_eq!(o.gtin.as_deref(), Some("00017817835459"));
    assert_eq!(
        o.image_url.as_deref(),
        Some("https://deals.example.org/img/qc45.png")
    );
    assert_eq!(o.availability, Availability::InStock);
}

#[test]
fn microdata_reads_the_main_product_not_the_related_one() {
    let o = extract(
        &fixture("page_microdata.html"),
        "https://micro.example.net/q30",
    )
    .unwrap();
    assert_eq!(o.title, "Soundcore by Anker Life Q30");
    assert_eq!(o.price_minor, 5_999);
    assert_eq!(o.currency, "USD");
    assert_eq!(o.brand.as_deref(), Some("Soundcore"));
    assert_eq!(o.gtin.as_deref(), Some("04006381333931"));
    assert_eq!(o.availability, Availability::LowStock);
    assert_eq!(o.condition, Condition::Refurbished);
    assert_eq!(o.seller_review_count, Some(2_310));
    assert_eq!(
        o.image_url.as_deref(),
        Some("https://micro.example.net/img/q30.jpg")
    );
}

#[test]
fn open_graph_only() {
    let o = extract(
        &fixture("page_opengraph.html"),
        "https://og.example.com/jbl",
    )
    .unwrap();
    assert_eq!(
        o.title,
        "JBL Tune 770NC Adaptive Noise Cancelling Headphones"
    );
    assert_eq!(o.price_minor, 109_900);
    assert_eq!(o.currency, "USD");
    assert_eq!(o.brand.as_deref(), Some("JBL"));
    assert_eq!(o.availability, Availability::OutOfStock);
    assert_eq!(o.condition, Condition::Used);
    assert_eq!(o.mpn.as_deref(), Some("TUNE770NC-BLK"));
}

#[test]
fn an_open_graph_sale_price_wins_over_the_regular_one() {
    let page = fixture("page_opengraph.html").replace(
        r#"<meta property="product:brand" content="JBL">"#,
        r#"<meta property="product:brand" content="JBL"><meta property="product:sale_price:amount" content="899.00">"#,
    );
    let o = extract(&page, "https://og.example.com/jbl").unwrap();
    assert_eq!(o.price_minor, 89_900);
    assert_eq!(o.original_price_minor, Some(109_900));
}

#[test]
fn several_prices_pick_the_main_offer_not_related_or_crossed_out() {
    let o = extract(
        &fixture("page_several_prices.html"),
        "https://bigstore.example.com/p/airpods-max",
    )
    .unwrap();
    assert_eq!(o.title, "Apple AirPods Max - Space Gray");
    assert_eq!(
        o.price_minor, 44_900,
        "not 549 (crossed out), 189, 29 or 19 (other products)"
    );
    assert_eq!(o.original_price_minor, Some(54_900));
    assert_eq!(o.gtin.as_deref(), Some("00194253397540"));
    assert_eq!(o.brand.as_deref(), Some("Apple"));
}

#[test]
fn variants_stay_apart() {
    let page = fixture("page_variants.html");
    let sand = extract(
        &page,
        "https://variants.example.com/p/studio-pro?color=sandstone",
    )
    .unwrap();
    assert_eq!(sand.title, "Beats Studio Pro - Sandstone");
    assert_eq!(sand.price_minor, 22_999);
    assert_eq!(sand.gtin.as_deref(), Some("00194253715856"));
    assert_eq!(sand.mpn.as_deref(), Some("SP-SND"));
    assert_eq!(sand.availability, Availability::Preorder);
    assert_eq!(
        sand.brand.as_deref(),
        Some("Beats"),
        "the group's brand fills in"
    );

    let black = extract(
        &page,
        "https://variants.example.com/p/studio-pro?color=black",
    )
    .unwrap();
    assert_eq!(black.price_minor, 17_999);
    assert_eq!(black.gtin.as_deref(), Some("00194253715849"));
    assert_eq!(black.availability, Availability::InStock);
}

#[test]
fn a_page_without_product_data_is_a_clear_error() {
    let err = extract(
        &fixture("page_no_product.html"),
        "https://blog.example.com/best",
    )
    .unwrap_err();
    match err {
        MarketError::NotFound(msg) => assert!(msg.contains("no product data"), "{msg}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_captcha_wall_is_blocked() {
    let err = extract(
        &fixture("page_captcha.html"),
        "https://www.amazon.com/dp/B0",
    )
    .unwrap_err();
    assert!(matches!(err, MarketError::Blocked(_)), "{err:?}");
}

fn reader() -> ProductPage {
    ProductPage::new(PageConfig {
        enabled: true,
        http: fast(),
        ..PageConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn product_fetches_the_url_and_names_the_store() {
    let fake = Fake::start().await;
    fake.on(
        "/p/",
        vec![Canned::html(fixture("page_jsonld_product.html"))],
    );
    let url = format!("{}/p/sony", fake.url());
    let o = reader().product(&url).await.unwrap();
    assert_eq!(o.price_minor, 32_999);
    assert_eq!(o.market, "127.0.0.1");
    let seen = fake.seen();
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .starts_with("agentic-deals/")
    );
}

#[tokio::test]
async fn a_captcha_page_marks_the_reader_blocked() {
    let fake = Fake::start().await;
    fake.on("/", vec![Canned::html(fixture("page_captcha.html"))]);
    let r = reader();
    let err = r
        .product(&format!("{}/dp/B0", fake.url()))
        .await
        .unwrap_err();
    assert!(matches!(err, MarketError::Blocked(_)), "{err:?}");
    assert_eq!(r.health().status, SourceStatus::Blocked);
}

#[tokio::test]
async fn search_is_unsupported() {
    let err = reader().search(&SearchQuery::new("x")).await.unwrap_err();
    assert!(matches!(err, MarketError::Unsupported(_)));
}
