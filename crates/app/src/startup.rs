//! Building the application from settings: connect the store, pick the backends (in-process or
//! Redis), bind the listener. `main` only parses the CLI and calls this; tests bind port 0.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use deals_agents::{Agents, LlmChain};
use deals_markets::Registry;
use deals_markets::sim::{SimConfig, SimHandle, SimServer, SimWorld};
use deals_store::Store;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::auth::JwtKeys;
use crate::breaker::Breaker;
use crate::cache::{Cache, MemoryCache, RedisCache};
use crate::config::{Environment, Settings};
use crate::http::router::router;
use crate::jobs::Jobs;
use crate::jobs::queue::{JobQueue, WorkerOptions};
use crate::live::EventBus;
use crate::ratelimit::{Limits, MemoryLimiter, RateLimiter, RedisLimiter};
use crate::redisconn::{RedisConn, RedisTarget};
use crate::state::AppState;
use crate::supervisor::{Loops, Signal, supervise};
use crate::telemetry::metrics_handle;

/// Name of the supervised job worker loop (see `/ready`).
pub const JOB_WORKER: &str = "job_worker";
/// Name of the supervised scheduler loop.
pub const SCHEDULER: &str = "scheduler";

/// Bytes of responses the in-process cache keeps.
const MEMORY_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// A bound, ready-to-run HTTP server, with the job worker and the scheduler of an `all`
/// process.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    background: bool,
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

/// Connects to Redis (a server or a cluster), failing within five seconds when it does not
/// answer.
pub async fn connect_redis(target: &RedisTarget) -> anyhow::Result<RedisConn> {
    RedisConn::connect(target).await
}

/// One breaker for every Redis call of the cache and the limiter: after a failure Redis is
/// skipped until a `PING` (tried every half second in the background) answers again.
fn redis_breaker(conn: &RedisConn) -> Breaker {
    let conn = conn.clone();
    Breaker::redis_with_probe(
        "redis",
        Arc::new(move || {
            let conn = conn.clone();
            Box::pin(async move { conn.ping(Duration::from_millis(400)).await })
        }),
    )
}

fn limits(settings: &Settings) -> Limits {
    let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Limits {
        anonymous: nz(settings.rate_limit.anonymous_per_minute),
        user: nz(settings.rate_limit.user_per_minute),
        auth: nz(settings.rate_limit.auth_per_minute),
    }
}

/// The simulated marketplace's world as configured (deterministic from `sim.seed`).
pub fn sim_world(settings: &Settings) -> SimWorld {
    SimWorld::new(SimConfig {
        seed: settings.sim.seed,
        speed: settings.sim.speed,
        chaos: settings.sim.chaos,
        ..SimConfig::default()
    })
}

/// The marketplace sources: the simulator's five stores through the real adapters (when
/// `sim.enabled`), replaced store by store by real adapters that are enabled in `markets`.
async fn build_markets(settings: &Settings) -> anyhow::Result<(Registry, Option<Arc<SimHandle>>)> {
    let markets = settings.effective_markets();
    let real = Registry::from_config(&markets).context("markets configuration")?;
    if !settings.sim.enabled {
        return Ok((real, None));
    }
    let handle = SimServer::start(
        Arc::new(sim_world(settings)),
        std::net::IpAddr::from([127, 0, 0, 1]),
    )
    .await
    .context("cannot start the simulated marketplace")?;
    let mut registry = Registry::simulated(&handle, &markets).context("simulated markets")?;
    for name in real.searchable() {
        if let Some(market) = real.get(&name) {
            tracing::info!(market = %name, "real adapter replaces the simulated store");
            registry.insert(market, true);
        }
    }
    Ok((registry, Some(Arc::new(handle))))
}

