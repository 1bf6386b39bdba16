//! DEAL tokens: the public price list, the caller's balance, the history of their tokens and
//! on-chain deposits.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use deals_core::Permission;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{PageParams, Paginated};
use crate::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, Problem};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::tokens::deposits::DepositOut;
use crate::tokens::referral::ReferralCode;
use crate::tokens::{Balance, Budget, PriceList, Transaction};

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
    #[param(schema_with = crate::schema::entry_kind)]
    pub kind: Option<String>,
    /// Page (1-based).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<i64>,
    /// Page size, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
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

/// A deposit to verify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// Base58 signature (64 bytes) of the transaction that paid the treasury from the linked
    /// wallet.
    #[schema(pattern = "^[1-9A-HJ-NP-Za-km-z]{64,88}$")]
    pub signature: String,
}

/// Verifies an on-chain payment and credits it once: 200 when settled (`credited`, or `refused`
/// with a reason), 202 while the transaction is not finalized (it is read again by a job).
#[utoipa::path(post, path = "/api/v1/tokens/deposits", tag = "tokens", security(("bearer" = [])), request_body = DepositRequest, responses(
    (status = 200, body = DepositOut, description = "Credited or refused"), (status = 202, body = DepositOut, description = "Pending: not finalized yet"),
    (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 409, body = Problem, description = "No linked wallet, or submitted by another account"),
    (status = 422, body = Problem, description = "Not a base58 signature"), (status = 503, body = Problem, description = "Deposits are not configured")))]
pub async fn deposit(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<DepositRequest>,
) -> Result<(StatusCode, Json<DepositOut>), AppError> {
    user.require(Permission::Create)?;
    let out = crate::tokens::deposits::submit(&state, user.id, &req.signature).await?;
    let status = if out.status == "pending" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out)))
}

/// Tokens given by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// Tokens to give (decimal string).
    #[schema(value_type = String, example = "10")]
    pub amount: deals_core::TokenAmount,
    /// Why (kept in the ledger entry, shown to the user).
    pub reason: String,
    /// Optional idempotency key: the same key again returns the first grant.
    pub idempotency_key: Option<String>,
}

/// Gives a user tokens, with a reason; the entry names the administrator (audited).
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/tokens", tag = "admin", security(("bearer" = [])), params(("user_id" = Uuid, Path)), request_body = GrantRequest, responses(
    (status = 201, body = Transaction, description = "Granted"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not an administrator"),
    (status = 404, body = Problem, description = "No such user"), (status = 409, body = Problem, description = "Idempotency key used for another grant"), (status = 422, body = Problem, description = "Validation failed; one entry per bad field")))]
pub async fn admin_grant(
    State(state): State<AppState>,
    admin: AdminUser,
    ApiPath(user_id): ApiPath<uuid::Uuid>,
    ApiJson(req): ApiJson<GrantRequest>,
) -> Result<(StatusCode, Json<Transaction>), AppError> {
    let key = req.idempotency_key.as_deref();
    let granted =
        crate::tokens::grant(&state, admin.0.id, user_id, req.amount, &req.reason, key).await?;
    Ok((StatusCode::CREATED, Json(granted)))
}

/// The caller's referral code.
#[utoipa::path(get, path = "/api/v1/tokens/referral", tag = "tokens", security(("bearer" = [])), responses(
    (status = 200, body = ReferralCode, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token")))]
pub async fn referral_code(State(state): State<AppState>, user: AuthUser) -> Json<ReferralCode> {
    Json(crate::tokens::referral::code(&state, user.id))
}

/// A referral code to redeem.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The referrer's code (base58).
    #[schema(pattern = "^[1-9A-HJ-NP-Za-km-z]{16,22}$")]
    pub code: String,
}

/// Redeems a referral code (a new account, once): both sides get the referral reward.
#[utoipa::path(post, path = "/api/v1/tokens/referral", tag = "tokens", security(("bearer" = [])), request_body = RedeemRequest, responses(
    (status = 200, body = Balance, description = "Rewarded; the new balance"), (status = 401, body = Problem, description = "Missing, invalid or expired token"),
    (status = 409, body = Problem, description = "Redeemed already, or the account is too old"), (status = 422, body = Problem, description = "Not a referral code, or your own")))]
pub async fn redeem_referral(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<RedeemRequest>,
) -> Result<Json<Balance>, AppError> {
    user.require(Permission::Create)?;
    crate::tokens::referral::redeem(&state, user.id, &req.code).await?;
    Ok(Json(crate::tokens::balance(&state, user.id).await?))
}

/// A goal's token budget.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetRequest {
    /// The most the goal's work may spend (decimal string); `null` removes the cap.
    #[schema(schema_with = crate::schema::tokens_or_null)]
    pub max_tokens: Option<deals_core::TokenAmount>,
}

/// Caps what a goal's agent work may spend: when the next step would go over it, the goal is
/// paused and its owner told.
#[utoipa::path(put, path = "/api/v1/goals/{goal_id}/budget", tag = "goals", security(("bearer" = [])), params(("goal_id" = Uuid, Path)), request_body = BudgetRequest, responses(
    (status = 200, body = Budget, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"),
    (status = 404, body = Problem, description = "Not found (or not yours)"), (status = 422, body = Problem, description = "Not a token amount")))]
pub async fn set_budget(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(goal_id): ApiPath<uuid::Uuid>,
    ApiJson(req): ApiJson<BudgetRequest>,
) -> Result<Json<Budget>, AppError> {
    user.require(Permission::Update)?;
    let budget = crate::tokens::set_budget(&state, user.scope(), goal_id, req.max_tokens).await?;
    Ok(Json(budget))
}
