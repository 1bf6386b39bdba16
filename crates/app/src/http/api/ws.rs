//! `GET /api/v1/ws`: live updates over a WebSocket. The caller is authenticated before the
//! handshake (a bad token never upgrades); the connection subscribes to the event bus first,
//! sends `{type:"connected"}`, replays the durable events after `?since=` from the database,
//! then forwards live events: the user's own (notifications, job updates) and the public price
//! and deal updates it watches. `{type:"ping"}` is answered with `{type:"pong"}`;
//! `{type:"watch", deals:[id, …]}` (at most [`MAX_WATCHED`]) or `{type:"watch", deals:"*"}`
//! chooses the public updates (none until then: a page shows one deal, and sending every price
//! change to every socket would cost listings × sockets), confirmed by `{type:"watching"}`. A
//! client that falls behind (its share of the event buffer overflows, or a send stalls) is closed
//! with code 4000, which tells it to reconnect and resync.

use std::collections::HashSet;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::SinkExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::auth::credentials::{Via, authenticate};
use crate::http::error::{AppError, Problem};
use crate::live::replay::{self, Replay};
use crate::live::{LiveEvent, Shared, frame_json};
use crate::state::AppState;

/// Close code telling a client it missed events and must reload.
pub const CLOSE_RESYNC: u16 = 4000;
/// Seconds between server pings; a client that has not answered the previous one is closed.
const PING_EVERY: Duration = Duration::from_secs(25);
/// Longest a single frame may take to go out before the client counts as stalled.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Socket buffers: small, so ten thousand idle sockets stay cheap.
const BUFFER_BYTES: usize = 4 * 1024;
/// Most deals one connection may watch by id (`"*"` watches them all).
pub const MAX_WATCHED: usize = 100;
/// Most live frames written to one socket before a flush.
const BATCH: usize = 64;
/// Largest message a client may send (pings and pongs only).
const MAX_IN_MESSAGE: usize = 4 * 1024;

/// Query of the WebSocket endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsParams {
    /// An access token, for clients that can send neither a header nor a subprotocol.
    pub token: Option<String>,
    /// The last durable event id seen: every later one is replayed first.
    pub since: Option<i64>,
}

/// Live updates (WebSocket upgrade).
#[utoipa::path(get, path = "/api/v1/ws", operation_id = "live_updates", tag = "notifications", params(WsParams), responses(
    (status = 101, description = "Switching protocols: frames `{type, id?, data}`"),
    (status = 400, body = Problem, description = "Not a WebSocket handshake (Upgrade, Connection, Sec-WebSocket-Key and -Version headers missing or wrong)"),
    (status = 426, body = Problem, description = "The connection cannot be upgraded (such as over HTTP/2 without extended CONNECT)"),
    (status = 401, body = Problem, description = "Missing, invalid or expired token"),
    (status = 403, body = Problem, description = "Session cookie sent from a foreign Origin")))]
pub async fn live_updates(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<WsParams>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let (user, via) = authenticate(&state, &headers, params.token.as_deref()).await?;
    let mut upgrade = upgrade
        .read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_write_buffer_size(BUFFER_BYTES * 64)
        .max_message_size(MAX_IN_MESSAGE)
        .max_frame_size(MAX_IN_MESSAGE);
    if via == Via::Subprotocol {
        upgrade = upgrade.protocols(["bearer"]);
    }
    let since = params.since;
    Ok(upgrade.on_upgrade(move |socket| async move {
        metrics::gauge!("ws_connections").increment(1.0);
        metrics::gauge!("deals_websocket_connections").increment(1.0);
        let why = serve(state, socket, user, since).await;
        metrics::gauge!("ws_connections").decrement(1.0);
        metrics::gauge!("deals_websocket_connections").decrement(1.0);
        metrics::counter!("ws_disconnects_total", "reason" => why).increment(1);
        tracing::debug!(user = %user.id, why, "WebSocket closed");
    }))
}

/// The public updates a connection asked for.
#[derive(Debug, Default, PartialEq)]
enum Watch {
    /// These deals only (none at first).
    #[default]
    Nothing,
    /// These deals.
    Deals(HashSet<Uuid>),
    /// Every public update.
    All,
}

impl Watch {
    fn covers(&self, deal: Uuid) -> bool {
        match self {
            Watch::Nothing => false,
            Watch::Deals(ids) => ids.contains(&deal),
            Watch::All => true,
        }
    }

