//! One search, many goals: goals that ask a store the same (normalised) question within the
//! search-results TTL share one store call and one ingest of what it returned.
//!
//! - **Store calls**: [`SharedSearches::market`] wraps a store's adapter. A search is keyed by
//!   store and [`SearchQuery::cache_key`] (case, spacing and condition order ignored); within
//!   a process concurrent jobs asking the same thing wait for the one call in flight
//!   (single-flight), and the answer is kept for [`SEARCH_TTL`] in a bounded in-process cache.
//!   With Redis configured the answer is also stored there (under the deployment's
//!   `redis.key_prefix`), so the other API replicas and workers reuse it. Failed searches are
//!   not kept.
//! - **Ranking**: [`SharedSearches::deal_search`] runs the Deal Search agent once for goals
//!   with the same criteria over the same stores within the TTL (on the offline rules, whose
//!   answer depends on nothing else): each goal is charged, the ranked result is shared. A
//!   result in which a store failed is not kept.
//! - **Ingest**: [`SharedSearches::ingest_page`] stores an offer once per TTL and process: the
//!   same offer (every field the store reported) found by another goal's search reuses the
//!   stored listing instead of writing it again; only new or changed offers are stored, a page
//!   of them in one transaction (and re-scored when the price changed, by [`ingest_page`]).
//!
//! A goal's search then only ranks, matches and scores what the shared search found.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use deals_agents::agents::SearchOutput;
use deals_agents::{AgentError, AgentOutput, Agents, Charge, MeteredOp};
use deals_core::GoalCriteria;
use deals_markets::{Market, MarketError, Offer, SearchQuery, SourceHealth, SourceKind};
use deals_store::rows::Listing;
use moka::future::Cache as Moka;

use super::ingest::{Ingested, ingest_page};
use crate::cache::{Cache, SEARCH_TTL};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Offers kept in the in-process results cache (summed over searches).
const MAX_CACHED_OFFERS: u64 = 20_000;
/// Ingested offers remembered in-process.
const MAX_REMEMBERED_LISTINGS: u64 = 20_000;

/// Ranked deals kept in the in-process cache of agent results (summed over results).
const MAX_CACHED_DEALS: u64 = 20_000;

/// Pages of new offers whose ingest concurrent searches share (only while they overlap).
const MAX_PAGES: u64 = 256;
const PAGE_TTL: Duration = Duration::from_secs(60);

/// An ingested offer: store, the store's id, and a hash of everything the store reported.
type OfferKey = (String, String, u64);

/// The searches and ingests shared by the jobs of one process (see the module).
pub struct SharedSearches {
    results: Moka<String, Arc<Vec<Offer>>>,
    ranked: Moka<u64, Arc<AgentOutput<SearchOutput>>>,
    ingested: Moka<OfferKey, Arc<Listing>>,
    pages: Moka<u64, Arc<Vec<Arc<Listing>>>>,
    remote: Option<Arc<dyn Cache>>,
    ttl: Duration,
    store_calls: AtomicU64,
    rankings: AtomicU64,
    ingests: AtomicU64,
}

impl std::fmt::Debug for SharedSearches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSearches")
            .field("ttl", &self.ttl)
            .field("remote", &self.remote.as_ref().map(|c| c.kind()))
            .finish_non_exhaustive()
    }
}

impl Default for SharedSearches {
    fn default() -> Self {
        Self::new(None, SEARCH_TTL)
    }
}

