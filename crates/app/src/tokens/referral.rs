//! Referrals: every user has a code (their account id in base58); a new user who enters
//! someone's code within the configured window after registering earns both of them the
//! referral reward, once per referred user.

use chrono::Duration;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::state::AppState;

/// A user's referral code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralCode {
    /// Give it to a new user to enter after signing up.
    pub code: String,
    /// What each side gets (decimal string).
    #[schema(value_type = String)]
    pub reward: deals_core::TokenAmount,
}

/// The code of `user_id`.
pub fn code_of(user_id: Uuid) -> String {
    bs58::encode(user_id.as_bytes()).into_string()
}

/// The user's code and the reward it earns.
pub fn code(state: &AppState, user_id: Uuid) -> ReferralCode {
    ReferralCode {
        code: code_of(user_id),
        reward: state.settings.tokens.referral_reward,
    }
}

/// Redeems `code` for the new user `user_id`, rewarding both sides once.
pub async fn redeem(state: &AppState, user_id: Uuid, code: &str) -> Result<()> {
    let referrer = bs58::decode(code.trim())
        .into_vec()
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| Error::invalid("code", "is not a referral code"))?;
    if referrer == user_id {
        return Err(Error::invalid("code", "is your own code"));
    }
    let settings = &state.settings.tokens;
    let me = state.store.get_user(user_id).await?;
    let window = Duration::days(i64::from(settings.referral_window_days));
    if me.created_at + window < deals_store::now() {
        return Err(Error::Conflict(format!(
            "referral codes are accepted within {} days of signing up",
            settings.referral_window_days
        )));
    }
    let referrer_user = state.store.get_user(referrer).await.map_err(|e| match e {
        deals_store::StoreError::NotFound => Error::invalid("code", "is not a referral code"),
        other => other.into(),
    })?;
    if referrer_user.created_at > me.created_at {
        return Err(Error::invalid(
            "code",
            "belongs to an account newer than yours",
        ));
    }
    let amount = settings.referral_reward.minor();
    if amount == 0 {
        return Err(Error::Conflict("referral rewards are off".into()));
    }
    if !state
        .store
        .reward_referral(referrer, user_id, amount)
        .await?
    {
        return Err(Error::Conflict(
            "a referral code was redeemed already".into(),
        ));
    }
    Ok(())
}
