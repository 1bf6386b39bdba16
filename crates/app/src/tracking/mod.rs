//! Price tracking: a user watches one deal's price with a target price and/or a drop
//! percentage; the CheckPrices flow ([`check`]) re-reads tracked listings and alerts when a
//! condition becomes true.

pub mod check;

use deals_core::Pagination;
use deals_core::ValidationErrors;
use deals_core::money::AmountInput;
use deals_store::Scope;
use deals_store::repo::Page;
use deals_store::repo::tracking::TrackedListing;
use deals_store::rows::Tracker;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Result;
use crate::state::AppState;

/// What to watch for on a tracked deal.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackRequest {
    /// Alert when the price is at or below this amount (more than zero).
    #[schema(schema_with = crate::schema::positive_money_or_null)]
    pub target_price: Option<AmountInput>,
    /// Alert when the price drops by at least this percentage between two checks (0–100,
    /// both excluded).
    #[schema(example = 10.0, exclusive_minimum = 0, exclusive_maximum = 100)]
    pub notify_on_drop_pct: Option<f64>,
}

/// Parsed alert rules of a tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackRules {
    /// Target price in minor units.
    pub target_price_minor: Option<i64>,
    /// Drop percentage, in (0, 100).
    pub notify_on_drop_pct: Option<f64>,
}

impl TrackRequest {
    /// Parses the rules; every invalid field is reported.
    pub fn parse(self) -> Result<TrackRules, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let target = self
            .target_price
            .and_then(|a| errors.check("target_price", a.to_minor()));
        if target.is_some_and(|t| t <= 0) {
            errors.add("target_price", "must be greater than 0");
        }
        if let Some(p) = self.notify_on_drop_pct
            && !(p > 0.0 && p < 100.0)
        {
            errors.add(
                "notify_on_drop_pct",
                "must be between 0 and 100 (exclusive)",
            );
        }
        errors.into_result(TrackRules {
            target_price_minor: target,
            notify_on_drop_pct: self.notify_on_drop_pct,
        })
    }
}

/// Starts tracking a deal visible to the user, or replaces the rules of their tracker of it.
/// `true` when the tracker is new.
pub async fn track(
    state: &AppState,
    user_id: Uuid,
    scope: Scope,
    deal_id: Uuid,
    rules: TrackRules,
) -> Result<(Tracker, bool)> {
    let listing = state
        .store
        .get_visible_listing(deal_id, Some(scope))
        .await?;
    Ok(state
        .store
        .track_listing(
            user_id,
            listing.id,
            rules.target_price_minor,
            rules.notify_on_drop_pct,
        )
        .await?)
}

/// A user's tracked deals with their latest prices, newest first.
pub async fn list(
    state: &AppState,
    user_id: Uuid,
    page: Pagination,
) -> Result<Page<TrackedListing>> {
    Ok(state.store.list_tracked(user_id, page).await?)
}

/// Stops a tracker visible in `scope`.
pub async fn untrack(state: &AppState, scope: Scope, id: Uuid) -> Result<()> {
    Ok(state.store.delete_tracker(scope, id).await?)
}
