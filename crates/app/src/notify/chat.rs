//! Chat channels. Telegram: the server's bot calls `sendMessage` in HTML mode (auto-escaped
//! template, at most 4096 characters) on the user's chat; a 429 names its `retry_after`.
//! Discord: a message to the user's webhook (at most 2000 characters) with empty
//! `allowed_mentions`, so a scraped title cannot ping `@everyone`.

use askama::Template;
use async_trait::async_trait;
use deals_core::{Channel, Preferences};
use deals_store::rows::Notification;
use serde_json::json;

use super::channels::{Delivered, DeliveryError, Sender, answered};
use super::guard::{AllowList, check_url};
use crate::config::Secret;

/// Longest Telegram message.
pub const TELEGRAM_MAX: usize = 4096;
/// Longest Discord message.
pub const DISCORD_MAX: usize = 2000;

/// The Telegram message (HTML mode; escaped).
#[derive(Template)]
#[template(
    ext = "html",
    source = "<b>{{ title }}</b>\n{{ body }}{% if let Some(url) = url %}\n<a href=\"{{ url }}\">Buy at the store</a>{% endif %}"
)]
struct TelegramText<'a> {
    title: &'a str,
    body: &'a str,
    url: Option<&'a str>,
}

/// The first `max` characters of `s`.
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Telegram Bot API `sendMessage`.
pub struct Telegram {
    /// The bot's token (empty: not configured).
    pub token: Secret,
    /// API base URL.
    pub api_url: String,
    /// Hosts allowed although internal.
    pub allow: AllowList,
}

#[async_trait]
impl Sender for Telegram {
    async fn send(
        &self,
        client: &reqwest::Client,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let Some(chat) = prefs.channels.telegram_chat_id.as_deref() else {
            return Ok(Delivered::Skipped("no Telegram chat configured"));
        };
        if self.token.expose().is_empty() {
            return Err(DeliveryError::Permanent(
                "Telegram is not configured on this server (alerts.telegram_bot_token)".into(),
            ));
        }
        let url = format!(
            "{}/bot{}/sendMessage",
            self.api_url.trim_end_matches('/'),
            self.token.expose()
        );
        check_url(&url, &self.allow).map_err(DeliveryError::Permanent)?;
        // Escaping can lengthen the text: clip the parts so the rendered message fits.
        let text = TelegramText {
            title: &clip(&note.title, 200),
            body: &clip(&note.body, 3000),
            url: note.data.get("url").and_then(|u| u.as_str()),
        }
        .render()
        .map_err(|e| DeliveryError::Permanent(format!("telegram template: {e}")))?;
        let body = json!({
            "chat_id": chat,
            "text": clip(&text, TELEGRAM_MAX),
            "parse_mode": "HTML",
        });
        let response = client.post(url).json(&body).send().await;
        let r = match response {
            Ok(r) if r.status().as_u16() == 429 => r,
            other => return self.scrubbed(answered(Channel::Telegram, other)),
        };
        // The Bot API names the wait in its error body (`parameters.retry_after`), some
        // proxies in the `Retry-After` header: the body wins.
        let header = super::channels::retry_after(r.headers(), chrono::Utc::now());
        let answer: serde_json::Value = r.json().await.unwrap_or_default();
        let wait = answer["parameters"]["retry_after"]
            .as_u64()
            .map(std::time::Duration::from_secs)
            .or(header);
        let why = "telegram answered 429 Too Many Requests".to_owned();
        Err(match wait {
            Some(wait) => super::channels::later(why, wait),
            None => DeliveryError::Retryable(why),
        })
    }
}

impl Telegram {
    /// The outcome with the bot token blanked out of any error (reqwest errors name the URL).
    fn scrubbed(
        &self,
        outcome: Result<Delivered, DeliveryError>,
    ) -> Result<Delivered, DeliveryError> {
        outcome.map_err(|e| match e {
            DeliveryError::Retryable(m) => {
                DeliveryError::Retryable(m.replace(self.token.expose(), "<token>"))
            }
            DeliveryError::RetryAfter(m, wait) => {
                DeliveryError::RetryAfter(m.replace(self.token.expose(), "<token>"), wait)
            }
            DeliveryError::Permanent(m) => {
                DeliveryError::Permanent(m.replace(self.token.expose(), "<token>"))
            }
            DeliveryError::Gone(m) => {
                DeliveryError::Gone(m.replace(self.token.expose(), "<token>"))
            }
        })
    }
}

/// A Discord webhook message.
pub struct Discord {
    /// Hosts allowed although internal.
    pub allow: AllowList,
}

#[async_trait]
impl Sender for Discord {
    async fn send(
        &self,
        client: &reqwest::Client,
        note: &Notification,
        prefs: &Preferences,
    ) -> Result<Delivered, DeliveryError> {
        let Some(url) = prefs.channels.discord_webhook_url.as_deref() else {
            return Ok(Delivered::Skipped("no Discord webhook configured"));
        };
        check_url(url, &self.allow).map_err(DeliveryError::Permanent)?;
        let link = note.data.get("url").and_then(|u| u.as_str()).unwrap_or("");
        let content = clip(
            &format!("**{}**\n{}\n{link}", note.title, note.body),
            DISCORD_MAX,
        );
        let body = json!({
            "content": content,
            "allowed_mentions": {"parse": []},
        });
        answered(Channel::Discord, client.post(url).json(&body).send().await)
    }
}
