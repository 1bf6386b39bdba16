//! Deals matched to a goal: the ranked list, and attaching a deal by hand.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use deals_core::Permission;
use deals_store::repo::goals::MatchedDeal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::deals::DealOut;
use super::{PageParams, Paginated};
use crate::auth::AuthUser;
use crate::goals::attach::AttachDealRequest;
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// A deal matched to a goal: the deal's fields, plus why it matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalDealOut {
    /// The deal.
    #[serde(flatten)]
    pub deal: DealOut,
    /// How well it matches the goal, 0–1.
    pub match_score: f64,
    /// Reasons for the match.
    pub match_reasons: Vec<String>,
    /// `search` (the goal's own search), `index` (another goal's search) or `manual`
    /// (attached by hand).
    pub source: String,
    /// How many other stores list the same product now.
    pub other_stores: usize,
    /// When it was matched.
    pub matched_at: DateTime<Utc>,
}

impl From<MatchedDeal> for GoalDealOut {
    fn from(m: MatchedDeal) -> Self {
        Self {
            deal: m.listing.into(),
            match_score: m.matched.match_score,
            match_reasons: m.matched.reasons,
            source: m.matched.source.as_str().to_owned(),
            other_stores: m.other_stores,
            matched_at: m.matched.created_at,
        }
    }
}

/// Deals matched to a goal, best score first (unscored last), then best match.
#[utoipa::path(get, path = "/api/v1/goals/{goal_id}/deals", operation_id = "list_goal_deals", tag = "goals", security(("bearer" = [])),
    params(("goal_id" = Uuid, Path), PageParams), responses(
    (status = 200, body = Paginated<GoalDealOut>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "Not found (or not yours)")))]
pub async fn list_deals(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<Uuid>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Paginated<GoalDealOut>>, AppError> {
    user.require(Permission::Read)?;
    let page = params.parse()?;
    let deals = crate::goals::deals(&state, user.scope(), goal_id, page).await?;
    Ok(Json(Paginated::from_page(deals, page, GoalDealOut::from)))
}

/// Attaches a deal found by hand to a goal and scores it. The deal is private to the goal's owner; the same
/// market and id (or URL) always refer to the same deal of that owner, so attaching it again
/// updates it instead of duplicating it.
#[utoipa::path(post, path = "/api/v1/goals/{goal_id}/deals", operation_id = "attach_goal_deal", tag = "goals", security(("bearer" = [])),
    params(("goal_id" = Uuid, Path)), request_body = AttachDealRequest, responses(
    (status = 201, body = GoalDealOut, description = "Created"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "Not found (or not yours)"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn attach_deal(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AttachDealRequest>,
) -> Result<(StatusCode, Json<GoalDealOut>), AppError> {
    user.require(Permission::Create)?;
    let matched = crate::goals::attach::attach(&state, user.scope(), goal_id, req).await?;
    Ok((StatusCode::CREATED, Json(matched.into())))
}
