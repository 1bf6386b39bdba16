//! Configuration: embedded defaults < optional TOML file (`--config`) < `DEALS_*` environment
//! variables (nested keys joined with `__`, e.g. `DEALS_DATABASE__URL`).
//!
//! The loaded [`Settings`] value is passed down explicitly; nothing reads a global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The development JWT secret built into the binary; refused when `env = "production"`.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-secret-change-me-0123456789";

pub use deals_core::secret::Secret;

/// Deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer machine: the built-in secret is allowed.
    Development,
    /// A real deployment: secrets must be set.
    Production,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// All settings of the binary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `development` or `production`.
    pub env: Environment,
    /// Directory for the SQLite files and logs.
    pub data_dir: PathBuf,
    /// HTTP server.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Redis (rate limits and cache across replicas); unset means in-process.
    pub redis: RedisSettings,
    /// Tokens.
    pub auth: AuthSettings,
    /// Request limits.
    pub rate_limit: RateLimitSettings,
    /// Logging.
    pub log: LogSettings,
    /// Demo data.
    pub seed: SeedSettings,
    /// Background jobs and the scheduler.
    pub jobs: JobsSettings,
    /// The built-in simulated marketplace.
    pub sim: SimSettings,
    /// DEAL tokens: signup bonus, prices, holds.
    #[serde(default)]
    pub tokens: crate::tokens::config::TokensSettings,
    /// When alerts fire and where external channels may send them.
    pub alerts: AlertSettings,
    /// Outgoing e-mail (the `email` channel).
    pub email: EmailSettings,
    /// Real marketplace adapters (credentials, limits). Not printed by `deals config`.
    #[serde(default, skip_serializing)]
    pub markets: deals_markets::MarketsConfig,
    /// LLM providers in fallback order (keys). Not printed by `deals config`.
    #[serde(default, skip_serializing)]
    pub llm: deals_agents::LlmConfig,
}

/// The simulated five-store marketplace.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// Start it inside `deals serve` and search it (real adapters with credentials replace
    /// their store).
    pub enabled: bool,
    /// Seed of its catalogue and prices.
    pub seed: u64,
    /// How fast its prices move (1.0: a few listings change every minute).
    pub speed: f64,
    /// Scheduled slow/429/503 windows of its stores.
    pub chaos: bool,
}

/// Alert rules and external channels.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// A listing a goal already told its owner about alerts again only after its price dropped
    /// by at least this percentage (also how far above a tracker's target the price must rise
    /// before the "below target" alert re-arms).
    pub min_drop_pct: f64,
    /// Seconds a tracker stays quiet about "back in stock" after telling it (flapping stock).
    pub stock_cooldown_secs: u64,
    /// Hosts that webhook and ntfy deliveries may reach although they resolve to loopback or
    /// private addresses (everything else in those ranges is refused).
    pub allow_private_hosts: Vec<String>,
    /// Token of the Telegram bot that sends alerts; empty: no Telegram.
    pub telegram_bot_token: Secret,
    /// Base URL of the Telegram Bot API.
    pub telegram_api_url: String,
}

/// Outgoing e-mail over SMTP.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`
    /// (implicit TLS) or `smtp://host:25` (plain, for a local relay); empty: no e-mail.
    pub smtp_url: Secret,
    /// Sender address, e.g. `Deals <alerts@example.com>`.
    pub from: String,
    /// Public base URL of this service, for the links in e-mails (deal pages, unsubscribe).
    pub base_url: String,
}

/// Background jobs, workers and the scheduler.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {
    /// How often an idle worker looks for due jobs when no wake-up came, in milliseconds (a
    /// safety net: enqueues wake workers at once, and delayed jobs start at their due time).
    pub poll_interval_ms: u64,
    /// Jobs one worker process runs at once.
    pub concurrency: usize,
    /// Further slots per worker process kept for interactive jobs (a user's new goal or
    /// "search now" while that user has nothing else waiting), so that others' bursts cannot
    /// hold them back.
    pub reserved_slots: usize,
    /// Seconds a worker holds a job before another may take it over (renewed while it runs).
    pub lease_secs: u64,
    /// Seconds a running job may take before it is abandoned as failed.
    pub job_timeout_secs: u64,
    /// Seconds given to running jobs to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// How often the scheduler looks for periodic work to enqueue, in seconds.
    pub sweep_interval_secs: u64,
    /// Seconds between searches of an active goal, by priority: critical, high, medium, low.
    pub search_interval_secs: [u64; 4],
    /// Seconds between price checks of tracked listings.
    pub price_check_interval_secs: u64,
    /// Days finished jobs and read notifications are kept.
    pub retention_days: u64,
}

