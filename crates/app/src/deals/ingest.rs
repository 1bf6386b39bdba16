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
    let mut page = ingest_page(state, &[offer]).await?;
    page.pop()
        .ok_or_else(|| anyhow::anyhow!("ingesting one offer stored none").into())
}

/// [`ingest`] for a store's page of offers: each linked to its product, all stored in one
/// transaction, then those whose price changed re-scored and announced. In the order given.
pub async fn ingest_page(state: &AppState, offers: &[&Offer]) -> Result<Vec<Ingested>> {
    let mut news = Vec::with_capacity(offers.len());
    for offer in offers {
        let mut new = new_listing(offer)?;
        link(state, &mut new, offer).await?;
        news.push(new);
    }
    let stored = state.store.upsert_listings(&news).await?;
    let mut out = Vec::with_capacity(stored.len());
    for up in stored {
        if up.price_changed {
            rescore_and_announce(state, &up.listing, up.created).await?;
        }
        out.push(Ingested {
            listing: up.listing,
            created: up.created,
        });
    }
    Ok(out)
}

/// The listing an offer becomes (not yet linked to a product).
fn new_listing(offer: &Offer) -> Result<NewListing> {
    // Offers are checked at the adapter boundary; a currency that still does not parse is a bug
    // of that adapter, not something to store.
    let currency = Currency::parse(&offer.currency).map_err(|_| {
        anyhow::anyhow!("{} offer with currency {:?}", offer.market, offer.currency)
    })?;
    Ok(NewListing {
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
    })
}

/// The link step: the product this listing is the same item as, found among the known ones
/// or created from the offer's GTIN.
async fn link(state: &AppState, new: &mut NewListing, offer: &Offer) -> Result<()> {
    let ids = Identifiers {
        gtin: offer.gtin.as_deref(),
        mpn: offer.mpn.as_deref(),
        model: offer.model.as_deref(),
    };
    new.product_id = same_product_elsewhere(state, new, ids).await?;
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
    Ok(())
}

/// Re-scores a listing whose price changed and announces it live.
async fn rescore_and_announce(state: &AppState, listing: &Listing, created: bool) -> Result<()> {
    super::analysis::analyze_and_publish(state, Origin::default(), listing.id).await?;
    let change = DealChange {
        deal_id: listing.id,
        market: listing.market.clone(),
        price: format_minor(listing.price_minor),
        currency: listing.currency,
    };
    let event = if created {
        LiveEvent::DealUpdate(change)
    } else {
        LiveEvent::PriceUpdate(change)
    };
    state.events.publish(event).await;
    Ok(())
}
