//! A circuit breaker with a deadline for calls to Redis (cache, rate limits): a call that fails
//! or takes longer than the deadline opens the breaker, and for the cool-off that follows every
//! call is skipped at once (the caller falls back: a cache miss, the in-process limiter). A
//! Redis outage costs at most one deadline per cool-off, never a stalled request.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest a Redis call may take before it counts as failed.
pub const REDIS_DEADLINE: Duration = Duration::from_millis(250);

/// How long Redis is skipped after a failure.
pub const REDIS_COOL_OFF: Duration = Duration::from_secs(5);

/// Guards one dependency.
#[derive(Debug)]
pub struct Breaker {
    name: &'static str,
    deadline: Duration,
    cool_off: Duration,
    open_until: Mutex<Option<Instant>>,
}

impl Breaker {
    /// A closed breaker for `name` with the given deadline and cool-off.
    pub fn new(name: &'static str, deadline: Duration, cool_off: Duration) -> Self {
        Self {
            name,
            deadline,
            cool_off,
            open_until: Mutex::new(None),
        }
    }

    /// A breaker for Redis with the default deadline and cool-off.
    pub fn redis(name: &'static str) -> Self {
        Self::new(name, REDIS_DEADLINE, REDIS_COOL_OFF)
    }

    /// Whether calls are being skipped now.
    pub fn is_open(&self) -> bool {
        let guard = self.open_until.lock().unwrap_or_else(|p| p.into_inner());
        guard.is_some_and(|until| Instant::now() < until)
    }

    /// Runs `call` unless the breaker is open; `None` when skipped, failed or too slow.
    pub async fn call<T, E: std::fmt::Display>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        if self.is_open() {
            return None;
        }
        let failure = match tokio::time::timeout(self.deadline, call).await {
            Ok(Ok(value)) => {
                *self.open_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
                return Some(value);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", self.deadline.as_millis()),
        };
        let mut open = self.open_until.lock().unwrap_or_else(|p| p.into_inner());
        if open.is_none_or(|until| Instant::now() >= until) {
            tracing::warn!(
                dependency = self.name,
                error = %failure,
                cool_off_secs = self.cool_off.as_secs(),
                "dependency failed; skipping it for the cool-off"
            );
        }
        *open = Some(Instant::now() + self.cool_off);
        None
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
}
