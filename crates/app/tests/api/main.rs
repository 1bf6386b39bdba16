//! Integration tests through the real router, a real database (SQLite, or PostgreSQL + Redis with
//! `DEALS_TEST_BACKEND=postgres`) and a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analysis;
mod auth;
mod deals;
mod flows;
mod gateway;
mod goals;
mod helpers;
mod llm;
mod relevance;
mod replicas;
mod seed;
mod system;
mod ui;
mod workers;
