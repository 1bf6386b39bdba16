//! Live events fanned out to every process: a tokio broadcast channel in each process, bridged
//! through Redis pub/sub when Redis is configured, so a WebSocket client on any replica sees what
//! a worker elsewhere did. [`LiveEvent`] is the one vocabulary; a durable event (a notification)
//! is published only after the transaction that stored it has committed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deals_core::{Currency, JobKind, JobStatus, NotificationKind, Priority};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

pub mod replay;

use crate::redisconn::{RedisConn, RedisTarget};

/// Events kept for slow subscribers before they start missing some.
const BUFFER: usize = 1024;

/// One live event, tagged by its `type` (`notification`, `job_update`, `deal_update`,
/// `price_update`) with its payload under `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A new in-app notification (durable: it is in the database).
    Notification(NotificationEvent),
    /// A job changed state (latest value wins).
    JobUpdate(JobUpdate),
    /// A listing new to the catalogue (latest value wins, public).
    DealUpdate(DealChange),
    /// A known listing's price changed (latest value wins, public).
    PriceUpdate(DealChange),
}

impl LiveEvent {
    /// The user the event is for; `None` for events anyone may see.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            LiveEvent::Notification(n) => Some(n.user_id),
            LiveEvent::JobUpdate(j) => j.owner_id,
            LiveEvent::DealUpdate(_) | LiveEvent::PriceUpdate(_) => None,
        }
    }
}

/// A stored notification, as pushed to its recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationEvent {
    /// Recipient.
    pub user_id: Uuid,
    /// The notification's id.
    pub id: Uuid,
    /// What it is about.
    pub kind: NotificationKind,
    /// Urgency.
    pub priority: Priority,
    /// One line.
    pub title: String,
    /// The explanation.
    pub body: String,
    /// Links and numbers.
    pub data: serde_json::Value,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The per-user increasing id of the event (resume with `?since=`).
    pub event_id: Option<i64>,
}

impl From<&deals_store::rows::Notification> for NotificationEvent {
    fn from(n: &deals_store::rows::Notification) -> Self {
        Self {
            user_id: n.user_id,
            id: n.id,
            kind: n.kind,
            priority: n.priority,
            title: n.title.clone(),
            body: n.body.clone(),
            data: n.data.clone(),
            created_at: n.created_at,
            event_id: n.event_id,
        }
    }
}

/// A job's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUpdate {
    /// The user the job works for.
    pub owner_id: Option<Uuid>,
    /// Job id.
    pub id: Uuid,
    /// Job kind.
    pub kind: JobKind,
    /// Job status.
    pub status: JobStatus,
    /// Attempts so far.
    pub attempts: i32,
    /// Last error, if any.
    pub error: Option<String>,
}

/// A listing's current price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealChange {
    /// The deal (listing) id.
    pub deal_id: Uuid,
    /// Its market.
    pub market: String,
    /// Current price, two decimals.
    pub price: String,
    /// Currency.
    pub currency: Currency,
}

/// A live event as handed to every local subscriber: shared, with its wire frame
/// (`{type, id?, data}`) serialised once however many sockets send it.
#[derive(Debug)]
pub struct Shared {
    /// The event.
    pub event: LiveEvent,
    frame: std::sync::OnceLock<String>,
}

impl Shared {
    /// Wraps an event.
    pub fn new(event: LiveEvent) -> Arc<Self> {
        Arc::new(Self {
            event,
            frame: std::sync::OnceLock::new(),
        })
    }

    /// The event's frame as JSON text.
    pub fn frame(&self) -> &str {
        self.frame
            .get_or_init(|| frame_json(&self.event).to_string())
    }
}

/// The wire frame of an event: `{type, data}`, plus `id` (the event id) for notifications.
pub fn frame_json(event: &LiveEvent) -> serde_json::Value {
    let mut v = serde_json::to_value(event).unwrap_or_default();
    if let (LiveEvent::Notification(n), Some(obj)) = (event, v.as_object_mut())
        && let Some(id) = n.event_id
    {
        obj.insert("id".into(), serde_json::json!(id));
    }
    v
}