/// HTTP server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Seconds before a request is answered with 408.
    pub request_timeout_secs: u64,
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
    /// Origins allowed by CORS; `*` allows any; empty allows none (same-origin only).
    pub cors_allowed_origins: Vec<String>,
    /// Trust `X-Real-IP` / `X-Forwarded-For` for the client address (only behind a proxy).
    pub trust_forwarded_for: bool,
    /// Seconds an API process keeps serving its open connections after SIGTERM (new ones are
    /// refused at once; `/ready` answers 503 and every response closes its connection), so a
    /// load balancer moves away without a failed request (0: plain graceful shutdown).
    #[serde(default)]
    pub drain_secs: u64,
}

/// Database settings (pool defaults from the original deployment).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/deals.db`.
    pub url: Secret,
    /// Steady pool size.
    pub pool_size: u32,
    /// Extra connections under load.
    pub max_overflow: u32,
    /// Seconds to wait for a connection.
    pub pool_timeout_secs: u64,
    /// Seconds before a connection is replaced.
    pub pool_recycle_secs: u64,
    /// Run migrations at start-up.
    pub migrate_on_start: bool,
    /// `postgres://…` of a read replica for public reads (search, deal pages, price history);
    /// empty means every read goes to `url`. PostgreSQL only.
    #[serde(default = "empty_secret")]
    pub replica_url: Secret,
}

fn empty_secret() -> Secret {
    Secret::new("")
}

/// A list given as a TOML array or as one comma-separated string (environment variables).
fn list_or_csv<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        One(String),
    }
    let items = match Raw::deserialize(d)? {
        Raw::List(v) => v,
        Raw::One(s) => s.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Redis settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://host:6379/0`; empty means no Redis (in-process backends).
    pub url: Secret,
    /// Prefix of every key this deployment writes.
    pub key_prefix: String,
    /// Seed nodes of a Redis Cluster (`redis://host:port`, a list or one comma-separated
    /// string); when set it replaces `url` for cache, rate limits and live events.
    #[serde(default, deserialize_with = "list_or_csv")]
    pub cluster_urls: Vec<String>,
}

/// Token settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 signing secret (at least 32 bytes).
    pub jwt_secret: Secret,
    /// Access token lifetime in seconds.
    pub access_ttl_secs: u64,
    /// Refresh token lifetime in seconds.
    pub refresh_ttl_secs: u64,
}

/// Rate limits, per minute.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Turn limiting off entirely.
    pub enabled: bool,
    /// Requests per minute per client address without a token.
    pub anonymous_per_minute: u32,
    /// Requests per minute per signed-in user.
    pub user_per_minute: u32,
    /// Attempts per minute per client address on register, login and refresh.
    pub auth_per_minute: u32,
}

/// Logging settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// `tracing` filter directive, e.g. `info,deals_app=debug`.
    pub level: String,
    /// Also write to rotating files under `<data_dir>/logs`.
    pub file: bool,
    /// Size of one log file before rotation, in bytes.
    pub file_max_bytes: usize,
    /// Rotated files kept.
    pub file_max_files: usize,
}

