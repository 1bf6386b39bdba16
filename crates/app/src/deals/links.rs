//! A listing's product link for administrators: which product, by which rule and score the
//! ingest path linked it, and undoing the link (the listing is unlinked, re-analysed against
//! its new market average, and not linked to that product again).

use deals_store::repo::links::ListingLink;
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::{Error, Result};
use crate::state::AppState;

/// A listing's product link and the products it is blocked from.
pub async fn show(state: &AppState, listing_id: Uuid) -> Result<ListingLink> {
    Ok(state.store.listing_link(listing_id).await?)
}

/// Unlinks a listing from its product on behalf of administrator `admin_id` and re-analyses it
/// (its market average no longer counts that product's listings). A listing without a product
/// is a conflict.
pub async fn unlink(state: &AppState, listing_id: Uuid, admin_id: Uuid) -> Result<ListingLink> {
    let current = state.store.listing_link(listing_id).await?;
    if current.product.is_none() {
        return Err(Error::Conflict(
            "the listing is not linked to a product".into(),
        ));
    }
    state.store.unlink_listing(listing_id, admin_id).await?;
    super::analysis::analyze_and_publish(state, Origin::default(), listing_id).await?;
    show(state, listing_id).await
}
