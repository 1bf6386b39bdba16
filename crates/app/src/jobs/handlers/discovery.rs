//! The deal-discovery flow of the seed, as jobs, and what both flows share.
//!
//! Deal discovery: AnalyzeGoal (Goal Analysis Agent) → SearchDeals (Deal Search Agent over the
//! market adapters) → listings stored with their prices → scored → matched to the goal →
//! Notification Agent → in-app alert (+ live event, + webhook/ntfy deliveries).
//!
//! The price-analysis flow (CheckPrices) is in [`super::prices`]; it shares [`ingest`],
//! [`alert`] and [`notify`] with this one.

use std::sync::Arc;

use deals_agents::agents::{EventKind, NotifyInput, PriceEvent};
use deals_core::{Currency, GoalCriteria, Preferences};
use deals_markets::{Market, Offer};
use deals_store::entity::listing;
use deals_store::repo::background::NewNotification;
use deals_store::repo::jobs::Job;
use deals_store::repo::listings::NewListing;
use deals_store::{Scope, now};
use serde_json::json;
use uuid::Uuid;

use super::{JobError, subject};
use crate::jobs::{JobKind, Jobs};
use crate::state::AppState;

/// An alert to store for a user.
pub struct Alert {
    /// Notification kind.
    pub kind: String,
    /// `low` … `critical`.
    pub priority: String,
    /// One line.
    pub title: String,
    /// The explanation.
    pub body: String,
    /// Links and numbers.
    pub data: serde_json::Value,
    /// At most one alert per user and key.
    pub dedup_key: String,
}

/// Stores an alert once (by its dedup key), publishes it live and enqueues its deliveries to
/// the user's external channels. `false` when it had already been stored.
pub async fn notify(state: &AppState, user_id: Uuid, alert: Alert) -> Result<bool, JobError> {
    let stored = state
        .store
        .insert_notification(NewNotification {
            user_id,
            kind: alert.kind,
            priority: alert.priority,
            title: alert.title,
            body: alert.body,
            data: alert.data,
            dedup_key: Some(alert.dedup_key),
        })
        .await?;
    let Some(note) = stored else {
        return Ok(false);
    };
    state
        .events
        .publish(crate::events::Event {
            kind: "notification".into(),
            user_id: Some(user_id),
            data: json!({
                "id": note.id, "kind": note.kind, "priority": note.priority,
                "title": note.title, "body": note.body, "data": note.data,
                "created_at": note.created_at,
            }),
        })
        .await;
    let prefs = preferences(state, user_id).await?;
    // Quiet hours hold external deliveries until they end; critical alerts go through. The
    // in-app row and the live event above are never held.
    let hold_until = (note.priority != "critical")
        .then(|| prefs.quiet_until(now()))
        .flatten();
    for (channel, on) in [
        ("webhook", prefs.channels.webhook_url.is_some()),
        ("ntfy", prefs.channels.ntfy_url.is_some()),
    ] {
        if on {
            let mut new = Jobs::new_job(
                JobKind::DeliverNotification,
                Some(user_id),
                Some(note.id),
                json!({"channel": channel}),
            );
            new.dedup_key = Some(format!("deliver:{}:{channel}", note.id));
            if let Some(at) = hold_until {
                new.run_at = at;
            }
            state.jobs.enqueue(&state.store, new).await?;
        }
    }
    Ok(true)
}

pub(super) async fn preferences(state: &AppState, user_id: Uuid) -> Result<Preferences, JobError> {
    Ok(match state.store.get_preferences(user_id).await? {
        Some(doc) => serde_json::from_value(doc).unwrap_or_default(),
        None => Preferences::default(),
    })
}

async fn record_run(state: &AppState, job: &Job, run: &deals_agents::AgentRun) {
    let new = crate::agents::new_run(run, job.owner_id, Some(job.id));
    if let Err(e) = state.store.record_agent_run(new).await {
        tracing::warn!(error = %e, "recording an agent run failed");
    }
}

fn goal_criteria(goal: &deals_store::entity::goal::Model) -> Result<GoalCriteria, JobError> {
    GoalCriteria::from_json(goal.criteria.clone())
        .map_err(|e| JobError::Permanent(format!("stored criteria are invalid: {e:?}")))
}

