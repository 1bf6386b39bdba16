//! DEAL tokens: balances, history and prices for the user, the meter that charges agent work
//! ([`meter::LedgerMeter`]), and what happens to a job's holds and to a goal whose owner cannot
//! pay any more.
//!
//! The ledger itself (never negative, append-only, idempotent) is `deals_store::repo::tokens`;
//! amounts are `deals_core::TokenAmount` (6 decimals, decimal strings in the API).

pub mod config;
pub mod deposits;
pub mod meter;
pub mod referral;
pub mod solana;
pub mod wallet;

use chrono::{DateTime, Utc};
use deals_core::tokens::{DECIMALS, format_signed};
use deals_core::{EntryKind, GoalStatus, NotificationKind, Pagination, Priority, TokenAmount};
use deals_store::repo::Page;
use deals_store::repo::goals::GoalChanges;
use deals_store::repo::tokens::{Entry, NewEntry, Posted};
use deals_store::{Scope, StoreError};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::notify::{Alert, notify};
use crate::state::AppState;

/// A user's tokens.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    /// Tokens available (decimal string).
    #[schema(value_type = String, example = "19.900000")]
    pub balance: TokenAmount,
    /// Tokens reserved for agent work still running (already taken from `balance`).
    #[schema(value_type = String, example = "0.100000")]
    pub held: TokenAmount,
    /// Decimal places of the token.
    pub decimals: u32,
}

/// One movement of a user's tokens.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transaction {
    /// Entry id.
    pub id: Uuid,
    /// `signup_bonus`, `referral_reward`, `deposit`, `charge`, `refund`, `admin_grant` or
    /// `adjustment`.
    pub kind: String,
    /// Tokens moved: positive added, negative taken (decimal string).
    #[schema(example = "-0.100000")]
    pub amount: String,
    /// The balance right after it.
    #[schema(value_type = String)]
    pub balance_after: TokenAmount,
    /// Why.
    pub reason: String,
    /// What it refers to (a job step, a transaction signature).
    pub reference: Option<String>,
    /// The goal whose work it paid for.
    pub goal_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<Entry> for Transaction {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            kind: e.kind.as_str().to_owned(),
            amount: format_signed(e.amount),
            balance_after: TokenAmount::from_minor(e.balance_after).unwrap_or_default(),
            reason: e.reason,
            reference: e.reference,
            goal_id: e.goal_id,
            created_at: e.created_at,
        }
    }
}

/// One priced operation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Price {
    /// The operation.
    pub operation: &'static str,
    /// Tokens per run (decimal string).
    #[schema(value_type = String)]
    pub price: TokenAmount,
    /// When it is charged.
    pub charged: &'static str,
}

/// The public price list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceList {
    /// The token.
    pub token: &'static str,
    /// Its decimal places.
    pub decimals: u32,
    /// What each operation costs.
    pub prices: Vec<Price>,
    /// Tokens a new account starts with.
    #[schema(value_type = String)]
    pub signup_bonus: TokenAmount,
    /// How many goals (analysis and first search) the signup bonus pays for.
    pub goals_covered_by_signup_bonus: i64,
}

/// The price list as configured (an LLM price reads 0 when only the offline rules answer).
pub fn pricing(state: &AppState) -> PriceList {
    let settings = &state.settings.tokens;
    let p = &settings.pricing;
    let llm = !state.agents.chain().is_rules_only();
    let per_goal = p.new_goal().minor();
    let price_analysis = if llm {
        p.price_analysis_llm
    } else {
        TokenAmount::ZERO
    };
    PriceList {
        token: "DEAL",
        decimals: DECIMALS,
        prices: vec![
            Price {
                operation: "goal_analysis",
                price: p.goal_analysis,
                charged: "when a goal is created (its words read into criteria)",
            },
            Price {
                operation: "deal_search",
                price: p.deal_search,
                charged: "each deal search of a goal, asked for or scheduled",
            },
            Price {
                operation: "price_analysis",
                price: price_analysis,
                charged: "each deal analysis by an LLM; free on the offline rules",
            },
            Price {
                operation: "notification",
                price: p.notification,
                charged: "each alert decision of the Notification Agent",
            },
        ],
        signup_bonus: settings.signup_bonus,
        goals_covered_by_signup_bonus: if per_goal > 0 {
            settings.signup_bonus.minor() / per_goal
        } else {
            0
        },
    }
}

