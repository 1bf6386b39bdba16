//! The `deal_analyses` table: a stored score of a listing with every modifier, so it can be explained later.

use sea_orm::entity::prelude::*;

/// One row of `deal_analyses`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deal_analyses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub listing_id: Uuid,
    pub formula_version: String,
    pub base_score: f64,
    #[sea_orm(column_type = "JsonBinary")]
    pub modifiers: Json,
    pub final_score: f64,
    pub normalized_score: f64,
    pub is_anomaly: bool,
    pub moving_average: Option<f64>,
    pub stddev: Option<f64>,
    pub price_stability: Option<f64>,
    pub market_average_minor: Option<i64>,
    pub explanation: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Json,
    pub analyzed_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
