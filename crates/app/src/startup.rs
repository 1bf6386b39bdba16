//! Building the application from settings: connect the store, pick the backends (in-process or
//! Redis), bind the listener. `main` only parses the CLI and calls this; tests bind port 0.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use deals_store::Store;
use redis::aio::ConnectionManager;
use tokio::net::TcpListener;

use crate::auth::JwtKeys;
use crate::cache::{Cache, MemoryCache, RedisCache};
use crate::config::{Environment, Settings};
use crate::http::router::router;
use crate::ratelimit::{Limits, MemoryLimiter, RateLimiter, RedisLimiter};
use crate::state::AppState;
use crate::telemetry::metrics_handle;

/// Bytes of responses the in-process cache keeps.
const MEMORY_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// A bound, ready-to-run HTTP server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// Connects to the database and applies migrations when configured to.
pub async fn connect_store(settings: &Settings) -> anyhow::Result<Store> {
    let db = settings.db_settings();
    let store = Store::connect(&db).await.with_context(|| {
        format!(
            "cannot connect to the database ({})",
            if db.is_sqlite() { "sqlite" } else { "postgres" }
        )
    })?;
    if settings.database.migrate_on_start {
        store.migrate().await.context("database migration failed")?;
    }
    Ok(store)
}

/// Connects to Redis, failing within five seconds when it does not answer.
pub async fn connect_redis(url: &str) -> anyhow::Result<ConnectionManager> {
    let client = redis::Client::open(url).context("invalid redis.url")?;
    tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
        .await
        .context("redis did not answer within 5 s")?
        .context("cannot connect to redis")
}

fn limits(settings: &Settings) -> Limits {
    let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Limits {
        anonymous: nz(settings.rate_limit.anonymous_per_minute),
        user: nz(settings.rate_limit.user_per_minute),
        auth: nz(settings.rate_limit.auth_per_minute),
    }
}

/// Builds the shared state: Redis-backed cache and limiter when `redis.url` is set, in-process
/// ones otherwise.
pub async fn build_state(settings: Settings, store: Store) -> anyhow::Result<AppState> {
    let jwt = JwtKeys::new(
        settings.auth.jwt_secret.expose(),
        Duration::from_secs(settings.auth.access_ttl_secs),
    );
    let (cache, limiter, redis): (Arc<dyn Cache>, Arc<dyn RateLimiter>, _) =
        match settings.redis_url() {
            Some(url) => {
                let conn = connect_redis(url).await?;
                let prefix = settings.redis.key_prefix.clone();
                (
                    Arc::new(RedisCache::new(conn.clone(), prefix.clone())),
                    Arc::new(RedisLimiter::new(conn.clone(), prefix, limits(&settings))),
                    Some(conn),
                )
            }
            None => {
                let limiter = Arc::new(MemoryLimiter::new(limits(&settings)));
                let weak = Arc::downgrade(&limiter);
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs(60));
                    loop {
                        tick.tick().await;
                        match weak.upgrade() {
                            Some(l) => l.shrink(),
                            None => break,
                        }
                    }
                });
                (
                    Arc::new(MemoryCache::new(MEMORY_CACHE_BYTES)),
                    limiter,
                    None,
                )
            }
        };
    Ok(AppState {
        store,
        settings: Arc::new(settings),
        jwt: Arc::new(jwt),
        cache,
        limiter,
        redis,
        metrics: metrics_handle(),
    })
}

impl Application {
    /// Connects everything and binds `server.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = connect_store(&settings).await?;
        if settings.seed.demo_on_empty && store.count_users().await? == 0 {
            if settings.env == Environment::Production {
                tracing::warn!(
                    "seed.demo_on_empty is ignored in production: no demo account with a public password"
                );
            } else {
                crate::seed::load_demo(&store)
                    .await
                    .context("loading demo data failed")?;
            }
        }
        Self::build_with_store(settings, store).await
    }

    /// Binds `server.listen` around an already connected store (tests pass their own).
    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        let listen = settings.server.listen;
        let state = build_state(settings, store).await?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        Ok(Self {
            listener,
            router: router(state.clone()),
            state,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The shared state, for tests that need the store or the token keys.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("HTTP server failed")
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
