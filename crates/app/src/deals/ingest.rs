//! Market offers into the catalogue: an offer becomes a listing linked to the same product at
//! the other stores, its price is recorded, and it is re-scored when the price changed.

use deals_core::Currency;
use deals_core::matching::{ProductKey, SameProduct, same_product};
use deals_core::money::format_minor;
use deals_markets::Offer;
use deals_store::now;
use deals_store::repo::listings::{NewListing, NewProduct};
use deals_store::rows::Listing;
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::Result;
use crate::live::{DealChange, LiveEvent};
use crate::state::AppState;

/// Identifiers of an offer beyond its title, when its store gives them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identifiers<'a> {
    /// GTIN (UPC/EAN).
    pub gtin: Option<&'a str>,
    /// Manufacturer part number.
    pub mpn: Option<&'a str>,
    /// Model name or number.
    pub model: Option<&'a str>,
}

/// The product a new listing is the same item as, among the known products of its brand (or
/// category): GTIN first, then brand and part number, then model codes and the title.
pub async fn same_product_elsewhere(
    state: &AppState,
    listing: &NewListing,
    ids: Identifiers<'_>,
) -> Result<Option<Uuid>> {
    let candidates = state
        .store
        .product_candidates(listing.brand.as_deref(), listing.category.as_deref(), 500)
        .await?;
    let key = ProductKey {
        title: &listing.title,
        brand: listing.brand.as_deref(),
        model: ids.model,
        gtin: ids.gtin,
        mpn: ids.mpn,
    };
    let strength = |s: SameProduct| match s {
        SameProduct::Gtin => 3,
        SameProduct::BrandMpn => 2,
        SameProduct::Title => 1,
        SameProduct::No => 0,
    };
    let best = candidates
        .iter()
        .map(|p| {
            let other = ProductKey {
                title: &p.title,
                brand: p.brand.as_deref(),
                model: p.model.as_deref(),
                gtin: p.gtin.as_deref(),
                mpn: p.mpn.as_deref(),
            };
            (strength(same_product(&key, &other)), p.id)
        })
        .filter(|(rank, _)| *rank > 0)
        .max_by_key(|(rank, _)| *rank);
    Ok(best.map(|(_, id)| id))
}

/// A listing stored by [`ingest`].
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The listing as stored now.
    pub listing: Listing,
    /// Whether it is new to the catalogue.
    pub created: bool,
}

/// Stores an offer as a listing (linked to the same product at other stores) and re-scores it
/// when its price changed, announcing the new price live. Scoring is the system's own upkeep.
pub async fn ingest(state: &AppState, offer: &Offer) -> Result<Ingested> {
    // Offers are checked at the adapter boundary; a currency that still does not parse is a bug
    // of that adapter, not something to store.
    let currency = Currency::parse(&offer.currency).map_err(|_| {
        anyhow::anyhow!("{} offer with currency {:?}", offer.market, offer.currency)
    })?;
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
        currency,
        condition: offer.condition,
        seller_name: offer.seller_name.clone(),
        seller_rating: offer.seller_rating,
        availability: offer.availability,
        shipping_minor: offer.shipping_minor,
        image_url: offer.image_url.clone(),
        seen_at: now(),
        flags: offer.flags.clone(),
    };
    let ids = Identifiers {
        gtin: offer.gtin.as_deref(),
        mpn: offer.mpn.as_deref(),
        model: offer.model.as_deref(),
    };
    new.product_id = same_product_elsewhere(state, &new, ids).await?;
    if new.product_id.is_none() && offer.gtin.is_some() {
        let product = state
            .store
            .find_or_create_product(NewProduct {
                title: offer.title.clone(),
                brand: new.brand.clone(),
                model: offer.model.clone(),
                gtin: offer.gtin.clone(),
                mpn: offer.mpn.clone(),
                category: new.category.clone(),
            })
            .await?;
        new.product_id = Some(product.id);
    }
    let up = state.store.upsert_listing(new).await?;
    if up.price_changed {
        super::analysis::analyze_and_publish(state, Origin::default(), up.listing.id).await?;
        let change = DealChange {
            deal_id: up.listing.id,
            market: up.listing.market.clone(),
            price: format_minor(up.listing.price_minor),
            currency: up.listing.currency,
        };
        let event = if up.created {
            LiveEvent::DealUpdate(change)
        } else {
            LiveEvent::PriceUpdate(change)
        };
        state.events.publish(event).await;
    }
    Ok(Ingested {
        listing: up.listing,
        created: up.created,
    })
}
