//! `POST /api/v1/unsubscribe`: the one-click unsubscribe of alert e-mails (RFC 8058). The link
//! in each e-mail's `List-Unsubscribe` header carries the user and a signature; mail clients
//! POST `List-Unsubscribe=One-Click` to it.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiQuery;
use crate::state::AppState;

/// The signed link's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeParams {
    /// The user.
    pub user: Uuid,
    /// The link's signature (64 hex digits).
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub sig: String,
}

/// Turns e-mail alerts off (one click).
#[utoipa::path(post, path = "/api/v1/unsubscribe", operation_id = "unsubscribe", tag = "notifications", params(UnsubscribeParams), responses(
    (status = 204, description = "E-mail alerts are off"), (status = 404, body = Problem, description = "Unknown or forged link")))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<UnsubscribeParams>,
) -> Result<StatusCode, AppError> {
    crate::notify::unsubscribe(&state, params.user, &params.sig).await?;
    Ok(StatusCode::NO_CONTENT)
}
