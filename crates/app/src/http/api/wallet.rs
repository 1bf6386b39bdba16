//! Linking a Solana wallet by signing a Sign-In With Solana challenge.

use axum::Json;
use axum::extract::State;
use deals_core::Permission;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiJson;
use crate::state::AppState;
use crate::tokens::wallet::{Challenge, LinkedWallet};

/// A wallet to be challenged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// Base58 Solana address (an ed25519 public key, 32 bytes).
    #[schema(pattern = "^[1-9A-HJ-NP-Za-km-z]{32,44}$")]
    pub address: String,
}

/// A signed challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Base58 Solana address the challenge was issued for.
    #[schema(pattern = "^[1-9A-HJ-NP-Za-km-z]{32,44}$")]
    pub address: String,
    /// Base58 ed25519 signature of the challenge's message bytes (64 bytes).
    #[schema(pattern = "^[1-9A-HJ-NP-Za-km-z]{64,88}$")]
    pub signature: String,
}

/// Issues a SIWS message for the wallet to sign (single use, expires).
#[utoipa::path(post, path = "/api/v1/wallet/challenge", tag = "tokens", security(("bearer" = [])), request_body = ChallengeRequest, responses(
    (status = 200, body = Challenge, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 422, body = Problem, description = "Not a base58 32-byte address")))]
pub async fn challenge(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ChallengeRequest>,
) -> Result<Json<Challenge>, AppError> {
    user.require(Permission::Create)?;
    Ok(Json(
        crate::tokens::wallet::challenge(&state, user.id, &req.address).await?,
    ))
}

/// Checks the signed challenge and links the wallet to the caller.
#[utoipa::path(post, path = "/api/v1/wallet/verify", tag = "tokens", security(("bearer" = [])), request_body = VerifyRequest, responses(
    (status = 200, body = LinkedWallet, description = "Linked"), (status = 401, body = Problem, description = "Missing, invalid or expired token"),
    (status = 409, body = Problem, description = "No challenge, challenge used or expired, or wallet already linked"),
    (status = 422, body = Problem, description = "Malformed address or signature, wrong domain, or a signature that does not verify")))]
pub async fn verify(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Json<LinkedWallet>, AppError> {
    user.require(Permission::Create)?;
    let linked =
        crate::tokens::wallet::verify(&state, user.id, &req.address, &req.signature).await?;
    Ok(Json(linked))
}

/// The caller's linked wallet.
#[utoipa::path(get, path = "/api/v1/wallet", tag = "tokens", security(("bearer" = [])), responses(
    (status = 200, body = LinkedWallet, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 404, body = Problem, description = "No wallet linked")))]
pub async fn get_wallet(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<LinkedWallet>, AppError> {
    user.require(Permission::Read)?;
    Ok(Json(crate::tokens::wallet::linked(&state, user.id).await?))
}