/// Demo data settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSettings {
    /// Load demo data into an empty database at start-up.
    pub demo_on_empty: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            data_dir: PathBuf::from("./data"),
            server: ServerSettings {
                listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
                request_timeout_secs: 30,
                body_limit_bytes: 1024 * 1024,
                cors_allowed_origins: vec![],
                trust_forwarded_for: false,
                drain_secs: 0,
            },
            database: DatabaseSettings {
                url: Secret::new(""),
                pool_size: 20,
                max_overflow: 10,
                pool_timeout_secs: 3,
                pool_recycle_secs: 1800,
                migrate_on_start: true,
                replica_url: Secret::new(""),
            },
            redis: RedisSettings {
                url: Secret::new(""),
                key_prefix: "deals:".into(),
                cluster_urls: vec![],
            },
            auth: AuthSettings {
                jwt_secret: Secret::new(DEV_JWT_SECRET),
                access_ttl_secs: 30 * 60,
                refresh_ttl_secs: 7 * 24 * 3600,
            },
            rate_limit: RateLimitSettings {
                enabled: true,
                anonymous_per_minute: 120,
                user_per_minute: 600,
                auth_per_minute: 20,
            },
            log: LogSettings {
                format: LogFormat::Pretty,
                level: "info".into(),
                file: false,
                file_max_bytes: 10 * 1024 * 1024,
                file_max_files: 5,
            },
            seed: SeedSettings {
                demo_on_empty: true,
            },
            sim: SimSettings {
                enabled: true,
                seed: 42,
                speed: 1.0,
                chaos: true,
            },
            tokens: crate::tokens::config::TokensSettings::default(),
            alerts: AlertSettings {
                min_drop_pct: 5.0,
                stock_cooldown_secs: 6 * 3600,
                allow_private_hosts: vec![],
                telegram_bot_token: Secret::new(""),
                telegram_api_url: "https://api.telegram.org".into(),
            },
            email: EmailSettings {
                smtp_url: Secret::new(""),
                from: "Agentic Deals <alerts@agentic-deals.local>".into(),
                base_url: "http://127.0.0.1:8000".into(),
            },
            markets: deals_markets::MarketsConfig::default(),
            llm: deals_agents::LlmConfig::default(),
            jobs: JobsSettings {
                poll_interval_ms: 1000,
                concurrency: 4,
                reserved_slots: 2,
                lease_secs: 60,
                job_timeout_secs: 300,
                shutdown_grace_secs: 20,
                sweep_interval_secs: 5,
                search_interval_secs: [900, 3600, 6 * 3600, 24 * 3600],
                price_check_interval_secs: 60,
                retention_days: 30,
            },
        }
    }
}

