//! Alerts people trust: a per-user increasing event id on notifications (from a counter row bumped
//! in the notification's own transaction), the price at which each goal last alerted about each
//! listing (so a goal alerts once per listing per episode), and the delivery status of each
//! notification per external channel.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::{fk, index, ts};

/// Adds `notifications.event_id`, `user_event_counters`, `goal_alert_marks` and
/// `notification_deliveries`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000010_alerts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        m.alter_table(
            Table::alter()
                .table("notifications")
                .add_column(big_integer_null("event_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "notifications",
            "idx_notifications_user_event",
            &["user_id", "event_id"],
        ))
        .await?;
        let tables = [
            Table::create()
                .table("user_event_counters")
                .col(uuid("user_id").primary_key())
                .col(big_integer("last_event_id"))
                .foreign_key(&mut fk("user_event_counters", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("goal_alert_marks")
                .col(uuid("goal_id"))
                .col(uuid("listing_id"))
                .col(big_integer("price_minor"))
                .col(ts("alerted_at"))
                .primary_key(Index::create().col("goal_id").col("listing_id"))
                .foreign_key(&mut fk("goal_alert_marks", "goal_id", "goals", Cascade))
                .foreign_key(&mut fk(
                    "goal_alert_marks",
                    "listing_id",
                    "listings",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("notification_deliveries")
                .col(uuid("notification_id"))
                .col(string("channel"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(text_null("last_error"))
                .col(ts("updated_at"))
                .primary_key(Index::create().col("notification_id").col("channel"))
                .foreign_key(&mut fk(
                    "notification_deliveries",
                    "notification_id",
                    "notifications",
                    Cascade,
                ))
                .to_owned(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "notification_deliveries",
            "goal_alert_marks",
            "user_event_counters",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_notifications_user_event")
                .table("notifications")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("notifications")
                .drop_column("event_id")
                .to_owned(),
        )
        .await
    }
}
