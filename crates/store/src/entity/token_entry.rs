//! The `token_entries` table: the append-only ledger. Each row is one movement of a user's
//! tokens (`amount` > 0 adds, < 0 takes), the balance right after it, why, what it refers to (a
//! job step, a goal, a transaction signature) and a unique idempotency key.

use sea_orm::entity::prelude::*;

/// One row of `token_entries`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "token_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub amount: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reference: Option<String>,
    pub goal_id: Option<Uuid>,
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