/// Why the configuration cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_figment(Self::figment(file))
    }

    /// The layered sources, before extraction.
    pub fn figment(file: Option<&Path>) -> Figment {
        // `Serialized` of a `Secret` writes "[redacted]", so the secrets' defaults are restored
        // right after the defaults, before the file and the environment.
        let defaults = Settings::default();
        let mut fig = Figment::from(Serialized::defaults(&defaults))
            .merge(Serialized::default(
                "auth.jwt_secret",
                defaults.auth.jwt_secret.expose(),
            ))
            .merge(Serialized::default("database.url", ""))
            .merge(Serialized::default("redis.url", ""))
            .merge(Serialized::default("database.replica_url", ""))
            .merge(Serialized::default("email.smtp_url", ""))
            .merge(Serialized::default("alerts.telegram_bot_token", ""));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig.merge(Env::prefixed("DEALS_").split("__").ignore(&[
            "test_database_url",
            "test_redis_url",
            "test_redis_cluster_urls",
            "test_backend",
            "test_er_data",
        ]))
    }

    /// Extracts and checks settings from `fig`.
    pub fn from_figment(fig: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = fig.extract().map_err(|e| {
            let Some(e) = e.into_iter().next() else {
                return ConfigError("unreadable configuration".into());
            };
            let key = e.path.join(".").to_lowercase();
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            let env = format!("DEALS_{}", key.replace('.', "__").to_uppercase());
            let line = if key.is_empty() {
                format!("{} [from {source}]", e.kind)
            } else {
                format!("key {key} (env {env}): {} [from {source}]", e.kind)
            };
            ConfigError(line.replace('\n', " "))
        })?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks rules that types alone cannot express.
    pub fn check(&self) -> Result<(), ConfigError> {
        let secret = self.auth.jwt_secret.expose();
        if self.env == Environment::Production && secret == DEV_JWT_SECRET {
            return Err(ConfigError(
                "auth.jwt_secret (DEALS_AUTH__JWT_SECRET) must be set when env is production; the built-in development secret is refused".into(),
            ));
        }
        if secret.len() < 32 {
            return Err(ConfigError(
                "auth.jwt_secret (DEALS_AUTH__JWT_SECRET) must be at least 32 bytes".into(),
            ));
        }
        let url = self.database.url.expose();
        if !(url.is_empty()
            || url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "database.url (DEALS_DATABASE__URL) must start with sqlite: or postgres://".into(),
            ));
        }
        let redis = self.redis.url.expose();
        if !(redis.is_empty() || redis.starts_with("redis://") || redis.starts_with("rediss://")) {
            return Err(ConfigError(
                "redis.url (DEALS_REDIS__URL) must start with redis:// or rediss://".into(),
            ));
        }
        let replica = self.database.replica_url.expose();
        if !replica.is_empty() {
            if !(replica.starts_with("postgres://") || replica.starts_with("postgresql://")) {
                return Err(ConfigError(
                    "database.replica_url (DEALS_DATABASE__REPLICA_URL) must start with postgres://".into(),
                ));
            }
            if self.database_url().starts_with("sqlite:") {
                return Err(ConfigError(
                    "database.replica_url (DEALS_DATABASE__REPLICA_URL) needs a PostgreSQL database.url; SQLite has no read replicas".into(),
                ));
            }
        }
        if let Some(bad) = self
            .redis
            .cluster_urls
            .iter()
            .find(|u| !(u.starts_with("redis://") || u.starts_with("rediss://")))
        {
            return Err(ConfigError(format!(
                "redis.cluster_urls (DEALS_REDIS__CLUSTER_URLS) entries must start with redis:// or rediss://; got {bad:?}"
            )));
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError("database.pool_size must be at least 1".into()));
        }
        if self.jobs.concurrency == 0 || self.jobs.lease_secs < 2 || self.jobs.poll_interval_ms == 0
        {
            return Err(ConfigError(
                "jobs.concurrency and jobs.poll_interval_ms must be at least 1, jobs.lease_secs at least 2".into(),
            ));
        }
        if self.rate_limit.enabled
            && [
                self.rate_limit.anonymous_per_minute,
                self.rate_limit.user_per_minute,
                self.rate_limit.auth_per_minute,
            ]
            .contains(&0)
        {
            return Err(ConfigError(
                "rate_limit.*_per_minute must be at least 1 while rate_limit.enabled is true"
                    .into(),
            ));
        }
        if self.auth.access_ttl_secs == 0 || self.auth.refresh_ttl_secs <= self.auth.access_ttl_secs
        {
            return Err(ConfigError(
                "auth.refresh_ttl_secs must exceed auth.access_ttl_secs, which must be positive"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The market adapters in effect: an adapter whose credentials are set is enabled (it then
    /// replaces the simulated store of the same name).
    pub fn effective_markets(&self) -> deals_markets::MarketsConfig {
        let mut m = self.markets.clone();
        let set = |s: &deals_markets::config::Secret| !s.expose().trim().is_empty();
        m.bestbuy.enabled |= set(&m.bestbuy.api_key);
        m.ebay.enabled |= set(&m.ebay.client_id) && set(&m.ebay.client_secret);
        if set(&m.oxylabs.username) && set(&m.oxylabs.password) {
            m.oxylabs.amazon.enabled = true;
            m.oxylabs.walmart.enabled = true;
            m.oxylabs.target.enabled = true;
        }
        m
    }

    /// Whether a real adapter is enabled for `store` (it then replaces the simulated one).
    pub fn markets_real(&self, store: &str) -> bool {
        let m = &self.effective_markets();
        match store {
            "bestbuy" => m.bestbuy.enabled,
            "ebay" => m.ebay.enabled,
            "amazon" => m.oxylabs.amazon.enabled,
            "walmart" => m.oxylabs.walmart.enabled,
            "target" => m.oxylabs.target.enabled,
            _ => false,
        }
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        let url = self.database.url.expose();
        if url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("deals.db").display())
        } else {
            url.to_owned()
        }
    }

    /// The Redis URL when Redis is configured.
    pub fn redis_url(&self) -> Option<&str> {
        Some(self.redis.url.expose()).filter(|u| !u.is_empty())
    }

    /// Where Redis is: the cluster when `redis.cluster_urls` is set, else the server of
    /// `redis.url`, else `None` (in-process backends).
    pub fn redis_target(&self) -> Option<crate::redisconn::RedisTarget> {
        use crate::redisconn::RedisTarget;
        if !self.redis.cluster_urls.is_empty() {
            return Some(RedisTarget::Cluster(self.redis.cluster_urls.clone()));
        }
        self.redis_url().map(|u| RedisTarget::Single(u.to_owned()))
    }

    /// Pool settings for the store.
    pub fn db_settings(&self) -> deals_store::DbSettings {
        let mut s = deals_store::DbSettings::new(self.database_url());
        s.pool_size = self.database.pool_size;
        s.max_overflow = self.database.max_overflow;
        s.pool_timeout_secs = self.database.pool_timeout_secs;
        s.pool_recycle_secs = self.database.pool_recycle_secs;
        s.replica_url =
            Some(self.database.replica_url.expose().to_owned()).filter(|u| !u.is_empty());
        s
    }
}

#[cfg(test)]
mod tests;
