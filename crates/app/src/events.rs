//! Live events (`job_update`, `deal_update`, `price_update`, `notification`) fanned out to every
//! process: a tokio broadcast channel in each process, bridged through Redis pub/sub when Redis
//! is configured, so a WebSocket client on any replica sees what a worker elsewhere did.

use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Events kept for slow subscribers before they start missing some.
const BUFFER: usize = 1024;

/// One live event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `job_update`, `deal_update`, `price_update` or `notification`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user the event is for; `None` for events anyone may see.
    pub user_id: Option<Uuid>,
    /// The payload.
    pub data: serde_json::Value,
}

/// Publishes and subscribes to live events.
#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Event>,
    redis: Option<(redis::aio::ConnectionManager, String)>,
}

impl EventBus {
    /// Events stay in this process.
    pub fn in_process() -> Self {
        Self {
            local: broadcast::channel(BUFFER).0,
            redis: None,
        }
    }

    /// Events go through the Redis channel `<prefix>events`; a background task relays what
    /// arrives there (from every process, this one included) to local subscribers.
    pub async fn redis(url: &str, conn: redis::aio::ConnectionManager, prefix: &str) -> anyhow::Result<Self> {
        let channel = format!("{prefix}events");
        let local = broadcast::channel(BUFFER).0;
        let client = redis::Client::open(url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&channel).await?;
        let tx: broadcast::Sender<Event> = local.clone();
        tokio::spawn(async move {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let Ok(payload) = msg.get_payload::<String>() else {
                    continue;
                };
                match serde_json::from_str::<Event>(&payload) {
                    Ok(event) => {
                        let _ = tx.send(event);
                    }
                    Err(e) => tracing::warn!(error = %e, "unreadable event on the Redis channel"),
                }
            }
            tracing::warn!("Redis event subscription ended; live updates from other processes stop");
        });
        Ok(Self {
            local,
            redis: Some((conn, channel)),
        })
    }

    /// Publishes an event. Never fails the caller: a lost live update is logged, the data it
    /// announces is in the database anyway.
    pub async fn publish(&self, event: Event) {
        match &self.redis {
            None => {
                let _ = self.local.send(event);
            }
            Some((conn, channel)) => {
                let Ok(json) = serde_json::to_string(&event) else {
                    return;
                };
                let mut conn = conn.clone();
                let sent: redis::RedisResult<i64> =
                    redis::cmd("PUBLISH").arg(channel).arg(json).query_async(&mut conn).await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "publishing a live event to Redis failed");
                }
            }
        }
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}

/// Shared handle.
pub type Events = Arc<EventBus>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_process_subscriber_sees_what_is_published() {
        let bus = EventBus::in_process();
        let mut rx = bus.subscribe();
        let event = Event {
            kind: "job_update".into(),
            user_id: None,
            data: serde_json::json!({"status": "running"}),
        };
        bus.publish(event.clone()).await;
        assert_eq!(rx.recv().await.unwrap(), event);
    }
}
