//! Crash-safe alerts and digests: `goal_alert_outbox` holds each listing a goal must still be
//! alerted about, written in the transaction that stores the match and removed in the one that
//! stores the alert; `notification_deliveries.digest_key` names the digest a held delivery
//! waits for.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::{fk, index, ts};

/// Adds `goal_alert_outbox` and `notification_deliveries.digest_key`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000101_alert_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        m.create_table(
            Table::create()
                .table("goal_alert_outbox")
                .col(uuid("goal_id"))
                .col(uuid("listing_id"))
                .col(ts("created_at"))
                .primary_key(Index::create().col("goal_id").col("listing_id"))
                .foreign_key(&mut fk("goal_alert_outbox", "goal_id", "goals", Cascade))
                .foreign_key(&mut fk(
                    "goal_alert_outbox",
                    "listing_id",
                    "listings",
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "goal_alert_outbox",
            "idx_goal_alert_outbox_created",
            &["created_at"],
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table("notification_deliveries")
                .add_column(string_null("digest_key"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "notification_deliveries",
            "idx_notification_deliveries_digest",
            &["digest_key"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_notification_deliveries_digest")
                .table("notification_deliveries")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("notification_deliveries")
                .drop_column("digest_key")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("goal_alert_outbox").to_owned())
            .await
    }
}
