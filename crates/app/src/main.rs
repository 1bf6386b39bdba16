//! Entry point of the `deals` binary: parse the command line, load configuration, run.

use std::process::ExitCode;

use clap::Parser;
use deals_app::cli::{Cli, run};

/// jemalloc with its background threads: memory freed after a burst (goal searches, password
/// hashes) goes back to the system within seconds (its decay), where glibc's malloc kept it
/// in its arenas (docs/performance.md, "Goal bursts"). It also serves the C code's `malloc`
/// (SQLite's page caches and statements), whose frees glibc kept as well.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // TLS everywhere uses rustls with ring; install it before anything opens a connection.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
