//! What every page shares: the layout (title, signed-in user, CSRF token, unread badge, asset
//! URLs), page-or-fragment rendering with `Vary: HX-Request`, and the small formatting helpers
//! the templates call.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deals_core::Permission;
use deals_core::money::format_minor;

use super::assets::{AssetUrls, URLS};
use super::errors::UiError;
use super::session::{UiUser, csrf_token};
use crate::state::AppState;

/// The signed-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct Badge {
    /// Sign-in address.
    pub email: String,
    /// Whether the admin pages are linked.
    pub admin: bool,
}

/// What the base layout needs.
#[derive(Debug)]
pub struct Layout {
    /// The page title (also the `<title>`).
    pub title: String,
    /// The signed-in user, if any.
    pub user: Option<Badge>,
    /// The CSRF token for the page's forms (empty when signed out).
    pub csrf: String,
    /// Unread notifications.
    pub unread: u64,
    /// Versioned asset URLs.
    pub assets: &'static AssetUrls,
}

impl Layout {
    /// The layout of a signed-out visitor.
    pub fn anonymous(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            user: None,
            csrf: String::new(),
            unread: 0,
            assets: &URLS,
        }
    }

    /// The layout of `user`, or of a visitor.
    pub async fn of(
        state: &AppState,
        user: Option<UiUser>,
        title: impl Into<String>,
    ) -> Result<Self, UiError> {
        let Some(user) = user else {
            return Ok(Self::anonymous(title));
        };
        let me = crate::accounts::me(state, user.id).await?;
        Ok(Self {
            title: title.into(),
            user: Some(Badge {
                email: me.email,
                admin: user.role.can(Permission::Administer),
            }),
            csrf: csrf_token(state, user.session),
            unread: crate::notify::unread_count(state, user.id).await?,
            assets: &URLS,
        })
    }
}

/// Whether a request wants the fragment (an htmx request that is not a history restore) or the
/// whole page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wants {
    /// `true`: answer the fragment only.
    pub fragment: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Wants {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let has = |name: &str| parts.headers.get(name).is_some_and(|v| v == "true");
        Ok(Wants {
            fragment: has("hx-request") && !has("hx-history-restore-request"),
        })
    }
}

/// Renders a template as an HTML response with `Vary: HX-Request` (pages and fragments share
/// URLs) and `Cache-Control: no-store` (pages may hold private data).
pub fn render(t: &impl Template) -> Response {
    render_status(StatusCode::OK, t)
}

/// [`render`] with a status.
pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = (status, html).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::VARY, HeaderValue::from_static("HX-Request"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            UiError::Internal.into_response()
        }
    }
}

/// An amount in minor units, however many references deep a template holds it.
pub trait Minor {
    /// The amount.
    fn minor(&self) -> i64;
}

impl Minor for i64 {
    fn minor(&self) -> i64 {
        *self
    }
}

impl<T: Minor + ?Sized> Minor for &T {
    fn minor(&self) -> i64 {
        (**self).minor()
    }
}

/// `29999` → `"$299.99"`.
pub fn money(minor: impl Minor) -> String {
    let digits = format_minor(minor.minor());
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest.to_owned()),
        None => ("", digits),
    };
    let (whole, cents) = digits.split_once('.').unwrap_or((&digits, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{cents}")
}

/// An optional amount, or a dash.
pub fn money_opt(minor: &Option<i64>) -> String {
    minor.map(money).unwrap_or_else(|| "—".into())
}

/// A normalized score (0..1) as points out of 100.
pub fn points(score: &Option<f64>) -> String {
    score
        .map(|s| format!("{:.0}", s * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// A date and time, UTC, to the minute.
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A date.
pub fn day(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Errors of a submitted form, shown next to their fields, and one general message.
#[derive(Debug, Default)]
pub struct FormErrors {
    fields: Vec<deals_core::FieldError>,
    /// A message not tied to one field.
    pub general: Option<String>,
}

impl FormErrors {
    /// The message of `field` (or of a nested field under it), if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
            .map(|e| e.message.as_str())
    }

    /// A general message alone.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            fields: Vec::new(),
            general: Some(message.into()),
        }
    }

    /// Sorts a use case's refusal into field errors and a general message; other errors are
    /// returned for the error page.
    pub fn from_error(e: crate::error::Error) -> Result<Self, UiError> {
        use crate::error::Error;
        match e {
            Error::Invalid(v) => Ok(Self {
                fields: v.errors,
                general: Some("Please correct the fields marked below.".into()),
            }),
            Error::Conflict(m) => Ok(Self::general(m)),
            Error::Unauthorized(m) => Ok(Self::general(m)),
            other => Err(other.into()),
        }
    }
}

/// `29999` → `"299.99"` (for form values).
pub fn plain(minor: impl Minor) -> String {
    format_minor(minor.minor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_like_a_price_tag() {
        assert_eq!(money(131_499), "$1,314.99");
        assert_eq!(money(99), "$0.99");
        assert_eq!(money(-123_456_789), "-$1,234,567.89");
    }
}