    /// Reads the `deals` of a `watch` message: a list of deal ids or `"*"`.
    fn parse(deals: Option<&Value>) -> Result<Watch, String> {
        match deals {
            Some(Value::String(s)) if s == "*" => Ok(Watch::All),
            Some(Value::Array(items)) if items.len() <= MAX_WATCHED => {
                let ids = items
                    .iter()
                    .map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
                    .collect::<Option<HashSet<Uuid>>>()
                    .ok_or_else(|| "every entry must be a deal id (UUID)".to_owned())?;
                Ok(if ids.is_empty() {
                    Watch::Nothing
                } else {
                    Watch::Deals(ids)
                })
            }
            Some(Value::Array(_)) => Err(format!("at most {MAX_WATCHED} deals, or \"*\"")),
            _ => Err("a list of deal ids, or \"*\"".to_owned()),
        }
    }

    /// What `{type:"watching"}` confirms.
    fn describe(&self) -> Value {
        match self {
            Watch::Nothing => json!({"deals": []}),
            Watch::Deals(ids) => {
                let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                ids.sort();
                json!({"deals": ids})
            }
            Watch::All => json!({"deals": "*"}),
        }
    }
}

/// Whether `user` may see `event`, and asked for it: their own notifications and jobs, and the
/// public deal and price updates they watch.
fn visible(event: &LiveEvent, user: &AuthUser, watch: &Watch) -> bool {
    match event {
        LiveEvent::DealUpdate(d) | LiveEvent::PriceUpdate(d) => watch.covers(d.deal_id),
        LiveEvent::Notification(_) | LiveEvent::JobUpdate(_) => event.user_id() == Some(user.id),
    }
}

/// The answer to a client's text message, if any, updating its watch list.
fn answer(text: &str, watch: &mut Watch) -> Option<Value> {
    let asked: Value = serde_json::from_str(text).ok()?;
    match asked.get("type").and_then(Value::as_str)? {
        "ping" => Some(json!({"type": "pong"})),
        "watch" => Some(match Watch::parse(asked.get("deals")) {
            Ok(new) => {
                *watch = new;
                json!({"type": "watching", "data": watch.describe()})
            }
            Err(message) => json!({
                "type": "error",
                "data": {"field": "deals", "message": message}
            }),
        }),
        _ => None,
    }
}

/// Sends one frame, failing when the client stalls.
async fn send(socket: &mut WebSocket, v: &Value) -> Result<(), &'static str> {
    feed(socket, &v.to_string()).await?;
    flush(socket, 1).await
}

/// The frame of a live event for this connection: `None` when the user may not see it, or
/// when it is a notification already replayed (committed between subscribe and replay).
fn frame_for<'a>(
    shared: &'a Shared,
    user: &AuthUser,
    watch: &Watch,
    last_id: &mut i64,
) -> Option<&'a str> {
    let event = &shared.event;
    if !visible(event, user, watch) {
        return None;
    }
    if let LiveEvent::Notification(n) = event {
        if n.event_id.is_some_and(|id| id <= *last_id) {
            return None;
        }
        *last_id = (*last_id).max(n.event_id.unwrap_or(0));
    }
    Some(shared.frame())
}

/// Queues one frame on the socket without flushing it (the write buffer grows up to
/// `max_write_buffer_size`, then this waits for the socket), failing when the client stalls.
async fn feed(socket: &mut WebSocket, text: &str) -> Result<(), &'static str> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.feed(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => {
            metrics::counter!("ws_frames_dropped_total", "reason" => "send_failed").increment(1);
            Err("send failed")
        }
        Err(_) => {
            metrics::counter!("ws_frames_dropped_total", "reason" => "stalled").increment(1);
            Err("client stalled")
        }
    }
}

/// Writes the `fed` frames queued by [`feed`] out to the client.
async fn flush(socket: &mut WebSocket, fed: usize) -> Result<(), &'static str> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.flush()).await {
        Ok(Ok(())) => {
            metrics::counter!("ws_frames_sent_total").increment(fed as u64);
            Ok(())
        }
        Ok(Err(_)) => {
            metrics::counter!("ws_frames_dropped_total", "reason" => "send_failed")
                .increment(fed as u64);
            Err("send failed")
        }
        Err(_) => {
            metrics::counter!("ws_frames_dropped_total", "reason" => "stalled")
                .increment(fed as u64);
            Err("client stalled")
        }
    }
}

