//! Schema migrations, run on boot and by `deals migrate`.
//!
//! Tables are declared once with the SeaQuery builder and rendered for each backend. The two places
//! where the backends differ on purpose are written out per backend: full-text search (PostgreSQL
//! `tsvector` + GIN, SQLite FTS5 with triggers) and price points (a table partitioned by month on
//! PostgreSQL, a plain table on SQLite).

use sea_orm_migration::prelude::*;

mod m20261124_000001_initial;
mod m20261125_000001_jobs;
mod m20261207_000002_goal_last_search;
mod m20261207_000010_alerts;
mod m20261207_000030_tokens;
mod m20261207_000030_wallets;
mod m20261207_000101_alert_outbox;
mod m20261207_000200_job_priority;
mod m20261207_000300_listing_links;
mod m20261207_000400_job_claim_index;
pub mod partitions;

/// Every migration of the application, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_initial::Migration),
            Box::new(m20261125_000001_jobs::Migration),
            Box::new(m20261207_000002_goal_last_search::Migration),
            Box::new(m20261207_000010_alerts::Migration),
            Box::new(m20261207_000030_tokens::Migration),
            Box::new(m20261207_000030_wallets::Migration),
            Box::new(m20261207_000101_alert_outbox::Migration),
            Box::new(m20261207_000200_job_priority::Migration),
            Box::new(m20261207_000300_listing_links::Migration),
            Box::new(m20261207_000400_job_claim_index::Migration),
        ]
    }
}
