//! A goal keeps the summary of its last deal search (`goals.last_search`, JSON), so the user can
//! see what was found and, when nothing was, why.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Adds `goals.last_search`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000002_goal_last_search"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("goals")
                .add_column(json_binary_null("last_search"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("goals")
                .drop_column("last_search")
                .to_owned(),
        )
        .await
    }
}
