//! The `deals` application: configuration, start-up, the HTTP API, authentication, gateway
//! layers (rate limits, cache, metrics) and the command line.

pub mod analysis;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod events;
pub mod http;
pub mod jobs;
pub mod ratelimit;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
