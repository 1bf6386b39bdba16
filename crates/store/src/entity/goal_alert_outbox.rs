//! The `goal_alert_outbox` table: a listing a goal must still consider alerting about, written
//! with the match and removed with the alert, so a crash between the two loses nothing.

use sea_orm::entity::prelude::*;

/// One row of `goal_alert_outbox`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_alert_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub goal_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: Uuid,
    pub created_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
