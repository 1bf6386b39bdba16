//! Delivery of a stored notification to one external channel. Each channel is a [`Sender`];
//! all share one HTTP client (connection pool, timeouts), built once at start-up.

use std::time::Duration;

use async_trait::async_trait;
use deals_core::{Channel, Preferences, Priority};
use deals_store::rows::Notification;
use serde_json::json;

/// How a delivery attempt ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth another attempt (a timeout, a 5xx or 429 answer).
    #[error("{0}")]
    Retryable(String),
    /// Retrying cannot help (a 4xx answer, a channel not built).
    #[error("{0}")]
    Permanent(String),
}

/// What happened to a delivery that did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// The channel accepted it with this HTTP status.
    Sent(u16),
    /// The user has no such channel configured (any more): nothing to send.
    Skipped(&'static str),
}

/// One external channel.
#[async_trait]
pub trait Sender: Send + Sync {
    /// Sends `note` according to the user's `prefs`.
    async fn send(
        &self,
        client: &reqwest::Client,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError>;
}

/// A JSON POST of the whole notification to the user's URL.
pub struct Webhook;

/// A plain-text message to the user's ntfy topic, with title and priority headers.
pub struct Ntfy;

#[async_trait]
impl Sender for Webhook {
    async fn send(
        &self,
        client: &reqwest::Client,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let Some(url) = prefs.channels.webhook_url.as_deref() else {
            return Ok(Delivered::Skipped("no webhook configured"));
        };
        let body = json!({
            "id": note.id,
            "kind": note.kind,
            "priority": note.priority,
            "title": note.title,
            "body": note.body,
            "data": note.data,
            "created_at": note.created_at,
        });
        answered(Channel::Webhook, client.post(url).json(&body).send().await)
    }
}

#[async_trait]
impl Sender for Ntfy {
    async fn send(
        &self,
        client: &reqwest::Client,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let Some(url) = prefs.channels.ntfy_url.as_deref() else {
            return Ok(Delivered::Skipped("no ntfy topic configured"));
        };
        let request = client
            .post(url)
            .header("Title", note.title.clone())
            .header("Priority", ntfy_priority(note.priority))
            .body(note.body.clone());
        answered(Channel::Ntfy, request.send().await)
    }
}

/// ntfy's priority scale (1–5).
fn ntfy_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "5",
        Priority::High => "4",
        Priority::Medium => "3",
        Priority::Low => "2",
    }
}

/// Classifies an HTTP answer of a channel.
fn answered(
    channel: Channel,
    response: reqwest::Result<reqwest::Response>,
) -> Result<Delivered, DeliveryError> {
    let response = response.map_err(|e| DeliveryError::Retryable(format!("{channel}: {e}")))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(DeliveryError::Retryable(format!(
            "{channel} answered {status}"
        )));
    }
    if !status.is_success() {
        return Err(DeliveryError::Permanent(format!(
            "{channel} answered {status}"
        )));
    }
    Ok(Delivered::Sent(status.as_u16()))
}

/// Every channel with the one HTTP client they share.
pub struct Channels {
    client: reqwest::Client,
}

impl Channels {
    /// Channels with a shared client: 10 s per request, 5 s to connect.
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self { client })
    }

    /// Sends `note` to `channel`.
    pub async fn send(
        &self,
        channel: Channel,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let sender: &dyn Sender = match channel {
            Channel::Webhook => &Webhook,
            Channel::Ntfy => &Ntfy,
            Channel::Email => {
                return Err(DeliveryError::Permanent(
                    "e-mail delivery is not available on this server".into(),
                ));
            }
        };
        sender.send(&self.client, note, prefs).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntfy_priorities_follow_the_alert_priority() {
        assert_eq!(ntfy_priority(Priority::Critical), "5");
        assert_eq!(ntfy_priority(Priority::Low), "2");
    }
}