impl SharedSearches {
    /// Shared searches kept for `ttl`, also in `remote` (Redis) when given.
    pub fn new(remote: Option<Arc<dyn Cache>>, ttl: Duration) -> Self {
        Self {
            results: Moka::builder()
                .max_capacity(MAX_CACHED_OFFERS)
                .weigher(|_, v: &Arc<Vec<Offer>>| u32::try_from(v.len() + 1).unwrap_or(u32::MAX))
                .time_to_live(ttl)
                .build(),
            ranked: Moka::builder()
                .max_capacity(MAX_CACHED_DEALS)
                .weigher(|_, v: &Arc<AgentOutput<SearchOutput>>| {
                    u32::try_from(v.output.deals.len() + 1).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build(),
            ingested: Moka::builder()
                .max_capacity(MAX_REMEMBERED_LISTINGS)
                .time_to_live(ttl)
                .build(),
            pages: Moka::builder()
                .max_capacity(MAX_PAGES)
                .time_to_live(PAGE_TTL)
                .build(),
            remote,
            ttl,
            store_calls: AtomicU64::new(0),
            rankings: AtomicU64::new(0),
            ingests: AtomicU64::new(0),
        }
    }

    /// `market` with its searches shared through this cache.
    pub fn market(self: &Arc<Self>, market: Arc<dyn Market>) -> Arc<dyn Market> {
        Arc::new(SharedMarket {
            inner: market,
            shared: self.clone(),
        })
    }

    /// The Deal Search agent for a goal with `criteria` over `markets` (adapters wrapped by
    /// [`SharedSearches::market`]), charged to `charge`. On the offline rules the ranked result
    /// is shared by the goals with the same criteria and stores within the TTL (concurrent
    /// ones wait for the one run); with an LLM every goal runs its own.
    pub async fn deal_search(
        &self,
        agents: &Agents,
        charge: Charge,
        criteria: &GoalCriteria,
        markets: &[Arc<dyn Market>],
    ) -> std::result::Result<AgentOutput<SearchOutput>, AgentError> {
        if !agents.chain().is_rules_only() {
            return agents.search_deals(charge, criteria, markets).await;
        }
        agents.charge(charge, MeteredOp::DealSearch).await?;
        let key = ranking_key(criteria, markets);
        let ranked = self
            .ranked
            .try_get_with(key, async {
                self.rankings.fetch_add(1, Ordering::Relaxed);
                let out = agents.search_uncharged(criteria, markets).await;
                // A store failed: the next goal asks again rather than sharing a partial answer.
                if out.output.tool_errors.is_empty() {
                    Ok(Arc::new(out))
                } else {
                    Err(out)
                }
            })
            .await;
        Ok(match ranked {
            Ok(shared) => AgentOutput::clone(&shared),
            Err(partial) => AgentOutput::clone(&partial),
        })
    }

    /// Searches this process sent to a store (the others were answered from a shared one).
    pub fn store_calls(&self) -> u64 {
        self.store_calls.load(Ordering::Relaxed)
    }

    /// Deal Search runs [`SharedSearches::deal_search`] did (the other goals shared one).
    pub fn rankings(&self) -> u64 {
        self.rankings.load(Ordering::Relaxed)
    }

    /// Offers this process wrote to the catalogue through [`SharedSearches::ingest_page`].
    pub fn ingests(&self) -> u64 {
        self.ingests.load(Ordering::Relaxed)
    }

    /// Stores a page of offers like [`ingest_page`], except the offers stored within the TTL
    /// exactly as they are now: for those the listing stored then is returned (`created:
    /// false`). Concurrent calls for the same new offers wait for the one ingest in flight;
    /// only that one reports which listings it `created`. In the order given.
    pub async fn ingest_page(&self, state: &AppState, offers: &[&Offer]) -> Result<Vec<Ingested>> {
        let keys: Vec<OfferKey> = offers
            .iter()
            .map(|o| (o.market.clone(), o.external_id.clone(), fingerprint(o)))
            .collect();
        let mut known: Vec<Option<Arc<Listing>>> = Vec::with_capacity(keys.len());
        for key in &keys {
            known.push(self.ingested.get(key).await);
        }
        let missing: Vec<&Offer> = offers
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.is_none())
            .map(|(o, _)| *o)
            .collect();
        let mut fresh: Vec<(Arc<Listing>, bool)> = Vec::new();
        if !missing.is_empty() {
            let page_key = {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                for (k, _) in keys.iter().zip(&known).filter(|(_, k)| k.is_none()) {
                    k.hash(&mut h);
                }
                h.finish()
            };
            let mut created = Vec::new();
            let entry = self
                .pages
                .entry(page_key)
                .or_try_insert_with(async {
                    let stored = ingest_page(state, &missing).await?;
                    self.ingests
                        .fetch_add(stored.len() as u64, Ordering::Relaxed);
                    created = stored.iter().map(|i| i.created).collect();
                    Ok::<_, Error>(Arc::new(
                        stored.into_iter().map(|i| Arc::new(i.listing)).collect(),
                    ))
                })
                .await
                .map_err(|e: Arc<Error>| Error::Internal(anyhow::anyhow!("{e}")))?;
            let first = entry.is_fresh();
            for (i, listing) in entry.value().iter().enumerate() {
                let made = first && created.get(i).copied().unwrap_or(false);
                fresh.push((listing.clone(), made));
            }
        }
        let mut fresh = fresh.into_iter();
        let mut out = Vec::with_capacity(keys.len());
        for (key, k) in keys.into_iter().zip(known) {
            let (listing, created) = match k {
                Some(listing) => (listing, false),
                None => {
                    let Some((listing, created)) = fresh.next() else {
                        break;
                    };
                    self.ingested.insert(key, listing.clone()).await;
                    (listing, created)
                }
            };
            out.push(Ingested {
                listing: Listing::clone(&listing),
                created,
            });
        }
        Ok(out)
    }

    async fn search(
        &self,
        inner: &Arc<dyn Market>,
        query: &SearchQuery,
    ) -> std::result::Result<Vec<Offer>, MarketError> {
        let key = format!("market-search:{}:{}", inner.name(), query.cache_key());
        let found = self
            .results
            .try_get_with_by_ref(&key, async {
                if let Some(remote) = &self.remote
                    && let Some(bytes) = remote.get(&key).await
                    && let Ok(offers) = serde_json::from_slice::<Vec<Offer>>(&bytes)
                {
                    return Ok(Arc::new(offers));
                }
                self.store_calls.fetch_add(1, Ordering::Relaxed);
                let offers = inner.search(query).await?;
                if let Some(remote) = &self.remote
                    && let Ok(bytes) = serde_json::to_vec(&offers)
                {
                    remote.set(&key, Bytes::from(bytes), self.ttl).await;
                }
                Ok(Arc::new(offers))
            })
            .await
            .map_err(|e: Arc<MarketError>| MarketError::clone(&e))?;
        Ok(Vec::clone(&found))
    }
}

/// What a rules-only Deal Search depends on: the criteria and the stores searched.
fn ranking_key(criteria: &GoalCriteria, markets: &[Arc<dyn Market>]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_vec(criteria)
        .unwrap_or_default()
        .hash(&mut h);
    for m in markets {
        m.name().hash(&mut h);
    }
    h.finish()
}

/// A hash of everything a store reported about an offer: equal offers are stored once.
fn fingerprint(offer: &Offer) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_vec(offer).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// A store's adapter whose searches go through [`SharedSearches`].
struct SharedMarket {
    inner: Arc<dyn Market>,
    shared: Arc<SharedSearches>,
}

#[async_trait]
impl Market for SharedMarket {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn kind(&self) -> SourceKind {
        self.inner.kind()
    }

