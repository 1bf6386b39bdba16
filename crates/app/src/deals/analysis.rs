//! Deal analysis: gathers a listing's price context from the store (its own history, the same
//! product at other stores, the market average), applies the scoring formula and the checks of
//! [`deals_core::analysis`], and stores the result with every modifier so it can be explained.
//! Agent work for an analysis is attributed to an explicit [`Origin`].

use chrono::Duration;
use deals_agents::AgentRun;
use deals_agents::Agents;
use deals_agents::agents::PriceInput;
use deals_agents::agents::price::HistoryStats;
use deals_core::analysis::{
    Advice, BaseInput, FORMULA_VERSION, ScoreInput, anomaly, buy_or_wait, check_reference_price,
    price_glitch, price_stats, rules_base_score, score, trend,
};
use deals_core::money::format_minor;
use deals_core::{Availability, PricePoint};
use deals_store::repo::analyses::NewAnalysis;
use deals_store::rows::Analysis;
use deals_store::{Store, now};
use serde_json::json;
use uuid::Uuid;

use super::cache::invalidate_listing;
use crate::agents::Origin;
use crate::error::Result;
use crate::state::AppState;

/// Days of history an analysis looks at.
const HISTORY_DAYS: i64 = 90;

/// Scores a listing now, stores the analysis (its normalized score becomes the listing's score)
/// and drops cached pages that showed the old score.
///
/// `origin` says on whose behalf: the user who asked for it, or the system's own upkeep (a
/// listing re-scored after a price check is `Origin::default()`).
pub async fn analyze_and_publish(
    state: &AppState,
    origin: Origin,
    listing_id: Uuid,
) -> Result<Analysis> {
    let (saved, run) = analyze_with(&state.store, Some(&state.agents), origin, listing_id).await?;
    if let Some(run) = run {
        origin.record(&state.store, &run).await;
    }
    invalidate_listing(state, listing_id).await;
    Ok(saved)
}

/// Scores a listing now and stores the analysis (which also becomes the listing's score), with
/// the rules' base score.
pub async fn analyze_listing(store: &Store, listing_id: Uuid) -> Result<Analysis> {
    Ok(analyze_with(store, None, Origin::default(), listing_id)
        .await?
        .0)
}

/// Median of a non-empty list of prices.
fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

