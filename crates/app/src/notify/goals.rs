//! When a goal alerts. Its first search sends one summary (how many matches, the best one and
//! why) and marks every match at its price; afterwards a listing alerts only when it is worth it
//! (score ≥ the goal's `notify_threshold`) and either new to the goal at a price below every
//! other match of its product, or at least `alerts.min_drop_pct` cheaper than when the goal last
//! told about it. Each alert is stored once (dedup key per goal, listing and price).

use std::collections::HashMap;

use deals_agents::agents::{EventKind, PriceEvent};
use deals_core::{NotificationKind, Pagination, Priority};
use deals_store::Scope;
use deals_store::rows::{Goal, Listing};
use uuid::Uuid;

use super::message::{AlertData, Reason};
use super::{Alert, Subject, decide_and_notify, notify};
use crate::agents::Origin;
use crate::error::Result;
use crate::state::AppState;

/// The dedup key of a goal's first-search summary.
pub fn summary_key(goal_id: Uuid) -> String {
    format!("goal:{goal_id}:summary")
}

/// Whether a listing is worth a (new) alert for a goal, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// The goal's `notify_threshold`.
    pub threshold: f64,
    /// Least drop, in percent, from the price last alerted.
    pub min_drop_pct: f64,
}

impl Rule {
    /// `price` and `score` of the listing now; `alerted` the price the goal last told about it
    /// at; `best_other` the lowest price among the goal's other matches of the same product.
    pub fn check(
        &self,
        score: f64,
        price: i64,
        alerted: Option<i64>,
        best_other: Option<i64>,
    ) -> Option<Reason> {
        if score < self.threshold {
            return None;
        }
        match alerted {
            Some(before) => {
                let dropped = (before - price) as f64 * 100.0;
                (before > 0 && price < before && dropped >= self.min_drop_pct * before as f64)
                    .then_some(Reason::Drop)
            }
            None => best_other
                .is_none_or(|best| price < best)
                .then_some(Reason::NewLow),
        }
    }
}

/// One page holding every match of a goal.
const EVERY_MATCH: Pagination = Pagination {
    page: 1,
    per_page: u32::MAX as u64,
};

/// The goal's matches, by listing id.
async fn matches(state: &AppState, goal_id: Uuid) -> Result<HashMap<Uuid, Listing>> {
    let page = state
        .store
        .goal_deals(Scope::All, goal_id, EVERY_MATCH)
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|m| (m.listing.id, m.listing))
        .collect())
}

/// The goal's first search is done: one summary alert naming the best match (or why nothing
/// matched), and every match marked at its price. `true` when the summary was stored now.
pub async fn summarize(state: &AppState, goal: &Goal, why_nothing: &str) -> Result<bool> {
    let page = state
        .store
        .goal_deals(Scope::All, goal.id, EVERY_MATCH)
        .await?;
    let total = page.total;
    let marks: Vec<(Uuid, i64)> = page
        .items
        .iter()
        .map(|m| (m.listing.id, m.listing.price_minor))
        .collect();
    let alert = match page.items.first() {
        Some(best) => {
            let listing = &best.listing;
            let mut data = AlertData::about(state, listing, Reason::Summary).await;
            data.goal_id = Some(goal.id);
            data.goal_title = Some(goal.title.clone());
            data.matches = Some(total);
            let noun = if total == 1 { "match" } else { "matches" };
            Alert {
                kind: NotificationKind::NewMatch,
                priority: Priority::Medium,
                title: format!("{total} {noun} for “{}”", goal.title),
                body: format!(
                    "Best: {} {}. Why: {}",
                    listing.title,
                    AlertData::price_at_store(listing),
                    data.explanation
                ),
                data: data.to_json(),
                dedup_key: summary_key(goal.id),
            }
        }
        None => Alert {
            kind: NotificationKind::NewMatch,
            priority: Priority::Low,
            title: format!("No matches yet for “{}”", goal.title),
            body: format!("The goal keeps searching. {why_nothing}"),
            data: serde_json::json!({"reason": Reason::Summary, "goal_id": goal.id,
                "goal_title": goal.title, "matches": 0}),
            dedup_key: summary_key(goal.id),
        },
    };
    let stored = notify(state, goal.user_id, alert).await?;
    state.store.mark_goal_alerts(goal.id, &marks).await?;
    Ok(stored)
}

