//! The `deals` application: configuration, start-up, the HTTP API, authentication, gateway
//! layers (rate limits, cache, metrics) and the command line.
//!
//! The operations a user or a job performs live in one module per capability (`accounts`,
//! `goals`, `deals`, `tracking`, `notify`, `live`); they take parsed inputs, own their
//! transactions and return typed outputs or an [`error::Error`]. `http` (and the background
//! `jobs`) are thin adapters around them; the use cases never import `http`.

pub mod accounts;
pub mod agents;
pub mod auth;
pub mod breaker;
pub mod cache;
pub mod cli;
pub mod config;
pub mod deals;
pub mod error;
pub mod goals;
pub mod http;
pub mod jobs;
pub mod live;
pub mod notify;
pub mod ratelimit;
pub mod redisconn;
pub mod schema;
pub mod seed;
pub mod startup;
pub mod state;
pub mod supervisor;
pub mod telemetry;
pub mod tokens;
pub mod tracking;
