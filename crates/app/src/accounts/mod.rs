//! Accounts: register, sign in, refresh a session (rotation with reuse detection), sign out, the
//! signed-in user and the user list of administrators. Passwords are hashed off the async
//! runtime; an account never exists without the session its registration answered with.

use chrono::Duration;
use deals_core::{Email, Pagination, Password, Role, ValidationErrors};
use deals_store::repo::Page;
use deals_store::repo::sessions::Rotation;
use deals_store::repo::users::NewUser;
use deals_store::rows::User;
use deals_store::{StoreError, now};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{password, refresh};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Registration request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address; unique (compared in lower case).
    #[schema(format = Email, max_length = 254, example = "ada@example.com")]
    pub email: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// Display name, at most 100 characters (trimmed).
    #[schema(max_length = 100)]
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

/// A signed-in session: the user and a fresh token pair.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user.
    pub user: User,
    /// Short-lived access token (JWT).
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The session (refresh token family) id.
    pub session_id: Uuid,
}

const TAKEN: &str = "an account with this e-mail already exists";

fn refresh_expiry(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    now()
        + Duration::seconds(
            i64::try_from(state.settings.auth.refresh_ttl_secs).unwrap_or(i64::MAX / 1_000_000),
        )
}

fn session(state: &AppState, user: User, family: Uuid, refresh_token: String) -> Result<Session> {
    Ok(Session {
        access_token: state.jwt.issue(user.id, user.role, family)?,
        refresh_token,
        expires_in: state.jwt.access_ttl.as_secs(),
        session_id: family,
        user,
    })
}

async fn sign_in(state: &AppState, user: User) -> Result<Session> {
    let token = refresh::generate();
    let family = state
        .store
        .start_session(user.id, refresh::digest(&token), refresh_expiry(state))
        .await?;
    session(state, user, family, token)
}

fn parse_name(name: Option<String>, errors: &mut ValidationErrors) -> Option<String> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        errors.add("name", "must be at most 100 characters");
    }
    name
}

/// Creates an account (role `user`) and its first session.
pub async fn register(state: &AppState, req: RegisterRequest) -> Result<Session> {
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(&req.email));
    let password = errors.check("password", Password::parse(&req.password));
    let name = parse_name(req.name, &mut errors);
    let (Some(email), Some(password)) = (email, password) else {
        return Err(errors.into());
    };
    errors.into_result(())?;
    if state.store.find_user_by_email(&email).await?.is_some() {
        return Err(Error::Conflict(TAKEN.into()));
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
        .register_user(
            new,
            refresh::digest(&token),
            refresh_expiry(state),
            state.settings.tokens.signup_bonus.minor(),
        )
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(Error::Conflict(TAKEN.into())),
        other => other?,
    };
    session(state, user, family, token)
}

/// Signs in with e-mail and password. A wrong password and an unknown address get the same
/// answer in the same time; an old hash is upgraded on success.
pub async fn login(state: &AppState, req: LoginRequest) -> Result<Session> {
    const WRONG: Error = Error::Unauthorized("wrong e-mail or password");
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
    sign_in(state, user).await
}

/// Exchanges a refresh token for a new pair. The presented token is spent; presenting a spent
/// token again revokes every token of its session.
pub async fn refresh(state: &AppState, req: RefreshRequest) -> Result<Session> {
    let token = refresh::generate();
    let presented = refresh::digest(req.refresh_token.trim());
    match state
        .store
        .rotate_refresh_token(&presented, refresh::digest(&token), refresh_expiry(state))
        .await?
    {
        Rotation::Rotated { user_id, family_id } => {
            let user = state.store.get_user(user_id).await?;
            session(state, user, family_id, token)
        }
        Rotation::ReuseDetected { family_id } => {
            tracing::warn!(%family_id, "refresh token reuse detected; session revoked");
            Err(Error::Unauthorized(
                "refresh token was already used; the session has been revoked",
            ))
        }
        Rotation::Invalid => Err(Error::Unauthorized("invalid or expired refresh token")),
    }
}

/// Ends a session: its refresh tokens and access tokens stop working.
pub async fn logout(state: &AppState, user_id: Uuid, session_id: Uuid) -> Result<()> {
    state
        .store
        .revoke_session(session_id, user_id, "logout")
        .await?;
    Ok(())
}

/// The user with this id.
pub async fn me(state: &AppState, user_id: Uuid) -> Result<User> {
    Ok(state.store.get_user(user_id).await?)
}

/// Every user, oldest first (for administrators).
pub async fn list_users(state: &AppState, page: Pagination) -> Result<Page<User>> {
    Ok(state.store.list_users(page).await?)
}
