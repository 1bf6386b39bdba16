//! Alerts: what the user is told, once, and where. A notification is stored with its deliveries
//! to the user's external channels in one transaction, published live after it commits, and
//! delivered by jobs through a [`channels::Channel`]. Quiet hours hold external deliveries (the
//! in-app row never waits); critical alerts go through.

pub mod channels;
pub mod chat;
mod digest;
pub mod email;
pub mod goals;
pub mod guard;
mod inbox;
pub mod message;
pub mod ntfy;
pub mod webhook;

pub use digest::{DigestSent, claim_digest, digest_key, digest_message, send_digest};
pub use inbox::{Listed, list, list_with_deliveries, mark_all_read, mark_read, unread_count};

use deals_agents::agents::{NotifyInput, PriceEvent};
use deals_core::{Channel, NotificationKind, Preferences, Priority};
use deals_store::now;
use deals_store::repo::alerts::{insert_delivery_in, insert_digest_delivery_in};
use deals_store::repo::background::{NewNotification, insert_notification_in};
use deals_store::repo::jobs::insert_job_in;
use serde_json::json;
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::{Error, Result};
use crate::jobs::{JobKind, JobStatus, Jobs};
use crate::live::{LiveEvent, NotificationEvent};
use crate::state::AppState;

/// An alert to store for a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
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
    /// At most one alert per user and key, ever.
    pub dedup_key: String,
}

/// A user's notification preferences (the defaults when none were saved).
pub async fn preferences(state: &AppState, user_id: Uuid) -> Result<Preferences> {
    Ok(state.store.get_preferences(user_id).await?)
}

/// Replaces a user's notification preferences.
pub async fn save_preferences(
    state: &AppState,
    user_id: Uuid,
    preferences: &Preferences,
) -> Result<()> {
    Ok(state.store.put_preferences(user_id, preferences).await?)
}

/// The external channels an alert goes to, by the user's preferences.
fn channels_for(prefs: &Preferences) -> Vec<Channel> {
    let mut out = Vec::new();
    if prefs.channels.webhook_url.is_some() {
        out.push(Channel::Webhook);
    }
    if prefs.channels.ntfy_url.is_some() {
        out.push(Channel::Ntfy);
    }
    if prefs.channels.email {
        out.push(Channel::Email);
    }
    if prefs.channels.telegram_chat_id.is_some() {
        out.push(Channel::Telegram);
    }
    if prefs.channels.discord_webhook_url.is_some() {
        out.push(Channel::Discord);
    }
    out
}

/// Stores an alert once (by its dedup key) together with its deliveries, publishes it live once
/// committed and hands the deliveries to the workers. `false` when it had already been stored.
/// A non-critical alert for a user with a digest is held on the external channels until the
/// digest goes out (one job per user, channel and digest time); quiet hours delay the rest.
pub async fn notify(state: &AppState, user_id: Uuid, alert: Alert) -> Result<bool> {
    notify_with(state, user_id, alert, None).await
}

/// A write that commits in the alert's own transaction, so a crash cannot keep one without the
/// other.
#[derive(Debug, Clone, PartialEq)]
pub enum Together {
    /// A tracker's state after the check that fired the alert (price seen, armed conditions).
    TrackerState {
        /// The tracker.
        id: Uuid,
        /// The price seen.
        price_minor: i64,
        /// The conditions' state.
        state: serde_json::Value,
    },
}

