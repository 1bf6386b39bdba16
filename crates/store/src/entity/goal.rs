//! The `goals` table: what a user wants to buy, in their words and as criteria.

use sea_orm::entity::prelude::*;

/// One row of `goals`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub query: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub criteria: Json,
    pub status: String,
    pub priority: String,
    pub deadline: Option<DateTimeUtc>,
    pub max_matches: i32,
    pub notify_threshold: f64,
    pub target_price_minor: Option<i64>,
    pub currency: String,
    pub matches_found: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub last_search: Option<Json>,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
