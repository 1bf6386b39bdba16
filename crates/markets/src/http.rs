//! The resilient HTTP layer every adapter shares: one [`HttpSource`] per store.
//!
//! A call through [`HttpSource::request`] passes, in order: the circuit breaker (open after
//! `breaker_threshold` consecutive failures; after `breaker_cooldown_ms` one probe is let
//! through, whose outcome closes or re-opens it), the token-bucket rate limiter
//! (`requests_per_second`, `burst`; queued calls are served by their task's priority, see
//! [`crate::priority`]), then up to `1 + max_retries` attempts, each with the
//! per-request timeout. 429, 5xx, connection errors and timeouts are retried after a jittered
//! exponential backoff (`backoff_base_ms` doubled per retry, capped at `backoff_max_ms`), or after
//! the server's `Retry-After` (seconds or HTTP date, same cap). 403 is never retried.
//!
//! Each outcome updates the source's [`SourceHealth`]: `ok` after a clean success, `degraded`
//! when one of the last few calls needed retries or failed but the latest succeeded (or the body
//! was malformed), `blocked` on 403 or a 429 that outlived the retries, `down` on connection
//! errors, timeouts, 5xx after retries, or an open breaker. [`HttpSource::cached`] keeps search
//! results in a moka cache keyed by the normalised query for `cache_ttl_s`.

