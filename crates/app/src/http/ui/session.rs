//! The browser session: the `deals_session` cookie (HttpOnly, SameSite=Lax, Secure in
//! production, Path=/) holds a JWT with the claims of an API access token, bound to the refresh
//! family that `accounts::login`/`register` started and living as long as it. It is validated
//! exactly like a bearer token (signature, expiry, live session); logout revokes the family.
//! Every state-changing form carries a CSRF token: an HMAC of the family id keyed with the JWT
//! secret, checked on POST.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::Role;
use deals_store::Scope;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::accounts::Session;
use crate::config::Environment;
use crate::state::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "deals_session";

/// A signed-in browser user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiUser {
    /// The user.
    pub id: Uuid,
    /// Their role as stored now.
    pub role: Role,
    /// The session (refresh family).
    pub session: Uuid,
}

impl UiUser {
    /// The rows this user may see.
    pub fn scope(&self) -> Scope {
        if self.role.sees_everything() {
            Scope::All
        } else {
            Scope::Owner(self.id)
        }
    }
}

/// The session cookie's token in a header map, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// Validates a session token like a bearer token: signature, expiry and a live session.
pub async fn validate(state: &AppState, token: &str) -> Option<UiUser> {
    let user = crate::auth::credentials::verify_token(state, token)
        .await
        .ok()?;
    Some(UiUser {
        id: user.id,
        role: user.role,
        session: user.session,
    })
}

/// The `Set-Cookie` value that starts a browser session for a signed-in `session`.
pub fn start_cookie(state: &AppState, session: &Session) -> anyhow::Result<HeaderValue> {
    let ttl = i64::try_from(state.settings.auth.refresh_ttl_secs).unwrap_or(i64::MAX / 2);
    let token =
        state
            .jwt
            .issue_with_ttl(session.user.id, session.user.role, session.session_id, ttl)?;
    Ok(HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl}{}",
        secure(state)
    ))?)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("deals_session=; Path=/; Max-Age=0"))
}

fn secure(state: &AppState) -> &'static str {
    if state.settings.env == Environment::Production {
        "; Secure"
    } else {
        ""
    }
}

/// The CSRF token of a session: HMAC-SHA256 of the family id keyed with the JWT secret.
pub fn csrf_token(state: &AppState, session: Uuid) -> String {
    mac(state, session)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `presented` is the CSRF token of `session` (compared in constant time).
pub fn csrf_ok(state: &AppState, session: Uuid, presented: &str) -> bool {
    match (hex::decode(presented), mac(state, session)) {
        (Ok(bytes), Some(m)) => m.verify_slice(&bytes).is_ok(),
        _ => false,
    }
}

/// A form with only its CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    /// The token.
    pub csrf: String,
}

/// `Ok` when `presented` is the CSRF token of `user`'s session, else the 403 page.
pub fn require_csrf(
    state: &AppState,
    user: &UiUser,
    presented: &str,
) -> Result<(), super::errors::UiError> {
    if csrf_ok(state, user.session, presented) {
        Ok(())
    } else {
        Err(super::errors::UiError::Forbidden)
    }
}

/// HMAC takes keys of any length; `None` is not expected.
fn mac(state: &AppState, session: Uuid) -> Option<Hmac<Sha256>> {
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(state.settings.auth.jwt_secret.expose().as_bytes())
            .ok()?;
    m.update(b"csrf:");
    m.update(session.as_bytes());
    Some(m)
}

/// A request without a valid session: sent to the login page, coming back afterwards.
#[derive(Debug)]
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let to = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(self.0.as_bytes()).collect::<String>()
        );
        let mut res = Redirect::to(&to).into_response();
        // htmx follows a redirect inside the fragment; ask it to load the whole page instead.
        if let Ok(v) = HeaderValue::from_str(&to) {
            res.headers_mut().insert("hx-redirect", v);
        }
        res
    }
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, LoginRedirect> {
        let back = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.to_string())
            .unwrap_or_else(|| parts.uri.to_string());
        let user = match cookie_token(&parts.headers) {
            Some(token) => validate(state, token).await.ok_or(LoginRedirect(back))?,
            None => return Err(LoginRedirect(back)),
        };
        crate::telemetry::RequestUser::note(&parts.extensions, user.id);
        Ok(user)
    }
}

/// The signed-in user, if the request carries a valid session cookie.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUiUser(pub Option<UiUser>);

impl FromRequestParts<AppState> for MaybeUiUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = match cookie_token(&parts.headers) {
            Some(token) => validate(state, token).await,
            None => None,
        };
        if let Some(u) = &user {
            crate::telemetry::RequestUser::note(&parts.extensions, u.id);
        }
        Ok(MaybeUiUser(user))
    }
}

/// Where to go after signing in: a local path only (never another site).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; deals_session=tok.en.sig; b=2"),
        );
        assert_eq!(cookie_token(&h), Some("tok.en.sig"));
        h.insert(header::COOKIE, HeaderValue::from_static("deals_session="));
        assert_eq!(cookie_token(&h), None);
    }

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next(Some("/goals/1")), "/goals/1");
        assert_eq!(safe_next(Some("//evil.example")), "/dashboard");
        assert_eq!(safe_next(Some("https://evil.example")), "/dashboard");
        assert_eq!(safe_next(None), "/dashboard");
    }
}
