//! External channels against local fakes speaking their wire format: Standard Webhooks
//! signatures checked by a separate implementation, only 2xx counts, a failing endpoint that
//! recovers, 410 turns the endpoint off, redirects are not followed, internal destinations are
//! refused unless allow-listed, ntfy gets its JSON publish; the status of each delivery is
//! shown with the notification.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use deals_app::notify::{Alert, notify};
use deals_core::{NotificationKind, Priority};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the fake endpoint received, and the statuses it answers with (the last one repeats).
#[derive(Clone, Default)]
struct Fake {
    received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    answers: Arc<Mutex<Vec<u16>>>,
}

impl Fake {
    /// Serves on port 0; returns the fake and its base URL.
    async fn start(answers: &[u16]) -> (Self, String) {
        let fake = Fake {
            received: Arc::default(),
            answers: Arc::new(Mutex::new(answers.to_vec())),
        };
        let f = fake.clone();
        let handler = move |headers: HeaderMap, body: Bytes| {
            let f = f.clone();
            async move {
                f.received.lock().unwrap().push((headers, body));
                let mut answers = f.answers.lock().unwrap();
                let code = if answers.len() > 1 {
                    answers.remove(0)
                } else {
                    answers[0]
                };
                let mut res = axum::response::Response::new(axum::body::Body::empty());
                *res.status_mut() = StatusCode::from_u16(code).unwrap();
                if code == 302 {
                    res.headers_mut()
                        .insert("location", "/elsewhere".parse().unwrap());
                }
                if code == 429 {
                    // A header for the generic channels, Telegram's error body for its bot.
                    res.headers_mut()
                        .insert("retry-after", "3".parse().unwrap());
                    *res.body_mut() = axum::body::Body::from(
                        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#,
                    );
                }
                res
            }
        };
        let app = Router::new()
            .route("/", post(handler.clone()))
            .route("/hook", post(handler.clone()))
            .route("/elsewhere", post(handler.clone()))
            .fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (fake, url)
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

async fn spawn_allowing_loopback() -> TestApp {
    TestApp::spawn_with(|s| s.alerts.allow_private_hosts = vec!["127.0.0.1".into()]).await
}

async fn set_channels(app: &TestApp, user: &TestUser, channels: Value) {
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(json!({"channels": channels})),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn alert(app: &TestApp, user: &TestUser) {
    let stored = notify(
        &app.state,
        Uuid::parse_str(&user.id).unwrap(),
        Alert {
            kind: NotificationKind::PriceDrop,
            priority: Priority::High,
            title: "Price drop: Sony WH-1000XM5".into(),
            body: "$279 at Best Buy".into(),
            data: json!({"url": "https://shop.example/p/1", "deal_url": "/deals/1"}),
            dedup_key: format!("t:{}", Uuid::new_v4()),
        },
    )
    .await
    .unwrap();
    assert!(stored);
}

/// The deliveries of the newest notification.
async fn deliveries(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let list = app.get_json("/api/v1/notifications", &user.access).await;
    list["items"][0]["deliveries"].as_array().unwrap().clone()
}

/// Makes delayed retries due now.
async fn retries_due(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    app.state
        .store
        .conn()
        .execute_unprepared("UPDATE jobs SET run_at = created_at WHERE status = 'retrying'")
        .await
        .unwrap();
    app.drain_jobs().await;
}

/// Seconds until the waiting delivery job runs again.
async fn next_try_in(app: &TestApp) -> f64 {
    let page = app
        .state
        .store
        .list_jobs(
            deals_store::Scope::All,
            Some(deals_app::jobs::JobStatus::Retrying),
            deals_core::Pagination {
                page: 1,
                per_page: 10,
            },
        )
        .await
        .unwrap();
    let job = page
        .items
        .iter()
        .find(|j| j.kind == deals_app::jobs::JobKind::DeliverNotification)
        .expect("a delivery waiting for its retry");
    (job.run_at - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0
}

/// An independent Standard Webhooks verifier.
fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let id = headers["webhook-id"].to_str().unwrap();
    let ts = headers["webhook-timestamp"].to_str().unwrap();
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    headers["webhook-signature"]
        .to_str()
        .unwrap()
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

#[tokio::test]
async fn a_webhook_is_signed_per_standard_webhooks_and_shown_as_sent() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[200]).await;
    let user = app.register_user().await;
    set_channels(
        &app,
        &user,
        json!({"webhook_url": format!("{url}/hook"), "webhook_secret": SECRET}),
    )
    .await;
    alert(&app, &user).await;
    assert_eq!(deliveries(&app, &user).await[0]["status"], "pending");
    app.drain_jobs().await;

    let received = fake.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    assert!(verify(headers, body), "signature verifies");
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sent["data"]["title"], "Price drop: Sony WH-1000XM5");
    assert_eq!(sent["data"]["data"]["url"], "https://shop.example/p/1");
    let d = deliveries(&app, &user).await;
    assert_eq!(
        d,
        vec![json!({"channel": "webhook", "status": "sent", "attempts": 1})]
    );
}

#[tokio::test]
async fn retries_follow_the_schedule_and_a_retry_after_replaces_it() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[503, 500, 429, 204]).await;
    let user = app.register_user().await;
    set_channels(&app, &user, json!({"webhook_url": format!("{url}/hook")})).await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    // 5 s after the first failure, 5 min after the second (up to 10 % later).
    let wait = next_try_in(&app).await;
    assert!((3.0..=6.0).contains(&wait), "first retry in {wait} s");
    retries_due(&app).await;
    let wait = next_try_in(&app).await;
    assert!((295.0..=331.0).contains(&wait), "second retry in {wait} s");
    // A 429 naming `Retry-After: 3` is tried again after 3 s, not after the schedule's 30 min.
    retries_due(&app).await;
    let wait = next_try_in(&app).await;
    assert!((1.0..=3.5).contains(&wait), "after a Retry-After: {wait} s");
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["status"], "pending");
    assert!(
        d[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("429 Too Many Requests; retry after 3 s"),
        "{d:?}"
    );
    retries_due(&app).await;
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["status"], "sent");
    assert_eq!(d[0]["attempts"], 4);
    assert_eq!(fake.count(), 4);
}

