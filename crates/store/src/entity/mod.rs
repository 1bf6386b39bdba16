//! SeaORM entities: one module per table, the same model on SQLite and PostgreSQL.
//!
//! The derive macros generate public items (`Column`, `ActiveModel`, …) that cannot carry docs, so
//! the missing-docs lint is off here; each table is described at the top of its module.
#![allow(missing_docs)]

pub mod agent_run;
pub mod deal_analysis;
pub mod deposit;
pub mod goal;
pub mod goal_alert_mark;
pub mod goal_alert_outbox;
pub mod goal_budget;
pub mod goal_match;
pub mod job;
pub mod leader_lease;
pub mod listing;
pub mod listing_link;
pub mod listing_link_block;
pub mod notification;
pub mod notification_delivery;
pub mod price_point;
pub mod product;
pub mod refresh_family;
pub mod refresh_token;
pub mod token_account;
pub mod token_entry;
pub mod token_hold;
pub mod tracker;
pub mod user;
pub mod user_preference;
pub mod wallet;
pub mod wallet_challenge;
