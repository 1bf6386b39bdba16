//! The `wallet_challenges` table: a Sign-In With Solana message issued to a user for an
//! address, until it expires or its nonce is used (once).

use sea_orm::entity::prelude::*;

/// One row of `wallet_challenges`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wallet_challenges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub nonce: String,
    pub user_id: Uuid,
    pub address: String,
    pub message: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
