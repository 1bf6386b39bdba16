//! The price-analysis flow of the seed, as a job: CheckPrices per batch of tracked listings →
//! current offer from its market → price point → re-score → alert when a condition becomes true
//! (below target, drop ≥ N %, lowest in 30 days, price glitch, back in stock). A condition
//! alerts once when it becomes true and re-arms when it stops being true; a drop alerts once
//! per observed change.

use deals_agents::agents::{EventKind, PriceEvent};
use deals_core::{Availability, Currency};
use deals_store::entity::listing;
use deals_store::now;
use deals_store::repo::jobs::Job;
use serde_json::json;
use uuid::Uuid;

use super::JobError;
use super::discovery::{alert, ingest};
use crate::state::AppState;

/// Conditions of a tracker, as stored in its `alert_state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Armed {
    below_target: bool,
    lowest: bool,
    glitch: bool,
    out_of_stock: bool,
}

/// Days a "lowest price" alert looks back over.
const LOWEST_DAYS: i64 = 30;

/// Re-reads the current offer of each tracked listing, records it, re-scores and alerts.
pub async fn check_prices(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let ids: Vec<Uuid> = job
        .payload
        .get("tracker_ids")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| JobError::Permanent(format!("payload: {e}")))?
        .unwrap_or_default();
    let mut checked = 0;
    let mut changed = 0;
    let mut alerts = 0;
    let mut errors = Vec::new();
    for id in &ids {
        let Some(tracker) = state.store.get_tracker(*id).await? else {
            continue;
        };
        let before = match state.store.get_listing(tracker.listing_id).await {
            Ok(l) => l,
            Err(deals_store::StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let Some(market) = state.markets.get(&before.market) else {
            continue;
        };
        let offer = match market.product(&before.external_id).await {
            Ok(o) => o,
            Err(deals_markets::MarketError::NotFound(_)) => {
                // The market no longer offers it: the listing has ended.
                state.store.end_listing(before.id).await?;
                checked += 1;
                continue;
            }
            Err(e) => {
                errors.push(format!("{} {}: {e}", before.market, before.external_id));
                continue;
            }
        };
        checked += 1;
        let (after, _) = ingest(state, &offer).await?;
        if after.price_minor != before.price_minor || after.availability != before.availability {
            changed += 1;
        }
        alerts += evaluate(state, job, &tracker, &before, &after).await?;
    }
    if checked == 0 && !errors.is_empty() {
        return Err(JobError::Retryable(errors.join("; ")));
    }
    Ok(
        json!({"trackers": ids.len(), "checked": checked, "changed": changed, "alerts": alerts, "errors": errors}),
    )
}

/// Compares a tracked listing before and after a check; alerts on conditions that became true.
async fn evaluate(
    state: &AppState,
    job: &Job,
    tracker: &deals_store::entity::tracker::Model,
    before: &listing::Model,
    after: &listing::Model,
) -> Result<u32, JobError> {
    let armed: Armed = tracker
        .alert_state
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let price = after.price_minor;
    let previous = tracker.last_price_minor.unwrap_or(before.price_minor);
    let history = state
        .store
        .price_history(after.id, now() - chrono::Duration::days(LOWEST_DAYS))
        .await?;
    let earlier_low = history
        .iter()
        .take(history.len().saturating_sub(1))
        .map(|p| p.price_minor)
        .min();
    let analysis = state.store.latest_analysis(after.id).await?;
    let glitch = analysis
        .as_ref()
        .and_then(|a| a.details.get("price_glitch"))
        .and_then(|g| g.get("is_possible_error"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let in_stock = after.availability != Availability::OutOfStock.as_str();
    let now_state = Armed {
        below_target: tracker.target_price_minor.is_some_and(|t| price <= t),
        lowest: history.len() >= 3 && earlier_low.is_some_and(|low| price < low),
        glitch,
        out_of_stock: !in_stock,
    };
    let mut events = Vec::new();
    let currency = Currency::parse(&after.currency).unwrap_or_default();
    let base = |kind| PriceEvent {
        kind,
        listing_title: after.title.clone(),
        store: after.market.clone(),
        price_minor: price,
        currency,
        target_price_minor: tracker.target_price_minor,
        previous_price_minor: Some(previous),
        median_90_days_minor: None,
        lowest_in_days: None,
        stores_compared: None,
        cheapest: false,
    };
    if now_state.below_target && !armed.below_target {
        events.push((base(EventKind::BelowTarget), "below_target"));
    }
    if let Some(pct) = tracker.notify_on_drop_pct
        && previous > 0
        && price < previous
        && ((previous - price) as f64 / previous as f64) * 100.0 >= pct
    {
        events.push((base(EventKind::PriceDrop), "drop"));
    }
    if now_state.lowest && !armed.lowest {
        let mut e = base(EventKind::LowestInDays);
        e.lowest_in_days = Some(LOWEST_DAYS as u32);
        events.push((e, "lowest"));
    }
    if now_state.glitch && !armed.glitch {
        events.push((base(EventKind::Glitch), "glitch"));
    }
    if armed.out_of_stock && !now_state.out_of_stock {
        events.push((base(EventKind::BackInStock), "back_in_stock"));
    }
    let mut sent = 0;
    // One key per condition and observed price change: a re-run of this job (or an overlapping
    // one) finds the same keys and alerts nothing new.
    let observed = history.last().map_or(0, |p| p.at.timestamp_micros());
    for (event, label) in events {
        let key = format!(
            "tracker:{}:{label}:{previous}->{price}:{observed}",
            tracker.id
        );
        let data = json!({"tracker_id": tracker.id, "deal_id": after.id, "condition": label});
        if alert(state, job, tracker.user_id, event, key, data).await? {
            sent += 1;
        }
    }
    state
        .store
        .update_tracker_state(
            tracker.id,
            price,
            serde_json::to_value(now_state).unwrap_or_default(),
        )
        .await?;
    Ok(sent)
}