/// The user's balance and held tokens.
pub async fn balance(state: &AppState, user_id: Uuid) -> Result<Balance> {
    let amount = |m: i64| TokenAmount::from_minor(m).unwrap_or_default();
    Ok(Balance {
        balance: amount(state.store.token_balance(user_id).await?),
        held: amount(state.store.held_tokens(user_id).await?),
        decimals: DECIMALS,
    })
}

/// The user's movements, newest first, optionally of one kind.
pub async fn transactions(
    state: &AppState,
    user_id: Uuid,
    kind: Option<&str>,
    page: Pagination,
) -> Result<Page<Transaction>> {
    let kind = kind
        .map(EntryKind::parse)
        .transpose()
        .map_err(|why| Error::invalid("kind", why))?;
    let found = state.store.token_entries(user_id, kind, page).await?;
    Ok(Page {
        items: found.items.into_iter().map(Transaction::from).collect(),
        total: found.total,
    })
}

/// Tokens spent on a goal's work, refunds deducted.
pub async fn goal_spend(state: &AppState, goal_id: Uuid) -> Result<TokenAmount> {
    let spent = state.store.goal_token_spend(goal_id).await?;
    Ok(TokenAmount::from_minor(spent).unwrap_or_default())
}

/// Sets or removes (`None`) the budget of one of the caller's goals; answers what the goal has
/// spent and its budget.
pub async fn set_budget(
    state: &AppState,
    scope: Scope,
    goal_id: Uuid,
    max_tokens: Option<TokenAmount>,
) -> Result<Budget> {
    crate::goals::get(state, scope, goal_id).await?;
    state
        .store
        .set_goal_budget(goal_id, max_tokens.map(TokenAmount::minor))
        .await?;
    budget(state, goal_id).await
}

/// What a goal has spent and its budget.
pub async fn budget(state: &AppState, goal_id: Uuid) -> Result<Budget> {
    let max = state.store.goal_budget(goal_id).await?;
    Ok(Budget {
        tokens_spent: goal_spend(state, goal_id).await?,
        max_tokens: max.and_then(TokenAmount::from_minor),
    })
}

/// A goal's spending and its cap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Budget {
    /// Tokens spent on the goal's work, refunds deducted.
    #[schema(value_type = String)]
    pub tokens_spent: TokenAmount,
    /// The most its work may spend; `null` for no cap.
    #[schema(value_type = Option<String>)]
    pub max_tokens: Option<TokenAmount>,
}