/// Scores a listing. When `agents` has an LLM provider configured, the Price Analysis Agent
/// gives the base score (and its run record is returned); with the offline rules alone the
/// rules' base score is used directly — the same number the rules provider would give, without
/// a run record for every price change.
async fn analyze_with(
    store: &Store,
    agents: Option<&Agents>,
    origin: Origin,
    listing_id: Uuid,
) -> Result<(Analysis, Option<AgentRun>)> {
    let listing = store.get_listing(listing_id).await?;
    let at = now();
    // One read: the product's prices at every store include this listing's own.
    let history = store
        .product_history(&listing, at - Duration::days(HISTORY_DAYS))
        .await?;
    let own: Vec<PricePoint> = history
        .iter()
        .filter(|p| p.listing_id == listing.id)
        .map(|p| PricePoint::new(p.at, p.price_minor))
        .collect();
    // The current price took effect at the last recorded change; the EU rule looks at the 30
    // days before that.
    let current_since = own.last().map_or(at, |p| p.at);
    let prior: Vec<PricePoint> = own
        .iter()
        .copied()
        .filter(|p| p.at < current_since && p.at >= current_since - Duration::days(30))
        .collect();
    let reference = check_reference_price(listing.original_price_minor, &prior);
    let market = store.market_average(&listing).await?;
    let market_average_minor = market.map(|m| m.average_minor);
    let direction = trend(&own, at);
    let earlier: Vec<PricePoint> = own
        .iter()
        .copied()
        .filter(|p| p.at < current_since)
        .collect();
    let glitch = price_glitch(listing.price_minor, &earlier, market_average_minor);
    let in_stock = listing.availability != Availability::OutOfStock;
    let lowest_90_days_minor = own.iter().map(|p| p.price_minor).min();
    let (mut base, mut base_reasons) = rules_base_score(&BaseInput {
        price_minor: listing.price_minor,
        reference_price_minor: reference.reference_minor,
        market_average_minor,
        lowest_90_days_minor,
        seller_rating: listing.seller_rating,
        in_stock,
    });
    let mut run = None;
    if let Some(agents) = agents.filter(|a| !a.chain().is_rules_only()) {
        let input = PriceInput {
            title: listing.title.clone(),
            market: listing.market.clone(),
            price_minor: listing.price_minor,
            currency: listing.currency,
            condition: listing.condition,
            seller_rating: listing.seller_rating,
            in_stock,
            reference_price_minor: reference.reference_minor,
            market_average_minor,
            stores_compared: market.as_ref().map_or(0, |m| m.listings as u32),
            history: HistoryStats {
                lowest_90_days_minor,
                median_90_days_minor: median(own.iter().map(|p| p.price_minor).collect()),
                trend: trend(&own, at),
                points: own.len() as u32,
            },
        };
        match agents
            .analyze_price(origin.charge("price_analysis"), &input)
            .await
        {
            Ok(out) => {
                base = out.output.base_score;
                base_reasons = out.output.reasons.clone();
                run = Some(out.run);
            }
            Err(e) => {
                tracing::warn!(error = %e, "Price Analysis Agent failed; rules base score kept")
            }
        }
    }
    let scored = score(&ScoreInput {
        base,
        market: listing.market.clone(),
        price_minor: listing.price_minor,
        reference_price_minor: reference.reference_minor,
        trend: direction,
        market_average_minor,
    });
    let prior_scores = store.recent_scores(listing.id, 5).await?;
    let outlier = anomaly(&prior_scores, scored.final_score);
    let stability = price_stats(&own, at).map(|s| s.stability);
    let product_history: Vec<PricePoint> = history
        .iter()
        .map(|p| PricePoint::new(p.at, p.price_minor))
        .collect();
    let advice = buy_or_wait(&product_history, listing.price_minor, at);

    let m = &scored.modifiers;
    let mut explanation = format!(
        "{:.0}/100 for {} at {}: base {:.0}; {}; {}; {}; {}.",
        scored.final_score,
        format_minor(listing.price_minor),
        listing.market,
        scored.base_score,
        m.discount.explanation,
        m.competitiveness.explanation,
        m.price_trend.explanation,
        m.source_reliability.explanation,
    );
    if glitch.is_possible_error {
        explanation.push_str(" Possible price error: ");
        explanation.push_str(&glitch.reasons.join("; "));
        explanation.push('.');
    }
    if listing.has_price_jump() {
        explanation.push_str(
            " The source flagged this price as a jump far from the item's list price; check it before buying.",
        );
    }
    if !reference.supported {
        explanation.push(' ');
        explanation.push_str(&reference.explanation);
    }
    let advice_text = match advice.advice {
        Advice::BuyNow => "buy now",
        Advice::Wait => "wait",
        Advice::NoOpinion => "no opinion",
    };
    let details = json!({
        "reference_check": reference,
        "price_glitch": glitch,
        "market_average": market,
        "trend": direction,
        "base_reasons": base_reasons,
        "anomaly": outlier.explanation,
        "recommendation": advice,
        "recommendation_summary": advice_text,
        "source_flags": listing.flags,
    });
    let saved = store
        .save_analysis(NewAnalysis {
            listing_id: listing.id,
            formula_version: FORMULA_VERSION.to_owned(),
            base_score: scored.base_score,
            modifiers: serde_json::to_value(&scored.modifiers).map_err(anyhow::Error::from)?,
            final_score: scored.final_score,
            normalized_score: scored.normalized_score,
            is_anomaly: outlier.is_anomaly,
            moving_average: outlier.moving_average,
            stddev: outlier.stddev,
            price_stability: stability,
            market_average_minor,
            explanation,
            details,
        })
        .await?;
    Ok((saved, run))
}
