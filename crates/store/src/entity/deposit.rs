//! The `deposits` table: one on-chain transaction a user said paid for tokens, keyed by its
//! signature: `pending` until finalized, then `credited` (once) or `refused` with a reason.

use sea_orm::entity::prelude::*;

/// One row of `deposits`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deposits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub signature: String,
    pub user_id: Uuid,
    pub status: String,
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
