//! In-process figures behind the `/metrics` collectors that Prometheus cannot derive from
//! counters alone: the share of 5xx responses over the last five minutes and the distinct
//! signed-in users seen in that time (bounded memory), plus the process's own resources read
//! from `/proc`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// How far back `deals_error_rate` and `deals_active_users` look.
pub const WINDOW: Duration = Duration::from_secs(300);
/// Width of one bucket of the error window.
const BUCKET_SECS: u64 = 5;
const BUCKETS: usize = (300 / BUCKET_SECS) as usize;
/// Most distinct users remembered at once; past it new users are not counted until older
/// ones age out (the gauge then reads "at least this many").
pub const MAX_TRACKED_USERS: usize = 100_000;

/// Requests and 5xx responses in five-second buckets covering [`WINDOW`].
#[derive(Debug, Clone)]
pub struct ErrorWindow {
    /// `(bucket number, requests, 5xx)`; a bucket from an older lap counts as empty.
    buckets: [(u64, u64, u64); BUCKETS],
}

impl Default for ErrorWindow {
    fn default() -> Self {
        Self {
            buckets: [(u64::MAX, 0, 0); BUCKETS],
        }
    }
}

impl ErrorWindow {
    /// Counts one response at `secs` (seconds on any monotonic clock).
    pub fn record(&mut self, secs: u64, server_error: bool) {
        let n = secs / BUCKET_SECS;
        let b = &mut self.buckets[(n % BUCKETS as u64) as usize];
        if b.0 != n {
            *b = (n, 0, 0);
        }
        b.1 += 1;
        b.2 += u64::from(server_error);
    }

    /// Share of 5xx among the responses of the window ending at `secs` (0 without responses).
    pub fn share(&self, secs: u64) -> f64 {
        let now = secs / BUCKET_SECS;
        let (total, errors) = self
            .buckets
            .iter()
            .filter(|b| b.0 != u64::MAX && b.0 <= now && now - b.0 < BUCKETS as u64)
            .fold((0, 0), |(t, e), b| (t + b.1, e + b.2));
        if total == 0 {
            0.0
        } else {
            errors as f64 / total as f64
        }
    }
}

/// Distinct users seen within [`WINDOW`], at most [`MAX_TRACKED_USERS`] remembered.
#[derive(Debug, Default)]
pub struct ActiveUsers {
    last_seen: HashMap<Uuid, Instant>,
}

impl ActiveUsers {
    /// Notes `user` at `at`.
    pub fn seen(&mut self, user: Uuid, at: Instant) {
        if self.last_seen.len() >= MAX_TRACKED_USERS && !self.last_seen.contains_key(&user) {
            self.forget_before(at);
            if self.last_seen.len() >= MAX_TRACKED_USERS {
                return;
            }
        }
        self.last_seen.insert(user, at);
    }

    /// Users seen within the window ending at `at`.
    pub fn count(&mut self, at: Instant) -> usize {
        self.forget_before(at);
        self.last_seen.len()
    }

    fn forget_before(&mut self, at: Instant) {
        self.last_seen
            .retain(|_, seen| at.saturating_duration_since(*seen) < WINDOW);
    }
}

/// The process-wide request figures (one per process, like the Prometheus recorder).
#[derive(Debug)]
pub struct Monitor {
    started: Instant,
    errors: Mutex<ErrorWindow>,
    users: Mutex<ActiveUsers>,
}

impl Monitor {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            errors: Mutex::default(),
            users: Mutex::default(),
        }
    }

    fn secs(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_secs()
    }

    /// Counts one response and, when signed in, its user.
    pub fn request(&self, server_error: bool, user: Option<Uuid>) {
        let now = Instant::now();
        if let Ok(mut w) = self.errors.lock() {
            w.record(self.secs(now), server_error);
        }
        if let Some(user) = user
            && let Ok(mut u) = self.users.lock()
        {
            u.seen(user, now);
        }
    }

    /// Share of 5xx responses over the last five minutes.
    pub fn error_rate(&self) -> f64 {
        let now = self.secs(Instant::now());
        self.errors.lock().map(|w| w.share(now)).unwrap_or(0.0)
    }

    /// Distinct signed-in users over the last five minutes.
    pub fn active_users(&self) -> usize {
        self.users
            .lock()
            .map(|mut u| u.count(Instant::now()))
            .unwrap_or(0)
    }
}

