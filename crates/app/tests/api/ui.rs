//! The web UI over plain HTTP: the session cookie and its attributes, CSRF on state-changing
//! forms, logout ending the session for the API too, page or fragment from one URL, security and
//! cache headers, HTML error pages.

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

use crate::helpers::TestApp;

pub(crate) fn no_redirects() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Signs up through the form; returns the cookie value and the page's CSRF token.
async fn sign_up(app: &TestApp, http: &Client) -> (String, String) {
    sign_up_as(
        app,
        http,
        &format!("ui-{}@example.com", uuid::Uuid::new_v4().simple()),
    )
    .await
}

pub(crate) async fn sign_up_as(app: &TestApp, http: &Client, email: &str) -> (String, String) {
    let res = http
        .post(app.url("/register"))
        .form(&[("email", email), ("password", "s3cure-passw0rd")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set} has {attr}");
    }
    assert!(!set.contains("Secure"), "not Secure outside production");
    let cookie = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("deals_session=")
        .to_owned();
    let page = http
        .get(app.url("/settings"))
        .header("cookie", format!("deals_session={cookie}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, csrf)
}

/// The HTML of the page at `path` for the session `cookie`; it must answer 200.
async fn page(app: &TestApp, http: &Client, cookie: &str, path: &str) -> String {
    let res = http
        .get(app.url(path))
        .header("cookie", format!("deals_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_session_cookie_works_as_a_bearer_token_and_logout_ends_it_everywhere() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let (cookie, csrf) = sign_up(&app, &http).await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&cookie)).await.status(),
        200
    );

    let forged = http
        .post(app.url("/logout"))
        .header("cookie", format!("deals_session={cookie}"))
        .form(&[("csrf", "00ff")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "a wrong CSRF token is refused"
    );

    let out = http
        .post(app.url("/logout"))
        .header("cookie", format!("deals_session={cookie}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/api/v1/users/me", Some(&cookie)).await.status(),
        401
    );
    let again = http
        .get(app.url("/dashboard"))
        .header("cookie", format!("deals_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()["location"], "/login?next=%2Fdashboard");
}

#[tokio::test]
async fn forms_posted_from_another_site_are_refused() {
    let app = TestApp::spawn().await;
    let res = no_redirects()
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", "a@example.com"),
            ("password", "whatever-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_url_answers_the_page_or_to_htmx_the_fragment() {
    let app = TestApp::spawn().await;
    let page = app.get("/deals?q=tv", None).await;
    assert_eq!(page.headers()["vary"], "HX-Request");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(page.text().await.unwrap().starts_with("<!doctype html>"));
    let fragment = app
        .client
        .get(app.url("/deals?q=tv"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fragment.starts_with("<section id=\"results\""),
        "{fragment}"
    );
    let restore = app
        .client
        .get(app.url("/deals?q=tv"))
        .header("hx-request", "true")
        .header("hx-history-restore-request", "true")
        .send()
        .await
        .unwrap();
    assert!(restore.text().await.unwrap().starts_with("<!doctype html>"));
}

#[tokio::test]
async fn assets_are_cached_for_a_year_and_unknown_pages_are_an_html_404() {
    let app = TestApp::spawn().await;
    let landing = app.get("/", None).await.text().await.unwrap();
    let htmx = landing
        .split("src=\"")
        .find(|s| s.starts_with("/static/htmx-2.0.11"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let res = app.get(&htmx, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let missing = app.get("/no-such-page", None).await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("There is no such page")
    );
}

#[tokio::test]
async fn admin_pages_are_for_administrators_only() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
    let (cookie, _) = sign_up_as(&app, &http, &email).await;
    let get = |path: &'static str| {
        http.get(app.url(path))
            .header("cookie", format!("deals_session={cookie}"))
            .send()
    };
    assert_eq!(
        get("/admin/jobs").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
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
    for path in [
        "/admin",
        "/admin/users",
        "/admin/jobs",
        "/admin/runs",
        "/admin/links",
    ] {
        let html = page(&app, &http, &cookie, path).await;
        assert_eq!(html.matches("<h1>").count(), 1, "{path}");
    }
    let users = get("/admin/users").await.unwrap().text().await.unwrap();
    assert!(users.contains(&email));
}

#[tokio::test]
async fn a_goal_is_edited_from_its_page_with_errors_next_to_their_field() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let (cookie, csrf) = sign_up(&app, &http).await;
    let res = app
        .post(
            "/api/v1/goals",
            Some(&cookie),
            serde_json::json!({"query": "sony headphones under $300"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let edit = |title: &'static str| {
        http.post(app.url(&format!("/goals/{id}")))
            .header("cookie", format!("deals_session={cookie}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("action", "edit"),
                ("title", title),
                ("target_price", "199.50"),
            ])
            .send()
    };
    let refused = edit("   ").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("<p class=\"field-error\">must not be empty</p>")
    );
    assert_eq!(
        edit("Quiet headphones").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let page = http
        .get(app.url(&format!("/goals/{id}")))
        .header("cookie", format!("deals_session={cookie}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h1>Quiet headphones</h1>"));
    assert!(page.contains("target $199.50"));
}

#[tokio::test]
async fn the_tokens_page_shows_the_signup_bonus_the_ledger_and_the_prices() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let (cookie, _) = sign_up(&app, &http).await;
    let html = page(&app, &http, &cookie, "/tokens").await;
    assert!(
        html.contains("<strong id=\"token-balance\">20.000000</strong>"),
        "the signup bonus is the balance"
    );
    assert!(html.contains("signup_bonus"), "the bonus is in the ledger");
    assert!(html.contains("enough for 18 goals"));
    let anonymous = http.get(app.url("/tokens")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_dashboard_shows_the_token_balance_and_the_number_of_active_goals() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let (cookie, _) = sign_up(&app, &http).await;
    let html = page(&app, &http, &cookie, "/dashboard").await;
    assert!(
        html.contains("<strong id=\"dashboard-tokens\">20.000000</strong>"),
        "the signup bonus is on the dashboard"
    );
    assert!(html.contains("<strong>0</strong> active goals"));
}

#[tokio::test]
async fn the_alerts_page_shows_each_channels_delivery_and_a_link_to_buy() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let (cookie, _) = sign_up(&app, &http).await;
    let me = app.get_json("/api/v1/users/me", &cookie).await;
    // A loopback destination is refused (no allow-list in the test settings): a visible failure.
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&cookie),
            Some(serde_json::json!({"channels": {"webhook_url": "http://127.0.0.1:9/hook"}})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    deals_app::notify::notify(
        &app.state,
        uuid::Uuid::parse_str(me["id"].as_str().unwrap()).unwrap(),
        deals_app::notify::Alert {
            kind: deals_core::NotificationKind::PriceDrop,
            priority: deals_core::Priority::High,
            title: "Price drop: Sony WH-1000XM5".into(),
            body: "$279 at Best Buy".into(),
            data: serde_json::json!({"url": "https://shop.example/p/1", "deal_url": "/deals/1"}),
            dedup_key: "ui-deliveries".into(),
        },
    )
    .await
    .unwrap();
    app.drain_jobs().await;
    let html = page(&app, &http, &cookie, "/notifications").await;
    assert!(html.contains("Price drop: Sony WH-1000XM5"), "{html}");
    let delivery = html
        .split("<li class=\"delivery failed\"")
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_else(|| panic!("a failed delivery is listed: {html}"));
    assert!(delivery.contains("webhook: failed"), "{delivery}");
    assert!(
        delivery.contains("internal"),
        "the reason is shown: {delivery}"
    );
    assert!(
        html.contains("<a href=\"https://shop.example/p/1\""),
        "{html}"
    );
}
