//! The `price_points` table: the price of a listing at an instant (partitioned by month on PostgreSQL).

use sea_orm::entity::prelude::*;

/// One row of `price_points`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "price_points")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub at: DateTimeUtc,
    pub price_minor: i64,
    pub currency: String,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
