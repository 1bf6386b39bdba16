//! Goals: what a user wants to buy. Create, list, read, update, delete, and the deals matched to
//! a goal (including deals attached by hand).

use crate::jobs::{JobKind, Jobs};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use deals_agents::rules::parse_goal;
use deals_core::money::{AmountInput, format_minor};
use deals_core::{
    GoalCriteria, GoalCriteriaInput, GoalStatus, Permission, Priority, ValidationErrors,
};
use deals_store::entity::goal;
use deals_store::repo::goals::insert_goal_in;
use deals_store::repo::goals::{GoalChanges, NewGoal};
use deals_store::repo::jobs::insert_job_in;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::auth::AuthUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// Criteria as documented in the API (see `GoalCriteriaInput` for parsing rules).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CriteriaDoc {
    /// Words a matching listing should contain.
    pub keywords: Vec<String>,
    /// Words that exclude a listing.
    pub exclude_keywords: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Brands.
    pub brands: Vec<String>,
    /// Conditions: `new`, `used`, `refurbished`, `open_box`.
    pub conditions: Vec<String>,
    /// Lowest price, two decimals.
    pub min_price: Option<String>,
    /// Highest price, two decimals.
    pub max_price: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Markets; empty means all.
    pub markets: Vec<String>,
    /// Lowest seller rating, 0–5.
    pub min_seller_rating: Option<f64>,
}

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
    /// The AnalyzeGoal job started by `POST /goals` (only in that answer): follow it at
    /// `GET /api/v1/jobs/{job_id}`; it starts the goal's first deal search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Uuid>,
}

impl From<goal::Model> for GoalOut {
    fn from(g: goal::Model) -> Self {
        Self {
            id: g.id,
            title: g.title,
            query: g.query,
            criteria: g.criteria,
            status: g.status,
            priority: g.priority,
            deadline: g.deadline,
            max_matches: g.max_matches,
            notify_threshold: g.notify_threshold,
            target_price: g.target_price_minor.map(format_minor),
            currency: g.currency,
            matches_found: g.matches_found,
            created_at: g.created_at,
            updated_at: g.updated_at,
            job_id: None,
        }
    }
}

/// A new goal: `query` (plain language) and/or `criteria`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoalRequest {
    /// What the user wants, in their words.
    pub query: Option<String>,
    /// Structured criteria.
    #[schema(value_type = Option<CriteriaDoc>)]
    pub criteria: Option<GoalCriteriaInput>,
    /// Title; defaults to the query.
    pub title: Option<String>,
    /// `low`, `medium` (default), `high`, `critical`.
    pub priority: Option<String>,
    /// Optional deadline, in the future.
    pub deadline: Option<DateTime<Utc>>,
    /// Most matches to keep, 1–500 (default 50).
    pub max_matches: Option<i32>,
    /// Score (0..1) from which to alert (default 0.7).
    pub notify_threshold: Option<f64>,
    /// Price hoped for.
    #[schema(value_type = Option<String>, example = "249.99")]
    pub target_price: Option<AmountInput>,
}

/// Deserialises a present field (even `null`) as `Some`, so PATCH can tell "clear" from "keep".
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a goal; omitted fields stay as they are, `null` clears nullable ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UpdateGoalRequest {
    /// New title.
    pub title: Option<String>,
    /// New criteria (replaces the old ones).
    #[schema(value_type = Option<CriteriaDoc>)]
    pub criteria: Option<GoalCriteriaInput>,
    /// New status.
    pub status: Option<String>,
    /// New priority.
    pub priority: Option<String>,
    /// New deadline, or null to clear.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// New match limit.
    pub max_matches: Option<i32>,
    /// New alert threshold.
    pub notify_threshold: Option<f64>,
    /// New target price, or null to clear.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub target_price: Option<Option<AmountInput>>,
}

/// `?status=` plus pagination.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only goals of this status.
    pub status: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1–100.
    pub per_page: Option<i64>,
}

fn check_title(errors: &mut ValidationErrors, title: &str) -> String {
    let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        errors.add("title", "must not be empty");
    } else if t.chars().count() > 200 {
        errors.add("title", "must be at most 200 characters");
    }
    t
}

fn check_threshold(errors: &mut ValidationErrors, v: f64) {
    if !(0.0..=1.0).contains(&v) {
        errors.add("notify_threshold", "must be between 0 and 1");
    }
}

fn check_max_matches(errors: &mut ValidationErrors, v: i32) {
    if !(1..=500).contains(&v) {
        errors.add("max_matches", "must be between 1 and 500");
    }
}

fn check_deadline(errors: &mut ValidationErrors, d: &DateTime<Utc>) {
    if *d <= Utc::now() {
        errors.add("deadline", "must be in the future");
    }
}

fn parse_criteria(errors: &mut ValidationErrors, input: GoalCriteriaInput) -> Option<GoalCriteria> {
    match GoalCriteria::parse(input) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.absorb("criteria", e);
            None
        }
    }
}

