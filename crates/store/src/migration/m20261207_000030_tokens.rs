//! The DEAL token ledger: one account row per user whose balance the database keeps
//! non-negative (`CHECK (balance >= 0)`), append-only entries that each carry the balance after
//! them and a unique idempotency key, holds reserved for agent work, and per-goal budgets.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::{fk, index, ts, ts_null};

/// Adds token accounts, entries, holds and goal budgets.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000030_tokens"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        m.create_table(
            Table::create()
                .table("token_accounts")
                .col(uuid("user_id").primary_key())
                .col(big_integer("balance").check(Expr::col("balance").gte(0)))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("token_accounts", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("token_entries")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string("kind"))
                .col(big_integer("amount"))
                .col(big_integer("balance_after").check(Expr::col("balance_after").gte(0)))
                .col(text("reason"))
                .col(string_null("reference"))
                .col(uuid_null("goal_id"))
                .col(string("idempotency_key"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("token_entries", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("token_holds")
                .col(pk_uuid("id"))
                .col(string("key"))
                .col(uuid("user_id"))
                .col(uuid_null("goal_id"))
                .col(string("operation"))
                .col(big_integer("amount"))
                .col(string("status"))
                .col(ts("expires_at"))
                .col(ts("created_at"))
                .col(ts_null("settled_at"))
                .foreign_key(&mut fk("token_holds", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("goal_budgets")
                .col(uuid("goal_id").primary_key())
                .col(big_integer("max_tokens").check(Expr::col("max_tokens").gte(0)))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("goal_budgets", "goal_id", "goals", Cascade))
                .to_owned(),
        )
        .await?;
        let unique = [
            index(
                "token_entries",
                "uq_token_entries_key",
                &["idempotency_key"],
            ),
            index("token_holds", "uq_token_holds_key", &["key"]),
        ];
        for mut i in unique {
            m.create_index(i.unique().to_owned()).await?;
        }
        let indexes = [
            index(
                "token_entries",
                "idx_token_entries_user_created",
                &["user_id", "created_at"],
            ),
            index("token_entries", "idx_token_entries_goal", &["goal_id"]),
            index(
                "token_holds",
                "idx_token_holds_status_expires",
                &["status", "expires_at"],
            ),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }
}