/// Builds the shared state: Redis-backed cache, limiter and event fan-out when `redis.url` is
/// set, in-process ones otherwise; the job queue on the database's jobs table; the markets; the
/// agents.
pub async fn build_state(settings: Settings, store: Store) -> anyhow::Result<AppState> {
    let jwt = JwtKeys::new(
        settings.auth.jwt_secret.expose(),
        Duration::from_secs(settings.auth.access_ttl_secs),
    );
    let loops = Arc::new(Loops::default());
    let target = settings.redis_target();
    let (cache, limiter, redis, redis_breaker): (Arc<dyn Cache>, Arc<dyn RateLimiter>, _, _) =
        match &target {
            Some(target) => {
                let conn = connect_redis(target).await?;
                let prefix = settings.redis.key_prefix.clone();
                let breaker = redis_breaker(&conn);
                (
                    Arc::new(
                        RedisCache::new(conn.clone(), prefix.clone()).with_breaker(breaker.clone()),
                    ),
                    Arc::new(
                        RedisLimiter::new(conn.clone(), prefix, limits(&settings))
                            .with_breaker(breaker.clone()),
                    ),
                    Some(conn),
                    Some(breaker),
                )
            }
            None => {
                let limiter = Arc::new(MemoryLimiter::new(limits(&settings)));
                let weak = Arc::downgrade(&limiter);
                tokio::spawn(supervise(
                    loops.clone(),
                    "rate_limit_upkeep",
                    crate::supervisor::never(),
                    move |_| {
                        let weak = weak.clone();
                        async move {
                            let mut tick = tokio::time::interval(Duration::from_secs(60));
                            loop {
                                tick.tick().await;
                                match weak.upgrade() {
                                    Some(l) => l.shrink(),
                                    // The application is gone: nothing left to do, ever.
                                    None => std::future::pending::<()>().await,
                                }
                            }
                        }
                    },
                ));
                (
                    Arc::new(MemoryCache::new(MEMORY_CACHE_BYTES)),
                    limiter,
                    None,
                    None,
                )
            }
        };
    let events = Arc::new(match (&redis, &target) {
        (Some(conn), Some(target)) => {
            EventBus::connect(target, conn.clone(), &settings.redis.key_prefix)
                .await
                .context("cannot subscribe to Redis events")?
        }
        _ => EventBus::in_process(),
    });
    // Store answers are shared across processes through Redis when it is configured.
    let searches = Arc::new(crate::deals::shared::SharedSearches::new(
        redis.is_some().then(|| cache.clone()),
        crate::cache::SEARCH_TTL,
    ));
    let queue = JobQueue::new(store.clone()).supervised_by(loops.clone());
    let (markets, sim) = build_markets(&settings).await?;
    let chain = LlmChain::from_config(&settings.llm).context("llm configuration")?;
    let meter = crate::tokens::meter::LedgerMeter::new(
        store.clone(),
        settings.tokens.pricing.clone(),
        !chain.is_rules_only(),
        Duration::from_secs(settings.tokens.hold_ttl_secs),
    );
    let agents = Agents::new(Arc::new(chain), Arc::new(meter));
    let channels = Arc::new(
        crate::notify::channels::Channels::new(
            &settings.alerts,
            crate::notify::email::Email::new(&settings.email, settings.auth.jwt_secret.expose())
                .context("email settings")?,
        )
        .context("cannot build the HTTP client of the notification channels")?,
    );
    let state = AppState {
        store,
        settings: Arc::new(settings),
        jwt: Arc::new(jwt),
        cache,
        limiter,
        redis,
        redis_breaker,
        loops,
        metrics: {
            let handle = metrics_handle();
            crate::telemetry::register_gauges(&markets.searchable());
            handle
        },
        jobs: Jobs::new(queue, events.clone()),
        events,
        channels,
        markets: Arc::new(markets),
        agents: Arc::new(agents),
        goal_index: Arc::default(),
        searches,
        sim,
    };
    Ok(state)
}

/// Runs the job worker until `shutdown` completes, then lets its running jobs finish (up to
/// `jobs.shutdown_grace_secs`).
pub async fn run_worker(
    state: AppState,
    concurrency: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Unique per process, not just per PID: claims, lease renewals and completions are checked
    // against this name, and worker containers all run as the same PID (often 1), so two of
    // them — or a restarted one — must never share it.
    let name = format!(
        "worker-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let handler = crate::jobs::runner::job_handler(state.clone(), &name);
    let settings = &state.settings.jobs;
    let options = WorkerOptions {
        concurrency: concurrency.max(1),
        reserved: settings.reserved_slots,
        lease: crate::jobs::runner::lease(settings),
        poll_interval: Duration::from_millis(settings.poll_interval_ms),
        grace: Duration::from_secs(settings.shutdown_grace_secs),
        name,
    };
    state
        .jobs
        .queue()
        .run_worker(options, handler, shutdown)
        .await;
}

/// Runs the scheduler until `shutdown` completes.
pub async fn run_scheduler(state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) {
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    crate::jobs::scheduler::run(state, holder, shutdown).await;
}

/// A shutdown signal that several tasks can wait for.
fn fan_out(shutdown: impl Future<Output = ()> + Send + 'static) -> Signal {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    Arc::new(move || {
        let mut rx = rx.clone();
        Box::pin(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        })
    })
}

/// The job worker under supervision (restarted with backoff if it panics or stops early).
fn supervised_worker(
    state: AppState,
    concurrency: usize,
    signal: Signal,
) -> impl Future<Output = ()> + Send + 'static {
    supervise(state.loops.clone(), JOB_WORKER, signal, move |stop| {
        let state = state.clone();
        async move {
            run_worker(state, concurrency, stop).await;
            Ok(())
        }
    })
}

