//! The simulated five-store marketplace as a pure, deterministic model: which store lists which
//! catalogue product and how ([`StoreOffer`]), what it costs at any instant ([`Quote`]), how each
//! store behaves ([`StoreMood`]) and what a store search returns.
//!
//! Everything is a function of [`SimConfig::seed`], the catalogue and the time asked about; no
//! state moves forward, so the HTTP server, the 90-day backfill and tests all see one world.
//! The only mutable part is the mood override ([`SimWorld::set_mood_override`]).

mod categories;
mod hash;
mod listing;
mod mood;
mod pricing;
mod search;
mod titles;

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, TimeZone, Utc};
use deals_core::{Availability, Condition};
use serde::{Deserialize, Serialize};

use super::catalog::{CatalogProduct, catalog};
use crate::STORES;

pub use pricing::STEP_SECS;

/// How the simulated world is generated and how fast its clock runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Everything (listings, ids, prices, events, moods) derives from this.
    pub seed: u64,
    /// How fast time moves for prices: 1.0 re-prices each offer every [`STEP_SECS`] seconds
    /// on its own phase; 60.0 makes an hour of price movement happen in a minute.
    pub speed: f64,
    /// Time zero of the simulated clock: `at` is measured from here (earlier times work too).
    pub epoch: DateTime<Utc>,
    /// Whether stores have their scheduled slow / 429 / 503 windows ([`SimWorld::mood`]).
    pub chaos: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            speed: 1.0,
            epoch: Utc
                .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            chaos: true,
        }
    }
}

/// One listing of a catalogue product at one store, as that store shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOffer {
    /// One of [`crate::STORES`].
    pub store: &'static str,
    /// The store's own id: amazon ASIN `B0XXXXXXXX`, walmart 9–10 digits, bestbuy 7-digit SKU,
    /// target 8-digit TCIN, ebay `v1|<12 digits>|0`.
    pub external_id: String,
    /// [`CatalogProduct::id`] of what is sold.
    pub product: u32,
    /// The title in the store's own style.
    pub title: String,
    /// Brand, when the store shows one.
    pub brand: Option<String>,
    /// Model, when the store shows one.
    pub model: Option<String>,
    /// GTIN as the store shows it: a 12-digit UPC when the GTIN-13 starts with 0, else 13
    /// digits; `None` when the store does not show it.
    pub gtin: Option<String>,
    /// Manufacturer part number, when the store shows one.
    pub mpn: Option<String>,
    /// The store's category trail in its own words (`Audio > Headphones > …`).
    pub category: String,
    /// New, used, refurbished (amazon "Renewed") or open box.
    pub condition: Condition,
    /// Who sells it (`Amazon.com`, a marketplace seller, an eBay username).
    pub seller_name: String,
    /// The seller's rating out of 5; `None` when the store itself sells it.
    pub seller_rating: Option<f64>,
    /// Customer reviews of the listing (eBay: the seller's feedback count).
    pub review_count: u32,
    /// Shipping cost in cents (0 = free).
    pub shipping_cents: i64,
    /// Image path on the simulator (`/images/{store}/{id}.jpg`; eBay uses the 12-digit item id).
    pub image_url: String,
    /// Product page path on the simulator (`/dp/{asin}`, `/site/{slug}/{sku}.p`, …).
    pub url_path: String,
}

/// What makes a quote unusual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimEvent {
    /// A real sale: 15–35 % off the regular price for hours to days; `was` is the regular price.
    Sale,
    /// A pricing mistake: 60–90 % off for 10–30 minutes.
    Glitch,
    /// A fake discount: `was` is inflated 25–60 % above the regular price, which is unchanged.
    FakeDiscount,
    /// Out of stock for 2 hours to 2 days.
    StockOut,
    /// Back in stock: the 3 hours after a stock-out ends.
    BackInStock,
}

/// An offer's price and stock at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// The price asked, in cents.
    pub price_cents: i64,
    /// The struck-through "was" price the store shows, if any.
    pub was_cents: Option<i64>,
    /// Stock state.
    pub availability: Availability,
    /// The most notable event in effect (glitch, stock-out, sale, fake discount, back in stock).
    pub event: Option<SimEvent>,
}

