//! Supervised background loops: every long-running task of a process (job workers, the
//! scheduler, the live-event relay, periodic upkeep) runs under [`supervise`], which restarts it
//! with a capped exponential backoff when it returns an error, panics, or stops before shutdown.
//! A loop is never silently dead: each restart is logged and counted
//! (`deals_loop_restarts_total`), and [`Loops`] tells `/ready` which loops are down right now.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// First wait before a restart.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait before a restart.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run that lasted this long before failing starts the backoff over.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// A shutdown signal that can be waited for again after each restart.
pub type Signal = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The state of one supervised loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopState {
    /// Running now (false between a failure and its restart).
    pub up: bool,
    /// Restarts so far.
    pub restarts: u64,
    /// Why it last stopped, if it did.
    pub last_error: Option<String>,
}

/// The loops of this process and their state, shared with `/ready`.
#[derive(Debug, Default)]
pub struct Loops {
    states: Mutex<BTreeMap<&'static str, LoopState>>,
}

impl Loops {
    /// The state of every loop registered so far, by name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, LoopState> {
        self.states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The state of the loop `name`, if this process runs it.
    pub fn get(&self, name: &str) -> Option<LoopState> {
        self.states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut LoopState)) {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        f(states.entry(name).or_insert(LoopState {
            up: false,
            restarts: 0,
            last_error: None,
        }));
    }
}

/// Runs the loop that `start` makes until `shutdown` completes, making and starting it again
/// (after a backoff of 100 ms doubling up to 30 s) whenever it fails, panics or returns early.
/// Returns once the loop returned after shutdown (a loop is expected to stop on the signal it
/// is handed).
pub async fn supervise<F, Fut>(loops: Arc<Loops>, name: &'static str, shutdown: Signal, start: F)
where
    F: Fn(Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut backoff = FIRST_BACKOFF;
    let mut stopping = shutdown();
    loop {
        loops.update(name, |s| s.up = true);
        let started = Instant::now();
        let mut run = tokio::spawn(start(shutdown()));
        let outcome = tokio::select! {
            // A loop that returned because of the shutdown is not restarted.
            biased;
            () = &mut stopping => {
                // The loop got the same signal: let it finish its own shutdown.
                let joined = run.await;
                loops.update(name, |s| s.up = false);
                if let Ok(Err(e)) = &joined {
                    tracing::warn!(task = name, error = %format!("{e:#}"), "background loop failed while stopping");
                }
                return;
            }
            joined = &mut run => joined,
        };
        let why = match outcome {
            Ok(Ok(())) => "stopped before shutdown".to_owned(),
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) if e.is_panic() => format!("panicked: {}", panic_message(e.into_panic())),
            Err(e) => format!("cancelled: {e}"),
        };
        if started.elapsed() >= HEALTHY_RUN {
            backoff = FIRST_BACKOFF;
        }
        loops.update(name, |s| {
            s.up = false;
            s.restarts += 1;
            s.last_error = Some(why.clone());
        });
        metrics::counter!("deals_loop_restarts_total", "task" => name).increment(1);
        tracing::error!(
            task = name,
            error = %why,
            restart_in_ms = backoff.as_millis() as u64,
            "background loop stopped; restarting it"
        );
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = &mut stopping => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// A signal that never fires (a loop that lives as long as the process).
pub fn never() -> Signal {
    Arc::new(|| Box::pin(std::future::pending()))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn signal() -> (tokio::sync::watch::Sender<bool>, Signal) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let signal: Signal = Arc::new(move || {
            let mut rx = rx.clone();
            Box::pin(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
        });
        (tx, signal)
    }

    #[tokio::test]
    async fn a_loop_that_panics_or_fails_is_restarted_and_counted_until_shutdown() {
        let loops = Arc::new(Loops::default());
        let (stop, shutdown) = signal();
        let runs = Arc::new(AtomicU32::new(0));
        let (healthy_tx, mut healthy) = tokio::sync::mpsc::unbounded_channel();
        let counter = runs.clone();
        let task = tokio::spawn(supervise(
            loops.clone(),
            "flaky",
            shutdown,
            move |stopped| {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let healthy_tx = healthy_tx.clone();
                async move {
                    match n {
                        0 => panic!("injected panic"),
                        1 => anyhow::bail!("injected failure"),
                        2 => Ok(()), // returns early: also restarted
                        _ => {
                            let _ = healthy_tx.send(());
                            stopped.await;
                            Ok(())
                        }
                    }
                }
            },
        ));
        tokio::time::timeout(Duration::from_secs(5), healthy.recv())
            .await
            .expect("the loop runs again after a panic, an error and an early return");
        let state = loops.get("flaky").unwrap();
        assert!(state.up);
        assert_eq!(state.restarts, 3);
        assert_eq!(state.last_error.as_deref(), Some("stopped before shutdown"));
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the supervisor ends with shutdown")
            .unwrap();
        assert!(!loops.get("flaky").unwrap().up);
        assert_eq!(
            runs.load(Ordering::SeqCst),
            4,
            "nothing restarted after shutdown"
        );
    }

    #[tokio::test]
    async fn restarts_back_off_exponentially_and_the_loop_shows_down_meanwhile() {
        let loops = Arc::new(Loops::default());
        let (_stop, shutdown) = signal();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let record = starts.clone();
        tokio::spawn(supervise(loops.clone(), "failing", shutdown, move |_| {
            record.lock().unwrap().push(tokio::time::Instant::now());
            async { anyhow::bail!("always") }
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let state = loops.get("failing").unwrap();
        assert!(!state.up, "down while waiting to restart");
        assert_eq!(state.last_error.as_deref(), Some("always"));
        tokio::time::sleep(Duration::from_millis(1700)).await;
        let starts = starts.lock().unwrap().clone();
        let gaps: Vec<u128> = starts
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect();
        assert!(gaps.len() >= 3, "{gaps:?}");
        for (gap, want) in gaps.iter().zip([100, 200, 400, 800]) {
            assert!((want..want + 150).contains(gap), "{gaps:?}");
        }
    }
}
