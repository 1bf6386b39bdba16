//! Integration tests through the real router, a real database (SQLite, or PostgreSQL + Redis with
//! `DEALS_TEST_BACKEND=postgres`) and a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod analysis;
mod auth;
mod backup;
mod channels;
mod contract;
mod deals;
mod deposits;
mod email;
mod flows;
mod gateway;
mod goals;
mod hardening;
mod helpers;
mod links;
mod live_replicas;
mod llm;
mod monitoring;
mod process;
mod read_replica;
mod redis_cluster;
mod relevance;
mod replicas;
mod scale;
mod seed;
#[path = "../common/served.rs"]
mod served;
mod system;
mod tokens;
mod ui;
mod wallet;
mod workers;
mod ws;
