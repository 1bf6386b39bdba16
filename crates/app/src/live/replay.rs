//! Resuming a live connection: the durable events (notifications) a client missed since the
//! last event id it saw, read from the database, at most [`MAX_REPLAY`]; beyond that the client
//! must reload instead.

use uuid::Uuid;

use super::NotificationEvent;
use crate::error::Result;
use crate::state::AppState;

/// Most durable events replayed to one connection; more missed means a resync.
pub const MAX_REPLAY: usize = 300;

/// What a resuming client gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// The events with an id above `since`, oldest first.
    Events(Vec<NotificationEvent>),
    /// More than [`MAX_REPLAY`] were missed: reload.
    Resync,
}

/// The user's durable events after `since`.
pub async fn since(state: &AppState, user_id: Uuid, since: i64) -> Result<Replay> {
    let found = state
        .store
        .notifications_since(user_id, since, MAX_REPLAY as u64 + 1)
        .await?;
    if found.len() > MAX_REPLAY {
        return Ok(Replay::Resync);
    }
    Ok(Replay::Events(
        found.iter().map(NotificationEvent::from).collect(),
    ))
}
