//! The agent run log: which agent ran for whom, which provider answered, tokens, latency, cost.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::Page;
use crate::entity::agent_run;
use crate::rows::AgentRunRow;
use crate::{Scope, Store, StoreError, now};

/// One agent call to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgentRun {
    /// The user the agent worked for.
    pub user_id: Option<Uuid>,
    /// The job the agent ran in.
    pub job_id: Option<Uuid>,
    /// `goal_analysis`, `deal_search`, `price_analysis` or `notification`.
    pub agent: String,
    /// Provider that answered (`rules` for the offline provider).
    pub provider: String,
    /// Model name.
    pub model: String,
    /// Version of the prompt template.
    pub prompt_version: String,
    /// `succeeded`, `fallback` or `failed`.
    pub status: String,
    /// A short, secret-free summary of the input.
    pub input_summary: String,
    /// The agent's output.
    pub output: serde_json::Value,
    /// Providers tried before the answer, with their outcome.
    pub attempts: serde_json::Value,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Wall time.
    pub latency_ms: i64,
    /// Estimated cost in millionths of a US dollar.
    pub cost_micros: i64,
    /// Error of a failed run.
    pub error: Option<String>,
}

impl Store {
    /// Records one agent run.
    pub async fn record_agent_run(&self, run: NewAgentRun) -> Result<AgentRunRow, StoreError> {
        let model = agent_run::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(run.user_id),
            job_id: Set(run.job_id),
            agent: Set(run.agent),
            provider: Set(run.provider),
            model: Set(run.model),
            prompt_version: Set(run.prompt_version),
            status: Set(run.status),
            input_summary: Set(run.input_summary),
            output: Set(run.output),
            attempts: Set(run.attempts),
            tokens_in: Set(run.tokens_in),
            tokens_out: Set(run.tokens_out),
            latency_ms: Set(run.latency_ms),
            cost_micros: Set(run.cost_micros),
            error: Set(run.error),
            created_at: Set(now()),
        };
        Ok(model.insert(self.write_conn()).await?)
    }

    /// Agent runs visible in `scope`, newest first.
    pub async fn list_agent_runs(
        &self,
        scope: Scope,
        page: deals_core::Pagination,
    ) -> Result<Page<AgentRunRow>, StoreError> {
        let mut q = agent_run::Entity::find();
        if let Scope::Owner(user) = scope {
            q = q.filter(agent_run::Column::UserId.eq(user));
        }
        let total = q.clone().count(self.conn()).await?;
        let items = q
            .order_by_desc(agent_run::Column::CreatedAt)
            .order_by_desc(agent_run::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page { items, total })
    }
}