    async fn search(&self, query: &SearchQuery) -> std::result::Result<Vec<Offer>, MarketError> {
        self.shared.search(&self.inner, query).await
    }

    async fn product(&self, external_id: &str) -> std::result::Result<Offer, MarketError> {
        self.inner.product(external_id).await
    }

    fn health(&self) -> SourceHealth {
        self.inner.health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deals_core::{Availability, Condition};
    use std::sync::atomic::AtomicUsize;

    struct Counting {
        calls: AtomicUsize,
    }

    fn offer(id: &str) -> Offer {
        Offer {
            market: "walmart".into(),
            source: SourceKind::Oxylabs,
            external_id: id.into(),
            url: format!("https://example.invalid/{id}"),
            title: "Sony headphones".into(),
            brand: None,
            model: None,
            gtin: None,
            mpn: None,
            category: None,
            price_minor: 10_000,
            original_price_minor: None,
            currency: "USD".into(),
            condition: Condition::New,
            seller_name: None,
            seller_rating: None,
            seller_review_count: None,
            availability: Availability::InStock,
            shipping_minor: None,
            image_url: None,
            flags: vec![],
        }
    }

    #[async_trait]
    impl Market for Counting {
        fn name(&self) -> &str {
            "walmart"
        }
        fn kind(&self) -> SourceKind {
            SourceKind::Oxylabs
        }
        async fn search(&self, q: &SearchQuery) -> std::result::Result<Vec<Offer>, MarketError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            if q.text == "fail" {
                return Err(MarketError::Timeout);
            }
            Ok(vec![offer("1")])
        }
        async fn product(&self, _: &str) -> std::result::Result<Offer, MarketError> {
            Ok(offer("1"))
        }
        fn health(&self) -> SourceHealth {
            SourceHealth {
                name: "walmart".into(),
                kind: SourceKind::Oxylabs,
                enabled: true,
                status: deals_markets::SourceStatus::Ok,
                last_success: None,
                last_error: None,
            }
        }
    }