/// [`notify`], committing `together` in the same transaction (also when the alert had already
/// been stored).
pub async fn notify_with(
    state: &AppState,
    user_id: Uuid,
    alert: Alert,
    together: Option<Together>,
) -> Result<bool> {
    let prefs = preferences(state, user_id).await?;
    let at = now();
    let digest_at = (alert.priority != Priority::Critical)
        .then(|| prefs.next_digest(at))
        .flatten()
        // A digest due in quiet hours waits for their end.
        .map(|d| prefs.quiet_until(d).unwrap_or(d));
    let hold_until = (alert.priority != Priority::Critical)
        .then(|| prefs.quiet_until(at))
        .flatten();
    let txn = state.store.begin_write().await?;
    if let Some(Together::TrackerState {
        id,
        price_minor,
        state: armed,
    }) = together
    {
        deals_store::repo::background::update_tracker_state_in(&txn, id, price_minor, armed)
            .await?;
    }
    let stored = insert_notification_in(
        &txn,
        NewNotification {
            user_id,
            kind: alert.kind,
            priority: alert.priority,
            title: alert.title,
            body: alert.body,
            data: alert.data,
            dedup_key: Some(alert.dedup_key),
        },
    )
    .await?;
    let Some(note) = stored else {
        txn.commit().await.map_err(deals_store::StoreError::from)?;
        return Ok(false);
    };
    let mut deliveries = Vec::new();
    for channel in channels_for(&prefs) {
        if let Some(mut due) = digest_at {
            // A digest that has started (its deliveries are claimed) takes no more alerts:
            // this one goes into the next.
            for _ in 0..3 {
                let key = digest_key(user_id, channel, due);
                let mut new = Jobs::new_job(
                    JobKind::DeliverDigest,
                    Some(user_id),
                    None,
                    json!({"channel": channel, "key": key}),
                );
                new.dedup_key = Some(key.clone());
                new.run_at = due;
                let (job, created) = insert_job_in(&txn, new).await?;
                let open = matches!(job.status, JobStatus::Queued | JobStatus::Retrying);
                if !created && !open {
                    due = prefs
                        .next_digest(due)
                        .unwrap_or(due + chrono::Duration::hours(1));
                    continue;
                }
                insert_digest_delivery_in(&txn, note.id, channel.as_str(), &key).await?;
                if created {
                    deliveries.push(job);
                }
                break;
            }
            continue;
        }
        let mut new = Jobs::new_job(
            JobKind::DeliverNotification,
            Some(user_id),
            Some(note.id),
            json!({"channel": channel}),
        );
        new.dedup_key = Some(format!("deliver:{}:{channel}", note.id));
        if let Some(at) = hold_until {
            new.run_at = at;
        }
        let (job, created) = insert_job_in(&txn, new).await?;
        if created {
            let status = if hold_until.is_some() {
                "held"
            } else {
                "pending"
            };
            insert_delivery_in(&txn, note.id, channel.as_str(), status).await?;
            deliveries.push(job);
        }
    }
    txn.commit().await.map_err(deals_store::StoreError::from)?;
    state
        .events
        .publish(LiveEvent::Notification(NotificationEvent::from(&note)))
        .await;
    for job in &deliveries {
        state.jobs.dispatch(job).await;
    }
    Ok(true)
}

/// What an alert about a listing is for and why it fired, added to the agent's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The goal or tracker (`For your goal “OLED TV under $1,400”`).
    pub about: String,
    /// The score's own explanation.
    pub why: String,
}

/// What an alert about a price event is stored with, besides the agent's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Raised {
    /// At most one alert per user and key, ever.
    pub dedup_key: String,
    /// What it is about and why it fired.
    pub subject: Subject,
    /// Links and numbers.
    pub data: serde_json::Value,
    /// A write committed with the alert.
    pub together: Option<Together>,
}

