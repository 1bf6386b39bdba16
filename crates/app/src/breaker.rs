//! A circuit breaker with a deadline for calls to Redis (cache, rate limits): a call that fails
//! or takes longer than the deadline opens the breaker, and for the cool-off that follows every
//! call is skipped at once (the caller falls back: a cache miss, the in-process limiter). A
//! Redis outage costs at most one deadline per cool-off (or, with a probe, one in all), never
//! a stalled request.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

/// Longest a Redis call may take before it counts as failed.
pub const REDIS_DEADLINE: Duration = Duration::from_millis(250);

/// How long Redis is skipped after a failure.
pub const REDIS_COOL_OFF: Duration = Duration::from_secs(5);

/// How often a breaker with a [`Probe`] checks whether its dependency is back.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// A cheap health check of the dependency (a Redis `PING`): `true` when it answered.
pub type Probe = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// Guards one dependency. Clones share their state (one breaker for every user of one Redis).
///
/// Without a probe, the breaker closes again after the cool-off and the next call tries the
/// dependency (paying at most one deadline). With a probe, a background task checks the
/// dependency every [`PROBE_EVERY`] while the breaker is open and closes it as soon as the
/// dependency answers: callers never pay a deadline during an outage except the first.
#[derive(Clone)]
pub struct Breaker {
    inner: Arc<Inner>,
}

struct Inner {
    name: &'static str,
    deadline: Duration,
    cool_off: Duration,
    open_until: Mutex<Option<Instant>>,
    probe: Option<Probe>,
    probing: AtomicBool,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("name", &self.inner.name)
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

impl Breaker {
    /// A closed breaker for `name` with the given deadline and cool-off.
    pub fn new(name: &'static str, deadline: Duration, cool_off: Duration) -> Self {
        Self::build(name, deadline, cool_off, None)
    }

    /// A breaker for Redis with the default deadline and cool-off.
    pub fn redis(name: &'static str) -> Self {
        Self::new(name, REDIS_DEADLINE, REDIS_COOL_OFF)
    }

    /// A breaker for Redis that, once open, stays open until `probe` succeeds (checked every
    /// [`PROBE_EVERY`] in the background).
    pub fn redis_with_probe(name: &'static str, probe: Probe) -> Self {
        Self::build(name, REDIS_DEADLINE, REDIS_COOL_OFF, Some(probe))
    }

    fn build(
        name: &'static str,
        deadline: Duration,
        cool_off: Duration,
        probe: Option<Probe>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                name,
                deadline,
                cool_off,
                open_until: Mutex::new(None),
                probe,
                probing: AtomicBool::new(false),
            }),
        }
    }

    /// Whether calls are being skipped now.
    pub fn is_open(&self) -> bool {
        let guard = self
            .inner
            .open_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        guard.is_some_and(|until| Instant::now() < until)
    }

    fn close(&self) {
        *self
            .inner
            .open_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Runs `call` unless the breaker is open; `None` when skipped, failed or too slow.
    pub async fn call<T, E: std::fmt::Display>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        if self.is_open() {
            return None;
        }
        let failure = match tokio::time::timeout(self.inner.deadline, call).await {
            Ok(Ok(value)) => {
                self.close();
                return Some(value);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", self.inner.deadline.as_millis()),
        };
        self.trip(&failure);
        None
    }

    /// Opens the breaker after a failure (and starts the probe, if there is one).
    pub fn trip(&self, failure: &str) {
        let inner = &self.inner;
        let mut open = inner.open_until.lock().unwrap_or_else(|p| p.into_inner());
        if open.is_none_or(|until| Instant::now() >= until) {
            tracing::warn!(
                dependency = inner.name,
                error = %failure,
                cool_off_secs = inner.cool_off.as_secs(),
                "dependency failed; skipping it until it answers again"
            );
            metrics::counter!("deals_breaker_trips_total", "dependency" => inner.name).increment(1);
        }
        // With a probe the breaker stays open until the probe sees the dependency answer.
        let cool_off = if inner.probe.is_some() {
            Duration::from_secs(24 * 3600)
        } else {
            inner.cool_off
        };
        *open = Some(Instant::now() + cool_off);
        drop(open);
        if let Some(probe) = inner.probe.clone()
            && !inner.probing.swap(true, Ordering::SeqCst)
        {
            let breaker = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PROBE_EVERY).await;
                    let answered = tokio::time::timeout(breaker.inner.deadline, probe())
                        .await
                        .unwrap_or(false);
                    if answered {
                        breaker.close();
                        tracing::info!(dependency = breaker.inner.name, "dependency answers again");
                        break;
                    }
                }
                breaker.inner.probing.store(false, Ordering::SeqCst);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_call_opens_the_breaker_and_later_calls_are_skipped_at_once() {
        let breaker = Breaker::new("test", Duration::from_millis(20), Duration::from_secs(60));
        let slow = std::future::pending::<Result<u8, String>>();
        assert_eq!(breaker.call(slow).await, None);
        assert!(breaker.is_open());
        let started = Instant::now();
        let polled = std::sync::atomic::AtomicBool::new(false);
        let skipped = breaker
            .call(async {
                polled.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok::<u8, String>(1)
            })
            .await;
        assert_eq!(skipped, None);
        assert!(!polled.load(std::sync::atomic::Ordering::SeqCst));
        assert!(started.elapsed() < Duration::from_millis(20));
    }

    #[tokio::test]
    async fn after_the_cool_off_a_good_call_closes_it_again() {
        let breaker = Breaker::new("test", Duration::from_millis(50), Duration::from_millis(10));
        assert_eq!(breaker.call(async { Err::<u8, _>("refused") }).await, None);
        tokio::time::sleep(Duration::from_millis(15)).await;
        assert_eq!(breaker.call(async { Ok::<u8, String>(7) }).await, Some(7));
        assert!(!breaker.is_open());
    }

    #[tokio::test]
    async fn with_a_probe_it_stays_open_until_the_probe_answers_then_closes_by_itself() {
        let up = Arc::new(AtomicBool::new(false));
        let probed = up.clone();
        let probe: Probe = Arc::new(move || {
            let up = probed.load(Ordering::SeqCst);
            Box::pin(async move { up })
        });
        let breaker = Breaker::redis_with_probe("test", probe);
        assert_eq!(breaker.call(async { Err::<u8, _>("refused") }).await, None);
        tokio::time::sleep(PROBE_EVERY * 3).await;
        assert!(breaker.is_open(), "the probe failed: still open");
        let started = Instant::now();
        assert_eq!(breaker.call(async { Ok::<u8, String>(1) }).await, None);
        assert!(started.elapsed() < Duration::from_millis(5));
        up.store(true, Ordering::SeqCst);
        tokio::time::sleep(PROBE_EVERY * 2 + Duration::from_millis(100)).await;
        assert!(!breaker.is_open(), "closed once the probe answered");
        assert_eq!(breaker.call(async { Ok::<u8, String>(2) }).await, Some(2));
    }
}
