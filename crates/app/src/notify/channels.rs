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
    /// Worth another attempt, not before this wait: a 429 or 503 answer naming it
    /// (`Retry-After`, Telegram's `parameters.retry_after`).
    #[error("{0}")]
    RetryAfter(String, Duration),
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
        429 | 503 => match retry_after(response.headers(), chrono::Utc::now()) {
            Some(wait) => later(why, wait),
            None => DeliveryError::Retryable(why),
        },
        500..=599 => DeliveryError::Retryable(why),
        _ => DeliveryError::Permanent(why),
    })
}

/// Longest wait a `Retry-After` may ask for; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A retry after `wait` (between 1 s and [`MAX_RETRY_AFTER`]), saying so in the message.
pub fn later(why: String, wait: Duration) -> DeliveryError {
    let wait = wait.clamp(Duration::from_secs(1), MAX_RETRY_AFTER);
    DeliveryError::RetryAfter(format!("{why}; retry after {} s", wait.as_secs()), wait)
}

/// The wait a `Retry-After` header asks for (RFC 9110: seconds, or an HTTP date), if any.
pub fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            retry_after(&with("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&with("Mon, 07 Dec 2026 10:01:30 GMT"), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(&with("Mon, 07 Dec 2026 09:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&with("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_retry_after_is_kept_between_a_second_and_a_day() {
        let DeliveryError::RetryAfter(m, wait) = later("x".into(), Duration::ZERO) else {
            panic!()
        };
        assert_eq!(
            (m.as_str(), wait),
            ("x; retry after 1 s", Duration::from_secs(1))
        );
        let DeliveryError::RetryAfter(_, wait) = later("x".into(), Duration::from_secs(1 << 30))
        else {
            panic!()
        };
        assert_eq!(wait, MAX_RETRY_AFTER);
    }
}
