//! Webhook delivery per the Standard Webhooks specification: the notification as JSON, with
//! `webhook-id` (the same on every retry), `webhook-timestamp` (seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one signature per
//! `whsec_` secret (space-separated, for rotation).

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use deals_core::{Channel, Preferences};
use deals_store::rows::Notification;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::channels::{Delivered, DeliveryError, Sender, answered};
use super::guard::{AllowList, check_url};

/// The `webhook-signature` value of one secret, or `None` when it is not `whsec_<base64>`.
pub fn sign_one(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header for every secret of a space-separated list.
pub fn signature(secrets: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let all: Vec<String> = secrets
        .split_whitespace()
        .map(|s| sign_one(s, id, timestamp, body))
        .collect::<Option<_>>()?;
    (!all.is_empty()).then(|| all.join(" "))
}

/// A signed JSON POST of the whole notification to the user's URL.
pub struct Webhook {
    /// Hosts allowed although internal.
    pub allow: AllowList,
}

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
        check_url(url, &self.allow).map_err(DeliveryError::Permanent)?;
        let body = json!({
            "type": format!("notification.{}", note.kind),
            "timestamp": note.created_at,
            "data": {
                "id": note.id,
                "event_id": note.event_id,
                "kind": note.kind,
                "priority": note.priority,
                "title": note.title,
                "body": note.body,
                "data": note.data,
                "created_at": note.created_at,
            },
        })
        .to_string();
        let id = format!("msg_{}", note.id.simple());
        let timestamp = chrono::Utc::now().timestamp();
        let mut request = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(secrets) = prefs.channels.webhook_secret.as_deref() {
            let sig = signature(secrets, &id, timestamp, body.as_bytes()).ok_or_else(|| {
                DeliveryError::Permanent("the webhook secret is not a whsec_ secret".into())
            })?;
            request = request.header("webhook-signature", sig);
        }
        answered(Channel::Webhook, request.body(body).send().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        let sig = sign_one(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn every_secret_of_a_rotation_signs() {
        let two = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25kLXNlY3JldC1rZXk=";
        let sig = signature(two, "msg_1", 1, b"{}").unwrap();
        assert_eq!(sig.split(' ').count(), 2);
        assert!(sig.split(' ').all(|s| s.starts_with("v1,")));
        assert_eq!(signature("not-a-secret", "msg_1", 1, b"{}"), None);
    }
}
