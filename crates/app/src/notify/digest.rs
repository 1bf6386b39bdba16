//! Digests: alerts held for a user's hourly, daily or weekly digest go out as one message per
//! channel. The held deliveries are claimed before the message is sent, so a crash between
//! sending and recording never sends them twice (the interrupted claim is marked failed).

use deals_core::{Channel, NotificationKind, Priority};
use deals_store::now;
use serde_json::json;
use uuid::Uuid;

use super::{Delivery, channels, preferences, send_to, turn_off};
use crate::error::{Error, Result};
use crate::state::AppState;

/// The dedup key of the digest of `user_id` on `channel` going out at `at`.
pub fn digest_key(user_id: Uuid, channel: Channel, at: chrono::DateTime<chrono::Utc>) -> String {
    format!("digest:{user_id}:{channel}:{}", at.timestamp())
}

/// The one message of a digest: how many alerts, then each alert's title and explanation.
/// Its id is derived from the digest key, so a webhook sees the same `webhook-id` on retries.
pub fn digest_message(
    user_id: Uuid,
    key: &str,
    notes: &[deals_store::rows::Notification],
) -> deals_store::rows::Notification {
    let n = notes.len();
    let noun = if n == 1 { "alert" } else { "alerts" };
    let body = notes
        .iter()
        .map(|note| {
            let link = note
                .data
                .get("url")
                .and_then(|u| u.as_str())
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            format!("• {}: {}{link}", note.title, note.body)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let priority = notes
        .iter()
        .map(|n| n.priority)
        .max_by_key(|p| Priority::ALL.iter().position(|q| q == p))
        .unwrap_or(Priority::Medium);
    deals_store::rows::Notification {
        id: {
            use sha2::Digest;
            let hash = sha2::Sha256::digest(key.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&hash[..16]);
            uuid::Builder::from_custom_bytes(bytes).into_uuid()
        },
        user_id,
        kind: notes.first().map_or(NotificationKind::NewMatch, |n| n.kind),
        priority,
        title: format!("Your deal digest: {n} {noun}"),
        body,
        data: json!({
            "digest": true,
            "notifications": notes.iter().map(|n| n.id).collect::<Vec<_>>(),
            "url": notes.first().and_then(|n| n.data.get("url")).cloned(),
        }),
        dedup_key: Some(key.to_owned()),
        read_at: None,
        created_at: now(),
        event_id: None,
    }
}

/// How a digest delivery went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DigestSent {
    /// Alerts in the message (0: nothing was waiting).
    pub alerts: usize,
    /// Alerts an interrupted earlier attempt had claimed: not sent again, shown as failed.
    pub interrupted: usize,
}

/// Claims the deliveries held for the digest `key` (so a second run cannot send them again),
/// for [`send_digest`]. A claim left behind by a crash between sending and recording is
/// marked failed with a note, never sent twice.
pub async fn claim_digest(
    state: &AppState,
    key: &str,
) -> Result<deals_store::repo::alerts::DigestClaim> {
    let claim = state.store.claim_digest(key).await?;
    state
        .store
        .record_digest(
            key,
            &claim.interrupted,
            "failed",
            Some("the digest was interrupted while it was being sent; not sent again so that it cannot arrive twice".into()),
        )
        .await?;
    Ok(claim)
}

/// Sends the claimed part of the digest `key` to `channel` as one message and records the
/// outcome (sent; held again while retries remain; failed on the last attempt).
pub async fn send_digest(
    state: &AppState,
    user_id: Uuid,
    channel: Channel,
    key: &str,
    claim: &deals_store::repo::alerts::DigestClaim,
    last_attempt: bool,
) -> std::result::Result<DigestSent, Delivery> {
    let done = DigestSent {
        alerts: claim.claimed.len(),
        interrupted: claim.interrupted.len(),
    };
    if claim.claimed.is_empty() {
        return Ok(done);
    }
    let failed = |e: deals_store::StoreError| Delivery::Failed(Error::from(e));
    let notes = state
        .store
        .notifications_by_id(&claim.claimed)
        .await
        .map_err(failed)?;
    let mut prefs = preferences(state, user_id)
        .await
        .map_err(Delivery::Failed)?;
    let message = digest_message(user_id, key, &notes);
    let result = send_to(state, channel, &message, &prefs).await;
    if let Err(Delivery::Channel(channels::DeliveryError::Gone(_))) = &result {
        turn_off(state, user_id, &mut prefs, channel)
            .await
            .map_err(Delivery::Failed)?;
    }
    let (status, error) = match &result {
        Ok(channels::Delivered::Sent(_)) => ("sent", None),
        Ok(channels::Delivered::Skipped(why)) => ("failed", Some((*why).to_owned())),
        Err(Delivery::Channel(
            channels::DeliveryError::Retryable(m) | channels::DeliveryError::RetryAfter(m, _),
        )) if !last_attempt => ("held", Some(m.clone())),
        Err(e) => ("failed", Some(e.to_string())),
    };
    metrics::counter!("notification_deliveries_total", "channel" => channel.as_str(), "outcome" => status)
        .increment(1);
    state
        .store
        .record_digest(key, &claim.claimed, status, error)
        .await
        .map_err(failed)?;
    result.map(|_| done)
}
