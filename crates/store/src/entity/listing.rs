//! The `listings` table: one offer at one market (a deal): price and original price in minor units.
//! `owner_id` is set for deals a user attached by hand: those are private to that user.

use sea_orm::entity::prelude::*;

/// One row of `listings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "listings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub market: String,
    pub external_id: String,
    pub url: String,
    pub title: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub price_minor: i64,
    pub original_price_minor: Option<i64>,
    pub discount_bp: Option<i32>,
    pub currency: String,
    pub condition: String,
    pub seller_name: Option<String>,
    pub seller_rating: Option<f64>,
    pub availability: String,
    pub shipping_minor: Option<i64>,
    pub image_url: Option<String>,
    pub score: Option<f64>,
    pub status: String,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub flags: Option<Json>,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
