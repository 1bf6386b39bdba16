//! Register, log in, refresh (with rotation and reuse detection) and log out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Duration;
use deals_core::{Email, Password, Role, ValidationErrors};
use deals_store::repo::sessions::Rotation;
use deals_store::repo::users::NewUser;
use deals_store::{StoreError, entity::user, now};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::UserOut;
use crate::auth::{AuthUser, password, refresh};
use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiJson;
use crate::state::AppState;

/// Registration request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address; unique.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Display name.
    pub name: Option<String>,
}

/// Login request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Refresh request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    pub refresh_token: String,
}

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

/// The answer for `user` in session `family` holding the fresh `refresh_token`.
fn token_pair(
    state: &AppState,
    user: user::Model,
    family: uuid::Uuid,
    refresh_token: String,
) -> Result<AuthResponse, AppError> {
    let role = Role::parse(&user.role).map_err(|e| anyhow::anyhow!("stored role: {e}"))?;
    Ok(AuthResponse {
        access_token: state.jwt.issue(user.id, role, family)?,
        refresh_token,
        token_type: "bearer",
        expires_in: state.jwt.access_ttl.as_secs(),
        user: user.into(),
    })
}

/// When a refresh token issued now expires.
fn refresh_expiry(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    now() + Duration::seconds(state.settings.auth.refresh_ttl_secs as i64)
}

/// Starts a session for `user` and returns the token pair.
async fn sign_in(state: &AppState, user: user::Model) -> Result<AuthResponse, AppError> {
    let token = refresh::generate();
    let family = state
        .store
        .start_session(user.id, refresh::digest(&token), refresh_expiry(state))
        .await?;
    token_pair(state, user, family, token)
}

fn parse_name(name: Option<String>, errors: &mut ValidationErrors) -> Option<String> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        errors.add("name", "must be at most 100 characters");
    }
    name
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
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(&req.email));
    let password = errors.check("password", Password::parse(&req.password));
    let name = parse_name(req.name, &mut errors);
    let (Some(email), Some(password)) = (email, password) else {
        return Err(errors.into());
    };
    errors.into_result(())?;
    if state.store.find_user_by_email(&email).await?.is_some() {
        return Err(AppError::Conflict(
            "an account with this e-mail already exists".into(),
        ));
    }
    let password_hash = password::hash(password).await?;
    let token = refresh::generate();
    let new = NewUser {
        email,
        name,
        password_hash,
        role: Role::User,
    };
    let (user, family) = match state
        .store
        .register_user(new, refresh::digest(&token), refresh_expiry(&state))
        .await
    {
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(
                "an account with this e-mail already exists".into(),
            ));
        }
        other => other?,
    };
    Ok((
        StatusCode::CREATED,
        Json(token_pair(&state, user, family, token)?),
    ))
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
    const WRONG: AppError = AppError::Unauthorized("wrong e-mail or password");
    let user = match Email::parse(&req.email) {
        Ok(email) => state.store.find_user_by_email(&email).await?,
        Err(_) => None,
    };
    // Unknown accounts are checked against a dummy hash: the answer takes as long either way.
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = password::verify(req.password.clone(), stored).await?;
    let (Some(user), true) = (user, ok) else {
        return Err(WRONG);
    };
    if password::needs_rehash(&user.password_hash)
        && let Ok(p) = Password::parse(&req.password)
    {
        let fresh = password::hash(p).await?;
        state.store.set_password_hash(user.id, fresh).await?;
    }
    Ok(Json(sign_in(&state, user).await?))
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
    let token = refresh::generate();
    let presented = refresh::digest(req.refresh_token.trim());
    match state
        .store
        .rotate_refresh_token(&presented, refresh::digest(&token), refresh_expiry(&state))
        .await?
    {
        Rotation::Rotated { user_id, family_id } => {
            let user = state.store.get_user(user_id).await?;
            Ok(Json(token_pair(&state, user, family_id, token)?))
        }
        Rotation::ReuseDetected { family_id } => {
            tracing::warn!(%family_id, "refresh token reuse detected; session revoked");
            Err(AppError::Unauthorized(
                "refresh token was already used; the session has been revoked",
            ))
        }
        Rotation::Invalid => Err(AppError::Unauthorized("invalid or expired refresh token")),
    }
}

/// Ends the caller's session: its refresh tokens and access tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "session revoked"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, AppError> {
    state
        .store
        .revoke_session(user.session, user.id, "logout")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
