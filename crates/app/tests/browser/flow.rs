//! The first-minute flow of a new user: sign up → create a goal by sentence → matched deals
//! appear → open a deal → chart and score breakdown → track it → a price check alerts (with
//! JavaScript: live, over the page's WebSocket, without a reload) → mark the alert read → log
//! out; at desktop size and at 375×812, and with JavaScript off.

use deals_app::agents::Origin;
use deals_core::{Email, Pagination};
use uuid::Uuid;

use crate::browser::{Harness, browser_available};

async fn run_flow(h: &Harness, tag: &str, javascript: bool) {
    let email = format!("ui-{}@example.com", Uuid::new_v4().simple());
    h.goto("/").await;
    assert!(h.text("h1").await.contains("finds the deal"));
    let htmx = h.browser.execute("return typeof window.htmx", vec![]).await;
    if javascript {
        assert_eq!(htmx.unwrap(), "object", "htmx loaded under the strict CSP");
    } else {
        assert!(
            htmx.is_err() || htmx.unwrap() == "undefined",
            "scripts are off"
        );
    }
    h.screenshot(&format!("landing{tag}")).await;

    h.click("a.button[href='/register']").await;
    h.fill("#email", &email).await;
    h.fill("#password", "s3cure-passw0rd").await;
    h.click("form[action='/register'] button[type=submit]")
        .await;
    assert_eq!(h.text("h1").await, "Dashboard");
    assert_eq!(h.path().await, "/dashboard");
    h.screenshot(&format!("dashboard-empty{tag}")).await;

    h.goto("/goals/new").await;
    h.fill("#query", "sony headphones under $300").await;
    h.click("button[value=preview]").await;
    let keywords = h.wait_for("#keywords").await;
    assert_eq!(
        keywords.prop("value").await.unwrap().as_deref(),
        Some("headphones")
    );
    assert_eq!(
        h.wait_for("#brands")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("sony")
    );
    h.screenshot(&format!("goal-new{tag}")).await;
    h.click("button[value=create]").await;
    h.wait_for("#goal-deals").await;
    assert!(h.path().await.starts_with("/goals/"));

    // The agents work; with JavaScript the list fills in by itself, without it a reload shows it.
    h.drain_jobs().await;
    if !javascript {
        h.browser.refresh().await.unwrap();
    }
    h.wait_for("#goal-deal-list li .reasons li").await;
    h.screenshot(&format!("goal{tag}")).await;

    h.click("#goal-deal-list li h3 a").await;
    h.wait_for("#price-chart svg[role=img] path").await;
    assert!(h.text("#score-breakdown").await.contains("Final"));
    if javascript {
        h.click("nav.ranges a[href$='range=90d']").await;
        h.wait_for("nav.ranges a[href$='range=90d'][aria-current=true]")
            .await;
        assert_eq!(
            h.browser.current_url().await.unwrap().query(),
            Some("range=90d")
        );
        // The page's socket watches this deal: a price update re-fetches its chart.
        h.wait_for("body[data-watching='1']").await;
        let deal_id = h
            .wait_for("#price-chart")
            .await
            .attr("data-live-deal")
            .await
            .unwrap()
            .unwrap();
        h.browser
            .execute(
                "document.getElementById('price-chart').setAttribute('data-stale', '1')",
                vec![],
            )
            .await
            .unwrap();
        h.state
            .events
            .publish(deals_app::live::LiveEvent::PriceUpdate(
                deals_app::live::DealChange {
                    deal_id: Uuid::parse_str(&deal_id).unwrap(),
                    market: "bestbuy".into(),
                    price: "199.99".into(),
                    currency: deals_core::Currency::USD,
                },
            ))
            .await;
        h.wait_for("#price-chart:not([data-stale]) svg[role=img]")
            .await;
    }
    h.screenshot(&format!("deal{tag}")).await;

    h.fill("#target_price", "100000").await;
    h.click("form[action$='/track'] button[type=submit]").await;
    assert!(
        h.text("#tracked-note")
            .await
            .contains("You track this deal")
    );

    // The scheduler's price check, run now: the price is under the target, so it alerts.
    let user = h
        .state
        .store
        .find_user_by_email(&Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let tracked = deals_app::tracking::list(&h.state, user.id, Pagination::default())
        .await
        .unwrap();
    let ids: Vec<Uuid> = tracked.items.iter().map(|t| t.tracker.id).collect();
    // With JavaScript, the open page's socket carries the alert: the badge rises without a reload.
    let unread_before_check = if javascript {
        h.wait_for("body[data-socket=connected]").await;
        Some(h.text("#unread-badge").await.parse::<u64>().unwrap())
    } else {
        None
    };
    let checked = deals_app::tracking::check::check_prices(&h.state, Origin::default(), &ids)
        .await
        .unwrap();
    assert!(checked.alerts >= 1, "{checked:?}");
    if let Some(before) = unread_before_check {
        let raised = before + u64::from(checked.alerts);
        h.wait_for(&format!("#unread-badge[data-count='{raised}']"))
            .await;
        h.wait_for(".toast").await;
        h.screenshot(&format!("live-alert{tag}")).await;
    }
    h.drain_jobs().await;

    h.goto("/tracked").await;
    h.wait_for("table a[href^='/deals/']").await;
    h.screenshot(&format!("tracked{tag}")).await;

    h.goto("/notifications").await;
    let unread_before: u64 = h.text("#unread-badge").await.parse().unwrap();
    assert!(unread_before >= 1);
    h.screenshot(&format!("notifications{tag}")).await;
    h.click("#alert-list li.unread button.mark-read").await;
    h.wait_for("#alert-list").await;
    // One fewer unread (the badge may be re-rendered meanwhile: wait for its count).
    h.wait_for(&format!(
        "#unread-badge[data-count='{}']",
        unread_before - 1
    ))
    .await;

    h.goto("/settings").await;
    h.wait_for("#timezone").await;
    h.screenshot(&format!("settings{tag}")).await;

    h.click("form[action='/logout'] button").await;
    h.wait_for("a[href='/login']").await;
    h.goto("/dashboard").await;
    assert_eq!(
        h.path().await,
        "/login",
        "a logged-out session is sent to the login page"
    );
}

#[tokio::test]
async fn a_new_user_goes_from_sign_up_to_a_read_alert_at_desktop_and_phone_size() {
    if !browser_available() {
        return;
    }
    let h = Harness::start(true).await;
    run_flow(&h, "", true).await;
    h.browser.set_window_size(375, 812).await.unwrap();
    run_flow(&h, "-375", true).await;
    h.close().await;
}

#[tokio::test]
async fn the_same_flow_works_with_javascript_off() {
    if !browser_available() {
        return;
    }
    let h = Harness::start(false).await;
    run_flow(&h, "-nojs", false).await;
    h.close().await;
}
