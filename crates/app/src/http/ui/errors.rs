//! Errors of the web UI as pages: HTML 404 and 500 (and 403, 409, 503) with the layout, a
//! signed-out request sent to the login page. Unknown URLs outside `/api/` get the HTML 404;
//! API clients keep their problem documents.

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::headers;
use super::view::{Layout, render_status};
use crate::error::Error;

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout.
    pub layout: Layout,
    /// Status code.
    pub status: u16,
    /// One sentence for the user.
    pub message: String,
}

/// A failure of a page handler.
#[derive(Debug)]
pub enum UiError {
    /// No such page or resource (someone else's is "not found" too).
    NotFound,
    /// Not allowed.
    Forbidden,
    /// The session is missing or over.
    SignedOut,
    /// A conflict or invalid input the page could not show next to a field.
    Refused(String),
    /// A dependency is down.
    Unavailable,
    /// A bug or an unexpected failure (logged).
    Internal,
}

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => UiError::NotFound,
            Error::Forbidden => UiError::Forbidden,
            Error::Unauthorized(_) => UiError::SignedOut,
            Error::Conflict(m) => UiError::Refused(m),
            Error::Invalid(v) => UiError::Refused(v.to_string()),
            Error::Unavailable(_) => UiError::Unavailable,
            e @ (Error::InsufficientTokens { .. } | Error::BudgetSpent { .. }) => {
                UiError::Refused(e.to_string())
            }
            Error::Internal(e) => {
                tracing::error!(error = ?e, "page failed");
                UiError::Internal
            }
        }
    }
}

/// An error page with `status` and `message`.
pub fn page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let mut res = render_status(
        status,
        &ErrorPage {
            layout: Layout::anonymous(title),
            status: status.as_u16(),
            message: message.to_owned(),
        },
    );
    headers::apply(res.headers_mut());
    res
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::NotFound => page(StatusCode::NOT_FOUND, "There is no such page."),
            UiError::Forbidden => page(StatusCode::FORBIDDEN, "You may not see this page."),
            UiError::SignedOut => Redirect::to("/login").into_response(),
            UiError::Refused(m) => page(StatusCode::CONFLICT, &m),
            UiError::Unavailable => page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is briefly unavailable. Please try again in a moment.",
            ),
            UiError::Internal => page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. It has been logged.",
            ),
        }
    }
}

/// Fallback for unknown routes: an HTML 404 for pages, a problem document under `/api/`.
pub async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        crate::http::middleware::not_found().await
    } else {
        UiError::NotFound.into_response()
    }
}
