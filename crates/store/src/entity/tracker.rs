//! The `trackers` table: a user watching one listing's price.

use sea_orm::entity::prelude::*;

/// One row of `trackers`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trackers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub listing_id: Uuid,
    pub target_price_minor: Option<i64>,
    pub notify_on_drop_pct: Option<f64>,
    pub created_at: DateTimeUtc,
    pub last_price_minor: Option<i64>,
    pub last_checked_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub alert_state: Option<Json>,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