/// A period during which an event applies to one offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpan {
    /// Which event.
    pub event: SimEvent,
    /// First instant it applies.
    pub start: DateTime<Utc>,
    /// First instant it no longer applies.
    pub end: DateTime<Utc>,
}

/// How a store answers requests at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreMood {
    /// Answers at once.
    Normal,
    /// Answers after a delay.
    Slow {
        /// Milliseconds to wait before answering.
        delay_ms: u64,
    },
    /// Answers 429 Too Many Requests.
    RateLimited {
        /// Seconds to put in `Retry-After`.
        retry_after_s: u64,
    },
    /// Answers 503 Service Unavailable.
    Unavailable,
}

/// The simulated marketplace: the catalogue, every store's offers and the rules that price
/// them. `Send + Sync`; share it in an `Arc`.
#[derive(Debug)]
pub struct SimWorld {
    config: SimConfig,
    /// Offers per store, in [`STORES`] order, each sorted by external id.
    offers: Vec<Vec<StoreOffer>>,
    /// `(store index, external id)` → index into `offers[store]`.
    by_id: HashMap<(usize, String), usize>,
    /// Forced moods per store, in [`STORES`] order.
    overrides: RwLock<[Option<StoreMood>; 5]>,
    /// Searches answered, for tests that count store calls.
    searches: std::sync::atomic::AtomicU64,
}

impl SimWorld {
    /// Generates the world for `config` (a few milliseconds; do it once).
    pub fn new(config: SimConfig) -> Self {
        let mut offers = listing::build_offers(config.seed, catalog());
        let mut by_id = HashMap::new();
        for (s, list) in offers.iter_mut().enumerate() {
            list.sort_by(|a, b| a.external_id.cmp(&b.external_id));
            for (i, offer) in list.iter().enumerate() {
                by_id.insert((s, offer.external_id.clone()), i);
            }
        }
        Self {
            config,
            offers,
            by_id,
            overrides: RwLock::new([None; 5]),
            searches: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Searches (result pages) the stores of this world answered so far.
    pub fn searches_served(&self) -> u64 {
        self.searches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The configuration the world was built from.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The whole catalogue.
    pub fn catalog(&self) -> &'static [CatalogProduct] {
        catalog()
    }

    /// The catalogue product with this id.
    pub fn product(&self, id: u32) -> Option<&'static CatalogProduct> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        catalog().get(index).filter(|p| p.id == id)
    }

    /// Every offer of `store`, sorted by external id; empty for an unknown store.
    pub fn offers(&self, store: &str) -> &[StoreOffer] {
        store_index(store)
            .and_then(|s| self.offers.get(s))
            .map_or(&[], Vec::as_slice)
    }

    /// Every offer of every store, store by store.
    pub fn all_offers(&self) -> impl Iterator<Item = &StoreOffer> {
        self.offers.iter().flatten()
    }

    /// The offer with this store id.
    pub fn offer(&self, store: &str, external_id: &str) -> Option<&StoreOffer> {
        let s = store_index(store)?;
        let i = *self.by_id.get(&(s, external_id.to_owned()))?;
        self.offers.get(s)?.get(i)
    }

    /// Every offer of one catalogue product, across stores.
    pub fn offers_of(&self, product: u32) -> Vec<&StoreOffer> {
        self.all_offers().filter(|o| o.product == product).collect()
    }
}

/// Position of `store` in [`STORES`].
fn store_index(store: &str) -> Option<usize> {
    STORES.iter().position(|s| *s == store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_is_send_and_sync_and_finds_its_offers() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SimWorld>();
        let world = SimWorld::new(SimConfig::default());
        for store in STORES {
            for offer in world.offers(store) {
                assert_eq!(world.offer(store, &offer.external_id), Some(offer));
                assert!(world.product(offer.product).is_some());
            }
        }
        assert!(world.offers("newegg").is_empty());
        assert!(world.product(0).is_none());
    }
}

#[cfg(test)]
#[path = "world/tests.rs"]
mod behaviour;
