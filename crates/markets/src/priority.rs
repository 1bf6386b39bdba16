//! Whose store call goes first. A store's request quota (`requests_per_second`, `burst`) is
//! shared by every search in the process; when calls queue for it, the one with the highest
//! priority is served next (equal priorities in arrival order), so a new goal's first search
//! does not wait behind a burst of other searches, nor a user's "search now" behind the
//! scheduler's upkeep.
//!
//! The priority is the caller's task-local [`scope`] (the job runner sets the job's priority);
//! calls outside any scope have priority 0, the lowest a job has.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::DefaultDirectRateLimiter;
use tokio::sync::Notify;

tokio::task_local! {
    static PRIORITY: i32;
}

/// Runs `fut` with its store calls at `priority` (higher goes first).
pub async fn scope<F: Future>(priority: i32, fut: F) -> F::Output {
    PRIORITY.scope(priority, fut).await
}

/// The priority of the calling task's store calls.
pub fn current() -> i32 {
    PRIORITY.try_with(|p| *p).unwrap_or(0)
}

/// A place in the queue: priority, then arrival (earlier first).
type Place = (i32, Reverse<u64>);

/// A rate limiter whose waiters are served by priority.
#[derive(Debug)]
pub struct PriorityGate {
    limiter: DefaultDirectRateLimiter,
    queue: Mutex<BinaryHeap<Place>>,
    arrivals: AtomicU64,
    turn: Notify,
}

impl PriorityGate {
    /// A gate in front of `limiter`.
    pub fn new(limiter: DefaultDirectRateLimiter) -> Self {
        Self {
            limiter,
            queue: Mutex::new(BinaryHeap::new()),
            arrivals: AtomicU64::new(0),
            turn: Notify::new(),
        }
    }

    /// Waits until the caller (at [`current`] priority) may send one request: after every
    /// waiter of higher priority, or of the same priority that came first.
    pub async fn ready(&self) {
        let me: Place = (
            current(),
            Reverse(self.arrivals.fetch_add(1, Ordering::Relaxed)),
        );
        lock(&self.queue).push(me);
        // Leaves the queue however the wait ends (also when the caller is cancelled).
        let _leave = Leave { gate: self, me };
        loop {
            let turn = self.turn.notified();
            tokio::pin!(turn);
            turn.as_mut().enable();
            if lock(&self.queue).peek() == Some(&me) {
                break;
            }
            turn.await;
        }
        self.limiter.until_ready().await;
    }

    /// Calls waiting for their turn.
    pub fn waiting(&self) -> usize {
        lock(&self.queue).len()
    }
}

struct Leave<'a> {
    gate: &'a PriorityGate,
    me: Place,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        lock(&self.gate.queue).retain(|p| *p != self.me);
        self.gate.turn.notify_waiters();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::{Quota, RateLimiter};
    use std::num::NonZeroU32;
    use std::sync::Arc;
    use std::time::Duration;

    fn gate(per_second: u32) -> Arc<PriorityGate> {
        let quota =
            Quota::per_second(NonZeroU32::new(per_second).unwrap()).allow_burst(NonZeroU32::MIN);
        Arc::new(PriorityGate::new(RateLimiter::direct(quota)))
    }

    #[tokio::test]
    async fn a_late_high_priority_call_goes_before_the_queued_low_ones() {
        let gate = gate(20);
        // Take the one cell of the burst so that everyone below waits.
        gate.ready().await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut calls = Vec::new();
        for i in 0..5 {
            let (gate, order) = (gate.clone(), order.clone());
            calls.push(tokio::spawn(scope(10, async move {
                gate.ready().await;
                lock(&order).push(format!("low{i}"));
            })));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let (g, o) = (gate.clone(), order.clone());
        calls.push(tokio::spawn(scope(100, async move {
            g.ready().await;
            lock(&o).push("high".to_owned());
        })));
        for c in calls {
            c.await.unwrap();
        }
        let order = lock(&order).clone();
        let high = order.iter().position(|s| s == "high").unwrap();
        // At most the call already waiting for the next cell goes before it.
        assert!(high <= 1, "{order:?}");
        // Equal priorities keep their arrival order.
        let lows: Vec<_> = order.iter().filter(|s| s.starts_with("low")).collect();
        assert_eq!(lows, ["low0", "low1", "low2", "low3", "low4"], "{order:?}");
        assert_eq!(gate.waiting(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_leaves_the_queue() {
        let gate = gate(5);
        gate.ready().await;
        let g = gate.clone();
        let waiting = tokio::spawn(scope(50, async move { g.ready().await }));
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(gate.waiting(), 1);
        waiting.abort();
        let _ = waiting.await;
        assert_eq!(gate.waiting(), 0);
        // The next caller is not stuck behind the cancelled one.
        tokio::time::timeout(Duration::from_secs(1), gate.ready())
            .await
            .unwrap();
    }

    #[test]
    fn calls_outside_a_scope_have_the_lowest_priority() {
        assert_eq!(current(), 0);
    }
}
