//! Market offers into the catalogue: an offer becomes a listing linked to the same product at
//! the other stores, its price is recorded, and it is re-scored when the price changed.

use deals_core::Currency;
use deals_core::matching::{ProductFeatures, ProductKey, SameProduct};
use deals_core::money::format_minor;
use deals_markets::Offer;
use deals_store::now;
use deals_store::repo::links::{LinkBlock, NewLink};
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
    Ok(best_link(state, listing, ids, &[])
        .await?
        .map(|l| l.product_id))
}

/// A product a listing is the same item as, and by which rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// The product.
    pub product_id: Uuid,
    /// The rule that matched (never [`SameProduct::No`]).
    pub rule: SameProduct,
    /// The learned model's log-odds above its threshold, when the model decided.
    pub score: Option<f32>,
}

/// The best product link of a listing among the known products of its brand (or category),
/// leaving out the `blocked` products an administrator unlinked it from: the strongest rule
/// (GTIN, brand and part number, title), then the learned model's highest score.
pub async fn best_link(
    state: &AppState,
    listing: &NewListing,
    ids: Identifiers<'_>,
    blocked: &[Uuid],
) -> Result<Option<Link>> {
    let candidates = state
        .store
        .product_candidates(listing.brand.as_deref(), listing.category.as_deref(), 500)
        .await?;
    let key = ProductFeatures::new(&ProductKey {
        title: &listing.title,
        brand: listing.brand.as_deref(),
        model: ids.model,
        gtin: ids.gtin,
        mpn: ids.mpn,
    });
    let best = candidates
        .iter()
        .filter(|p| !blocked.contains(&p.id))
        .map(|p| {
            let other = ProductFeatures::new(&ProductKey {
                title: &p.title,
                brand: p.brand.as_deref(),
                model: p.model.as_deref(),
                gtin: p.gtin.as_deref(),
                mpn: p.mpn.as_deref(),
            });
            (key.judge(&other), p.id)
        })
        .filter(|(j, _)| j.verdict != SameProduct::No)
        .max_by(|(a, _), (b, _)| {
            (a.verdict.strength().cmp(&b.verdict.strength()))
                .then(a.score.unwrap_or(0.0).total_cmp(&b.score.unwrap_or(0.0)))
        });
    Ok(best.map(|(j, product_id)| Link {
        product_id,
        rule: j.verdict,
        score: j.score,
    }))
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

/// [`ingest`] for a store's page of offers: each linked to its product (not to one an
/// administrator unlinked it from), all stored in one transaction, then those whose price or
/// product changed re-scored and announced. In the order given.
pub async fn ingest_page(state: &AppState, offers: &[&Offer]) -> Result<Vec<Ingested>> {
    let blocks = blocks_of(state, offers).await?;
    let mut news = Vec::with_capacity(offers.len());
    let mut links = Vec::with_capacity(offers.len());
    for offer in offers {
        let mut new = new_listing(offer)?;
        let blocked: Vec<Uuid> = (blocks.iter())
            .filter(|b| b.market == offer.market && b.external_id == offer.external_id)
            .map(|b| b.product_id)
            .collect();
        links.push(link(state, &mut new, offer, &blocked).await?);
        news.push(new);
    }
    let stored = state.store.upsert_listings(&news).await?;
    let made: Vec<NewLink> = (stored.iter().zip(links))
        .filter(|(up, _)| up.created || up.relinked)
        .filter_map(|(up, link)| {
            let link = link?;
            Some(NewLink {
                listing_id: up.listing.id,
                product_id: link.product_id,
                rule: link.rule,
                score: link.score,
            })
        })
        .collect();
    state.store.record_links(&made).await?;
    let mut out = Vec::with_capacity(stored.len());
    for up in stored {
        if up.price_changed {
            rescore_and_announce(state, &up.listing, up.created).await?;
        } else if up.relinked {
            // Another product: another market average.
            super::analysis::analyze_and_publish(state, Origin::default(), up.listing.id).await?;
        }
        out.push(Ingested {
            listing: up.listing,
            created: up.created,
        });
    }
    Ok(out)
}

/// The products the page's listings were unlinked from by an administrator.
async fn blocks_of(state: &AppState, offers: &[&Offer]) -> Result<Vec<LinkBlock>> {
    let mut out = Vec::new();
    let mut markets: Vec<&str> = offers.iter().map(|o| o.market.as_str()).collect();
    markets.sort_unstable();
    markets.dedup();
    for market in markets {
        let ids: Vec<&str> = (offers.iter())
            .filter(|o| o.market == market)
            .map(|o| o.external_id.as_str())
            .collect();
        out.extend(state.store.link_blocks(market, &ids).await?);
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
/// or created from the offer's GTIN, and how it was found; never one of `blocked`.
async fn link(
    state: &AppState,
    new: &mut NewListing,
    offer: &Offer,
    blocked: &[Uuid],
) -> Result<Option<Link>> {
    let ids = Identifiers {
        gtin: offer.gtin.as_deref(),
        mpn: offer.mpn.as_deref(),
        model: offer.model.as_deref(),
    };
    let mut found = best_link(state, new, ids, blocked).await?;
    if found.is_none() && offer.gtin.is_some() {
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
        found = (!blocked.contains(&product.id)).then_some(Link {
            product_id: product.id,
            rule: SameProduct::Gtin,
            score: None,
        });
    }
    new.product_id = found.map(|l| l.product_id);
    Ok(found)
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
