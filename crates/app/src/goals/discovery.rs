//! The deal-discovery flow of the seed: Goal Analysis (words → criteria) → Deal Search (one
//! query per market) → offers ingested → matched to the goal and to every other active goal
//! they fit → owners alerted (a goal's first search with one summary, later ones only about
//! listings worth it and new or meaningfully better: [`crate::notify::goals`]). The jobs run
//! these use cases; they are idempotent (matches are unique per goal and listing, alerts carry
//! dedup keys).

use std::collections::HashMap;
use std::sync::Arc;

use deals_agents::agents::SearchOutput;
use deals_core::matching::ListingFacts;
use deals_core::{GoalStatus, LastSearch, MarketSearch};
use deals_markets::Market;
use deals_store::repo::goals::{GoalChanges, NewMatch};
use deals_store::repo::jobs::NewJob;
use deals_store::rows::{Goal, Listing, MatchSource};
use deals_store::{Scope, now};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::{Error, Result};
use crate::jobs::{JobKind, Jobs};
use crate::notify::goals::{flush, summary_key};
use crate::state::AppState;

/// Lowest goal-match score at which a listing found for one goal is matched to another (the
/// Deal Search Agent's own bar).
const CROSS_MATCH_MIN_SCORE: f64 = 0.5;

/// What a goal analysis did.
#[derive(Debug, Clone, Serialize)]
pub struct Analyzed {
    /// The goal.
    pub goal_id: Uuid,
    /// Whether the agent re-read the goal's words into new criteria.
    pub refined: bool,
    /// The provider that answered, when refined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The new criteria, when refined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<deals_core::GoalCriteria>,
    /// The agent's notes, when refined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<String>>,
    /// The goal's first deal search.
    pub search_job_id: Uuid,
}

/// Goal Analysis Agent: re-reads the goal's own words into criteria when `refine` (the user
/// sent words only), then queues the goal's first deal search (once).
pub async fn analyze(
    state: &AppState,
    origin: Origin,
    goal_id: Uuid,
    refine: bool,
) -> Result<Analyzed> {
    let goal = state.store.get_goal(Scope::All, goal_id).await?;
    let mut refined = None;
    if let (true, Some(query)) = (refine, goal.query.as_deref()) {
        let analysis = state
            .agents
            .analyze_goal(origin.charge("goal_analysis"), query)
            .await?;
        origin.record(&state.store, &analysis.run).await;
        let changes = GoalChanges {
            criteria: Some(analysis.output.criteria.clone()),
            ..Default::default()
        };
        let updated = state
            .store
            .update_goal(Scope::All, goal_id, changes)
            .await?;
        if updated.status == GoalStatus::Active {
            state.goal_index.upsert(goal_id, updated.criteria);
        }
        refined = Some((analysis.run.provider, analysis.output));
    }
    let (search_job, _) = state
        .jobs
        .enqueue(&state.store, first_search(goal.user_id, goal_id))
        .await?;
    let (provider, output) = refined.unzip();
    Ok(Analyzed {
        goal_id,
        refined: provider.is_some(),
        provider,
        criteria: output.as_ref().map(|o| o.criteria.clone()),
        notes: output.map(|o| o.notes),
        search_job_id: search_job.id,
    })
}

/// The job of a goal's first deal search (stored once: a dedup key per goal). The owner waits
/// for the first matches: it runs ahead of the scheduler's re-searches.
pub fn first_search(user_id: Uuid, goal_id: Uuid) -> NewJob {
    let mut search = Jobs::new_job(
        JobKind::SearchDeals,
        Some(user_id),
        Some(goal_id),
        json!({}),
    );
    search.dedup_key = Some(format!("search_deals:{goal_id}:first"));
    search.priority = crate::jobs::kinds::priority::INTERACTIVE;
    search
}

/// What a goal's deal search did.
#[derive(Debug, Clone, Serialize)]
pub struct Searched {
    /// The goal.
    pub goal_id: Uuid,
    /// Set when the goal was not searched (it is not active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The store queries and what each returned.
    pub queries: serde_json::Value,
    /// Fitting listings found.
    pub found: usize,
    /// Listings stored (at most the goal's `max_matches`).
    pub stored: usize,
    /// Listings newly matched to the goal.
    pub new_matches: usize,
    /// Alerts stored for the goal's owner.
    pub alerts: usize,
    /// Matches made to other users' goals.
    pub matched_to_other_goals: u32,
    /// Errors of single stores (the others were still searched).
    pub tool_errors: Vec<String>,
    /// What the user is told: what was found, or why nothing was.
    pub summary: String,
}