/// Asks the Notification Agent about a price event (the user's preferences decide the minimum
/// priority) and stores the alert it decides on, naming its goal or tracker and why it fired.
/// `true` when an alert was stored.
pub async fn decide_and_notify(
    state: &AppState,
    origin: Origin,
    user_id: Uuid,
    event: PriceEvent,
    raised: Raised,
) -> Result<bool> {
    let Raised {
        dedup_key,
        subject,
        data,
        together,
    } = raised;
    let preferences = preferences(state, user_id).await?;
    let kind = NotificationKind::parse(&crate::agents::serde_name(&event.kind))
        .map_err(|e| anyhow::anyhow!("price event kind: {e}"))?;
    let charge = origin.charge(&format!("notify:{dedup_key}"));
    let out = state
        .agents
        .decide_notification(charge, &NotifyInput { event, preferences })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("notification agent: {e}")))?;
    origin.record(&state.store, &out.run).await;
    let decision = out.output;
    if !decision.alert {
        return Ok(false);
    }
    notify_with(
        state,
        user_id,
        Alert {
            kind,
            priority: decision.priority,
            title: decision.title,
            body: format!(
                "{}: {}. Why: {}",
                subject.about,
                decision.message.trim_end_matches('.'),
                subject.why
            ),
            data,
            dedup_key,
        },
        together,
    )
    .await
}

/// Mutes or unmutes the alerts of one of the user's goals (kept in `muted_goals`); the goal
/// still matches deals. The caller checked that the goal is the user's.
pub async fn set_goal_muted(
    state: &AppState,
    user_id: Uuid,
    goal_id: Uuid,
    muted: bool,
) -> Result<()> {
    let mut prefs = preferences(state, user_id).await?;
    prefs.muted_goals.retain(|g| *g != goal_id);
    if muted {
        prefs.muted_goals.push(goal_id);
    }
    save_preferences(state, user_id, &prefs.validate()?).await
}

/// Delivers a stored notification to one of the user's external channels (the job behind each
/// delivery calls this) and records how it went: `sent`; `pending` with the error while retries
/// remain (`last_attempt` false); `failed` otherwise. An endpoint answering 410 Gone is removed
/// from the user's preferences. `Ok(Skipped)` when the user has removed the channel meanwhile.
pub async fn deliver(
    state: &AppState,
    notification_id: Uuid,
    channel: Channel,
    last_attempt: bool,
) -> Result<channels::Delivered, Delivery> {
    let note = state
        .store
        .get_notification(notification_id)
        .await
        .map_err(|e| Delivery::Failed(Error::from(e)))?
        .ok_or(Delivery::Failed(Error::NotFound))?;
    let mut prefs = preferences(state, note.user_id)
        .await
        .map_err(Delivery::Failed)?;
    let result = if channel == Channel::Email && prefs.channels.email {
        let user = state
            .store
            .get_user(note.user_id)
            .await
            .map_err(|e| Delivery::Failed(Error::from(e)))?;
        state.channels.send_email(&note, &user.email).await
    } else {
        state.channels.send(channel, &note, &prefs).await
    };
    let (status, error) =
        match &result {
            Ok(channels::Delivered::Sent(_)) => ("sent", None),
            Ok(channels::Delivered::Skipped(why)) => ("failed", Some((*why).to_owned())),
            Err(
                channels::DeliveryError::Retryable(m) | channels::DeliveryError::RetryAfter(m, _),
            ) if !last_attempt => ("pending", Some(m.clone())),
            Err(
                channels::DeliveryError::Retryable(m)
                | channels::DeliveryError::RetryAfter(m, _)
                | channels::DeliveryError::Permanent(m),
            ) => ("failed", Some(m.clone())),
            Err(channels::DeliveryError::Gone(m)) => {
                turn_off(state, note.user_id, &mut prefs, channel)
                    .await
                    .map_err(Delivery::Failed)?;
                (
                    "failed",
                    Some(format!(
                        "{m}: the {channel} endpoint is gone and was turned off"
                    )),
                )
            }
        };
    metrics::counter!("notification_deliveries_total", "channel" => channel.as_str(), "outcome" => status)
        .increment(1);
    state
        .store
        .record_delivery(note.id, channel.as_str(), status, error)
        .await
        .map_err(|e| Delivery::Failed(Error::from(e)))?;
    result.map_err(Delivery::Channel)
}