    #[tokio::test]
    async fn concurrent_and_later_equal_searches_share_one_store_call() {
        let inner = Arc::new(Counting {
            calls: AtomicUsize::new(0),
        });
        let shared = Arc::new(SharedSearches::default());
        let market = shared.market(inner.clone());
        let a = SearchQuery::new("Sony  Headphones");
        let b = SearchQuery::new("sony headphones");
        let (x, y) = tokio::join!(market.search(&a), market.search(&b));
        assert_eq!(x.unwrap(), y.unwrap());
        market.search(&a).await.unwrap();
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        assert_eq!(shared.store_calls(), 1);
        // Another question is another call; a failure is not kept.
        market.search(&SearchQuery::new("bose")).await.unwrap();
        assert!(market.search(&SearchQuery::new("fail")).await.is_err());
        assert!(market.search(&SearchQuery::new("fail")).await.is_err());
        assert_eq!(inner.calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn answers_are_shared_through_the_remote_cache() {
        let remote: Arc<dyn Cache> = Arc::new(crate::cache::MemoryCache::new(1 << 20));
        let inner = Arc::new(Counting {
            calls: AtomicUsize::new(0),
        });
        // Two processes: each its own in-process cache, one Redis between them.
        let one = Arc::new(SharedSearches::new(Some(remote.clone()), SEARCH_TTL));
        let two = Arc::new(SharedSearches::new(Some(remote), SEARCH_TTL));
        let q = SearchQuery::new("sony headphones");
        let first = one.market(inner.clone()).search(&q).await.unwrap();
        let second = two.market(inner.clone()).search(&q).await.unwrap();
        assert_eq!(first, second);
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        assert_eq!(two.store_calls(), 0);
    }

    #[tokio::test]
    async fn goals_with_the_same_criteria_share_one_ranking_and_failures_are_not_kept() {
        let agents = Agents::offline();
        let shared = Arc::new(SharedSearches::default());
        let market = shared.market(Arc::new(Counting {
            calls: AtomicUsize::new(0),
        }));
        let markets = [market];
        let criteria = |keywords: &[&str]| GoalCriteria {
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            ..GoalCriteria::default()
        };
        let sony = criteria(&["sony", "headphones"]);
        let charge = || Charge::new(deals_agents::Payer::System);
        let (a, b) = tokio::join!(
            shared.deal_search(&agents, charge(), &sony, &markets),
            shared.deal_search(&agents, charge(), &sony, &markets)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.output, b.output);
        assert_eq!(a.output.deals.len(), 1, "{:?}", a.output);
        shared
            .deal_search(&agents, charge(), &sony, &markets)
            .await
            .unwrap();
        assert_eq!(shared.rankings(), 1);
        // Other criteria are another run; a run in which a store failed is run again.
        let fail = criteria(&["fail"]);
        for _ in 0..2 {
            let out = shared
                .deal_search(&agents, charge(), &fail, &markets)
                .await
                .unwrap();
            assert!(!out.output.tool_errors.is_empty());
        }
        assert_eq!(shared.rankings(), 3);
    }

    #[test]
    fn a_changed_offer_has_another_fingerprint() {
        let a = offer("1");
        let mut b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.price_minor += 1;
        assert_ne!(fingerprint(&a), fingerprint(&b));
        b = a.clone();
        b.availability = Availability::OutOfStock;
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
