//! The public deal search (full text, filters, sort, pagination) and deal pages, with caching
//! invalidated when a listing changes.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, error_fields};

async fn catalog(app: &TestApp) -> (TestUser, String) {
    let user = app.register_user().await;
    let goal = app.create_goal(&user, "audio gear").await;
    let gid = goal["id"].as_str().unwrap().to_owned();
    let deals = [
        (
            "Sony WH-1000XM5 Noise Cancelling Headphones",
            "299.99",
            Some("399.99"),
            "amazon",
            "headphones",
            "new",
        ),
        (
            "Bose QuietComfort Ultra Headphones",
            "349.00",
            Some("429.00"),
            "bestbuy",
            "headphones",
            "new",
        ),
        (
            "Sony WF-1000XM4 Earbuds",
            "149.99",
            None,
            "ebay",
            "headphones",
            "refurbished",
        ),
        (
            "JBL Flip 6 Portable Speaker",
            "99.95",
            Some("129.95"),
            "walmart",
            "speakers",
            "new",
        ),
        (
            "Sonos Era 100 Speaker",
            "199.00",
            Some("249.00"),
            "target",
            "speakers",
            "open_box",
        ),
    ];
    for (i, (title, price, original, market, category, condition)) in deals.iter().enumerate() {
        app.attach_deal(
            &user,
            &gid,
            json!({"title": title, "price": price, "original_price": original, "url": format!("https://{market}.example/item/{i}"),
                   "market": market, "category": category, "condition": condition}),
        )
        .await;
    }
    (user, gid)
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
    let res = app.get("/api/v1/deals/not-a-uuid", None).await;
    let p = assert_problem(res, 400).await;
    assert!(p["detail"].as_str().unwrap().contains("not-a-uuid"), "{p}");
}

#[tokio::test]
async fn cached_deal_and_search_results_follow_listing_changes() {
    let app = TestApp::spawn().await;
    let (user, gid) = catalog(&app).await;
    let before = search(&app, "q=bose").await;
    let id = before["items"][0]["id"].as_str().unwrap().to_owned();
    let page: Value = app
        .get(&format!("/api/v1/deals/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["price"], "349.00");
    // The same offer is seen again at a lower price.
    app.attach_deal(
        &user,
        &gid,
        json!({"title": "Bose QuietComfort Ultra Headphones", "price": "299.00", "url": "https://bestbuy.example/item/1", "market": "bestbuy", "category": "headphones"}),
    )
    .await;
    let page: Value = app
        .get(&format!("/api/v1/deals/{id}"), None)
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
