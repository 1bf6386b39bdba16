//! Register, log in, refresh (with rotation and reuse detection) and log out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::users::UserOut;
use crate::accounts::{LoginRequest, RefreshRequest, RegisterRequest};
use crate::auth::AuthUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiJson;
use crate::state::AppState;

/// Tokens and the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    /// The user.
    pub user: UserOut,
    /// Bearer token for API calls.
    pub access_token: String,
    /// Single-use token to obtain a new pair.
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl From<crate::accounts::Session> for AuthResponse {
    fn from(s: crate::accounts::Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            token_type: "bearer",
            expires_in: s.expires_in,
            user: s.user.into(),
        }
    }
}

/// Creates an account and signs it in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, body = AuthResponse, description = "Created"),
    (status = 409, body = Problem, description = "e-mail already registered"),
    (status = 422, body = Problem, description = "invalid e-mail, password shorter than 8 characters…"),
    (status = 429, body = Problem, description = "Rate limited; see Retry-After")))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AuthResponse>), AppError> {
    let session = crate::accounts::register(&state, req).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

/// Signs in with e-mail and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = AuthResponse, description = "OK"),
    (status = 401, body = Problem, description = "wrong e-mail or password (same answer for both)"),
    (status = 429, body = Problem, description = "Rate limited; see Retry-After")))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<AuthResponse>, AppError> {
    Ok(Json(crate::accounts::login(&state, req).await?.into()))
}

/// Exchanges a refresh token for a new pair. The presented token is spent; presenting a spent
/// token again revokes every token of its session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = AuthResponse, description = "OK"),
    (status = 401, body = Problem, description = "unknown, expired, revoked or reused token")))]
pub async fn refresh_tokens(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<AuthResponse>, AppError> {
    Ok(Json(crate::accounts::refresh(&state, req).await?.into()))
}

/// Ends the caller's session: its refresh tokens and access tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "session revoked"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, AppError> {
    crate::accounts::logout(&state, user.id, user.session).await?;
    Ok(StatusCode::NO_CONTENT)
}