/// Alerts the goal's owner about those `listings` (matched to the goal) that are worth it and
/// new or meaningfully better; nothing before the goal's first summary (it covers them).
/// Returns how many alerts were stored.
pub async fn alert_better(
    state: &AppState,
    origin: Origin,
    goal: &Goal,
    listings: &[Uuid],
) -> Result<usize> {
    if listings.is_empty()
        || !state
            .store
            .has_notification(goal.user_id, &summary_key(goal.id))
            .await?
    {
        return Ok(0);
    }
    let rule = Rule {
        threshold: goal.notify_threshold,
        min_drop_pct: state.settings.alerts.min_drop_pct,
    };
    let marks = state.store.goal_alert_marks(goal.id).await?;
    let all = matches(state, goal.id).await?;
    let mut sent = 0;
    let mut marked = Vec::new();
    for id in listings {
        let Some(listing) = all.get(id) else { continue };
        let product = listing.product_id.unwrap_or(listing.id);
        let best_other = all
            .values()
            .filter(|o| o.id != listing.id && o.product_id.unwrap_or(o.id) == product)
            .map(|o| o.price_minor)
            .min();
        let alerted = marks.get(id).copied();
        let Some(reason) = rule.check(
            listing.score.unwrap_or(0.0),
            listing.price_minor,
            alerted,
            best_other,
        ) else {
            continue;
        };
        let mut data = AlertData::about(state, listing, reason).await;
        data.goal_id = Some(goal.id);
        data.goal_title = Some(goal.title.clone());
        let event = PriceEvent {
            kind: if reason == Reason::Drop {
                EventKind::PriceDrop
            } else {
                EventKind::NewMatch
            },
            listing_title: listing.title.clone(),
            store: listing.market.clone(),
            price_minor: listing.price_minor,
            currency: listing.currency,
            target_price_minor: goal.target_price_minor,
            previous_price_minor: alerted.or(best_other),
            median_90_days_minor: None,
            lowest_in_days: None,
            stores_compared: None,
            cheapest: false,
        };
        let key = format!(
            "goal:{}:listing:{}:{}",
            goal.id, listing.id, listing.price_minor
        );
        let subject = Subject {
            about: format!("For your goal “{}”", goal.title),
            why: data.explanation.clone(),
        };
        if decide_and_notify(
            state,
            origin,
            goal.user_id,
            event,
            key,
            subject,
            data.to_json(),
        )
        .await?
        {
            sent += 1;
        }
        marked.push((listing.id, listing.price_minor));
    }
    state.store.mark_goal_alerts(goal.id, &marked).await?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        threshold: 0.7,
        min_drop_pct: 5.0,
    };

    #[test]
    fn a_listing_below_the_threshold_never_alerts() {
        assert_eq!(RULE.check(0.69, 100, None, None), None);
        assert_eq!(RULE.check(0.69, 50, Some(100), None), None);
    }

    #[test]
    fn a_listing_at_the_threshold_new_to_the_goal_alerts() {
        assert_eq!(RULE.check(0.7, 100, None, None), Some(Reason::NewLow));
    }

    #[test]
    fn a_new_listing_alerts_only_below_every_other_match_of_its_product() {
        assert_eq!(RULE.check(0.9, 100, None, Some(100)), None);
        assert_eq!(RULE.check(0.9, 99, None, Some(100)), Some(Reason::NewLow));
    }

    #[test]
    fn a_listing_told_about_alerts_again_only_after_the_minimum_drop() {
        assert_eq!(RULE.check(0.9, 100, Some(100), None), None);
        assert_eq!(RULE.check(0.9, 96, Some(100), None), None);
        assert_eq!(RULE.check(0.9, 95, Some(100), None), Some(Reason::Drop));
        assert_eq!(RULE.check(0.9, 120, Some(100), None), None);
    }
}