/// Removes `channel` from the user's preferences (its endpoint answered 410 Gone).
async fn turn_off(
    state: &AppState,
    user_id: Uuid,
    prefs: &mut Preferences,
    channel: Channel,
) -> Result<()> {
    match channel {
        Channel::Webhook => prefs.channels.webhook_url = None,
        Channel::Ntfy => prefs.channels.ntfy_url = None,
        Channel::Email => prefs.channels.email = false,
        Channel::Telegram => prefs.channels.telegram_chat_id = None,
        Channel::Discord => prefs.channels.discord_webhook_url = None,
    }
    save_preferences(state, user_id, prefs).await
}

/// Why a delivery did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Delivery {
    /// The notification or the user's preferences could not be read.
    #[error(transparent)]
    Failed(Error),
    /// The channel refused or could not be reached.
    #[error(transparent)]
    Channel(channels::DeliveryError),
}

/// Sends one message to `channel`, by e-mail to the user's address when it is e-mail.
async fn send_to(
    state: &AppState,
    channel: Channel,
    note: &deals_store::rows::Notification,
    prefs: &Preferences,
) -> std::result::Result<channels::Delivered, Delivery> {
    if channel == Channel::Email && prefs.channels.email {
        let user = state
            .store
            .get_user(note.user_id)
            .await
            .map_err(|e| Delivery::Failed(Error::from(e)))?;
        Ok(state
            .channels
            .send_email(note, &user.email)
            .await
            .map_err(Delivery::Channel)?)
    } else {
        Ok(state
            .channels
            .send(channel, note, prefs)
            .await
            .map_err(Delivery::Channel)?)
    }
}

/// How a test message went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TestSent {
    /// The channel.
    pub channel: String,
    /// `sent` or `failed`.
    pub status: String,
    /// The HTTP status the channel answered with, when it answered with success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Sends a test message to one of the user's channels right now, through the real channel
/// (not stored, not retried), and says how it went. A channel the user has not set up yet is a
/// conflict with the preferences as they stand (409), not malformed input.
pub async fn test_send(state: &AppState, user_id: Uuid, channel: Channel) -> Result<TestSent> {
    let prefs = preferences(state, user_id).await?;
    if !channels_for(&prefs).contains(&channel) {
        return Err(Error::Conflict(format!(
            "channel: the {channel} channel is not set up in your preferences; set it up first"
        )));
    }
    let note = deals_store::rows::Notification {
        id: Uuid::new_v4(),
        user_id,
        kind: NotificationKind::NewMatch,
        priority: Priority::Low,
        title: "Test alert from agentic-deals".into(),
        body: format!("If you can read this, your {channel} alerts work."),
        data: json!({"test": true}),
        dedup_key: None,
        read_at: None,
        created_at: now(),
        event_id: None,
    };
    let result = send_to(state, channel, &note, &prefs).await;
    let (status, http_status, error) = match result {
        Ok(channels::Delivered::Sent(code)) => ("sent", Some(code), None),
        Ok(channels::Delivered::Skipped(why)) => ("failed", None, Some(why.to_owned())),
        Err(Delivery::Channel(e)) => ("failed", None, Some(e.to_string())),
        Err(Delivery::Failed(e)) => return Err(e),
    };
    metrics::counter!("notification_deliveries_total", "channel" => channel.as_str(), "outcome" => if status == "sent" { "test_sent" } else { "test_failed" })
        .increment(1);
    Ok(TestSent {
        channel: channel.as_str().to_owned(),
        status: status.to_owned(),
        http_status,
        error,
    })
}

/// Turns e-mail alerts off for the user of a one-click unsubscribe link (RFC 8058); a link with
/// a wrong signature is not found.
pub async fn unsubscribe(state: &AppState, user_id: Uuid, sig: &str) -> Result<()> {
    let expected = email::unsubscribe_sig(state.settings.auth.jwt_secret.expose(), user_id)
        .ok_or(Error::NotFound)?;
    if !subtle_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(Error::NotFound);
    }
    let mut prefs = preferences(state, user_id).await?;
    prefs.channels.email = false;
    save_preferences(state, user_id, &prefs).await
}

/// Constant-time comparison.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
