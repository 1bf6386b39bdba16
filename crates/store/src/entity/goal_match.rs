//! The `goal_matches` table: a listing matched to a goal, with the match score and its reasons.

use sea_orm::entity::prelude::*;

/// One row of `goal_matches`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_matches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub goal_id: Uuid,
    pub listing_id: Uuid,
    pub match_score: f64,
    #[sea_orm(column_type = "JsonBinary")]
    pub reasons: Json,
    pub source: String,
    pub created_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
