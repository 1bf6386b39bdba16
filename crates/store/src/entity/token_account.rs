//! The `token_accounts` table: a user's DEAL token balance in minor units. The database refuses
//! a negative balance (`CHECK (balance >= 0)`); debits are conditional updates.

use sea_orm::entity::prelude::*;

/// One row of `token_accounts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "token_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub balance: i64,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
