//! When a goal alerts. Its first search sends one summary (how many matches, the best one and
//! why) and marks every match at its price; afterwards a listing alerts only when it is worth it
//! (score ≥ the goal's `notify_threshold`) and either new to the goal at a price below every
//! other match of its product, or at least `alerts.min_drop_pct` cheaper than when the goal last
//! told about it. Each alert is stored once (dedup key per goal, listing and price).
//!
//! Crash safety: a match is stored together with an outbox row (`Store::match_for_alert`, one
//! transaction); [`flush`] turns a goal's outbox into its alerts and only then removes the rows.
//! A crash in between leaves the rows, and the next search of the goal or the periodic
//! [`flush_stale`] job finishes the step; the dedup keys keep a repeated step from alerting
//! twice. Muted goals (the user's `muted_goals`) keep their matches but alert nothing.

use std::collections::HashMap;

use deals_agents::agents::{EventKind, PriceEvent};
use deals_core::{GoalStatus, NotificationKind, Pagination, Priority};
use deals_store::rows::{Goal, Listing};
use deals_store::{Scope, StoreError, now};
use uuid::Uuid;

use super::message::{AlertData, Reason};
use super::{Alert, Raised, Subject, decide_and_notify, notify};
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

/// Outbox rows older than this belong to an alert step that was interrupted.
pub const STALE_OUTBOX_SECS: i64 = 60;

/// The alert step of a goal: turns its outbox (listings matched or seen again since the last
/// step) into alerts, then removes those rows. Before the goal's first summary, `first_search`
/// (what its search found, in words) makes this step the summary; without it the rows wait for
/// that search. Returns how many alerts were stored.
pub async fn flush(
    state: &AppState,
    origin: Origin,
    goal: &Goal,
    first_search: Option<&str>,
) -> Result<usize> {
    let pending = state.store.goal_outbox(goal.id).await?;
    let summarized = state
        .store
        .has_notification(goal.user_id, &summary_key(goal.id))
        .await?;
    let muted = state
        .store
        .get_preferences(goal.user_id)
        .await?
        .mutes(goal.id);
    let sent = match (summarized, first_search) {
        (true, _) if muted => 0,
        (true, _) => alert_better(state, origin, goal, &pending).await?,
        (false, Some(_)) if muted => 0,
        (false, Some(why)) => usize::from(summarize(state, goal, why).await?),
        // Matched from another goal's search before this goal's first one: its summary will
        // cover them.
        (false, None) => return Ok(0),
    };
    state.store.settle_outbox(goal.id, &pending, &[]).await?;
    Ok(sent)
}

/// What [`flush_stale`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Flushed {
    /// Goals whose interrupted alert step was finished.
    pub goals: usize,
    /// Alerts stored for them.
    pub alerts: usize,
}

/// Finishes the alert step of every goal with outbox rows older than [`STALE_OUTBOX_SECS`] (a
/// crash between storing matches and alerting). Run periodically by a job.
pub async fn flush_stale(state: &AppState, origin: Origin) -> Result<Flushed> {
    let before = now() - chrono::Duration::seconds(STALE_OUTBOX_SECS);
    let mut out = Flushed::default();
    for goal_id in state.store.goals_with_stale_outbox(before, 500).await? {
        let goal = match state.store.get_goal(Scope::All, goal_id).await {
            Ok(g) => g,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let searched = goal.last_search.as_ref().map(|l| l.summary.clone());
        if goal.status != GoalStatus::Active || searched.is_none() {
            // Nothing to tell (yet): an inactive goal alerts nothing; a goal never searched
            // gets its summary from its first search, which covers these matches.
            let pending = state.store.goal_outbox(goal_id).await?;
            state.store.settle_outbox(goal_id, &pending, &[]).await?;
            continue;
        }
        let theirs = Origin::new(Some(goal.user_id), origin.job_id).for_goal(goal.id);
        out.alerts += flush(state, theirs, &goal, searched.as_deref()).await?;
        out.goals += 1;
    }
    Ok(out)
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
        let raised = Raised {
            dedup_key: key,
            subject,
            data: data.to_json(),
            together: None,
        };
        if decide_and_notify(state, origin, goal.user_id, event, raised).await? {
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