#[tokio::test]
async fn an_endpoint_that_never_recovers_ends_as_a_visible_failure() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[500]).await;
    let user = app.register_user().await;
    set_channels(&app, &user, json!({"webhook_url": format!("{url}/hook")})).await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    for _ in 1..8 {
        assert_eq!(deliveries(&app, &user).await[0]["status"], "pending");
        retries_due(&app).await;
    }
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["status"], "failed", "{d:?}");
    assert_eq!(d[0]["attempts"], 8);
    assert!(
        d[0]["last_error"].as_str().unwrap().contains("500"),
        "{d:?}"
    );
    assert_eq!(fake.count(), 8);
    retries_due(&app).await;
    assert_eq!(fake.count(), 8, "no attempt after the last");
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_the_same_id_until_it_recovers() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[503, 429, 204]).await;
    let user = app.register_user().await;
    set_channels(
        &app,
        &user,
        json!({"webhook_url": format!("{url}/hook"), "webhook_secret": SECRET}),
    )
    .await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["status"], "pending");
    assert_eq!(d[0]["attempts"], 1);
    assert!(
        d[0]["last_error"].as_str().unwrap().contains("503"),
        "{d:?}"
    );
    retries_due(&app).await;
    assert!(
        deliveries(&app, &user).await[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("429")
    );
    retries_due(&app).await;
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["status"], "sent");
    assert_eq!(d[0]["attempts"], 3);
    let received = fake.received.lock().unwrap().clone();
    let ids: Vec<&str> = received
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one id across retries: {ids:?}"
    );
    assert!(received.iter().all(|(h, b)| verify(h, b)));
}

