//! Browser tests: the real application in-process on port 0 (simulated marketplace on, jobs
//! run by the test with `run_due`), driven by headless Debian Chromium through chromedriver.
//! Screenshots of every main page go to `target/screenshots/`. Without chromium these tests say
//! so and pass locally; under `CI=true` they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod crawl;
mod flow;
