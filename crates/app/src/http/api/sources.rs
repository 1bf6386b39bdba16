//! Where the product's knowledge comes from: the marketplace sources with their health, the
//! LLM providers in fallback order, and the agent run log.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use deals_core::Permission;
use deals_store::rows::AgentRunRow;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::agents::serde_name as name;
use crate::auth::AuthUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiQuery;
use crate::state::AppState;

/// One marketplace source.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketOut {
    /// Store name (`amazon`, `bestbuy`…; `page` for product pages).
    pub name: String,
    /// `simulated`, `bestbuy`, `ebay`, `oxylabs` or `page`.
    pub kind: String,
    /// Whether it is searched.
    pub enabled: bool,
    /// `ok`, `degraded`, `blocked` or `down`.
    pub status: String,
    /// Last successful call.
    pub last_success: Option<DateTime<Utc>>,
    /// Last failure since start-up.
    pub last_error: Option<String>,
}

/// Every marketplace source and its health, as this process sees it.
#[utoipa::path(get, path = "/api/v1/markets", operation_id = "list_markets", tag = "markets", responses(
    (status = 200, body = Vec<MarketOut>, description = "OK")))]
pub async fn list_markets(State(state): State<AppState>) -> Json<Vec<MarketOut>> {
    let simulated = state.sim.is_some();
    Json(
        state
            .markets
            .health()
            .into_iter()
            .map(|h| {
                // The real adapters serve the simulator's stores; say so.
                let sim_store = simulated
                    && deals_markets::is_store(&h.name)
                    && state
                        .sim
                        .as_ref()
                        .and_then(|s| s.base_url(&h.name))
                        .is_some()
                    && !state.settings.markets_real(&h.name);
                MarketOut {
                    kind: if sim_store {
                        "simulated".into()
                    } else {
                        name(&h.kind)
                    },
                    name: h.name,
                    enabled: h.enabled,
                    status: name(&h.status),
                    last_success: h.last_success,
                    last_error: h.last_error,
                }
            })
            .collect(),
    )
}

/// One LLM provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderOut {
    /// Configured name.
    pub name: String,
    /// `openai_compatible`, `anthropic` or `rules`.
    pub kind: String,
    /// Model.
    pub model: String,
    /// Base URL (no credentials).
    pub base_url: String,
    /// `ok`, `degraded`, `down` or `circuit_open`.
    pub status: String,
    /// Last successful call.
    pub last_success: Option<DateTime<Utc>>,
    /// Last failure.
    pub last_error: Option<String>,
    /// Failed calls since the last success.
    pub consecutive_failures: u32,
}

/// The providers in fallback order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentsStatus {
    /// Configured providers, first tried first; the offline rules always answer last.
    pub providers: Vec<ProviderOut>,
    /// `true` when no provider is configured and the rules answer everything.
    pub rules_only: bool,
}

/// The LLM providers in fallback order and their health.
#[utoipa::path(get, path = "/api/v1/agents/status", operation_id = "agents_status", tag = "agents", security(("bearer" = [])), responses(
    (status = 200, body = AgentsStatus, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn agents_status(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<AgentsStatus>, AppError> {
    user.require(Permission::Read)?;
    let chain = state.agents.chain();
    let mut providers: Vec<ProviderOut> = chain
        .health()
        .into_iter()
        .map(|h| ProviderOut {
            kind: name(&h.kind),
            status: name(&h.status),
            name: h.name,
            model: h.model,
            base_url: h.base_url,
            last_success: h.last_success,
            last_error: h.last_error,
            consecutive_failures: h.consecutive_failures,
        })
        .collect();
    providers.push(ProviderOut {
        name: "rules".into(),
        kind: "rules".into(),
        model: "offline-rules".into(),
        base_url: String::new(),
        status: "ok".into(),
        last_success: None,
        last_error: None,
        consecutive_failures: 0,
    });
    Ok(Json(AgentsStatus {
        providers,
        rules_only: chain.is_rules_only(),
    }))
}

/// One agent run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentRunOut {
    /// Id.
    pub id: Uuid,
    /// `goal_analysis`, `deal_search`, `price_analysis` or `notification`.
    pub agent: String,
    /// Provider that answered (`rules` offline).
    pub provider: String,
    /// Model.
    pub model: String,
    /// Prompt template version.
    pub prompt_version: String,
    /// `succeeded`, `fallback` or `failed`.
    pub status: String,
    /// Short input summary.
    pub input_summary: String,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Wall time.
    pub latency_ms: i64,
    /// Estimated cost in US dollars.
    pub cost: f64,
    /// Providers tried, in order, with their outcome.
    #[schema(value_type = Vec<Object>)]
    pub attempts: serde_json::Value,
    /// Error of a failed run.
    pub error: Option<String>,
    /// The job it ran in.
    pub job_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<AgentRunRow> for AgentRunOut {
    fn from(r: AgentRunRow) -> Self {
        Self {
            id: r.id,
            agent: r.agent,
            provider: r.provider,
            model: r.model,
            prompt_version: r.prompt_version,
            status: r.status,
            input_summary: r.input_summary,
            tokens_in: r.tokens_in,
            tokens_out: r.tokens_out,
            latency_ms: r.latency_ms,
            cost: r.cost_micros as f64 / 1_000_000.0,
            attempts: r.attempts,
            error: r.error,
            job_id: r.job_id,
            created_at: r.created_at,
        }
    }
}

/// Agent runs, newest first: the caller's own (every run for administrators).
#[utoipa::path(get, path = "/api/v1/agents/runs", operation_id = "agent_runs", tag = "agents", security(("bearer" = [])), params(PageParams), responses(
    (status = 200, body = Paginated<AgentRunOut>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn agent_runs(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Paginated<AgentRunOut>>, AppError> {
    user.require(Permission::Read)?;
    let page = params.parse()?;
    let runs = state.store.list_agent_runs(user.scope(), page).await?;
    Ok(Json(Paginated::from_page(runs, page, AgentRunOut::from)))
}