use crate::config::HttpSettings;
use crate::market::{MarketError, Offer, SourceHealth};
use crate::priority::PriorityGate;
use crate::{SourceKind, SourceStatus};
use chrono::{DateTime, Utc};
use governor::{Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How many recent calls decide between `ok` and `degraded`.
const RECENT_WINDOW: usize = 5;

/// Makes ring the process's rustls crypto provider (reqwest is built without one). Calling it
/// again, or after another provider was installed, does nothing.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A response that made it through the retries (any status below 500 other than 403 and 429).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body read as JSON of type `T`, or [`MarketError::Malformed`] naming what is wrong.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, MarketError> {
        serde_json::from_slice(&self.body).map_err(|e| MarketError::Malformed(e.to_string()))
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `Ok(self)` for a 2xx status; otherwise the matching error (404 → `NotFound(what)`,
    /// 401 → `Blocked`, anything else → `Status`).
    pub fn success(self, what: &str) -> Result<Self, MarketError> {
        match self.status {
            200..=299 => Ok(self),
            404 => Err(MarketError::NotFound(what.to_owned())),
            401 => Err(MarketError::Blocked("credentials refused (401)".into())),
            status => Err(MarketError::Status {
                status,
                message: snippet(&self.text()),
            }),
        }
    }
}

/// First 200 characters of a body, for error messages.
pub fn snippet(text: &str) -> String {
    text.chars().take(200).collect()
}

#[derive(Debug)]
enum Breaker {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

#[derive(Debug)]
struct HealthState {
    status: SourceStatus,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<String>,
    /// `true` for a call that succeeded on its first attempt.
    recent_clean: VecDeque<bool>,
}

/// One store's HTTP client with its limiter, breaker, cache and health.
pub struct HttpSource {
    name: String,
    kind: SourceKind,
    enabled: bool,
    settings: HttpSettings,
    client: reqwest::Client,
    gate: PriorityGate,
    breaker: Mutex<Breaker>,
    health: Mutex<HealthState>,
    cache: Option<moka::future::Cache<String, Vec<Offer>>>,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What one failed attempt means for the retry loop.
enum Attempt {
    Retry(MarketError, Option<Duration>),
    Fail(MarketError),
}

impl HttpSource {
    /// A source named `name` with its own client built from `settings`.
    pub fn new(
        name: impl Into<String>,
        kind: SourceKind,
        enabled: bool,
        settings: HttpSettings,
    ) -> Result<Self, MarketError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout())
            .connect_timeout(settings.timeout())
            .build()
            .map_err(|e| MarketError::Config(format!("HTTP client: {e}")))?;
        let rps = if settings.requests_per_second.is_finite() && settings.requests_per_second > 0.0
        {
            settings.requests_per_second
        } else {
            1.0
        };
        let period = Duration::from_secs_f64(1.0 / rps).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(settings.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .ok_or_else(|| MarketError::Config("requests_per_second too high".into()))?
            .allow_burst(burst);
        let cache = (settings.cache_ttl_s > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(settings.cache_capacity)
                .time_to_live(Duration::from_secs(settings.cache_ttl_s))
                .build()
        });
        Ok(Self {
            name: name.into(),
            kind,
            enabled,
            client,
            gate: PriorityGate::new(RateLimiter::direct(quota)),
            breaker: Mutex::new(Breaker::Closed { failures: 0 }),
            health: Mutex::new(HealthState {
                status: SourceStatus::Ok,
                last_success: None,
                last_error: None,
                recent_clean: VecDeque::new(),
            }),
            cache,
            settings,
        })
    }

    /// Store name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying client, for building requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Current health.
    pub fn health(&self) -> SourceHealth {
        let h = lock(&self.health);
        let breaker_open =
            matches!(&*lock(&self.breaker), Breaker::Open { until } if *until > Instant::now());
        SourceHealth {
            name: self.name.clone(),
            kind: self.kind,
            enabled: self.enabled,
            status: if breaker_open {
                SourceStatus::Down
            } else {
                h.status
            },
            last_success: h.last_success,
            last_error: h.last_error.clone(),
        }
    }

    /// Search results for `key` from the cache, or from `fetch` (stored when it succeeds).
    pub async fn cached<F>(&self, key: String, fetch: F) -> Result<Vec<Offer>, MarketError>
    where
        F: Future<Output = Result<Vec<Offer>, MarketError>>,
    {
        let Some(cache) = &self.cache else {
            return fetch.await;
        };
        if let Some(hit) = cache.get(&key).await {
            tracing::debug!(market = %self.name, %key, "search cache hit");
            return Ok(hit);
        }
        let offers = fetch.await?;
        cache.insert(key, offers.clone()).await;
        Ok(offers)
    }

    /// Sends the request `build` makes (rebuilt for each attempt) through the breaker, limiter
    /// and retries, then turns the reply into a value with `parse`; health and breaker record
    /// the outcome of the whole call.
    pub async fn request<T>(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        parse: impl FnOnce(Reply) -> Result<T, MarketError>,
    ) -> Result<T, MarketError> {
        self.admit()?;
        let (outcome, attempts) = self.send_with_retries(&build).await;
        let result = outcome.and_then(parse);
        match &result {
            Ok(_) => self.record_success(attempts > 1),
            Err(e) => self.note_failure(e),
        }
        result
    }

    /// Records a failure an adapter found after a call (e.g. credentials refused twice).
    /// Errors that say nothing about the source (not found, unsupported, one impossible offer)
    /// count as a success of the source.
    pub fn note_failure(&self, error: &MarketError) {
        let Some(status) = failure_status(error) else {
            self.record_success(false);
            return;
        };
        tracing::warn!(market = %self.name, %error, "market call failed");
        {
            let mut h = lock(&self.health);
            h.status = status;
            h.last_error = Some(error.to_string());
            push_recent(&mut h.recent_clean, false);
        }
        let mut b = lock(&self.breaker);
        let cooldown = Duration::from_millis(self.settings.breaker_cooldown_ms);
        *b = match *b {
            Breaker::Closed { failures }
                if failures + 1 < self.settings.breaker_threshold.max(1) =>
            {
                Breaker::Closed {
                    failures: failures + 1,
                }
            }
            Breaker::Open { until } => Breaker::Open { until },
            _ => {
                tracing::warn!(market = %self.name, "circuit breaker open");
                Breaker::Open {
                    until: Instant::now() + cooldown,
                }
            }
        };
    }

    fn record_success(&self, needed_retries: bool) {
        let mut h = lock(&self.health);
        push_recent(&mut h.recent_clean, !needed_retries);
        h.status = if h.recent_clean.iter().all(|clean| *clean) {
            SourceStatus::Ok
        } else {
            SourceStatus::Degraded
        };
        h.last_success = Some(Utc::now());
        *lock(&self.breaker) = Breaker::Closed { failures: 0 };
    }

    /// Lets the call through unless the breaker is open; an expired open breaker lets exactly
    /// one probe through (half-open).
    fn admit(&self) -> Result<(), MarketError> {
        let mut b = lock(&self.breaker);
        match *b {
            Breaker::Closed { .. } => Ok(()),
            Breaker::HalfOpen => Err(MarketError::CircuitOpen),
            Breaker::Open { until } if Instant::now() >= until => {
                tracing::info!(market = %self.name, "circuit breaker half-open: probing");
                *b = Breaker::HalfOpen;
                Ok(())
            }
            Breaker::Open { .. } => {
                drop(b);
                let mut h = lock(&self.health);
                h.status = SourceStatus::Down;
                Err(MarketError::CircuitOpen)
            }
        }
    }

    async fn send_with_retries(
        &self,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> (Result<Reply, MarketError>, u32) {
        let mut attempt: u32 = 0;
        loop {
            self.gate.ready().await;
            attempt += 1;
            let verdict = match self.attempt(build).await {
                Ok(reply) => return (Ok(reply), attempt),
                Err(verdict) => verdict,
            };
            match verdict {
                Attempt::Fail(e) => return (Err(e), attempt),
                Attempt::Retry(e, _) if attempt > self.settings.max_retries => {
                    return (Err(e), attempt);
                }
                Attempt::Retry(e, retry_after) => {
                    let delay = self.backoff(attempt, retry_after);
                    tracing::debug!(market = %self.name, attempt, error = %e, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn attempt(
        &self,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, Attempt> {
        let response = build(&self.client).send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
        let retry_after = retry_after(&headers);
        match status {
            429 => Err(Attempt::Retry(
                MarketError::RateLimited { retry_after },
                retry_after,
            )),
            403 => Err(Attempt::Fail(MarketError::Blocked(format!(
                "HTTP 403: {}",
                snippet(&String::from_utf8_lossy(&body))
            )))),
            500..=599 => Err(Attempt::Retry(
                MarketError::Status {
                    status,
                    message: snippet(&String::from_utf8_lossy(&body)),
                },
                retry_after,
            )),
            _ => Ok(Reply {
                status,
                headers,
                body,
            }),
        }
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let cap = Duration::from_millis(self.settings.backoff_max_ms);
        if let Some(server) = retry_after {
            return server.min(cap);
        }
        let exp = self
            .settings
            .backoff_base_ms
            .saturating_mul(1u64 << (attempt - 1).min(20));
        let full = Duration::from_millis(exp).min(cap);
        // Jitter: somewhere between half and all of the exponential delay.
        full.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

fn transport_error(e: reqwest::Error) -> Attempt {
    let err = if e.is_timeout() {
        MarketError::Timeout
    } else {
        MarketError::Connect(error_chain(&e))
    };
    Attempt::Retry(err, None)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = at.with_timezone(&Utc) - Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The status a failure puts the source in; `None` when it says nothing about the source.
fn failure_status(error: &MarketError) -> Option<SourceStatus> {
    match error {
        MarketError::Timeout
        | MarketError::Connect(_)
        | MarketError::CircuitOpen
        | MarketError::Status {
            status: 500..=599, ..
        } => Some(SourceStatus::Down),
        MarketError::RateLimited { .. } | MarketError::Blocked(_) => Some(SourceStatus::Blocked),
        MarketError::Malformed(_) | MarketError::Status { .. } => Some(SourceStatus::Degraded),
        MarketError::NotFound(_)
        | MarketError::Unsupported(_)
        | MarketError::Config(_)
        | MarketError::ImpossibleOffer { .. } => None,
    }
}

fn push_recent(recent: &mut VecDeque<bool>, clean: bool) {
    recent.push_back(clean);
    while recent.len() > RECENT_WINDOW {
        recent.pop_front();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let settings = HttpSettings {
            backoff_base_ms: 100,
            backoff_max_ms: 1_000,
            ..HttpSettings::default()
        };
        let s = HttpSource::new("x", SourceKind::Bestbuy, true, settings).unwrap();
        let first = s.backoff(1, None);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let third = s.backoff(3, None);
        assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
        assert!(s.backoff(30, None) <= Duration::from_millis(1_000));
        assert_eq!(
            s.backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_millis(1_000)
        );
    }
}
