//! One error type at the HTTP boundary: every failure becomes an RFC 9457
//! `application/problem+json` answer. 5xx bodies are generic; the log has the cause chain.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deals_core::{FieldError, ValidationErrors};
use deals_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem details document (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI reference naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// One entry per invalid field (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ProblemField>>)]
    pub errors: Option<Vec<FieldError>>,
}

/// An invalid field of a 422 answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Dotted path of the field, e.g. `criteria.max_price`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the body or query cannot be read.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 402: the caller's tokens, or the goal's budget, do not cover the work; the body adds
    /// `cost` and `balance`, or `cost` and `budget_remaining`.
    #[error("not enough tokens: {cost} needed")]
    PaymentRequired {
        /// What the work costs.
        cost: deals_core::TokenAmount,
        /// The caller's balance, when that is what is short.
        balance: Option<deals_core::TokenAmount>,
        /// What is left of the goal's budget, when that is what is short.
        budget: Option<deals_core::TokenAmount>,
    },
    /// 403: authenticated but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// 404: no such resource visible to the caller.
    #[error("not found")]
    NotFound,
    /// 404: a path that cannot name a resource (an id that is not a UUID), with the reason.
    #[error("{0}")]
    NoSuchPath(String),
    /// 409: conflicts with existing data.
    #[error("{0}")]
    Conflict(String),
    /// 413: body too large.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415: not JSON.
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// 422: fields failed validation.
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// 429: too many requests.
    #[error("rate limited")]
    RateLimited(Duration),
    /// 503: a dependency is down.
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// 500: a bug or an unexpected failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(ValidationErrors::single(field, message))
    }

    /// The status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound | AppError::NoSuchPath(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<crate::error::Error> for AppError {
    fn from(e: crate::error::Error) -> Self {
        use crate::error::Error;
        match e {
            Error::NotFound => AppError::NotFound,
            Error::Conflict(why) => AppError::Conflict(why),
            Error::Invalid(v) => AppError::Validation(v),
            Error::Forbidden => AppError::Forbidden,
            Error::Unauthorized(why) => AppError::Unauthorized(why),
            Error::InsufficientTokens { cost, balance } => AppError::PaymentRequired {
                cost,
                balance: Some(balance),
                budget: None,
            },
            Error::BudgetSpent { cost, remaining } => AppError::PaymentRequired {
                cost,
                balance: None,
                budget: Some(remaining),
            },
            Error::Unavailable(what) => AppError::Unavailable(what),
            Error::Internal(e) => AppError::Internal(e),
        }
    }
}

/// The storage errors a handler meets directly map as the use cases' do (one place decides).
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        crate::error::Error::from(e).into()
    }
}

/// Builds a problem document response.
pub fn problem(status: StatusCode, detail: String, errors: Option<Vec<FieldError>>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let slug = title.to_lowercase().replace([' ', '\''], "-");
    let body = Problem {
        kind: format!("/problems/{slug}"),
        title,
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            AppError::Validation(v) => {
                let detail = format!(
                    "{} invalid field(s): {}",
                    v.errors.len(),
                    v.errors
                        .iter()
                        .map(|e| e.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                problem(status, detail, Some(v.errors))
            }
            AppError::RateLimited(wait) => {
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let mut res = problem(
                    status,
                    format!("too many requests; retry in {secs} s"),
                    None,
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
                res
            }
            AppError::PaymentRequired {
                cost,
                balance,
                budget,
            } => {
                let detail = match (balance, budget) {
                    (_, Some(left)) => {
                        format!("this costs {cost} tokens and the goal's budget has {left} left")
                    }
                    (Some(b), None) => format!("this costs {cost} tokens and the balance is {b}"),
                    (None, None) => format!("this costs {cost} tokens"),
                };
                let mut body = serde_json::json!({
                    "type": "/problems/payment-required",
                    "title": "Payment Required",
                    "status": status.as_u16(),
                    "detail": detail,
                    "cost": cost,
                });
                if let Some(b) = balance {
                    body["balance"] = serde_json::json!(b);
                }
                if let Some(left) = budget {
                    body["budget_remaining"] = serde_json::json!(left);
                }
                let mut res = (status, axum::Json(body)).into_response();
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
                res
            }
            AppError::Unauthorized(why) => {
                let mut res = problem(status, why.to_owned(), None);
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            AppError::Unavailable(what) => {
                let mut res = problem(
                    status,
                    format!("{what} is unavailable; try again shortly"),
                    None,
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                res
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                problem(
                    status,
                    "an unexpected error occurred; it has been logged".into(),
                    None,
                )
            }
            other => problem(status, other.to_string(), None),
        }
    }
}
