//! Entry point of the `deals` binary: parse the command line, load configuration, run.

use std::process::ExitCode;

use clap::Parser;
use deals_app::cli::{Cli, run};

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
