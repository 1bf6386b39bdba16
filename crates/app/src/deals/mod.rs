//! Deals: the public search, a deal and its analysis and price history, and the ingest of market
//! offers into the catalogue (same-product linking and scoring).

pub mod analysis;
pub mod cache;
pub mod ingest;
pub mod links;
pub mod shared;

use chrono::Duration;
use deals_core::PricePoint;
use deals_core::analysis::{PriceStats, price_stats};
use deals_store::repo::Page;
use deals_store::repo::analyses::MarketPrice;
use deals_store::repo::search::DealQuery;
use deals_store::rows::{Analysis, Listing};
use deals_store::{Scope, now};
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Active public listings matching `query` (on the read replica when there is one).
pub async fn search(state: &AppState, query: &DealQuery) -> Result<Page<Listing>> {
    Ok(state
        .store
        .read(|db| async move { db.search_listings(query).await })
        .await?)
}

/// One deal as `viewer` may see it (`None`: anonymous): market listings are public, deals
/// attached by hand only visible to their owner and administrators.
///
/// Anonymous views read the replica when there is one; a signed-in viewer reads the primary, so
/// a deal they just attached is there at once (replication lags).
pub async fn get(state: &AppState, viewer: Option<Scope>, id: Uuid) -> Result<Listing> {
    Ok(match viewer {
        None => {
            state
                .store
                .read(|db| async move { db.get_visible_listing(id, None).await })
                .await?
        }
        Some(_) => state.store.get_visible_listing(id, viewer).await?,
    })
}

/// A deal's latest analysis; a deal never analysed is analysed now.
pub async fn analysis(state: &AppState, viewer: Option<Scope>, id: Uuid) -> Result<Analysis> {
    get(state, viewer, id).await?;
    match state.store.latest_analysis(id).await? {
        Some(a) => Ok(a),
        None => analysis::analyze_and_publish(state, Origin::default(), id).await,
    }
}

/// Price history of a deal's product across stores.
#[derive(Debug, Clone)]
pub struct PriceHistory {
    /// Every observation, oldest first, with its store.
    pub points: Vec<MarketPrice>,
    /// Statistics over them; `None` without observations.
    pub stats: Option<PriceStats>,
}

/// The prices of a deal's product at every store over the last `days` (1–365).
pub async fn price_history(
    state: &AppState,
    viewer: Option<Scope>,
    id: Uuid,
    days: i64,
) -> Result<PriceHistory> {
    if !(1..=365).contains(&days) {
        return Err(Error::invalid("days", "must be between 1 and 365"));
    }
    let listing = get(state, viewer, id).await?;
    let at = now();
    let since = at - Duration::days(days);
    // A hand-attached deal's prices are its owner's writes: read them on the primary.
    let points = if listing.owner_id.is_some() {
        state.store.product_history(&listing, since).await?
    } else {
        let listing = &listing;
        state
            .store
            .read(|db| async move { db.product_history(listing, since).await })
            .await?
    };
    let series: Vec<PricePoint> = points
        .iter()
        .map(|p| PricePoint::new(p.at, p.price_minor))
        .collect();
    Ok(PriceHistory {
        stats: price_stats(&series, at),
        points,
    })
}
