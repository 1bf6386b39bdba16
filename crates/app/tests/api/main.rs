//! Integration tests through the real router, a real database (SQLite, or PostgreSQL + Redis with
//! `DEALS_TEST_BACKEND=postgres`) and a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod analysis;
mod auth;
mod channels;
mod deals;
mod email;
mod flows;
mod gateway;
mod goals;
mod helpers;
mod live_replicas;
mod llm;
mod relevance;
mod replicas;
mod seed;
mod system;
mod workers;
mod ws;
