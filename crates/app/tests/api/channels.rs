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
                    res.headers_mut()
                        .insert("retry-after", "3".parse().unwrap());
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
            .contains("retry after 3 s"),
        "{d:?}"
    );
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
