//! The `listing_link_blocks` table: a product an administrator unlinked a listing from, which
//! the ingest path does not link it to again.

use sea_orm::entity::prelude::*;

/// One row of `listing_link_blocks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_link_blocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    pub blocked_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
