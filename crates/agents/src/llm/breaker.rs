//! A circuit breaker per provider, and the health it reports for
//! `GET /api/v1/agents/status`.
//!
//! Closed: calls go through. After `threshold` consecutive failed calls (each after its
//! retries) the circuit opens: the provider is skipped at once. When the cool-down has passed,
//! one call is let through as a probe (half-open): success closes the circuit, failure opens it
//! for another cool-down. An invalid answer (bad JSON twice) degrades the health but does not
//! count as a failure: the provider is up, the model misbehaved.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ProviderInfo;
use super::config::ProviderKind;

/// Health of a provider as shown by the status endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The last call succeeded (or none was made yet).
    Ok,
    /// Some recent calls failed, or the last answer was invalid.
    Degraded,
    /// The circuit's cool-down has passed; the next call is a probe.
    Down,
    /// Skipped until the cool-down passes.
    CircuitOpen,
}

/// One provider's entry at `GET /api/v1/agents/status`. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderHealth {
    /// Configured name.
    pub name: String,
    /// Wire format.
    pub kind: ProviderKind,
    /// Model.
    pub model: String,
    /// Base URL (configured without credentials).
    pub base_url: String,
    /// Current health.
    pub status: HealthStatus,
    /// When a call last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// Failed calls since the last success.
    pub consecutive_failures: u32,
}

/// Whether a call may go to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Circuit closed.
    Closed,
    /// Circuit half-open: this call is the probe.
    Probe,
    /// Circuit open: skip the provider.
    Rejected,
}

#[derive(Debug, Default)]
struct State {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    probe_started: Option<Instant>,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_invalid: bool,
}

/// The breaker of one provider.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decides about one call. A probe that never reported back (its caller was cancelled)
    /// is replaced after another cool-down.
    pub(crate) fn admit(&self) -> Admission {
        let now = Instant::now();
        let mut s = self.lock();
        match s.open_until {
            None => Admission::Closed,
            Some(until) if now < until => Admission::Rejected,
            Some(_) => match s.probe_started {
                Some(started) if now.duration_since(started) < self.cooldown => Admission::Rejected,
                _ => {
                    s.probe_started = Some(now);
                    Admission::Probe
                }
            },
        }
    }

    pub(crate) fn succeeded(&self) {
        let mut s = self.lock();
        s.consecutive_failures = 0;
        s.open_until = None;
        s.probe_started = None;
        s.last_success = Some(Utc::now());
        s.last_invalid = false;
    }

    pub(crate) fn answered_invalid(&self, error: String) {
        let mut s = self.lock();
        s.consecutive_failures = 0;
        s.open_until = None;
        s.probe_started = None;
        s.last_error = Some(error);
        s.last_invalid = true;
    }

    pub(crate) fn failed(&self, error: String) {
        let mut s = self.lock();
        s.consecutive_failures = s.consecutive_failures.saturating_add(1);
        s.last_error = Some(error);
        s.probe_started = None;
        if s.consecutive_failures >= self.threshold {
            s.open_until = Some(Instant::now() + self.cooldown);
        }
    }

    pub(crate) fn health(&self, info: &ProviderInfo) -> ProviderHealth {
        let s = self.lock();
        let status = match s.open_until {
            Some(until) if Instant::now() < until => HealthStatus::CircuitOpen,
            Some(_) => HealthStatus::Down,
            None if s.consecutive_failures > 0 || s.last_invalid => HealthStatus::Degraded,
            None => HealthStatus::Ok,
        };
        ProviderHealth {
            name: info.name.clone(),
            kind: info.kind,
            model: info.model.clone(),
            base_url: info.base_url.clone(),
            status,
            last_success: s.last_success,
            last_error: s.last_error.clone(),
            consecutive_failures: s.consecutive_failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_probes_after_the_cooldown() {
        let b = Breaker::new(2, Duration::ZERO);
        assert_eq!(b.admit(), Admission::Closed);
        b.failed("boom".into());
        assert_eq!(b.admit(), Admission::Closed);
        b.failed("boom".into());
        assert_eq!(b.admit(), Admission::Probe);
        b.succeeded();
        assert_eq!(b.admit(), Admission::Closed);

        let slow = Breaker::new(1, Duration::from_secs(3600));
        slow.failed("boom".into());
        assert_eq!(slow.admit(), Admission::Rejected);
    }
}
