//! Alerts: what the user is told, once, and where. A notification is stored with its deliveries
//! to the user's external channels in one transaction, published live after it commits, and
//! delivered by jobs through a [`channels::Channel`]. Quiet hours hold external deliveries (the
//! in-app row never waits); critical alerts go through.

pub mod channels;
pub mod chat;
pub mod email;
pub mod goals;
pub mod guard;
pub mod message;
pub mod ntfy;
pub mod webhook;

use deals_agents::agents::{NotifyInput, PriceEvent};
use deals_core::{Channel, NotificationKind, Preferences, Priority};
use deals_store::now;
use deals_store::repo::alerts::insert_delivery_in;
use deals_store::repo::background::{NewNotification, insert_notification_in};
use deals_store::repo::jobs::insert_job_in;
use serde_json::json;
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::{Error, Result};
use crate::jobs::{JobKind, Jobs};
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
pub async fn notify(state: &AppState, user_id: Uuid, alert: Alert) -> Result<bool> {
    let prefs = preferences(state, user_id).await?;
    let hold_until = (alert.priority != Priority::Critical)
        .then(|| prefs.quiet_until(now()))
        .flatten();
    let txn = state.store.begin_write().await?;
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
        return Ok(false);
    };
    let mut deliveries = Vec::new();
    for channel in channels_for(&prefs) {
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

/// Asks the Notification Agent about a price event (the user's preferences decide the minimum
/// priority) and stores the alert it decides on, naming its goal or tracker and why it fired.
/// `true` when an alert was stored.
pub async fn decide_and_notify(
    state: &AppState,
    origin: Origin,
    user_id: Uuid,
    event: PriceEvent,
    dedup_key: String,
    subject: Subject,
    data: serde_json::Value,
) -> Result<bool> {
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
    notify(
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
    )
    .await
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
    let (status, error) = match &result {
        Ok(channels::Delivered::Sent(_)) => ("sent", None),
        Ok(channels::Delivered::Skipped(why)) => ("failed", Some((*why).to_owned())),
        Err(channels::DeliveryError::Retryable(m)) if !last_attempt => ("pending", Some(m.clone())),
        Err(channels::DeliveryError::Retryable(m) | channels::DeliveryError::Permanent(m)) => {
            ("failed", Some(m.clone()))
        }
        Err(channels::DeliveryError::Gone(m)) => {
            match channel {
                Channel::Webhook => prefs.channels.webhook_url = None,
                Channel::Ntfy => prefs.channels.ntfy_url = None,
                Channel::Email => prefs.channels.email = false,
                Channel::Telegram => prefs.channels.telegram_chat_id = None,
                Channel::Discord => prefs.channels.discord_webhook_url = None,
            }
            save_preferences(state, note.user_id, &prefs)
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

/// A user's notifications, newest first; only unread ones with `unread_only`.
pub async fn list(
    state: &AppState,
    user_id: Uuid,
    unread_only: bool,
    page: deals_core::Pagination,
) -> Result<deals_store::repo::Page<deals_store::rows::Notification>> {
    Ok(state
        .store
        .list_notifications(user_id, unread_only, page)
        .await?)
}

/// A notification with how its external deliveries stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The notification.
    pub note: deals_store::rows::Notification,
    /// One entry per external channel it went to.
    pub deliveries: Vec<deals_store::repo::alerts::DeliveryStatus>,
}

/// [`list`] with each notification's deliveries.
pub async fn list_with_deliveries(
    state: &AppState,
    user_id: Uuid,
    unread_only: bool,
    page: deals_core::Pagination,
) -> Result<deals_store::repo::Page<Listed>> {
    let found = list(state, user_id, unread_only, page).await?;
    let ids: Vec<Uuid> = found.items.iter().map(|n| n.id).collect();
    let mut deliveries = state.store.deliveries_of(&ids).await?;
    let items = found
        .items
        .into_iter()
        .map(|note| {
            let (mine, rest) = deliveries
                .drain(..)
                .partition(|d| d.notification_id == note.id);
            deliveries = rest;
            Listed {
                note,
                deliveries: mine,
            }
        })
        .collect();
    Ok(deals_store::repo::Page {
        items,
        total: found.total,
    })
}

/// How many of a user's notifications are unread.
pub async fn unread_count(state: &AppState, user_id: Uuid) -> Result<u64> {
    Ok(state.store.unread_count(user_id).await?)
}

/// Marks one of the user's notifications read (idempotent).
pub async fn mark_read(state: &AppState, user_id: Uuid, id: Uuid) -> Result<()> {
    Ok(state.store.mark_read(user_id, id).await?)
}

/// Marks every notification of the user read.
pub async fn mark_all_read(state: &AppState, user_id: Uuid) -> Result<()> {
    state.store.mark_all_read(user_id).await?;
    Ok(())
}
