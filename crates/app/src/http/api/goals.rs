//! Goals: what a user wants to buy. Create, list, read, update, delete, and run a search now.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use deals_core::money::format_minor;
use deals_core::{GoalStatus, LastSearch, Permission};
use deals_store::rows::Goal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::auth::AuthUser;
use crate::goals::input::{CreateGoalRequest, CriteriaDoc, UpdateGoalRequest};
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// A goal.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalOut {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// The user's own words.
    pub query: Option<String>,
    /// Structured criteria.
    #[schema(value_type = CriteriaDoc)]
    pub criteria: serde_json::Value,
    /// `active`, `paused`, `completed`, `expired`, `cancelled`.
    pub status: String,
    /// `low`, `medium`, `high`, `critical`.
    pub priority: String,
    /// Optional deadline.
    pub deadline: Option<DateTime<Utc>>,
    /// Most matches kept.
    pub max_matches: i32,
    /// Score (0..1) from which the user is alerted.
    pub notify_threshold: f64,
    /// Price the user hopes for.
    pub target_price: Option<String>,
    /// Currency of prices.
    pub currency: String,
    /// Deals matched so far.
    pub matches_found: i32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// What the goal's last deal search did: when, per store what it returned, and in one
    /// sentence what was found or — when nothing was — which constraint excluded what.
    #[schema(value_type = Option<Object>)]
    pub last_search: Option<LastSearch>,
    /// The goal's first job, started by `POST /goals` (only in that answer): follow it at
    /// `GET /api/v1/jobs/{job_id}`. With an LLM configured and the goal sent as words, it is
    /// the `analyze_goal` job that re-reads them and then starts the first deal search;
    /// otherwise (the words were read at once) it is the first `search_deals` itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Uuid>,
    /// DEAL tokens spent on the goal's agent work and its budget (in the single-goal answer
    /// only; set the budget with `PUT /api/v1/goals/{goal_id}/budget`).
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    #[schema(value_type = Option<Object>)]
    pub tokens: Option<crate::tokens::Budget>,
}

impl From<Goal> for GoalOut {
    fn from(g: Goal) -> Self {
        Self {
            id: g.id,
            title: g.title,
            query: g.query,
            criteria: serde_json::to_value(&g.criteria).unwrap_or_default(),
            status: g.status.as_str().to_owned(),
            priority: g.priority.as_str().to_owned(),
            deadline: g.deadline,
            max_matches: g.max_matches,
            notify_threshold: g.notify_threshold,
            target_price: g.target_price_minor.map(format_minor),
            currency: g.currency.as_str().to_owned(),
            matches_found: g.matches_found,
            created_at: g.created_at,
            updated_at: g.updated_at,
            last_search: g.last_search,
            job_id: None,
            tokens: None,
        }
    }
}

/// `?status=` plus pagination.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only goals of this status.
    #[param(schema_with = crate::schema::goal_status_filter)]
    pub status: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

/// Creates a goal. The plain-language `query` is stored as written and turned into criteria
/// by the offline Goal Analysis rules (prices, brands, categories, conditions, exclusions,
/// markets, features); structured `criteria`, when sent, are used instead.
#[utoipa::path(post, path = "/api/v1/goals", operation_id = "create_goal", tag = "goals", security(("bearer" = [])), request_body = CreateGoalRequest, responses(
    (status = 201, body = GoalOut, description = "Created"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 402, body = Problem, description = "Not enough DEAL tokens (the body adds `cost` and `balance`)"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateGoalRequest>,
) -> Result<(StatusCode, Json<GoalOut>), AppError> {
    user.require(Permission::Create)?;
    let created = crate::goals::create(&state, user.id, req).await?;
    let mut out = GoalOut::from(created.goal);
    out.job_id = Some(created.job_id);
    Ok((StatusCode::CREATED, Json(out)))
}

/// The caller's goals, newest first.
#[utoipa::path(get, path = "/api/v1/goals", operation_id = "list_goals", tag = "goals", security(("bearer" = [])), params(ListParams), responses(
    (status = 200, body = Paginated<GoalOut>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Paginated<GoalOut>>, AppError> {
    let page = PageParams {
        page: params.page,
        per_page: params.per_page,
    }
    .parse()?;
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(GoalStatus::parse(s).map_err(|e| AppError::invalid("status", e.to_string()))?)
        }
        None => None,
    };
    // Goal lists are personal, for administrators too; they reach others' goals by id.
    let goals = crate::goals::list(&state, user.id, status, page).await?;
    Ok(Json(Paginated::from_page(goals, page, GoalOut::from)))
}

/// One goal.
#[utoipa::path(get, path = "/api/v1/goals/{goal_id}", operation_id = "get_goal", tag = "goals", security(("bearer" = [])), params(("goal_id" = Uuid, Path)), responses(
    (status = 200, body = GoalOut, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<Uuid>,
) -> Result<Json<GoalOut>, AppError> {
    user.require(Permission::Read)?;
    let mut out = GoalOut::from(crate::goals::get(&state, user.scope(), goal_id).await?);
    out.tokens = Some(crate::tokens::budget(&state, goal_id).await?);
    Ok(Json(out))
}

/// Changes a goal.
#[utoipa::path(patch, path = "/api/v1/goals/{goal_id}", operation_id = "update_goal", tag = "goals", security(("bearer" = [])), params(("goal_id" = Uuid, Path)),
    request_body = UpdateGoalRequest, responses(
    (status = 200, body = GoalOut, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "Not found (or not yours)"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateGoalRequest>,
) -> Result<Json<GoalOut>, AppError> {
    user.require(Permission::Update)?;
    let changes = req.parse()?;
    Ok(Json(
        crate::goals::update(&state, user.scope(), goal_id, changes)
            .await?
            .into(),
    ))
}

/// Deletes a goal and its matches.
#[utoipa::path(delete, path = "/api/v1/goals/{goal_id}", operation_id = "delete_goal", tag = "goals", security(("bearer" = [])), params(("goal_id" = Uuid, Path)), responses(
    (status = 204, description = "No content"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<Uuid>,
) -> Result<StatusCode, AppError> {
    user.require(Permission::Delete)?;
    crate::goals::delete(&state, user.scope(), goal_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
