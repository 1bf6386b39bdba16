//! `GET /api/v1/ws`: live updates over a WebSocket. The caller is authenticated before the
//! handshake (a bad token never upgrades); the connection subscribes to the event bus first,
//! sends `{type:"connected"}`, replays the durable events after `?since=` from the database,
//! then forwards live events: the user's own and the public ones. `{type:"ping"}` is answered
//! with `{type:"pong"}`. A client that falls behind (its share of the event buffer overflows, or
//! a send stalls) is closed with code 4000, which tells it to reconnect and resync.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::auth::credentials::{Via, authenticate};
use crate::http::error::{AppError, Problem};
use crate::live::replay::{self, Replay};
use crate::live::{LiveEvent, frame_json};
use crate::state::AppState;

/// Close code telling a client it missed events and must reload.
pub const CLOSE_RESYNC: u16 = 4000;
/// Seconds between server pings; a client that has not answered the previous one is closed.
const PING_EVERY: Duration = Duration::from_secs(25);
/// Longest a single frame may take to go out before the client counts as stalled.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Socket buffers: small, so ten thousand idle sockets stay cheap.
const BUFFER_BYTES: usize = 4 * 1024;
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

/// Whether `user` may see `event`: their own notifications and jobs, and public deal and price
/// updates.
fn visible(event: &LiveEvent, user: &AuthUser) -> bool {
    match event {
        LiveEvent::DealUpdate(_) | LiveEvent::PriceUpdate(_) => true,
        LiveEvent::Notification(_) | LiveEvent::JobUpdate(_) => event.user_id() == Some(user.id),
    }
}

/// Sends one frame, failing when the client stalls.
async fn send(socket: &mut WebSocket, v: &Value) -> Result<(), &'static str> {
    send_text(socket, v.to_string()).await
}

/// Sends one frame already serialised.
async fn send_text(socket: &mut WebSocket, text: String) -> Result<(), &'static str> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => {
            metrics::counter!("ws_frames_sent_total").increment(1);
            Ok(())
        }
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
    loop {
        tokio::select! {
            biased;
            got = events.recv() => match got {
                Ok(shared) => {
                    let event = &shared.event;
                    if !visible(event, &user) {
                        continue;
                    }
                    if let LiveEvent::Notification(n) = event {
                        // Already replayed (it committed between subscribe and replay).
                        if n.event_id.is_some_and(|id| id <= last_id) {
                            continue;
                        }
                        last_id = last_id.max(n.event_id.unwrap_or(0));
                    }
                    if send_text(&mut socket, shared.frame().to_owned()).await.is_err() {
                        return "send failed";
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    metrics::counter!("ws_frames_dropped_total", "reason" => "lagged").increment(missed);
                    close_resync(&mut socket, "fell behind; reconnect and resync").await;
                    return "lagged";
                }
                Err(RecvError::Closed) => return "event bus closed",
            },
            _ = resyncs.recv() => {
                if send(&mut socket, &json!({"type": "resync"})).await.is_err() {
                    return "send failed";
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let asked: Option<Value> = serde_json::from_str(text.as_str()).ok();
                    if asked.as_ref().and_then(|v| v.get("type")).and_then(Value::as_str) == Some("ping")
                        && send(&mut socket, &json!({"type": "pong"})).await.is_err()
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