/// The process's monitor.
pub fn monitor() -> &'static Monitor {
    static MONITOR: OnceLock<Monitor> = OnceLock::new();
    MONITOR.get_or_init(Monitor::new)
}

/// Who made the request, filled in by the authentication extractors so the request log line
/// and `deals_active_users` know the user without verifying the token a second time.
#[derive(Debug, Clone, Default)]
pub struct RequestUser(Arc<OnceLock<Uuid>>);

impl RequestUser {
    /// Records the authenticated user of the request carrying `extensions`.
    pub fn note(extensions: &axum::http::Extensions, user: Uuid) {
        if let Some(slot) = extensions.get::<RequestUser>() {
            let _ = slot.0.set(user);
        }
    }

    /// The user, once authenticated.
    pub fn get(&self) -> Option<Uuid> {
        self.0.get().copied()
    }
}

/// CPU time, resident memory and open descriptors of this process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessResources {
    /// User + system CPU seconds since the process started.
    pub cpu_seconds: f64,
    /// Resident set size in bytes.
    pub resident_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
}

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux ABI we ship to).
const USER_HZ: f64 = 100.0;

impl ProcessResources {
    /// Reads `/proc/self`; `None` where there is no procfs.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
        Some(Self {
            cpu_seconds: cpu_seconds(&stat)?,
            resident_bytes: resident_bytes(&status)?,
            open_fds,
        })
    }
}

/// `utime + stime` of a `/proc/<pid>/stat` line, in seconds. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted after its closing parenthesis.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// `VmRSS` of `/proc/<pid>/status`, in bytes.
fn resident_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_share_covers_five_minutes_and_forgets_older_responses() {
        let mut w = ErrorWindow::default();
        assert_eq!(w.share(0), 0.0);
        for _ in 0..9 {
            w.record(10, false);
        }
        w.record(12, true);
        assert!((w.share(12) - 0.1).abs() < 1e-9);
        assert!((w.share(300) - 0.1).abs() < 1e-9, "still inside the window");
        w.record(200, true);
        assert!((w.share(200) - 2.0 / 11.0).abs() < 1e-9);
        // Five minutes after the first ten, only the one at 200 s is left.
        assert_eq!(w.share(315), 1.0);
        // A bucket reused on a later lap starts from zero.
        w.record(10 + 300 * 3, false);
        assert_eq!(w.share(10 + 300 * 3), 0.0);
    }

    #[test]
    fn active_users_are_distinct_expire_after_five_minutes_and_stay_bounded() {
        let mut u = ActiveUsers::default();
        let t0 = Instant::now();
        let a = Uuid::now_v7();
        u.seen(a, t0);
        u.seen(a, t0 + Duration::from_secs(1));
        u.seen(Uuid::now_v7(), t0 + Duration::from_secs(2));
        assert_eq!(u.count(t0 + Duration::from_secs(3)), 2);
        assert_eq!(
            u.count(t0 + Duration::from_secs(301)),
            1,
            "only the one seen at 2 s"
        );
        assert_eq!(u.count(t0 + Duration::from_secs(400)), 0);
        for _ in 0..MAX_TRACKED_USERS + 10 {
            u.seen(Uuid::now_v7(), t0 + Duration::from_secs(500));
        }
        assert_eq!(u.count(t0 + Duration::from_secs(500)), MAX_TRACKED_USERS);
        u.seen(Uuid::now_v7(), t0 + Duration::from_secs(900));
        assert_eq!(
            u.count(t0 + Duration::from_secs(900)),
            1,
            "old ones made room"
        );
    }

    #[test]
    fn proc_stat_is_read_after_the_command_name() {
        let stat = "4242 (deals (api) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 8 0 100 1000 200";
        assert_eq!(cpu_seconds(stat), Some(3.0));
        let status = "Name:\tdeals\nVmRSS:\t   20480 kB\nThreads:\t8\n";
        assert_eq!(resident_bytes(status), Some(20 * 1024 * 1024));
    }

    #[test]
    fn this_process_has_resources() {
        let r = ProcessResources::read().expect("procfs on Linux");
        assert!(r.resident_bytes > 0 && r.open_fds > 0 && r.cpu_seconds >= 0.0);
    }
}
