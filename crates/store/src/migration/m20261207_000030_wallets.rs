//! Solana wallets linked by a signed Sign-In With Solana challenge (one wallet per user, one
//! user per wallet), the challenges themselves (single-use nonces), and on-chain deposits (one
//! row per transaction signature, so a payment is credited once).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::{fk, index, ts, ts_null};

/// Adds wallets, wallet challenges and deposits.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000030_wallets"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        m.create_table(
            Table::create()
                .table("wallets")
                .col(uuid("user_id").primary_key())
                .col(string("address"))
                .col(ts("linked_at"))
                .foreign_key(&mut fk("wallets", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("wallet_challenges")
                .col(string("nonce").primary_key())
                .col(uuid("user_id"))
                .col(string("address"))
                .col(text("message"))
                .col(ts("expires_at"))
                .col(ts_null("used_at"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("wallet_challenges", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("deposits")
                .col(string("signature").primary_key())
                .col(uuid("user_id"))
                .col(string("status"))
                .col(big_integer_null("amount"))
                .col(text_null("reason"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("deposits", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("wallets", "uq_wallets_address", &["address"])
                .unique()
                .to_owned(),
        )
        .await?;
        for i in [
            index(
                "wallet_challenges",
                "idx_wallet_challenges_user_address",
                &["user_id", "address"],
            ),
            index("deposits", "idx_deposits_status", &["status"]),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }
}
