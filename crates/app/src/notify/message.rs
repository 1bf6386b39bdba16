//! What every alert carries in its `data`, so a user (and the web UI) can see which goal or
//! tracker it belongs to, what to buy where and for how much, why it fired, and where to go.

use deals_agents::agents::notify::{price_text, store_name};
use deals_store::rows::Listing;
use serde::Serialize;
use uuid::Uuid;

use crate::state::AppState;

/// Why a goal or tracker alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The first search of a goal: one summary of what it found.
    Summary,
    /// A listing worth it and new to the goal, or cheaper than every match of its product.
    NewLow,
    /// A listing the goal told about before, now meaningfully cheaper.
    Drop,
    /// A tracker's condition became true (the alert's `kind` says which).
    Condition,
}

/// The `data` of an alert about a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertData {
    /// Why it fired.
    pub reason: Reason,
    /// The goal it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_id: Option<Uuid>,
    /// The goal's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_title: Option<String>,
    /// The tracker it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracker_id: Option<Uuid>,
    /// A tracker's condition (`below_target`, `drop`, `lowest`, `glitch`, `back_in_stock`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<&'static str>,
    /// The listing (deal).
    pub deal_id: Uuid,
    /// What it is.
    pub product: String,
    /// Where (display name of the store).
    pub store: String,
    /// Price, two decimals.
    pub price: String,
    /// Currency of the price.
    pub currency: String,
    /// The deal's score (0..1).
    pub score: Option<f64>,
    /// The score's own explanation.
    pub explanation: String,
    /// The listing at its store.
    pub url: String,
    /// Our page of the deal.
    pub deal_url: String,
    /// Matches of the goal (summaries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<u64>,
}

impl AlertData {
    /// The data of an alert about `listing` for `reason`, with the score's explanation.
    pub async fn about(state: &AppState, listing: &Listing, reason: Reason) -> Self {
        Self {
            reason,
            goal_id: None,
            goal_title: None,
            tracker_id: None,
            condition: None,
            deal_id: listing.id,
            product: listing.title.clone(),
            store: store_name(&listing.market),
            price: deals_core::money::format_minor(listing.price_minor),
            currency: listing.currency.as_str().to_owned(),
            score: listing.score,
            explanation: explanation(state, listing).await,
            url: listing.url.clone(),
            deal_url: format!("/deals/{}", listing.id),
            matches: None,
        }
    }

    /// `"$1,199 at Best Buy"`-style head of a message.
    pub fn price_at_store(listing: &Listing) -> String {
        format!(
            "{} at {}",
            price_text(listing.price_minor, listing.currency),
            store_name(&listing.market)
        )
    }

    /// As JSON for the notification row.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The listing's score explanation from its latest analysis (or the bare score when it was not
/// analysed yet).
async fn explanation(state: &AppState, listing: &Listing) -> String {
    match state.store.latest_analysis(listing.id).await {
        Ok(Some(a)) => a.explanation,
        Ok(None) | Err(_) => match listing.score {
            Some(s) => format!("deal score {:.0}/100", s * 100.0),
            None => "not scored yet".to_owned(),
        },
    }
}