/// Gives a user tokens as an administrator, with a reason; the entry names the administrator.
/// The same `key` again returns the first grant; with other fields it is a conflict.
pub async fn grant(
    state: &AppState,
    admin_id: Uuid,
    user_id: Uuid,
    amount: TokenAmount,
    reason: &str,
    key: Option<&str>,
) -> Result<Transaction> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid("reason", "must be 1 to 500 characters"));
    }
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be more than 0"));
    }
    state.store.get_user(user_id).await?;
    let entry = NewEntry {
        user_id,
        kind: EntryKind::AdminGrant,
        amount: amount.minor(),
        reason: reason.to_owned(),
        reference: Some(format!("admin:{admin_id}")),
        goal_id: None,
        key: match key {
            Some(k) => format!("grant:{admin_id}:{k}"),
            None => format!("grant:{}", Uuid::now_v7()),
        },
    };
    match state.store.post_entry(entry).await {
        Ok(Posted::Applied(e) | Posted::Repeated(e)) => {
            tracing::info!(admin = %admin_id, user = %user_id, amount = %amount, reason, "admin token grant");
            Ok(e.into())
        }
        Ok(Posted::Insufficient { .. }) => Err(Error::Internal(anyhow::anyhow!(
            "a grant was refused as a debit"
        ))),
        Err(StoreError::Conflict(_)) => Err(Error::Conflict(
            "this idempotency key was used for another grant".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Refuses work costing `cost` that the user's balance does not cover (HTTP 402), before any of
/// it is queued.
pub async fn ensure_affordable(state: &AppState, user_id: Uuid, cost: TokenAmount) -> Result<()> {
    let balance = state.store.token_balance(user_id).await?;
    if balance < cost.minor() {
        return Err(Error::InsufficientTokens {
            cost,
            balance: TokenAmount::from_minor(balance).unwrap_or_default(),
        });
    }
    Ok(())
}

/// Refuses work costing `cost` that a goal's budget does not cover (HTTP 402).
pub async fn ensure_within_budget(
    state: &AppState,
    goal_id: Uuid,
    cost: TokenAmount,
) -> Result<()> {
    let Some(max) = state.store.goal_budget(goal_id).await? else {
        return Ok(());
    };
    let remaining = (max - state.store.goal_token_spend(goal_id).await?).max(0);
    if cost.minor() > remaining {
        return Err(Error::BudgetSpent {
            cost,
            remaining: TokenAmount::from_minor(remaining).unwrap_or_default(),
        });
    }
    Ok(())
}

/// Settles the holds of a finished job: posted when it succeeded, voided (refunded) when it
/// failed for good. A job that will be retried keeps its holds for the next attempt.
pub async fn settle_job(state: &AppState, job_id: Uuid, succeeded: bool) {
    let prefix = format!("job:{job_id}:");
    let settled = if succeeded {
        state.store.post_holds(&prefix).await
    } else {
        let voided = state.store.void_holds(&prefix, "the work failed").await;
        if let Ok(n) = voided {
            metrics::counter!("deals_tokens_refunds_total").increment(n);
        }
        voided
    };
    if let Err(e) = settled {
        tracing::error!(job_id = %job_id, error = %e, "settling a job's token holds failed; they are released when they expire");
    }
}

/// Releases holds past their expiry (their worker died); run by the hourly upkeep job.
pub async fn release_expired_holds(state: &AppState) -> Result<u64, StoreError> {
    let n = state
        .store
        .release_expired_holds(deals_store::now())
        .await?;
    metrics::counter!("deals_tokens_refunds_total").increment(n);
    Ok(n)
}

/// A goal whose work cannot be paid (the owner's balance or the goal's budget is short): it is
/// paused (scheduled searches stop) and the owner is told what it costs and what is left.
pub async fn pause_unpaid_goal(state: &AppState, goal_id: Uuid, error: &Error) -> Result<()> {
    let (cost, why, data) = match error {
        Error::InsufficientTokens { cost, balance } => (
            cost,
            format!("your balance is {balance}. Add tokens and set it active again."),
            json!({"goal_id": goal_id, "cost": cost, "balance": balance}),
        ),
        Error::BudgetSpent { cost, remaining } => (
            cost,
            format!("its budget has {remaining} left. Raise the budget and set it active again."),
            json!({"goal_id": goal_id, "cost": cost, "budget_remaining": remaining}),
        ),
        _ => return Ok(()),
    };
    let changes = GoalChanges {
        status: Some(GoalStatus::Paused),
        ..Default::default()
    };
    let goal = state
        .store
        .update_goal(Scope::All, goal_id, changes)
        .await?;
    notify(
        state,
        goal.user_id,
        Alert {
            kind: NotificationKind::OutOfTokens,
            priority: Priority::High,
            title: format!("Goal paused: {}", goal.title),
            body: format!(
                "“{}” was paused: its next step costs {cost} tokens and {why}",
                goal.title
            ),
            data,
            dedup_key: format!(
                "out_of_tokens:{}:{}",
                goal.id,
                deals_store::now().timestamp()
            ),
        },
    )
    .await?;
    Ok(())
}