#[tokio::test]
async fn a_410_turns_the_webhook_off_and_shows_the_failure() {
    let app = spawn_allowing_loopback().await;
    let (_fake, url) = Fake::start(&[410]).await;
    let user = app.register_user().await;
    set_channels(&app, &user, json!({"webhook_url": format!("{url}/hook")})).await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["status"], "failed");
    assert!(
        d[0]["last_error"].as_str().unwrap().contains("410"),
        "{d:?}"
    );
    let prefs = app
        .get_json("/api/v1/users/me/preferences", &user.access)
        .await;
    assert_eq!(prefs["channels"]["webhook_url"], Value::Null);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_counts_as_a_failure() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[302, 200]).await;
    let user = app.register_user().await;
    set_channels(&app, &user, json!({"webhook_url": format!("{url}/hook")})).await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    assert_eq!(fake.count(), 1, "the redirect target was never called");
    assert_eq!(deliveries(&app, &user).await[0]["status"], "failed");
}

#[tokio::test]
async fn an_internal_destination_is_refused_without_the_allow_list() {
    let app = TestApp::spawn().await;
    let (fake, url) = Fake::start(&[200]).await;
    let user = app.register_user().await;
    let local = url.replace("127.0.0.1", "localhost");
    set_channels(
        &app,
        &user,
        json!({"webhook_url": format!("{url}/hook"), "ntfy_url": format!("{local}/deals")}),
    )
    .await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    assert_eq!(fake.count(), 0);
    let d = deliveries(&app, &user).await;
    assert_eq!(d.len(), 2);
    for delivery in d {
        assert_eq!(delivery["status"], "failed", "{delivery}");
        assert!(
            delivery["last_error"]
                .as_str()
                .unwrap()
                .contains("internal"),
            "{delivery}"
        );
    }
}

#[tokio::test]
async fn ntfy_gets_a_json_publish_with_title_priority_and_a_tap_to_the_listing() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[200]).await;
    let user = app.register_user().await;
    set_channels(&app, &user, json!({"ntfy_url": format!("{url}/my-deals")})).await;
    alert(&app, &user).await;
    app.drain_jobs().await;
    let received = fake.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let sent: Value = serde_json::from_slice(&received[0].1).unwrap();
    assert_eq!(sent["topic"], "my-deals");
    assert_eq!(sent["title"], "Price drop: Sony WH-1000XM5");
    assert_eq!(sent["message"], "$279 at Best Buy");
    assert_eq!(sent["priority"], 4);
    assert_eq!(sent["click"], "https://shop.example/p/1");
    assert_eq!(deliveries(&app, &user).await[0]["status"], "sent");
}