/// Closes with [`CLOSE_RESYNC`].
async fn close_resync(socket: &mut WebSocket, reason: &'static str) {
    let close = Message::Close(Some(CloseFrame {
        code: CLOSE_RESYNC,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(close)).await;
}

/// Runs one connection to its end; returns why it ended.
async fn serve(
    state: AppState,
    mut socket: WebSocket,
    user: AuthUser,
    since: Option<i64>,
) -> &'static str {
    // Subscribe before reading the database, so nothing committed in between is missed.
    let mut events = state.events.subscribe();
    let mut resyncs = state.events.resyncs();
    if send(
        &mut socket,
        &json!({"type": "connected", "data": {"user_id": user.id}}),
    )
    .await
    .is_err()
    {
        return "gone before connected";
    }
    let mut last_id = since.unwrap_or(0);
    if let Some(since) = since {
        match replay::since(&state, user.id, since).await {
            Ok(Replay::Events(missed)) => {
                for n in missed {
                    last_id = last_id.max(n.event_id.unwrap_or(0));
                    if send(&mut socket, &frame_json(&LiveEvent::Notification(n)))
                        .await
                        .is_err()
                    {
                        return "gone during replay";
                    }
                }
            }
            Ok(Replay::Resync) | Err(_) => {
                if send(&mut socket, &json!({"type": "resync"})).await.is_err() {
                    return "gone before resync";
                }
            }
        }
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut awaiting_pong = false;
    let mut watch = Watch::default();
    loop {
        tokio::select! {
            biased;
            got = events.recv() => {
                // Everything already waiting goes out in one write: a burst of events (a search's
                // job and deal updates, then its alert) costs one flush per socket, not one each.
                let mut next = Some(got);
                let mut fed = 0usize;
                while let Some(got) = next.take() {
                    match got {
                        Ok(shared) => {
                            if let Some(text) = frame_for(&shared, &user, &watch, &mut last_id) {
                                if feed(&mut socket, text).await.is_err() {
                                    return "send failed";
                                }
                                fed += 1;
                            }
                        }
                        Err(RecvError::Lagged(missed)) => {
                            metrics::counter!("ws_frames_dropped_total", "reason" => "lagged").increment(missed);
                            close_resync(&mut socket, "fell behind; reconnect and resync").await;
                            return "lagged";
                        }
                        Err(RecvError::Closed) => return "event bus closed",
                    }
                    if fed < BATCH {
                        next = match events.try_recv() {
                            Ok(shared) => Some(Ok(shared)),
                            Err(TryRecvError::Lagged(missed)) => Some(Err(RecvError::Lagged(missed))),
                            Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
                            Err(TryRecvError::Empty) => None,
                        };
                    }
                }
                if fed > 0 && flush(&mut socket, fed).await.is_err() {
                    return "send failed";
                }
            }
            _ = resyncs.recv() => {
                if send(&mut socket, &json!({"type": "resync"})).await.is_err() {
                    return "send failed";
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = answer(text.as_str(), &mut watch)
                        && send(&mut socket, &reply).await.is_err()
                    {
                        return "send failed";
                    }
                }
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return "client closed",
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if awaiting_pong {
                    metrics::counter!("ws_frames_dropped_total", "reason" => "missed_pong").increment(1);
                    return "missed pong";
                }
                awaiting_pong = true;
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return "ping failed";
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_watches_nothing_until_it_asks() {
        let mut watch = Watch::default();
        let deal = Uuid::now_v7();
        assert!(!watch.covers(deal));
        let reply = answer(
            &json!({"type": "watch", "deals": [deal]}).to_string(),
            &mut watch,
        );
        assert_eq!(reply.unwrap()["data"]["deals"][0], deal.to_string());
        assert!(watch.covers(deal));
        assert!(!watch.covers(Uuid::now_v7()));
        answer(r#"{"type":"watch","deals":"*"}"#, &mut watch);
        assert!(watch.covers(Uuid::now_v7()));
        answer(r#"{"type":"watch","deals":[]}"#, &mut watch);
        assert_eq!(watch, Watch::Nothing);
    }

    #[test]
    fn a_bad_watch_list_is_refused_and_keeps_the_previous_one() {
        let mut watch = Watch::All;
        for bad in [
            json!({"type": "watch", "deals": ["not-a-uuid"]}),
            json!({"type": "watch", "deals": "all"}),
            json!({"type": "watch"}),
            json!({"type": "watch", "deals": vec![Uuid::nil(); MAX_WATCHED + 1]}),
        ] {
            let reply = answer(&bad.to_string(), &mut watch).unwrap();
            assert_eq!(reply["type"], "error", "{bad}");
            assert_eq!(reply["data"]["field"], "deals");
        }
        assert_eq!(watch, Watch::All);
    }

    #[test]
    fn pings_are_answered_and_other_messages_ignored() {
        let mut watch = Watch::default();
        assert_eq!(
            answer(r#"{"type":"ping"}"#, &mut watch).unwrap()["type"],
            "pong"
        );
        assert_eq!(answer(r#"{"type":"dance"}"#, &mut watch), None);
        assert_eq!(answer("not json", &mut watch), None);
    }
}