impl CreateGoalRequest {
    fn parse(self, user_id: Uuid) -> Result<NewGoal, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let query = self
            .query
            .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "));
        match &query {
            Some(q) if q.chars().count() < 3 => {
                errors.add("query", "must be at least 3 characters")
            }
            Some(q) if q.chars().count() > 500 => {
                errors.add("query", "must be at most 500 characters")
            }
            None if self.criteria.is_none() => {
                errors.add("query", "give a query, criteria, or both")
            }
            _ => {}
        }
        let criteria_given = self.criteria.is_some();
        // Plain language is read by the offline Goal Analysis rules; criteria sent with it win.
        let analysed = query.as_deref().map(parse_goal);
        let criteria = match self.criteria {
            Some(input) => parse_criteria(&mut errors, input),
            None => Some(
                analysed
                    .as_ref()
                    .map(|a| a.criteria.clone())
                    .unwrap_or_default(),
            ),
        };
        if query.is_none()
            && criteria_given
            && criteria.as_ref().is_some_and(GoalCriteria::is_empty)
        {
            errors.add(
                "criteria",
                "needs at least one keyword, brand or category when no query is given",
            );
        }
        let title = match (self.title, &query, &criteria) {
            (Some(t), _, _) => check_title(&mut errors, &t),
            (None, Some(q), _) => match analysed.as_ref().filter(|a| !a.title.is_empty()) {
                Some(a) => a.title.clone(),
                None => q.chars().take(200).collect(),
            },
            (None, None, Some(c)) => {
                let words: Vec<&str> = c
                    .brands
                    .iter()
                    .chain(&c.keywords)
                    .chain(&c.categories)
                    .map(String::as_str)
                    .collect();
                words.join(" ").chars().take(200).collect()
            }
            (None, None, None) => String::new(),
        };
        let priority = match self.priority {
            Some(p) => errors
                .check("priority", Priority::parse(&p))
                .unwrap_or(Priority::Medium),
            None => Priority::Medium,
        };
        if let Some(d) = &self.deadline {
            check_deadline(&mut errors, d);
        }
        let max_matches = self.max_matches.unwrap_or(50);
        check_max_matches(&mut errors, max_matches);
        let notify_threshold = self.notify_threshold.unwrap_or(0.7);
        check_threshold(&mut errors, notify_threshold);
        let target_price_minor = self
            .target_price
            .and_then(|a| errors.check("target_price", a.to_minor()));
        let criteria = criteria.unwrap_or_default();
        errors.into_result(NewGoal {
            user_id,
            title,
            query,
            criteria,
            priority,
            deadline: self.deadline,
            max_matches,
            notify_threshold,
            target_price_minor,
        })
    }
}

impl UpdateGoalRequest {
    fn parse(self) -> Result<GoalChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = self.title.map(|t| check_title(&mut errors, &t));
        let criteria = self.criteria.and_then(|c| parse_criteria(&mut errors, c));
        let status = self
            .status
            .and_then(|s| errors.check("status", GoalStatus::parse(&s)));
        let priority = self
            .priority
            .and_then(|p| errors.check("priority", Priority::parse(&p)));
        if let Some(Some(d)) = &self.deadline {
            check_deadline(&mut errors, d);
        }
        if let Some(m) = self.max_matches {
            check_max_matches(&mut errors, m);
        }
        if let Some(t) = self.notify_threshold {
            check_threshold(&mut errors, t);
        }
        let target_price_minor = match self.target_price {
            Some(Some(a)) => errors.check("target_price", a.to_minor()).map(Some),
            Some(None) => Some(None),
            None => None,
        };
        errors.into_result(GoalChanges {
            title,
            criteria,
            status,
            priority,
            deadline: self.deadline,
            max_matches: self.max_matches,
            notify_threshold: self.notify_threshold,
            target_price_minor,
        })
    }
}

/// Creates a goal. The plain-language `query` is stored as written and turned into criteria
/// by the offline Goal Analysis rules (prices, brands, categories, conditions, exclusions,
/// markets, features); structured `criteria`, when sent, are used instead.
#[utoipa::path(post, path = "/api/v1/goals", operation_id = "create_goal", tag = "goals", security(("bearer" = [])), request_body = CreateGoalRequest, responses(
    (status = 201, body = GoalOut, description = "Created"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateGoalRequest>,
) -> Result<(StatusCode, Json<GoalOut>), AppError> {
    user.require(Permission::Create)?;
    // The Goal Analysis Agent re-reads the user's words when no criteria were sent with them.
    let refine = req.query.is_some() && req.criteria.is_none();
    let new = req.parse(user.id)?;
    // No goal without its job, no job without its goal: both commit or neither does.
    let txn = state.store.begin_write().await?;
    let goal = insert_goal_in(&txn, new).await?;
    let (job, _) = insert_job_in(
        &txn,
        Jobs::new_job(
            JobKind::AnalyzeGoal,
            Some(user.id),
            Some(goal.id),
            serde_json::json!({ "refine": refine }),
        ),
    )
    .await?;
    txn.commit().await.map_err(deals_store::StoreError::from)?;
    state.jobs.dispatch(&job).await;
    let mut out = GoalOut::from(goal);
    out.job_id = Some(job.id);
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
    let goals = state
        .store
        .list_goals(deals_store::Scope::Owner(user.id), status, page)
        .await?;
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
    Ok(Json(
        state.store.get_goal(user.scope(), goal_id).await?.into(),
    ))
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
        state
            .store
            .update_goal(user.scope(), goal_id, changes)
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
    state.store.delete_goal(user.scope(), goal_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