/// Goal Analysis Agent: reads the goal's own words into criteria (unless the user gave
/// criteria), then enqueues the goal's first deal search.
pub async fn analyze_goal(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let goal_id = subject(job)?;
    let goal = match state.store.get_goal(Scope::All, goal_id).await {
        Ok(g) => g,
        Err(deals_store::StoreError::NotFound) => {
            return Err(JobError::Permanent("the goal no longer exists".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let refine = job.payload.get("refine").and_then(|v| v.as_bool()) == Some(true);
    let mut result = json!({"goal_id": goal_id, "refined": false});
    if let (true, Some(query)) = (refine, goal.query.as_deref()) {
        let out = state
            .agents
            .analyze_goal(goal.user_id, query)
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        record_run(state, job, &out.run).await;
        let changes = deals_store::repo::goals::GoalChanges {
            criteria: Some(out.output.criteria.clone()),
            ..Default::default()
        };
        state
            .store
            .update_goal(Scope::All, goal_id, changes)
            .await?;
        result = json!({
            "goal_id": goal_id,
            "refined": true,
            "provider": out.run.provider,
            "criteria": out.output.criteria,
            "notes": out.output.notes,
        });
    }
    let mut search = Jobs::new_job(
        JobKind::SearchDeals,
        Some(goal.user_id),
        Some(goal_id),
        json!({}),
    );
    search.dedup_key = Some(format!("search_deals:{goal_id}:first"));
    let (search_job, _) = state.jobs.enqueue(&state.store, search).await?;
    result["search_job_id"] = json!(search_job.id);
    Ok(result)
}

/// Deal Search Agent for one goal: stores what it finds, scores it, matches it and alerts.
pub async fn search_deals(state: &AppState, job: &Job) -> Result<serde_json::Value, JobError> {
    let goal_id = subject(job)?;
    let goal = match state.store.get_goal(Scope::All, goal_id).await {
        Ok(g) => g,
        Err(deals_store::StoreError::NotFound) => {
            return Err(JobError::Permanent("the goal no longer exists".into()));
        }
        Err(e) => return Err(e.into()),
    };
    if goal.status != "active" {
        return Ok(json!({"skipped": format!("goal is {}", goal.status)}));
    }
    let criteria = goal_criteria(&goal)?;
    let markets: Vec<Arc<dyn Market>> = state
        .markets
        .searchable()
        .iter()
        .filter(|m| criteria.markets.is_empty() || criteria.markets.contains(m))
        .filter_map(|m| state.markets.get(m))
        .collect();
    let out = state
        .agents
        .search_deals(goal.user_id, &criteria, &markets)
        .await
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    record_run(state, job, &out.run).await;
    let search = out.output;
    if !search.queries.is_empty() && search.queries.iter().all(|q| q.offers.is_none()) {
        return Err(JobError::Retryable(format!(
            "every market search failed: {}",
            search.tool_errors.join("; ")
        )));
    }
    let keep = usize::try_from(goal.max_matches.max(1)).unwrap_or(50);
    let mut stored = 0;
    let mut new_matches = 0;
    let mut alerts = 0;
    let mut cross_matches = 0;
    for found in search.deals.iter().take(keep) {
        let (listing, created) = ingest(state, &found.offer).await?;
        stored += 1;
        if created {
            cross_matches += match_other_goals(state, job, &listing, goal_id).await?;
        }
        let had = state.store.has_match(goal_id, listing.id).await?;
        state
            .store
            .match_listing(
                goal_id,
                listing.id,
                found.match_score,
                json!(found.reasons),
                "search",
            )
            .await?;
        if had {
            continue;
        }
        new_matches += 1;
        if alert_new_match(state, job, &goal, listing.id).await? {
            alerts += 1;
        }
    }
    Ok(json!({
        "goal_id": goal_id,
        "queries": search.queries,
        "found": search.deals.len(),
        "stored": stored,
        "new_matches": new_matches,
        "alerts": alerts,
        "matched_to_other_goals": cross_matches,
        "tool_errors": search.tool_errors,
    }))
}

/// Asks the Notification Agent about an event and stores the alert it decides on.
pub(super) async fn alert(
    state: &AppState,
    job: &Job,
    user_id: Uuid,
    event: PriceEvent,
    dedup_key: String,
    data: serde_json::Value,
) -> Result<bool, JobError> {
    let preferences = preferences(state, user_id).await?;
    let kind = serde_json::to_value(event.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "deal".into());
    let out = state
        .agents
        .decide_notification(user_id, &NotifyInput { event, preferences })
        .await
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    record_run(state, job, &out.run).await;
    let decision = out.output;
    if !decision.alert {
        return Ok(false);
    }
    notify(
        state,
        user_id,
        Alert {
            kind,
            priority: decision.priority.as_str().to_owned(),
            title: decision.title,
            body: decision.message,
            data,
            dedup_key,
        },
    )
    .await
}

/// Matches a listing new to the catalogue against every other active goal (through the goal
/// index: `scores` for all, `explain` only for those kept), storing the matches and alerting
/// their owners like a goal's own search would.
async fn match_other_goals(
    state: &AppState,
    job: &Job,
    listing: &listing::Model,
    searched_goal: Uuid,
) -> Result<u32, JobError> {
    let index = state.goal_index.get(&state.store).await?;
    let condition =
        deals_core::Condition::parse(&listing.condition).unwrap_or(deals_core::Condition::New);
    let facts = deals_core::matching::ListingFacts {
        title: &listing.title,
        brand: listing.brand.as_deref(),
        category: listing.category.as_deref(),
        market: &listing.market,
        condition,
        price_minor: listing.price_minor,
        currency: &listing.currency,
        seller_rating: listing.seller_rating,
    };
    let mut matched = 0;
    for (goal_id, score) in index.scores(&facts) {
        if goal_id == searched_goal || score < CROSS_MATCH_MIN_SCORE {
            continue;
        }
        let Some(m) = index.explain(goal_id, &facts) else {
            continue;
        };
        let goal = match state.store.get_goal(Scope::All, goal_id).await {
            Ok(g) if g.status == "active" => g,
            _ => continue,
        };
        if state.store.has_match(goal_id, listing.id).await? {
            continue;
        }
        state
            .store
            .match_listing(goal_id, listing.id, m.score, json!(m.reasons), "index")
            .await?;
        matched += 1;
        alert_new_match(state, job, &goal, listing.id).await?;
    }
    Ok(matched)
}

/// Alerts a goal's owner about a listing newly matched to it when the listing's (fresh) score
/// reaches the goal's `notify_threshold`; once per goal and listing. `true` when an alert was
/// stored.
async fn alert_new_match(
    state: &AppState,
    job: &Job,
    goal: &deals_store::entity::goal::Model,
    listing_id: Uuid,
) -> Result<bool, JobError> {
    let listing = state.store.get_listing(listing_id).await?;
    let score = listing.score.unwrap_or(0.0);
    if score < goal.notify_threshold {
        return Ok(false);
    }
    let event = PriceEvent {
        kind: EventKind::NewMatch,
        listing_title: listing.title.clone(),
        store: listing.market.clone(),
        price_minor: listing.price_minor,
        currency: Currency::parse(&listing.currency).unwrap_or_default(),
        target_price_minor: goal.target_price_minor,
        previous_price_minor: None,
        median_90_days_minor: None,
        lowest_in_days: None,
        stores_compared: None,
        cheapest: false,
    };
    let data = json!({"goal_id": goal.id, "deal_id": listing.id, "score": score});
    let key = format!("match:{}:{}", goal.id, listing.id);
    alert(state, job, goal.user_id, event, key, data).await
}

/// Lowest goal-match score at which a listing found for one goal is matched to another (the
/// Deal Search Agent's own bar).
const CROSS_MATCH_MIN_SCORE: f64 = 0.5;

/// Stores an offer as a listing (linked to the same product at other stores) and re-scores it
/// when its price changed. Returns the listing and whether it is new to the catalogue.
pub(super) async fn ingest(
    state: &AppState,
    offer: &Offer,
) -> Result<(listing::Model, bool), JobError> {
    let mut new = NewListing {
        product_id: None,
        owner_id: None,
        market: offer.market.clone(),
        external_id: offer.external_id.clone(),
        url: offer.url.clone(),
        title: offer.title.clone(),
        // A store that does not state the brand usually names it in the title.
        brand: offer
            .brand
            .as_deref()
            .map(str::to_lowercase)
            .or_else(|| deals_agents::rules::brand_in_title(&offer.title).map(str::to_owned)),
        category: offer.category.as_deref().map(str::to_lowercase),
        price_minor: offer.price_minor,
        original_price_minor: offer.original_price_minor,
        currency: offer.currency.clone(),
        condition: offer.condition,
        seller_name: offer.seller_name.clone(),
        seller_rating: offer.seller_rating,
        availability: offer.availability,
        shipping_minor: offer.shipping_minor,
        image_url: offer.image_url.clone(),
        seen_at: now(),
        flags: offer.flags.clone(),
    };
    new.product_id = crate::http::api::goal_deals::same_product_elsewhere(
        state,
        &new,
        offer.gtin.as_deref(),
        offer.mpn.as_deref(),
    )
    .await
    .map_err(|e| JobError::Retryable(e.to_string()))?;
    if new.product_id.is_none() && offer.gtin.is_some() {
        let product = state
            .store
            .find_or_create_product(deals_store::entity::product::Model {
                id: Uuid::now_v7(),
                title: offer.title.clone(),
                brand: new.brand.clone(),
                model: offer.model.clone(),
                gtin: offer.gtin.clone(),
                mpn: offer.mpn.clone(),
                category: new.category.clone(),
                created_at: now(),
            })
            .await?;
        new.product_id = Some(product.id);
    }
    let up = state.store.upsert_listing(new).await?;
    if up.price_changed {
        crate::analysis::analyze_and_publish(state, up.listing.id)
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        state
            .events
            .publish(crate::events::Event {
                kind: if up.created {
                    "deal_update"
                } else {
                    "price_update"
                }
                .into(),
                user_id: None,
                data: json!({
                    "deal_id": up.listing.id, "market": up.listing.market,
                    "price": deals_core::money::format_minor(up.listing.price_minor),
                    "currency": up.listing.currency,
                }),
            })
            .await;
    }
    Ok((up.listing, up.created))
}
