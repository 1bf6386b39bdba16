//! The `token_holds` table: tokens reserved for one step of agent work (keyed like the step),
//! `pending` until the work is posted or voided; a pending hold past `expires_at` is released.

use sea_orm::entity::prelude::*;

/// One row of `token_holds`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "token_holds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub key: String,
    pub user_id: Uuid,
    pub goal_id: Option<Uuid>,
    pub operation: String,
    pub amount: i64,
    pub status: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
