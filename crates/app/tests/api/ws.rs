//! The live-update WebSocket: authentication before the handshake, the `connected` frame, replay
//! of missed durable events by id (or `resync` beyond 300), owner-only delivery, ping/pong, and
//! public price updates only for the deals a socket watches.

use deals_app::notify::{Alert, notify};
use deals_core::{NotificationKind, Priority};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(app: &TestApp, query: &str) -> String {
    format!("{}/api/v1/ws{query}", app.address.replacen("http", "ws", 1))
}

/// Connects with the token in the subprotocol and reads the `connected` frame.
async fn connect(app: &TestApp, user: &TestUser, query: &str) -> Socket {
    let mut req = ws_url(app, query).into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&format!("bearer, {}", user.access)).unwrap(),
    );
    let (mut socket, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        res.headers().get("sec-websocket-protocol").unwrap(),
        "bearer"
    );
    assert_eq!(next(&mut socket).await["type"], "connected");
    socket
}

/// The next text frame, as JSON.
async fn next(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Sends a ping and returns every frame before the pong.
async fn until_pong(socket: &mut Socket) -> Vec<Value> {
    socket
        .send(Message::text(json!({"type": "ping"}).to_string()))
        .await
        .unwrap();
    let mut before = Vec::new();
    loop {
        let f = next(socket).await;
        if f["type"] == "pong" {
            return before;
        }
        before.push(f);
    }
}

async fn alert(app: &TestApp, user: &TestUser, n: usize) {
    let id = Uuid::parse_str(&user.id).unwrap();
    let stored = notify(
        &app.state,
        id,
        Alert {
            kind: NotificationKind::NewMatch,
            priority: Priority::Medium,
            title: format!("Alert {n}"),
            body: "body".into(),
            data: json!({}),
            dedup_key: format!("test:{n}"),
        },
    )
    .await
    .unwrap();
    assert!(stored);
}

#[tokio::test]
async fn a_bad_token_never_upgrades() {
    let app = TestApp::spawn().await;
    let err = tokio_tungstenite::connect_async(ws_url(&app, "?token=not-a-token"))
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(res) = err else {
        panic!("{err:?}")
    };
    assert_eq!(res.status(), 401);
    let err = tokio_tungstenite::connect_async(ws_url(&app, ""))
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(res) = err else {
        panic!("{err:?}")
    };
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_notification_reaches_its_owner_live_with_its_event_id_and_no_one_else() {
    let app = TestApp::spawn().await;
    let owner = app.register_user().await;
    let other = app.register_user().await;
    let mut mine = connect(&app, &owner, "").await;
    let (mut theirs, _) =
        tokio_tungstenite::connect_async(ws_url(&app, &format!("?token={}", other.access)))
            .await
            .unwrap();
    assert_eq!(next(&mut theirs).await["type"], "connected");

    alert(&app, &owner, 1).await;
    let f = next(&mut mine).await;
    assert_eq!(f["type"], "notification");
    assert_eq!(f["id"], 1);
    assert_eq!(f["data"]["title"], "Alert 1");
    assert!(until_pong(&mut mine).await.is_empty());
    // The other user's socket saw nothing before its pong.
    assert!(until_pong(&mut theirs).await.is_empty());
}

#[tokio::test]
async fn a_client_resuming_with_since_gets_what_it_missed_once_then_live() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    for n in 1..=3 {
        alert(&app, &user, n).await;
    }
    let mut socket = connect(&app, &user, "?since=1").await;
    let replayed: Vec<Value> = vec![next(&mut socket).await, next(&mut socket).await];
    let ids: Vec<&Value> = replayed.iter().map(|f| &f["id"]).collect();
    assert_eq!(ids, vec![&json!(2), &json!(3)]);
    alert(&app, &user, 4).await;
    let live = next(&mut socket).await;
    assert_eq!(live["id"], 4);
    assert!(until_pong(&mut socket).await.is_empty(), "nothing twice");
}

#[tokio::test]
async fn a_client_that_missed_more_than_300_events_is_told_to_resync() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let id = Uuid::parse_str(&user.id).unwrap();
    for n in 0..302 {
        app.state
            .store
            .insert_notification(deals_store::repo::background::NewNotification {
                user_id: id,
                kind: NotificationKind::NewMatch,
                priority: Priority::Low,
                title: format!("n{n}"),
                body: String::new(),
                data: json!({}),
                dedup_key: None,
            })
            .await
            .unwrap();
    }
    let mut socket = connect(&app, &user, "?since=1").await;
    assert_eq!(next(&mut socket).await["type"], "resync");
}

#[tokio::test]
async fn the_session_cookie_works_only_from_the_sites_own_origin() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let cookie = |origin: &str| {
        let mut req = ws_url(&app, "").into_client_request().unwrap();
        let h = req.headers_mut();
        h.insert(
            "cookie",
            HeaderValue::from_str(&format!("deals_session={}", user.access)).unwrap(),
        );
        h.insert("origin", HeaderValue::from_str(origin).unwrap());
        req
    };
    let err = tokio_tungstenite::connect_async(cookie("https://evil.example"))
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(res) = err else {
        panic!("{err:?}")
    };
    assert_eq!(res.status(), 403);
    let own = app.address.clone();
    let (mut socket, _) = tokio_tungstenite::connect_async(cookie(&own))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "connected");
}

#[tokio::test]
async fn public_price_updates_reach_only_the_sockets_that_watch_the_deal() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let (watched, other) = (Uuid::now_v7(), Uuid::now_v7());
    let mut watcher = connect(&app, &user, "").await;
    let mut everything = connect(&app, &user, "").await;
    let mut idle = connect(&app, &user, "").await;
    watcher
        .send(Message::text(
            json!({"type": "watch", "deals": [watched]}).to_string(),
        ))
        .await
        .unwrap();
    let ok = next(&mut watcher).await;
    assert_eq!(ok["type"], "watching");
    assert_eq!(ok["data"]["deals"], json!([watched.to_string()]));
    everything
        .send(Message::text(r#"{"type":"watch","deals":"*"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut everything).await["data"]["deals"], "*");

    for deal_id in [other, watched] {
        app.state
            .events
            .publish(deals_app::live::LiveEvent::PriceUpdate(
                deals_app::live::DealChange {
                    deal_id,
                    market: "bestbuy".into(),
                    price: "199.99".into(),
                    currency: deals_core::Currency::USD,
                },
            ))
            .await;
    }
    let seen = until_pong(&mut watcher).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["type"], "price_update");
    assert_eq!(seen[0]["data"]["deal_id"], watched.to_string());
    assert_eq!(until_pong(&mut everything).await.len(), 2);
    assert!(
        until_pong(&mut idle).await.is_empty(),
        "no watch, no public updates"
    );

    idle.send(Message::text(r#"{"type":"watch","deals":["nope"]}"#))
        .await
        .unwrap();
    let refused = next(&mut idle).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["data"]["field"], "deals");
}