#[tokio::test]
async fn telegram_gets_an_escaped_html_message_and_a_429_is_retried() {
    let (fake, url) = Fake::start(&[429, 200]).await;
    let app = TestApp::spawn_with(|s| {
        s.alerts.allow_private_hosts = vec!["127.0.0.1".into()];
        s.alerts.telegram_bot_token = deals_app::config::Secret::new("123:abc");
        s.alerts.telegram_api_url = url.clone();
    })
    .await;
    let user = app.register_user().await;
    set_channels(&app, &user, json!({"telegram_chat_id": "4242"})).await;
    let stored = notify(
        &app.state,
        Uuid::parse_str(&user.id).unwrap(),
        Alert {
            kind: NotificationKind::NewMatch,
            priority: Priority::Medium,
            title: "<b>Sale</b> & more".into(),
            body: "x".repeat(5000),
            data: json!({"url": "https://shop.example/p/2"}),
            dedup_key: "tg".into(),
        },
    )
    .await
    .unwrap();
    assert!(stored);
    app.drain_jobs().await;
    let d = deliveries(&app, &user).await;
    assert_eq!(d[0]["channel"], "telegram");
    assert_eq!(d[0]["status"], "pending");
    assert!(
        d[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("retry after 7 s"),
        "Telegram's parameters.retry_after wins over the header: {d:?}"
    );
    let wait = next_try_in(&app).await;
    assert!((5.0..=7.5).contains(&wait), "retry in {wait} s");
    assert!(
        !d[0]["last_error"].as_str().unwrap().contains("123:abc"),
        "no token in errors"
    );
    retries_due(&app).await;
    assert_eq!(deliveries(&app, &user).await[0]["status"], "sent");
    let received = fake.received.lock().unwrap().clone();
    let sent: Value = serde_json::from_slice(&received[1].1).unwrap();
    assert_eq!(sent["chat_id"], "4242");
    assert_eq!(sent["parse_mode"], "HTML");
    let text = sent["text"].as_str().unwrap();
    assert!(text.chars().count() <= 4096);
    assert!(
        text.starts_with("<b>&#60;b&#62;Sale") || text.starts_with("<b>&lt;b&gt;Sale"),
        "{}",
        &text[..40]
    );
}

#[tokio::test]
async fn discord_messages_fit_2000_characters_and_cannot_ping_everyone() {
    let app = spawn_allowing_loopback().await;
    let (fake, url) = Fake::start(&[204]).await;
    let user = app.register_user().await;
    set_channels(
        &app,
        &user,
        json!({"discord_webhook_url": format!("{url}/hook")}),
    )
    .await;
    let stored = notify(
        &app.state,
        Uuid::parse_str(&user.id).unwrap(),
        Alert {
            kind: NotificationKind::NewMatch,
            priority: Priority::Medium,
            title: "@everyone free TV".into(),
            body: "y".repeat(3000),
            data: json!({}),
            dedup_key: "discord".into(),
        },
    )
    .await
    .unwrap();
    assert!(stored);
    app.drain_jobs().await;
    let received = fake.received.lock().unwrap().clone();
    let sent: Value = serde_json::from_slice(&received[0].1).unwrap();
    assert!(sent["content"].as_str().unwrap().chars().count() <= 2000);
    assert_eq!(sent["allowed_mentions"], json!({"parse": []}));
    assert_eq!(deliveries(&app, &user).await[0]["status"], "sent");
}

async fn alert_at(app: &TestApp, user: &TestUser, priority: Priority, title: &str) {
    let stored = notify(
        &app.state,
        Uuid::parse_str(&user.id).unwrap(),
        Alert {
            kind: NotificationKind::PriceDrop,
            priority,
            title: title.into(),
            body: "$279 at Best Buy".into(),
            data: json!({"url": "https://shop.example/p/1", "deal_url": "/deals/1"}),
            dedup_key: format!("t:{}", Uuid::new_v4()),
        },
    )
    .await
    .unwrap();
    assert!(stored);
}

async fn put_prefs(app: &TestApp, user: &TestUser, prefs: Value) {
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(prefs),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Every delivery of the user's notifications, newest notification first.
async fn all_deliveries(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let list = app
        .get_json("/api/v1/notifications?per_page=100", &user.access)
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["deliveries"].as_array().unwrap().clone())
        .collect()
}

/// The digest job waiting for its time: `(id, key)`.
async fn digest_job(app: &TestApp) -> (Uuid, String) {
    let page = app
        .state
        .store
        .list_jobs(
            deals_store::Scope::All,
            Some(deals_app::jobs::JobStatus::Queued),
            deals_core::Pagination {
                page: 1,
                per_page: 50,
            },
        )
        .await
        .unwrap();
    let jobs: Vec<_> = page
        .items
        .iter()
        .filter(|j| j.kind == deals_app::jobs::JobKind::DeliverDigest)
        .collect();
    assert_eq!(jobs.len(), 1, "one digest job per user and channel");
    let key = jobs[0].payload["key"].as_str().unwrap().to_owned();
    (jobs[0].id, key)
}

/// Makes the waiting digest job due now.
async fn digest_due(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    app.state
        .store
        .conn()
        .execute_unprepared(
            "UPDATE jobs SET run_at = created_at WHERE kind = 'deliver_digest' AND status IN ('queued', 'retrying')",
        )
        .await
        .unwrap();
    app.drain_jobs().await;
}

#[tokio::test]
async fn a_digest_holds_alerts_and_sends_one_message_per_channel_at_its_time() {
    let app = spawn_allowing_loopback().await;
    let (hook, url) = Fake::start(&[200]).await;
    let (ntfy, ntfy_url) = Fake::start(&[200]).await;
    let user = app.register_user().await;
    put_prefs(
        &app,
        &user,
        json!({"channels": {"webhook_url": format!("{url}/hook"), "webhook_secret": SECRET,
            "ntfy_url": format!("{ntfy_url}/deals")}, "digest": "hourly"}),
    )
    .await;
    for t in ["First deal", "Second deal", "Third deal"] {
        alert_at(&app, &user, Priority::High, t).await;
    }
    app.drain_jobs().await;
    // In the app at once; on the external channels held for the digest.
    let list = app.get_json("/api/v1/notifications", &user.access).await;
    assert_eq!(list["total"], 3);
    let held = all_deliveries(&app, &user).await;
    assert_eq!(held.len(), 6);
    assert!(held.iter().all(|d| d["status"] == "held"), "{held:?}");
    assert_eq!((hook.count(), ntfy.count()), (0, 0));

    // A critical alert is never held.
    alert_at(&app, &user, Priority::Critical, "Price glitch").await;
    app.drain_jobs().await;
    assert_eq!((hook.count(), ntfy.count()), (1, 1));

    digest_due(&app).await;
    assert_eq!(
        (hook.count(), ntfy.count()),
        (2, 2),
        "one message per channel"
    );
    let (headers, body) = hook.received.lock().unwrap()[1].clone();
    assert!(
        verify(&headers, &body),
        "the digest is signed like any webhook"
    );
    let sent: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(sent["data"]["title"], "Your deal digest: 3 alerts");
    let text = sent["data"]["body"].as_str().unwrap();
    for t in ["First deal", "Second deal", "Third deal"] {
        assert!(text.contains(t), "{text}");
    }
    assert!(!text.contains("Price glitch"));
    let done = all_deliveries(&app, &user).await;
    assert!(
        done.iter()
            .all(|d| d["status"] == "sent" && d["attempts"] == 1),
        "{done:?}"
    );
    digest_due(&app).await;
    assert_eq!((hook.count(), ntfy.count()), (2, 2), "sent once");
}

#[tokio::test]
async fn a_crash_between_sending_a_digest_and_recording_it_never_sends_it_twice() {
    let app = spawn_allowing_loopback().await;
    let (hook, url) = Fake::start(&[200]).await;
    let user = app.register_user().await;
    put_prefs(
        &app,
        &user,
        json!({"channels": {"webhook_url": format!("{url}/hook")}, "digest": "daily",
            "digest_time": "08:00", "timezone": "Europe/Berlin"}),
    )
    .await;
    alert_at(&app, &user, Priority::Medium, "One").await;
    alert_at(&app, &user, Priority::High, "Two").await;
    let (_, key) = digest_job(&app).await;
    let user_id = Uuid::parse_str(&user.id).unwrap();
    // The digest job's first two steps, as a worker runs them: claim, then send ...
    let claim = deals_app::notify::claim_digest(&app.state, &key)
        .await
        .unwrap();
    assert_eq!(claim.claimed.len(), 2);
    let notes = app
        .state
        .store
        .notifications_by_id(&claim.claimed)
        .await
        .unwrap();
    let message = deals_app::notify::digest_message(user_id, &key, &notes);
    let prefs = deals_app::notify::preferences(&app.state, user_id)
        .await
        .unwrap();
    app.state
        .channels
        .send(deals_core::Channel::Webhook, &message, &prefs)
        .await
        .unwrap();
    assert_eq!(hook.count(), 1);
    // ... and the process dies before recording it. The job runs again after the restart.
    digest_due(&app).await;
    assert_eq!(hook.count(), 1, "not sent a second time");
    let d = all_deliveries(&app, &user).await;
    assert_eq!(d.len(), 2);
    for delivery in &d {
        assert_eq!(delivery["status"], "failed", "{d:?}");
        assert!(
            delivery["last_error"]
                .as_str()
                .unwrap()
                .contains("interrupted"),
            "{d:?}"
        );
    }
}

#[tokio::test]
async fn quiet_hours_hold_a_medium_alert_and_pass_a_critical_one() {
    let app = spawn_allowing_loopback().await;
    let (hook, url) = Fake::start(&[200]).await;
    let user = app.register_user().await;
    let now = chrono::Utc::now();
    let hm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
    put_prefs(
        &app,
        &user,
        json!({"channels": {"webhook_url": format!("{url}/hook")}, "timezone": "UTC",
            "quiet_hours": {"start": hm(now - chrono::Duration::hours(1)),
                "end": hm(now + chrono::Duration::hours(1))}}),
    )
    .await;
    alert_at(&app, &user, Priority::Medium, "Medium").await;
    app.drain_jobs().await;
    assert_eq!(hook.count(), 0, "held during quiet hours");
    assert_eq!(deliveries(&app, &user).await[0]["status"], "held");
    alert_at(&app, &user, Priority::Critical, "Critical").await;
    app.drain_jobs().await;
    assert_eq!(hook.count(), 1, "a critical alert passes");
    let sent: Value = serde_json::from_slice(&hook.received.lock().unwrap()[0].1).unwrap();
    assert_eq!(sent["data"]["title"], "Critical");
}

#[tokio::test]
async fn a_test_message_goes_through_the_real_channel_and_reports_the_outcome() {
    let app = spawn_allowing_loopback().await;
    let (hook, url) = Fake::start(&[204, 410]).await;
    let user = app.register_user().await;
    set_channels(
        &app,
        &user,
        json!({"webhook_url": format!("{url}/hook"), "webhook_secret": SECRET}),
    )
    .await;
    let test = |channel: &'static str| {
        let app = &app;
        let user = &user;
        async move {
            app.post(
                "/api/v1/users/me/preferences/test",
                Some(&user.access),
                json!({ "channel": channel }),
            )
            .await
        }
    };
    let res = test("webhook").await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out,
        json!({"channel": "webhook", "status": "sent", "http_status": 204})
    );
    let (headers, body) = hook.received.lock().unwrap()[0].clone();
    assert!(verify(&headers, &body));
    let sent: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(sent["data"]["title"], "Test alert from agentic-deals");
    // Nothing stored: a test message is not a notification.
    let list = app.get_json("/api/v1/notifications", &user.access).await;
    assert_eq!(list["total"], 0);

    let out: Value = test("webhook").await.json().await.unwrap();
    assert_eq!(out["status"], "failed");
    assert!(out["error"].as_str().unwrap().contains("410"), "{out}");

    // A channel not set up yet conflicts with the preferences as they are; an unknown one is
    // invalid input.
    let p = crate::helpers::assert_problem(test("ntfy").await, 409).await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("ntfy channel is not set up"),
        "{p}"
    );
    let p = crate::helpers::assert_problem(test("pigeon").await, 422).await;
    assert_eq!(crate::helpers::error_fields(&p), ["channel"]);
    let res = app
        .post(
            "/api/v1/users/me/preferences/test",
            None,
            json!({"channel": "webhook"}),
        )
        .await;
    assert_eq!(res.status(), 401);
}
