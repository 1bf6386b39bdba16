//! Jobs get a `priority` (higher runs first among due jobs): the first search of a new goal
//! runs ahead of scheduled re-searches and price checks, and a user's own burst lowers the
//! priority of that user's later jobs, so it cannot starve other people's first search.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::index;

/// Adds `jobs.priority` and the indexes the claim and the per-user count use.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000200_job_priority"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("jobs")
                .add_column(integer("priority").default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "jobs",
            "idx_jobs_status_priority_run_at",
            &["status", "priority", "run_at"],
        ))
        .await?;
        m.create_index(index(
            "jobs",
            "idx_jobs_owner_status",
            &["owner_id", "status"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_jobs_owner_status", "idx_jobs_status_priority_run_at"] {
            m.drop_index(Index::drop().name(name).table("jobs").to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table("jobs")
                .drop_column("priority")
                .to_owned(),
        )
        .await
    }
}
