//! Credentials other than an `Authorization` header, for clients that cannot send one (a
//! browser's WebSocket): the token in `Sec-WebSocket-Protocol: bearer, <token>`, in `?token=`,
//! or the web UI's session cookie (`deals_session`, a JWT with the claims of an access token)
//! with its `Origin` checked against the request's host and `server.cors_allowed_origins`.
//! Each is validated exactly like a bearer token: signature, expiry, live session.

use axum::http::{HeaderMap, header};

use super::AuthUser;
use crate::http::error::AppError;
use crate::state::AppState;

/// Name of the web UI's session cookie.
pub const SESSION_COOKIE: &str = "deals_session";

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer`.
    Header,
    /// `Sec-WebSocket-Protocol: bearer, <token>` (the answer must name `bearer`).
    Subprotocol,
    /// `?token=`.
    Query,
    /// The session cookie (Origin checked).
    Cookie,
}

/// Validates an access token (or session-cookie JWT): signature, expiry and a live session,
/// with the role as stored now.
pub async fn verify_token(state: &AppState, token: &str) -> Result<AuthUser, AppError> {
    let claims = state
        .jwt
        .verify(token)
        .map_err(|_| AppError::Unauthorized("invalid or expired token"))?;
    let Some(role) = state
        .store
        .live_session_role(claims.fid, claims.sub)
        .await?
    else {
        return Err(AppError::Unauthorized("session has ended"));
    };
    Ok(AuthUser {
        id: claims.sub,
        role,
        session: claims.fid,
    })
}

/// The token of `Sec-WebSocket-Protocol: bearer, <token>`.
pub fn subprotocol_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    let mut parts = value.split(',').map(str::trim);
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("bearer") {
            return parts.next().filter(|t| !t.is_empty());
        }
    }
    None
}

/// The value of the session cookie.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// Whether the request's `Origin` is the site itself (same host) or an allowed origin.
pub fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let allowed = &state.settings.server.cors_allowed_origins;
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

/// Authenticates a request by the first credential it carries: `Authorization: Bearer`, the
/// WebSocket subprotocol, `?token=`, then the session cookie (refused with 403 from a foreign
/// `Origin`). No credential, or a bad one, is a 401.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> Result<(AuthUser, Via), AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let (token, via) = if let Some(t) = bearer {
        (t, Via::Header)
    } else if let Some(t) = subprotocol_token(headers) {
        (t, Via::Subprotocol)
    } else if let Some(t) = query_token.filter(|t| !t.is_empty()) {
        (t, Via::Query)
    } else if let Some(t) = session_cookie(headers) {
        if !origin_allowed(state, headers) {
            return Err(AppError::Forbidden);
        }
        (t, Via::Cookie)
    } else {
        return Err(AppError::Unauthorized("missing credentials"));
    };
    Ok((verify_token(state, token).await?, via))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_token_follows_bearer_in_the_subprotocol_list() {
        let mut h = HeaderMap::new();
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("bearer, abc.def.ghi"),
        );
        assert_eq!(subprotocol_token(&h), Some("abc.def.ghi"));
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("bearer"),
        );
        assert_eq!(subprotocol_token(&h), None);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; deals_session=tok.en.x; other=1"),
        );
        assert_eq!(session_cookie(&h), Some("tok.en.x"));
    }
}
