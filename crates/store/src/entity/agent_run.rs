//! The `agent_runs` table: one call of an agent — which provider and model answered, with which
//! prompt version, tokens, latency, estimated cost and outcome.

use sea_orm::entity::prelude::*;

/// One row of `agent_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub agent: String,
    pub provider: String,
    pub model: String,
    pub prompt_version: String,
    pub status: String,
    pub input_summary: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub output: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub attempts: Json,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub latency_ms: i64,
    pub cost_micros: i64,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
