//! DEAL tokens: the public price list, the caller's balance and the history of their tokens.

use axum::Json;
use axum::extract::State;
use deals_core::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{PageParams, Paginated};
use crate::auth::AuthUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::tokens::{Balance, PriceList, Transaction};

/// What each operation costs and what a new account starts with (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/tokens/pricing", tag = "tokens", responses(
    (status = 200, body = PriceList, description = "OK")))]
pub async fn pricing(State(state): State<AppState>) -> Json<PriceList> {
    Json(crate::tokens::pricing(&state))
}

/// The caller's balance and the tokens held for their running work.
#[utoipa::path(get, path = "/api/v1/tokens/balance", tag = "tokens", security(("bearer" = [])), responses(
    (status = 200, body = Balance, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn balance(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Balance>, AppError> {
    user.require(Permission::Read)?;
    Ok(Json(crate::tokens::balance(&state, user.id).await?))
}

/// Query of the transaction list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransactionParams {
    /// Only entries of this kind (`charge`, `refund`, `signup_bonus`, …).
    pub kind: Option<String>,
    /// Page (1-based).
    pub page: Option<i64>,
    /// Page size (≤ 100).
    pub per_page: Option<i64>,
}

/// The caller's token movements, newest first.
#[utoipa::path(get, path = "/api/v1/tokens/transactions", tag = "tokens", security(("bearer" = [])), params(TransactionParams), responses(
    (status = 200, body = Paginated<Transaction>, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn transactions(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(params): ApiQuery<TransactionParams>,
) -> Result<Json<Paginated<Transaction>>, AppError> {
    user.require(Permission::Read)?;
    let page = PageParams {
        page: params.page,
        per_page: params.per_page,
    }
    .parse()?;
    let found = crate::tokens::transactions(&state, user.id, params.kind.as_deref(), page).await?;
    Ok(Json(Paginated::from_page(found, page, |t| t)))
}
