//! The `products` table: a canonical item (brand, model, identifiers) that listings at several stores point to.

use sea_orm::entity::prelude::*;

/// One row of `products`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub gtin: Option<String>,
    pub mpn: Option<String>,
    pub category: Option<String>,
    pub created_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
