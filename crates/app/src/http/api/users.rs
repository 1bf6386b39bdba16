//! The caller's account and preferences, and the admin list of users.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use deals_core::Preferences;
use deals_store::rows::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageParams, Paginated};
use crate::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// A user as shown by the API (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    /// Id.
    pub id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// `user`, `admin` or `service`.
    pub role: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.as_str().to_owned(),
            created_at: u.created_at,
        }
    }
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = UserOut, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<UserOut>, AppError> {
    Ok(Json(crate::accounts::me(&state, user.id).await?.into()))
}

/// The caller's notification preferences (defaults until saved).
#[utoipa::path(get, path = "/api/v1/users/me/preferences", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = crate::schema::PreferencesDoc, description = "OK"),
    (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn get_preferences(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Preferences>, AppError> {
    Ok(Json(crate::notify::preferences(&state, user.id).await?))
}

/// Replaces the caller's notification preferences; omitted fields take their defaults.
#[utoipa::path(put, path = "/api/v1/users/me/preferences", tag = "users", security(("bearer" = [])),
    request_body = crate::schema::PreferencesDoc,
    responses((status = 200, body = crate::schema::PreferencesDoc, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn put_preferences(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(prefs): ApiJson<Preferences>,
) -> Result<Json<Preferences>, AppError> {
    user.require(deals_core::Permission::Update)?;
    let prefs = prefs.validate()?;
    crate::notify::save_preferences(&state, user.id, &prefs).await?;
    Ok(Json(prefs))
}

/// Which channel to test.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSendIn {
    /// `webhook`, `ntfy`, `email`, `telegram` or `discord`.
    #[schema(schema_with = crate::schema::channel)]
    pub channel: String,
}

/// Sends a test message through one of the caller's channels now and answers how it went
/// (`sent` with the channel's HTTP status, or `failed` with the reason).
#[utoipa::path(post, path = "/api/v1/users/me/preferences/test", tag = "users", security(("bearer" = [])),
    request_body = TestSendIn,
    responses((status = 200, body = crate::notify::TestSent, description = "The outcome of the test message"),
        (status = 400, body = Problem, description = "Malformed body"),
        (status = 401, body = Problem, description = "Missing, invalid or expired token"),
        (status = 409, body = Problem, description = "The channel is not set up in the caller's preferences"),
        (status = 422, body = Problem, description = "Unknown channel")))]
pub async fn test_send(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<TestSendIn>,
) -> Result<Json<crate::notify::TestSent>, AppError> {
    user.require(deals_core::Permission::Update)?;
    let channel = deals_core::Channel::parse(&body.channel)
        .map_err(|e| crate::error::Error::invalid("channel", e.to_string()))?;
    Ok(Json(
        crate::notify::test_send(&state, user.id, channel).await?,
    ))
}

/// Every user (administrators only).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), params(PageParams), responses(
    (status = 200, body = Paginated<UserOut>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role")))]
pub async fn admin_list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Paginated<UserOut>>, AppError> {
    let page = params.parse()?;
    let users = crate::accounts::list_users(&state, page).await?;
    Ok(Json(Paginated::from_page(users, page, UserOut::from)))
}