/// The scheduler under supervision.
fn supervised_scheduler(
    state: AppState,
    signal: Signal,
) -> impl Future<Output = ()> + Send + 'static {
    supervise(state.loops.clone(), SCHEDULER, signal, move |stop| {
        let state = state.clone();
        async move {
            run_scheduler(state, stop).await;
            Ok(())
        }
    })
}

/// Runs the background roles of a process without an HTTP listener.
pub async fn run_background(
    settings: Settings,
    worker: Option<usize>,
    scheduler: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = connect_store(&settings).await?;
    let state = build_state(settings, store).await?;
    let signal = fan_out(shutdown);
    let sched =
        scheduler.then(|| tokio::spawn(supervised_scheduler(state.clone(), signal.clone())));
    match worker {
        Some(n) => supervised_worker(state.clone(), n, signal.clone()).await,
        None => signal().await,
    }
    if let Some(s) = sched {
        let _ = s.await;
    }
    Ok(())
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
                crate::seed::load_demo(&store, &sim_world(&settings))
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
            background: true,
        })
    }

    /// Serves the API only: no job worker and no scheduler in this process.
    pub fn api_only(mut self) -> Self {
        self.background = false;
        self
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The shared state, for tests that need the store or the token keys.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests (and, in an `all`
    /// process, running jobs).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let signal = fan_out(shutdown);
        let mut tasks = Vec::new();
        if self.background {
            let concurrency = self.state.settings.jobs.concurrency;
            tasks.push(tokio::spawn(supervised_worker(
                self.state.clone(),
                concurrency,
                signal.clone(),
            )));
            tasks.push(tokio::spawn(supervised_scheduler(
                self.state.clone(),
                signal.clone(),
            )));
        }
        let draining = Arc::new(AtomicBool::new(false));
        let close_listener = Arc::new(tokio::sync::Notify::new());
        let drain = Duration::from_secs(self.state.settings.server.drain_secs);
        // hyper's own 400/431 answers become problem documents (see `http::wire`), accepted
        // sockets get TCP_NODELAY, and the drain closes the listening socket first.
        let listener = crate::http::wire::ProblemListener::new(DrainingListener {
            addr: self.listener.local_addr()?,
            inner: Some(self.listener),
            close: close_listener.clone(),
        });
        let stop = {
            let draining = draining.clone();
            let signal = signal();
            async move {
                signal.await;
                if !drain.is_zero() {
                    draining.store(true, Ordering::Relaxed);
                    close_listener.notify_one();
                    tracing::info!(
                        secs = drain.as_secs(),
                        "draining: no new connections; open ones are served and closed after each response"
                    );
                    tokio::time::sleep(drain).await;
                }
            }
        };
        let router = self.router.layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                drain_layer(draining.clone(), req, next)
            },
        ));
        // Each connection's requests carry its peer address as `ConnectInfo`.
        let make_service = tower::service_fn(
            move |incoming: axum::serve::IncomingStream<
                '_,
                crate::http::wire::ProblemListener<DrainingListener>,
            >| {
                let peer = ConnectInfo(*incoming.remote_addr());
                let service = router
                    .clone()
                    .map_request(move |mut req: axum::extract::Request| {
                        req.extensions_mut().insert(peer);
                        req
                    });
                std::future::ready(Ok::<_, std::convert::Infallible>(service))
            },
        );
        let served = axum::serve(listener, make_service)
            .with_graceful_shutdown(stop)
            .await
            .context("HTTP server failed");
        for t in tasks {
            let _ = t.await;
        }
        served
    }
}

/// The server's listener, closed when the drain begins: new connections are refused at once (a
/// proxy then picks another replica, even for a POST, since nothing was sent), while connections
/// already open keep being served until the drain ends.
struct DrainingListener {
    inner: Option<TcpListener>,
    addr: SocketAddr,
    close: Arc<tokio::sync::Notify>,
}

impl axum::serve::Listener for DrainingListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Some(inner) = self.inner.as_mut() else {
                return std::future::pending().await;
            };
            tokio::select! {
                conn = axum::serve::Listener::accept(inner) => return conn,
                () = self.close.notified() => self.inner = None,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// While the process drains before shutdown: `/ready` says 503 "draining" and every response
/// (but a WebSocket upgrade) carries `Connection: close`, so proxies stop reusing connections
/// to this process before it stops accepting new ones.
async fn drain_layer(
    draining: Arc<AtomicBool>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    if !draining.load(Ordering::Relaxed) {
        return next.run(req).await;
    }
    let mut res = if req.uri().path() == "/ready" {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "draining", "checks": []})),
        )
            .into_response()
    } else {
        next.run(req).await
    };
    if res.status() != StatusCode::SWITCHING_PROTOCOLS {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
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
