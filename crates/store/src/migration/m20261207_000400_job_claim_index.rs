//! The claim's index in the claim's order: `(status, priority DESC, run_at)`, so that taking
//! the next due jobs walks the index from its start instead of sorting every waiting job (a
//! burst of thousands of goals made each claim sort thousands of rows). It replaces
//! `idx_jobs_status_priority_run_at`, which had `priority` ascending.

use sea_orm_migration::prelude::*;

/// Replaces the claim's index by one in the claim's order.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000400_job_claim_index"
    }
}

const OLD: &str = "idx_jobs_status_priority_run_at";
const NEW: &str = "idx_jobs_claim_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NEW)
                .table("jobs")
                .col("status")
                .col((Alias::new("priority"), IndexOrder::Desc))
                .col("run_at")
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name(OLD).table("jobs").to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(OLD)
                .table("jobs")
                .col("status")
                .col("priority")
                .col("run_at")
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name(NEW).table("jobs").to_owned())
            .await
    }
}
