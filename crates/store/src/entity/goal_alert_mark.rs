//! The `goal_alert_marks` table: the price at which a goal last told its owner about a listing
//! (an alert, or the goal's first summary), so it alerts again only for a meaningfully better one.

use sea_orm::entity::prelude::*;

/// One row of `goal_alert_marks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_alert_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub goal_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: Uuid,
    pub price_minor: i64,
    pub alerted_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
