//! Delivery of a stored notification to one external channel. Each channel is a [`Sender`];
//! all share one HTTP client (connection pool, timeouts, no redirects, the SSRF-guarded
//! resolver), built once at start-up.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deals_core::{Channel, Preferences};
use deals_store::rows::Notification;

use super::chat::{Discord, Telegram};
use super::email::Email;
use super::guard::{AllowList, GuardedResolver, Refused};
use super::ntfy::Ntfy;
use super::webhook::Webhook;
use crate::config::AlertSettings;

/// How a delivery attempt ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth another attempt (a timeout, a 5xx or 429 answer).
    #[error("{0}")]
    Retryable(String),
    /// Retrying cannot help (a 3xx or 4xx answer, a refused destination).
    #[error("{0}")]
    Permanent(String),
    /// The endpoint answered 410 Gone: it must not be called again.
    #[error("{0}")]
    Gone(String),
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

/// Classifies an HTTP answer of a channel: only 2xx is success; 410 is gone; 429 and 5xx are
/// worth a retry; anything else (redirects included, they are not followed) is permanent.
pub fn answered(
    channel: Channel,
    response: reqwest::Result<reqwest::Response>,
) -> Result<Delivered, DeliveryError> {
    let response = response.map_err(|e| {
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if let Some(refused) = s.downcast_ref::<Refused>() {
                return DeliveryError::Permanent(format!("{channel}: {refused}"));
            }
            source = s.source();
        }
        DeliveryError::Retryable(format!("{channel}: {e}"))
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(Delivered::Sent(status.as_u16()));
    }
    let why = format!("{channel} answered {status}");
    Err(match status.as_u16() {
        410 => DeliveryError::Gone(why),
        429 | 500..=599 => DeliveryError::Retryable(why),
        _ => DeliveryError::Permanent(why),
    })
}

/// Every channel with the one HTTP client they share.
pub struct Channels {
    client: reqwest::Client,
    webhook: Webhook,
    ntfy: Ntfy,
    telegram: Telegram,
    discord: Discord,
    email: Option<Email>,
}

impl Channels {
    /// Channels with a shared client: 10 s per request, 5 s to connect, no redirects, internal
    /// destinations refused except the allow-listed hosts.
    pub fn new(alerts: &AlertSettings, email: Option<Email>) -> anyhow::Result<Self> {
        let allow_private_hosts = &alerts.allow_private_hosts;
        let allow = AllowList::new(allow_private_hosts);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver::new(allow.clone())))
            .build()?;
        Ok(Self {
            client,
            webhook: Webhook {
                allow: allow.clone(),
            },
            ntfy: Ntfy {
                allow: allow.clone(),
            },
            telegram: Telegram {
                token: alerts.telegram_bot_token.clone(),
                api_url: alerts.telegram_api_url.clone(),
                allow: allow.clone(),
            },
            discord: Discord { allow },
            email,
        })
    }

    /// Sends `note` by e-mail to `to`; a permanent failure when this server has no SMTP.
    pub async fn send_email(
        &self,
        note: &Notification,
        to: &str,
    ) -> Result<Delivered, DeliveryError> {
        match &self.email {
            Some(email) => email.send(note, to).await,
            None => Err(DeliveryError::Permanent(
                "e-mail is not configured on this server (email.smtp_url)".into(),
            )),
        }
    }

    /// Sends `note` to `channel`.
    pub async fn send(
        &self,
        channel: Channel,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let sender: &dyn Sender = match channel {
            Channel::Webhook => &self.webhook,
            Channel::Ntfy => &self.ntfy,
            Channel::Telegram => &self.telegram,
            Channel::Discord => &self.discord,
            Channel::Email => return Ok(Delivered::Skipped("e-mail alerts are off")),
        };
        sender.send(&self.client, note, prefs).await
    }
}
