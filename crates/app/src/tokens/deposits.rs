//! Deposits: a user names the signature of a transaction that paid DEAL tokens from their
//! linked wallet to the treasury; it is read from the chain and credited once. A transaction
//! that is not finalized yet stays `pending` and a `check_deposit` job reads it again (with the
//! queue's backoff) until it is.

use chrono::{DateTime, Utc};
use deals_core::{JobKind, TokenAmount};
use deals_store::StoreError;
use deals_store::repo::wallets::{Deposit, status};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::solana::{DepositRules, RpcClient, Verdict, evaluate};
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use crate::state::AppState;

/// A deposit as the user sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepositOut {
    /// The transaction signature.
    pub signature: String,
    /// `pending`, `credited` or `refused`.
    pub status: String,
    /// Tokens credited (decimal string), once credited.
    #[schema(value_type = Option<String>)]
    pub amount: Option<TokenAmount>,
    /// Why it was refused.
    pub reason: Option<String>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
}

impl From<Deposit> for DepositOut {
    fn from(d: Deposit) -> Self {
        Self {
            signature: d.signature,
            status: d.status,
            amount: d.amount.and_then(TokenAmount::from_minor),
            reason: d.reason,
            created_at: d.created_at,
        }
    }
}

fn parse_signature(raw: &str) -> Result<String> {
    let raw = raw.trim();
    match bs58::decode(raw).into_vec() {
        Ok(bytes) if bytes.len() == 64 => Ok(raw.to_owned()),
        _ => Err(Error::invalid(
            "signature",
            "must be a base58 transaction signature (64 bytes)",
        )),
    }
}

/// Records a deposit and reads its transaction; credited at once when finalized.
pub async fn submit(state: &AppState, user_id: Uuid, signature: &str) -> Result<DepositOut> {
    let signature = parse_signature(signature)?;
    // Without a linked wallet no deposit can be credited, configured or not: that is the
    // caller's to fix (409), before the server's own configuration (503).
    if state.store.wallet_of(user_id).await?.is_none() {
        return Err(Error::Conflict(
            "link a wallet first: deposits are accepted from your linked wallet only".into(),
        ));
    }
    if state.settings.tokens.solana.mint.is_empty() {
        return Err(Error::Unavailable(
            "deposits (no tokens.solana.mint configured)",
        ));
    }
    let row = match state.store.submit_deposit(user_id, &signature).await {
        Err(StoreError::Conflict(_)) => {
            return Err(Error::Conflict(
                "this transaction was submitted by another account".into(),
            ));
        }
        other => other?,
    };
    if row.status != status::PENDING {
        return Ok(row.into());
    }
    let checked = check(state, &signature).await?;
    if checked.status == status::PENDING {
        let mut recheck = Jobs::new_job(
            JobKind::CheckDeposit,
            Some(user_id),
            None,
            json!({"signature": signature}),
        );
        recheck.run_at = deals_store::now()
            + chrono::Duration::seconds(
                i64::try_from(state.settings.tokens.solana.recheck_secs).unwrap_or(20),
            );
        recheck.dedup_key = Some(format!("check_deposit:{signature}"));
        state.jobs.enqueue(&state.store, recheck).await?;
    }
    Ok(checked.into())
}

/// Reads a pending deposit's transaction and settles it: credited (once), refused with a
/// reason, or still pending. A deposit settled already is returned as it is.
pub async fn check(state: &AppState, signature: &str) -> Result<Deposit> {
    let row = state.store.deposit(signature).await?;
    if row.status != status::PENDING {
        return Ok(row);
    }
    let solana = &state.settings.tokens.solana;
    let wallet = state
        .store
        .wallet_of(row.user_id)
        .await?
        .ok_or_else(|| Error::Conflict("the account no longer has a linked wallet".into()))?;
    let client = RpcClient::new(&solana.rpc_url)?;
    let verdict = match client.get_transaction(signature).await {
        Ok(Some(tx)) => evaluate(
            &tx,
            &DepositRules {
                mint: &solana.mint,
                treasury: &solana.treasury,
                decimals: solana.decimals,
                wallet: &wallet.address,
            },
        ),
        Ok(None) => Verdict::Pending,
        Err(e) => {
            tracing::warn!(error = %e, signature, "reading a deposit from the chain failed");
            Verdict::Pending
        }
    };
    let settled = match verdict {
        Verdict::Credit(amount) => state.store.credit_deposit(signature, amount).await?,
        Verdict::Refuse(reason) => state.store.refuse_deposit(signature, &reason).await?,
        Verdict::Pending => row,
    };
    let outcome = settled.status.clone();
    metrics::counter!("deals_token_deposits_total", "outcome" => outcome).increment(1);
    Ok(settled)
}