/// Publishes and subscribes to live events.
#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Arc<Shared>>,
    resync: broadcast::Sender<()>,
    redis: Option<(RedisConn, String)>,
    /// The cluster connection whose push frames feed `local` (kept open as long as the bus).
    _subscription: Option<redis::cluster_async::ClusterConnection>,
}

impl EventBus {
    /// Events stay in this process.
    pub fn in_process() -> Self {
        Self {
            local: broadcast::channel(BUFFER).0,
            resync: broadcast::channel(4).0,
            redis: None,
            _subscription: None,
        }
    }

    /// Events go through the Redis channel `<prefix>events` on a single server or on a Redis
    /// Cluster (see [`EventBus::redis_cluster`]).
    pub async fn connect(
        target: &RedisTarget,
        conn: RedisConn,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        match target {
            RedisTarget::Single(url) => Self::redis(url, conn, prefix).await,
            RedisTarget::Cluster(nodes) => Self::redis_cluster(nodes, conn, prefix).await,
        }
    }

    /// Events go through the Redis channel `<prefix>events`; a background task relays what
    /// arrives there (from every process, this one included) to local subscribers. When the
    /// subscription drops it resubscribes, then tells local subscribers to resync (pub/sub is
    /// at-most-once: what was published meanwhile is lost to them).
    pub async fn redis(url: &str, conn: RedisConn, prefix: &str) -> anyhow::Result<Self> {
        let channel = format!("{prefix}events");
        let local = broadcast::channel(BUFFER).0;
        let resync = broadcast::channel(4).0;
        let client = redis::Client::open(url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&channel).await?;
        let relay = Relay {
            client,
            channel: channel.clone(),
            events: local.clone(),
            resync: resync.clone(),
        };
        // Supervised: should the relay ever panic, it starts again (subscribing afresh, then
        // announcing a resync) instead of leaving this process deaf to other replicas.
        let first = std::sync::Mutex::new(Some(pubsub));
        tokio::spawn(crate::supervisor::supervise(
            Arc::default(),
            "live_relay",
            crate::supervisor::never(),
            move |_| {
                let relay = relay.clone();
                let first = first.lock().unwrap_or_else(|p| p.into_inner()).take();
                async move {
                    relay.run(first).await;
                    Ok(())
                }
            },
        ));
        Ok(Self {
            local,
            resync,
            redis: Some((conn, channel)),
            _subscription: None,
        })
    }

    /// The same channel on a Redis Cluster. Classic pub/sub is cluster-wide (a `PUBLISH` on any
    /// node reaches subscribers on every node), so one subscription on a RESP3 cluster
    /// connection is enough; its messages arrive as push frames, which the connection
    /// re-establishes by itself after a disconnection — the resubscription confirmation then
    /// triggers a resync, as on a single server.
    pub async fn redis_cluster(
        nodes: &[String],
        conn: RedisConn,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let channel = format!("{prefix}events");
        let local: broadcast::Sender<Arc<Shared>> = broadcast::channel(BUFFER).0;
        let resync = broadcast::channel(4).0;
        let (events, resyncs) = (local.clone(), resync.clone());
        let confirmations = std::sync::atomic::AtomicU64::new(0);
        let push = move |info: redis::PushInfo| -> Result<(), redis::aio::SendError> {
            match info.kind {
                redis::PushKind::Message => {
                    let Some(payload) = info.data.get(1) else {
                        return Ok(());
                    };
                    let Ok(payload) = redis::from_redis_value_ref::<String>(payload) else {
                        return Ok(());
                    };
                    match serde_json::from_str::<LiveEvent>(&payload) {
                        Ok(event) => {
                            let _ = events.send(Shared::new(event));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable event on the Redis channel")
                        }
                    }
                }
                // The first confirmation is our own subscribe; later ones follow a
                // reconnection, after which events may have been missed.
                redis::PushKind::Subscribe
                    if confirmations.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 0 =>
                {
                    let _ = resyncs.send(());
                }
                redis::PushKind::Disconnection => {
                    tracing::warn!("Redis Cluster event subscription dropped; resubscribing");
                    metrics::counter!("live_subscription_drops_total").increment(1);
                }
                _ => {}
            }
            Ok(())
        };
        let client = redis::cluster::ClusterClientBuilder::new(nodes.to_vec())
            .use_protocol(redis::ProtocolVersion::RESP3)
            .push_sender(push)
            .build()?;
        let mut sub = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            client.get_async_connection(),
        )
        .await
        .map_err(|_| anyhow::anyhow!("the redis cluster did not answer within 5 s"))??;
        sub.subscribe(&channel).await?;
        Ok(Self {
            local,
            resync,
            redis: Some((conn, channel)),
            _subscription: Some(sub),
        })
    }

    /// A receiver that yields when this process may have missed events (its Redis subscription
    /// dropped and came back): its live clients must reload.
    pub fn resyncs(&self) -> broadcast::Receiver<()> {
        self.resync.subscribe()
    }

    /// Tells every local subscriber to resync.
    pub fn announce_resync(&self) {
        let _ = self.resync.send(());
    }

    /// Publishes an event. Never fails the caller: a lost live update is logged, the data it
    /// announces is in the database anyway.
    pub async fn publish(&self, event: LiveEvent) {
        match &self.redis {
            None => {
                let _ = self.local.send(Shared::new(event));
            }
            Some((conn, channel)) => {
                let Ok(json) = serde_json::to_string(&event) else {
                    return;
                };
                let mut conn = conn.clone();
                let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(json)
                    .query_async(&mut conn)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "publishing a live event to Redis failed");
                }
            }
        }
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Shared>> {
        self.local.subscribe()
    }
}

