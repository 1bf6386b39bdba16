//! Configuration of the market adapters: one section per source (`bestbuy`, `ebay`, `oxylabs`
//! with its `amazon`/`walmart`/`target` stores, `page`), each with its base URL, credentials and
//! the limits of the shared HTTP layer ([`HttpSettings`]).
//!
//! Every struct rejects unknown keys and has defaults, so an empty file is valid; secrets are
//! [`Secret`] values that print as `***` in `Debug`.

use serde::Deserialize;
use std::time::Duration;

pub use deals_core::secret::Secret;

/// Limits and resilience settings of one source's HTTP traffic.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Per-request timeout (connect + response), in milliseconds.
    pub timeout_ms: u64,
    /// Retries after the first attempt on 429, 5xx, connection errors and timeouts.
    pub max_retries: u32,
    /// First backoff delay; doubled each retry, with jitter.
    pub backoff_base_ms: u64,
    /// Longest backoff delay, and the cap on an honoured `Retry-After`.
    pub backoff_max_ms: u64,
    /// Sustained request rate allowed to this source.
    pub requests_per_second: f64,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
    /// Consecutive failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker refuses calls before letting one probe through.
    pub breaker_cooldown_ms: u64,
    /// How long search results are cached, in seconds (0 disables the cache).
    pub cache_ttl_s: u64,
    /// Most cached searches kept.
    pub cache_capacity: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            max_retries: 3,
            backoff_base_ms: 250,
            backoff_max_ms: 10_000,
            requests_per_second: 5.0,
            burst: 5,
            breaker_threshold: 5,
            breaker_cooldown_ms: 30_000,
            cache_ttl_s: 600,
            cache_capacity: 1_000,
        }
    }
}

impl HttpSettings {
    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Best Buy Products API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BestBuyConfig {
    /// Whether the source is used.
    pub enabled: bool,
    /// API root, e.g. `https://api.bestbuy.com`.
    pub base_url: String,
    /// The `apiKey` query parameter.
    pub api_key: Secret,
    /// Products per page requested (the API allows up to 100).
    pub page_size: u32,
    /// HTTP limits.
    pub http: HttpSettings,
}

impl Default for BestBuyConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: "https://api.bestbuy.com".into(),
            api_key: Secret::default(),
            page_size: 50,
            http: HttpSettings::default(),
        }
    }
}

/// eBay Browse API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EbayConfig {
    /// Whether the source is used.
    pub enabled: bool,
    /// Browse API root, e.g. `https://api.ebay.com`.
    pub base_url: String,
    /// OAuth root serving `/identity/v1/oauth2/token`.
    pub auth_base_url: String,
    /// OAuth client id (App ID).
    pub client_id: Secret,
    /// OAuth client secret (Cert ID).
    pub client_secret: Secret,
    /// `X-EBAY-C-MARKETPLACE-ID`.
    pub marketplace_id: String,
    /// Currency of the price filter.
    pub currency: String,
    /// Items per page requested (the API allows up to 200).
    pub page_size: u32,
    /// Seconds before a token's expiry at which it is refreshed.
    pub token_refresh_margin_s: u64,
    /// HTTP limits.
    pub http: HttpSettings,
}

impl Default for EbayConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: "https://api.ebay.com".into(),
            auth_base_url: "https://api.ebay.com".into(),
            client_id: Secret::default(),
            client_secret: Secret::default(),
            marketplace_id: "EBAY_US".into(),
            currency: "USD".into(),
            page_size: 50,
            token_refresh_margin_s: 60,
            http: HttpSettings::default(),
        }
    }
}

/// One store read through Oxylabs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OxylabsStoreConfig {
    /// Whether the store is used.
    pub enabled: bool,
    /// Oxylabs `domain` parameter (`com`).
    pub domain: String,
}

impl Default for OxylabsStoreConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            domain: "com".into(),
        }
    }
}

/// Oxylabs Realtime API, shared by the stores it reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OxylabsConfig {
    /// API root, e.g. `https://realtime.oxylabs.io`.
    pub base_url: String,
    /// API user name (Basic auth).
    pub username: Secret,
    /// API password (Basic auth).
    pub password: Secret,
    /// Amazon through `amazon_search` / `amazon_product`.
    pub amazon: OxylabsStoreConfig,
    /// Walmart through `walmart_search` / `walmart_product`.
    pub walmart: OxylabsStoreConfig,
    /// Target through `target_search` / `target_product`.
    pub target: OxylabsStoreConfig,
    /// HTTP limits (each store gets its own limiter, breaker and cache with these settings).
    pub http: HttpSettings,
}

impl Default for OxylabsConfig {
    fn default() -> Self {
        Self {
            base_url: "https://realtime.oxylabs.io".into(),
            username: Secret::default(),
            password: Secret::default(),
            amazon: OxylabsStoreConfig::default(),
            walmart: OxylabsStoreConfig::default(),
            target: OxylabsStoreConfig::default(),
            http: HttpSettings {
                timeout_ms: 60_000,
                ..HttpSettings::default()
            },
        }
    }
}

/// The generic product-page reader.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PageConfig {
    /// Whether the source is used.
    pub enabled: bool,
    /// `User-Agent` sent with page requests.
    pub user_agent: String,
    /// Largest page read, in bytes.
    pub max_bytes: usize,
    /// HTTP limits.
    pub http: HttpSettings,
}

impl Default for PageConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            user_agent: "agentic-deals/0.1 (+self-hosted price tracker)".into(),
            max_bytes: 4 * 1024 * 1024,
            http: HttpSettings::default(),
        }
    }
}

/// All market sources.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketsConfig {
    /// Best Buy Products API.
    pub bestbuy: BestBuyConfig,
    /// eBay Browse API.
    pub ebay: EbayConfig,
    /// Oxylabs for Amazon, Walmart and Target.
    pub oxylabs: OxylabsConfig,
    /// Product pages read through their structured data.
    pub page: PageConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print_and_unknown_keys_are_refused() {
        let cfg: MarketsConfig = serde_json::from_value(serde_json::json!({
            "ebay": { "enabled": true, "client_id": "id-123", "client_secret": "s3cr3t" },
            "oxylabs": { "password": "hunter2", "amazon": { "enabled": true } }
        }))
        .unwrap();
        let printed = format!("{cfg:?}");
        assert!(!printed.contains("s3cr3t") && !printed.contains("hunter2"));
        assert!(!printed.contains("id-123"));
        assert_eq!(cfg.ebay.client_secret.expose(), "s3cr3t");
        assert!(cfg.oxylabs.amazon.enabled && !cfg.oxylabs.walmart.enabled);
        assert_eq!(cfg.bestbuy.http.cache_ttl_s, 600);
        let bad = serde_json::from_value::<MarketsConfig>(serde_json::json!({
            "bestbuy": { "apikey": "x" }
        }));
        assert!(bad.is_err());
    }
}
