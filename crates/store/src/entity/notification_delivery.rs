//! The `notification_deliveries` table: how the delivery of one notification to one external
//! channel stands (`pending`, `held`, `sending` (a digest being sent), `sent`, `failed`), with its attempts and last error.

use sea_orm::entity::prelude::*;

/// One row of `notification_deliveries`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTimeUtc,
    /// The digest a held delivery waits for (`digest:<user>:<channel>:<unix time>`).
    pub digest_key: Option<String>,
}

/// No declared relations: joins are written out in the repositories.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
