//! The `goal_budgets` table: the most tokens a goal's agent work may spend (its owner's cap);
//! the goal pauses when the next step would go over it.

use sea_orm::entity::prelude::*;

/// One row of `goal_budgets`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_budgets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub goal_id: Uuid,
    pub max_tokens: i64,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
