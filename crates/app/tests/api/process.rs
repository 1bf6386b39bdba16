//! `deals serve` as a child process for the multi-process tests.
//!
//! The process binds port 0 and the test reads the real address from its start-up log line, so
//! no port is picked in advance (a port picked by binding and releasing it can be taken meanwhile
//! by any outgoing connection of the parallel tests: the replica then failed to bind and the test
//! waited a minute for nothing). Its output goes to a log file that a failed start prints.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::served::served_address;

/// A running `deals serve`; killed when dropped.
pub struct Served {
    pub base: String,
    _child: Child,
    _log_dir: tempfile::TempDir,
}

fn log_tail(dir: &std::path::Path) -> String {
    let bytes = std::fs::read(dir.join("serve.log")).unwrap_or_default();
    let start = bytes.len().saturating_sub(20_000);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// Starts `cmd` (a `deals serve` command with its environment set) on a port of its own and
/// waits until `/health` answers 200. Panics with the process's log when it exits or is not
/// serving within a minute.
pub async fn serve(mut cmd: Command) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut child = cmd
        .env("DEALS_SERVER__LISTEN", "127.0.0.1:0")
        // The start-up line names the bound port; everything else only from warnings up.
        .env("DEALS_LOG__LEVEL", "warn,deals_app::cli=info")
        .env("DEALS_LOG__FORMAT", "pretty")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the deals binary starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let client = reqwest::Client::new();
    let mut base = None;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "deals serve exited ({status}) before serving:\n{}",
                log_tail(dir.path())
            );
        }
        if base.is_none() {
            base = served_address(&log_tail(dir.path()));
        }
        if let Some(b) = &base
            && let Ok(r) = client.get(format!("{b}/health")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "deals serve did not become ready within a minute:\n{}",
            log_tail(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Served {
        base: base.unwrap(),
        _child: child,
        _log_dir: dir,
    }
}
