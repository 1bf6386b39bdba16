//! The extractors that authenticate a request and enforce roles. Every protected handler takes
//! one of them, so authorisation is decided in one place:
//!
//! - [`AuthUser`]: a valid, unexpired access token of a live session (else 401), with the role
//!   as stored now (a demotion applies at once, not when the token expires);
//!   [`AuthUser::require`] checks a permission of the role (else 403) and [`AuthUser::scope`]
//!   gives the rows the caller may see (own rows; everyone's for admins).
//! - [`AdminUser`]: an [`AuthUser`] whose role may administer (else 403).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use deals_core::{Permission, Role};
use deals_store::Scope;
use uuid::Uuid;

use crate::http::error::AppError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// The user.
    pub id: Uuid,
    /// Their role.
    pub role: Role,
    /// Their session (refresh family).
    pub session: Uuid,
}

impl AuthUser {
    /// `Ok` when the role holds `permission`, else 403.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The rows this caller may see.
    pub fn scope(&self) -> Scope {
        if self.role.sees_everything() {
            Scope::All
        } else {
            Scope::Owner(self.id)
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(AppError::Unauthorized("missing bearer token"))?;
        let user = super::credentials::verify_token(state, token).await?;
        crate::telemetry::RequestUser::note(&parts.extensions, user.id);
        Ok(user)
    }
}

/// An authenticated administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        user.require(Permission::Administer)?;
        Ok(AdminUser(user))
    }
}

/// The caller if a bearer token is sent (it must then be valid), or nobody, for public routes
/// that show more to some users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
        {
            Ok(MaybeUser(Some(
                AuthUser::from_request_parts(parts, state).await?,
            )))
        } else {
            Ok(MaybeUser(None))
        }
    }
}
