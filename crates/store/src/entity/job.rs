//! The `jobs` table: one background job — its kind and payload, where it is in its life
//! (`queued`, `running`, `succeeded`, `retrying`, `failed`, `dead`), its attempts, the lease of the
//! worker running it, and its result or error. This table is the queue (workers claim due rows),
//! the result backend and what the monitor reads; `repo::jobs::Job` is its typed reading.

use sea_orm::entity::prelude::*;

/// One row of `jobs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub worker: Option<String>,
    pub dedup_key: Option<String>,
    pub priority: i32,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub result: Option<Json>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
