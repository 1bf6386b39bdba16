//! The set of markets the agents use: one `Arc<dyn Market>` per store, built from
//! [`MarketsConfig`], with their health and a concurrent search over all of them.

use crate::STORES;
use crate::adapters::{BestBuy, Ebay, Oxylabs, OxylabsStore, ProductPage};
use crate::config::{
    BestBuyConfig, EbayConfig, MarketsConfig, OxylabsConfig, OxylabsStoreConfig, PageConfig, Secret,
};
use crate::market::{Market, MarketError, Offer, SearchQuery, SourceHealth};
use crate::sim::SimHandle;
use std::sync::Arc;

/// The configured markets, enabled or not (disabled ones only report health).
#[derive(Clone, Default)]
pub struct Registry {
    markets: Vec<(Arc<dyn Market>, bool)>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.markets.iter().map(|(m, on)| (m.name(), *on)))
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a market (replacing one of the same name).
    pub fn insert(&mut self, market: Arc<dyn Market>, enabled: bool) {
        self.markets.retain(|(m, _)| m.name() != market.name());
        self.markets.push((market, enabled));
    }

    /// Builds the enabled adapters of `config` (the page reader is always built, for
    /// `product(url)`, and searched never). An enabled adapter whose configuration is
    /// incomplete is an error.
    pub fn from_config(config: &MarketsConfig) -> Result<Self, MarketError> {
        let mut r = Self::new();
        if config.bestbuy.enabled {
            r.insert(Arc::new(BestBuy::new(config.bestbuy.clone())?), true);
        }
        if config.ebay.enabled {
            r.insert(Arc::new(Ebay::new(config.ebay.clone())?), true);
        }
        for store in OxylabsStore::ALL {
            if store.config(&config.oxylabs).enabled {
                r.insert(Arc::new(Oxylabs::new(store, config.oxylabs.clone())?), true);
            }
        }
        r.insert(
            Arc::new(ProductPage::new(config.page.clone())?),
            config.page.enabled,
        );
        Ok(r)
    }

    /// The five real adapters (Best Buy for `bestbuy`, eBay for `ebay`, Oxylabs for `amazon`,
    /// `walmart`, `target`) pointed at a running simulator, with dummy credentials the simulator
    /// accepts and the HTTP limits of `config`; plus the page reader, enabled, for the
    /// simulator's product pages.
    pub fn simulated(handle: &SimHandle, config: &MarketsConfig) -> Result<Self, MarketError> {
        let url = |store: &str| {
            handle
                .base_url(store)
                .ok_or_else(|| MarketError::Config(format!("simulator has no {store} listener")))
        };
        let mut r = Self::new();
        for store in STORES {
            let market: Arc<dyn Market> = match store {
                "bestbuy" => Arc::new(BestBuy::new(BestBuyConfig {
                    enabled: true,
                    base_url: url(store)?,
                    api_key: Secret::new("simulated"),
                    ..config.bestbuy.clone()
                })?),
                "ebay" => Arc::new(Ebay::new(EbayConfig {
                    enabled: true,
                    base_url: url(store)?,
                    auth_base_url: url(store)?,
                    client_id: Secret::new("simulated-id"),
                    client_secret: Secret::new("simulated-secret"),
                    ..config.ebay.clone()
                })?),
                _ => {
                    let oxy = OxylabsStore::ALL
                        .into_iter()
                        .find(|s| s.name() == store)
                        .ok_or_else(|| MarketError::Config(format!("unknown store {store}")))?;
                    let on = OxylabsStoreConfig {
                        enabled: true,
                        domain: "com".into(),
                    };
                    Arc::new(Oxylabs::new(
                        oxy,
                        OxylabsConfig {
                            base_url: url(store)?,
                            username: Secret::new("simulated"),
                            password: Secret::new("simulated"),
                            amazon: on.clone(),
                            walmart: on.clone(),
                            target: on,
                            ..config.oxylabs.clone()
                        },
                    )?)
                }
            };
            r.insert(market, true);
        }
        r.insert(
            Arc::new(ProductPage::new(PageConfig {
                enabled: true,
                ..config.page.clone()
            })?),
            true,
        );
        Ok(r)
    }

    /// The market called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Market>> {
        self.markets
            .iter()
            .find(|(m, _)| m.name() == name)
            .map(|(m, _)| Arc::clone(m))
    }

    /// Names of the enabled markets that can search (the page reader cannot).
    pub fn searchable(&self) -> Vec<String> {
        self.markets
            .iter()
            .filter(|(m, on)| *on && m.kind() != crate::SourceKind::Page)
            .map(|(m, _)| m.name().to_owned())
            .collect()
    }

    /// Health of every configured market.
    pub fn health(&self) -> Vec<SourceHealth> {
        self.markets
            .iter()
            .map(|(m, on)| SourceHealth {
                enabled: *on,
                ..m.health()
            })
            .collect()
    }

    /// Searches every enabled searchable market at once; each answers (or fails) on its own,
    /// bounded by its own timeouts and retries, in registry order.
    pub async fn search_all(
        &self,
        query: &SearchQuery,
    ) -> Vec<(String, Result<Vec<Offer>, MarketError>)> {
        let calls = self
            .markets
            .iter()
            .filter(|(m, on)| *on && m.kind() != crate::SourceKind::Page)
            .map(|(m, _)| {
                let market = Arc::clone(m);
                let query = query.clone();
                async move {
                    let name = market.name().to_owned();
                    // Spawned so that one market's work never shares a task with another's.
                    let result = tokio::spawn(async move { market.search(&query).await })
                        .await
                        .unwrap_or_else(|e| Err(MarketError::Connect(format!("task failed: {e}"))));
                    (name, result)
                }
            });
        futures::future::join_all(calls).await
    }
}
