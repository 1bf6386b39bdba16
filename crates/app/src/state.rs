//! Shared application state handed to every handler: the store and the backends chosen from
//! configuration at start-up.

use std::sync::Arc;

use deals_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use deals_agents::Agents;
use deals_markets::Registry;
use deals_markets::sim::SimHandle;

use crate::auth::JwtKeys;
use crate::cache::Cache;
use crate::config::Settings;
use crate::jobs::Jobs;
use crate::live::EventBus;
use crate::notify::channels::Channels;
use crate::ratelimit::RateLimiter;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The effective settings.
    pub settings: Arc<Settings>,
    /// Token keys.
    pub jwt: Arc<JwtKeys>,
    /// Response cache (moka or Redis).
    pub cache: Arc<dyn Cache>,
    /// Rate limiter (governor or Redis).
    pub limiter: Arc<dyn RateLimiter>,
    /// Redis connection when configured, for readiness checks.
    pub redis: Option<crate::redisconn::RedisConn>,
    /// The breaker every Redis call of the cache and the limiter goes through (open: Redis is
    /// being skipped), when Redis is configured.
    pub redis_breaker: Option<crate::breaker::Breaker>,
    /// The supervised background loops of this process, for `/ready`.
    pub loops: Arc<crate::supervisor::Loops>,
    /// Prometheus exporter.
    pub metrics: PrometheusHandle,
    /// Background jobs (producer side).
    pub jobs: Jobs,
    /// Live events, fanned out to every process.
    pub events: Arc<EventBus>,
    /// External notification channels (one shared HTTP client).
    pub channels: Arc<Channels>,
    /// Marketplace sources.
    pub markets: Arc<Registry>,
    /// The four agents on the configured LLM chain.
    pub agents: Arc<Agents>,
    /// Active goals as an inverted index, for matching new listings to every goal.
    pub goal_index: Arc<crate::goals::index::SharedGoalIndex>,
    /// Store searches and ingests shared by the goals that ask the same thing.
    pub searches: Arc<crate::deals::shared::SharedSearches>,
    /// The in-process simulated marketplace, when it runs here.
    pub sim: Option<Arc<SimHandle>>,
}
