//! The `user_preferences` table: one JSON document of notification preferences per user.

use sea_orm::entity::prelude::*;

/// One row of `user_preferences`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "user_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Json,
    pub updated_at: DateTimeUtc,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