/// Shared handle.
pub type Events = Arc<EventBus>;

/// The task relaying a Redis channel to local subscribers.
#[derive(Clone)]
struct Relay {
    client: redis::Client,
    channel: String,
    events: broadcast::Sender<Arc<Shared>>,
    resync: broadcast::Sender<()>,
}

impl Relay {
    /// Relays until the process ends, resubscribing (with a capped backoff) when the
    /// subscription drops and announcing a resync once it is back.
    async fn run(self, first: Option<redis::aio::PubSub>) {
        let mut pubsub = first;
        let mut backoff = std::time::Duration::from_millis(200);
        loop {
            if let Some(sub) = pubsub.take() {
                let mut messages = sub.into_on_message();
                while let Some(msg) = messages.next().await {
                    let Ok(payload) = msg.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<LiveEvent>(&payload) {
                        Ok(event) => {
                            let _ = self.events.send(Shared::new(event));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable event on the Redis channel")
                        }
                    }
                }
                tracing::warn!("Redis event subscription dropped; resubscribing");
                metrics::counter!("live_subscription_drops_total").increment(1);
            }
            tokio::time::sleep(backoff).await;
            match self.subscribe().await {
                Ok(sub) => {
                    pubsub = Some(sub);
                    backoff = std::time::Duration::from_millis(200);
                    let _ = self.resync.send(());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "resubscribing to Redis events failed");
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(10));
                }
            }
        }
    }

    async fn subscribe(&self) -> redis::RedisResult<redis::aio::PubSub> {
        let mut sub = self.client.get_async_pubsub().await?;
        sub.subscribe(&self.channel).await?;
        Ok(sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_process_subscriber_sees_what_is_published() {
        let bus = EventBus::in_process();
        let mut rx = bus.subscribe();
        let event = LiveEvent::JobUpdate(JobUpdate {
            owner_id: None,
            id: Uuid::now_v7(),
            kind: JobKind::SearchDeals,
            status: JobStatus::Running,
            attempts: 1,
            error: None,
        });
        bus.publish(event.clone()).await;
        let got = rx.recv().await.unwrap();
        assert_eq!(got.event, event);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(got.frame()).unwrap()["type"],
            "job_update"
        );
    }

    #[test]
    fn events_are_tagged_by_type_with_their_payload_under_data() {
        let event = LiveEvent::PriceUpdate(DealChange {
            deal_id: Uuid::nil(),
            market: "bestbuy".into(),
            price: "199.99".into(),
            currency: Currency::USD,
        });
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "price_update");
        assert_eq!(json["data"]["price"], "199.99");
        assert_eq!(json["data"]["currency"], "USD");
        let back: LiveEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
        assert_eq!(back.user_id(), None);
    }
}
