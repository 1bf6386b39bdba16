//! E-mail delivery over SMTP (lettre on rustls: STARTTLS on 587 with `smtp://…?tls=required`,
//! implicit TLS on 465 with `smtps://…`): a multipart text + HTML message from two auto-escaped
//! templates, with `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
//! (RFC 8058) pointing at a signed one-click link that turns e-mail alerts off.

use askama::Template;
use deals_store::rows::Notification;
use hmac::{Hmac, Mac};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;
use uuid::Uuid;

use super::channels::{Delivered, DeliveryError};
use crate::config::EmailSettings;

/// The plain-text part.
#[derive(Template)]
#[template(
    ext = "txt",
    source = "{{ title }}\n\n{{ body }}\n{% if let Some(url) = url %}\nBuy: {{ url }}{% endif %}{% if let Some(deal) = deal %}\nDeal page: {{ deal }}{% endif %}\n\n--\nStop these e-mails: {{ unsubscribe }}\n"
)]
struct TextMail<'a> {
    title: &'a str,
    body: &'a str,
    url: Option<&'a str>,
    deal: Option<String>,
    unsubscribe: &'a str,
}

/// The HTML part (auto-escaped: a scraped title cannot inject markup).
#[derive(Template)]
#[template(
    ext = "html",
    source = "<!doctype html><html><body><h2>{{ title }}</h2><p>{{ body }}</p>{% if let Some(url) = url %}<p><a href=\"{{ url }}\">Buy at the store</a></p>{% endif %}{% if let Some(deal) = deal %}<p><a href=\"{{ deal }}\">See the deal</a></p>{% endif %}<hr><p><small><a href=\"{{ unsubscribe }}\">Stop these e-mails</a></small></p></body></html>"
)]
struct HtmlMail<'a> {
    title: &'a str,
    body: &'a str,
    url: Option<&'a str>,
    deal: Option<String>,
    unsubscribe: &'a str,
}

/// The signature of a user's one-click unsubscribe link (HMAC accepts any key length, so this
/// is `None` only in theory).
pub fn unsubscribe_sig(secret: &str, user_id: Uuid) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(format!("unsubscribe:{user_id}").as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// Sends alerts by e-mail.
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
    secret: String,
}

impl Email {
    /// From the settings; `None` when no SMTP URL is configured.
    pub fn new(settings: &EmailSettings, secret: &str) -> anyhow::Result<Option<Self>> {
        let url = settings.smtp_url.expose();
        if url.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
            from: settings.from.parse()?,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
        }))
    }

    /// The user's one-click unsubscribe link.
    pub fn unsubscribe_url(&self, user_id: Uuid) -> Option<String> {
        Some(format!(
            "{}/api/v1/unsubscribe?user={user_id}&sig={}",
            self.base_url,
            unsubscribe_sig(&self.secret, user_id)?
        ))
    }

    /// Sends `note` to `to`.
    pub async fn send(&self, note: &Notification, to: &str) -> Result<Delivered, DeliveryError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| DeliveryError::Permanent(format!("email: bad recipient: {e}")))?;
        let unsubscribe = self
            .unsubscribe_url(note.user_id)
            .ok_or_else(|| DeliveryError::Permanent("email: unsubscribe link".into()))?;
        let url = note.data.get("url").and_then(|u| u.as_str());
        let deal = note
            .data
            .get("deal_url")
            .and_then(|u| u.as_str())
            .map(|d| format!("{}{d}", self.base_url));
        let text = TextMail {
            title: &note.title,
            body: &note.body,
            url,
            deal: deal.clone(),
            unsubscribe: &unsubscribe,
        };
        let html = HtmlMail {
            title: &note.title,
            body: &note.body,
            url,
            deal,
            unsubscribe: &unsubscribe,
        };
        let render = |e: askama::Error| DeliveryError::Permanent(format!("email template: {e}"));
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(note.title.clone())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text.render().map_err(render)?),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.render().map_err(render)?),
                    ),
            )
            .map_err(|e| DeliveryError::Permanent(format!("email: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(Delivered::Sent(u16::from(response.code()))),
            Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(format!("email: {e}"))),
            Err(e) => Err(DeliveryError::Retryable(format!("email: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_a_scraped_title() {
        let html = HtmlMail {
            title: "<script>x</script> TV",
            body: "a & b",
            url: None,
            deal: None,
            unsubscribe: "https://x/u",
        }
        .render()
        .unwrap();
        assert!(
            html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn unsubscribe_signatures_differ_per_user() {
        let a = unsubscribe_sig("secret", Uuid::nil());
        assert_eq!(a, unsubscribe_sig("secret", Uuid::nil()));
        assert_ne!(a, unsubscribe_sig("secret", Uuid::max()));
        assert_ne!(a, unsubscribe_sig("other", Uuid::nil()));
    }
}