/// Deal Search Agent for one goal: stores what it finds, scores it, matches it (to this goal
/// and every other it fits) and alerts. Fails (to be retried) when every store failed.
pub async fn search(state: &AppState, origin: Origin, goal_id: Uuid) -> Result<Searched> {
    let goal = state.store.get_goal(Scope::All, goal_id).await?;
    let mut out = Searched {
        goal_id,
        skipped: None,
        queries: json!([]),
        found: 0,
        stored: 0,
        new_matches: 0,
        alerts: 0,
        matched_to_other_goals: 0,
        tool_errors: vec![],
        summary: String::new(),
    };
    if goal.status != GoalStatus::Active {
        out.skipped = Some(format!("goal is {}", goal.status));
        return Ok(out);
    }
    let criteria = &goal.criteria;
    let markets: Vec<Arc<dyn Market>> = state
        .markets
        .searchable()
        .iter()
        .filter(|m| criteria.markets.is_empty() || criteria.markets.contains(m))
        .filter_map(|m| state.markets.get(m))
        .map(|m| state.searches.market(m))
        .collect();
    // Goals asking the same thing share one ranked result (each is charged).
    let result = state
        .searches
        .deal_search(
            &state.agents,
            origin.charge("deal_search"),
            criteria,
            &markets,
        )
        .await?;
    origin.record(&state.store, &result.run).await;
    let search = result.output;
    for q in &search.queries {
        let up = f64::from(u8::from(q.offers.is_some()));
        metrics::gauge!("deals_market_up", "market" => q.market.clone()).set(up);
    }
    if !search.queries.is_empty() && search.queries.iter().all(|q| q.offers.is_none()) {
        return Err(Error::Internal(anyhow::anyhow!(
            "every market search failed: {}",
            search.tool_errors.join("; ")
        )));
    }
    state
        .store
        .record_last_search(goal_id, &last_search(&search))
        .await?;
    out.queries = serde_json::to_value(&search.queries).unwrap_or_default();
    out.found = search.deals.len();
    out.tool_errors = search.tool_errors.clone();
    out.summary = search.summary.clone();
    let keep = usize::try_from(goal.max_matches.max(1)).unwrap_or(50);
    // Ingest: an offer another goal's search stored within the TTL is not stored again.
    let kept: Vec<_> = search.deals.iter().take(keep).collect();
    let offers: Vec<_> = kept.iter().map(|found| &found.offer).collect();
    let stored = state.searches.ingest_page(state, &offers).await?;
    let mut found_matches = Vec::new();
    for (found, ingested) in kept.into_iter().zip(stored) {
        let listing = ingested.listing;
        out.stored += 1;
        if ingested.created {
            out.matched_to_other_goals +=
                match_other_goals(state, origin, &listing, goal_id).await?;
        }
        found_matches.push(NewMatch {
            listing_id: listing.id,
            score: found.match_score,
            reasons: found.reasons.clone(),
        });
    }
    // Match: the whole page of results in one transaction, with their alert outbox rows.
    let new_matches = state
        .store
        .match_listings(goal_id, &found_matches, MatchSource::Search)
        .await?;
    out.new_matches = new_matches.len();
    // Alert: the outbox becomes the first search's summary, or alerts for what is better.
    out.alerts = flush(state, origin, &goal, Some(&search.summary)).await?;
    Ok(out)
}

/// The summary of a search for the goal's `last_search`: per store, its last query and what it
/// returned.
fn last_search(search: &SearchOutput) -> LastSearch {
    let mut markets: Vec<MarketSearch> = Vec::new();
    for q in &search.queries {
        let entry = MarketSearch {
            market: q.market.clone(),
            query: q.text.clone(),
            offers: q.offers,
            relaxed: q.relaxed.clone(),
        };
        match markets.iter_mut().find(|m| m.market == q.market) {
            Some(m) => *m = entry,
            None => markets.push(entry),
        }
    }
    LastSearch {
        at: now(),
        found: search.deals.len(),
        summary: search.summary.clone(),
        markets,
        errors: search.tool_errors.clone(),
    }
}

/// The facts of a listing that goal matching reads.
fn facts(listing: &Listing) -> ListingFacts<'_> {
    ListingFacts {
        title: &listing.title,
        brand: listing.brand.as_deref(),
        category: listing.category.as_deref(),
        market: &listing.market,
        condition: listing.condition,
        price_minor: listing.price_minor,
        currency: listing.currency.as_str(),
        seller_rating: listing.seller_rating,
    }
}

/// Matches a listing new to the catalogue against every other active goal (through the goal
/// index: `scores` for all, `explain` only for those kept), storing the matches in one
/// transaction and then alerting the owners of the goals newly matched like a goal's own search
/// would.
async fn match_other_goals(
    state: &AppState,
    origin: Origin,
    listing: &Listing,
    searched_goal: Uuid,
) -> Result<u32> {
    let facts = facts(listing);
    let fits: Vec<(Uuid, NewMatch)> = state
        .goal_index
        .read(&state.store, |index| {
            index
                .scores(&facts)
                .into_iter()
                .filter(|(goal_id, score)| {
                    *goal_id != searched_goal && *score >= CROSS_MATCH_MIN_SCORE
                })
                // Only a full match joins another goal: every hard constraint met, every
                // keyword found.
                .filter_map(|(goal_id, _)| {
                    let m = index
                        .explain(goal_id, &facts)
                        .filter(|m| m.full && m.excluded_by.is_none())?;
                    Some((
                        goal_id,
                        NewMatch {
                            listing_id: listing.id,
                            score: m.score,
                            reasons: m.reasons,
                        },
                    ))
                })
                .collect()
        })
        .await?;
    if fits.is_empty() {
        return Ok(0);
    }
    // The index may still hold a goal paused or deleted by another process.
    let ids: Vec<Uuid> = fits.iter().map(|(g, _)| *g).collect();
    let goals: HashMap<Uuid, Goal> = state
        .store
        .active_goals_among(&ids)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let fits: Vec<(Uuid, NewMatch)> = fits
        .into_iter()
        .filter(|(g, _)| goals.contains_key(g))
        .collect();
    let matched = state
        .store
        .match_listing_to_goals(listing.id, &fits, MatchSource::Index)
        .await?;
    // Alerts: only goals that had their first summary can be alerted (it covers the rest).
    let keys: Vec<String> = matched.iter().map(|g| summary_key(*g)).collect();
    let summarized = state.store.notification_keys_among(&keys).await?;
    for goal in matched.iter().filter_map(|g| goals.get(g)) {
        if !summarized.contains(&summary_key(goal.id)) {
            continue;
        }
        // The other goal's owner is alerted on their own behalf.
        let theirs = Origin::new(Some(goal.user_id), origin.job_id).for_goal(goal.id);
        flush(state, theirs, goal, None).await?;
    }
    Ok(u32::try_from(matched.len()).unwrap_or(u32::MAX))
}
