//! The `listing_links` table: by which rule (and with which learned score) a listing's current
//! product link was made.

use sea_orm::entity::prelude::*;

/// One row of `listing_links`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: Uuid,
    pub product_id: Uuid,
    pub rule: String,
    pub score: Option<f64>,
    pub linked_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
