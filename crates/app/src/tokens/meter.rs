//! The [`Meter`] of the application: agent work paid from the token ledger.
//!
//! Work done by a job carries an idempotency key (`job:<id>:<step>:<operation>`): its price is
//! reserved as a hold before the work runs, so a retried job finds its hold and is not charged
//! again; the job runner posts the job's holds when it succeeds and voids them (a refund) when it
//! fails for good, and a hold left pending by a dead worker is released when it expires. Work
//! asked for directly in a request has no key and is charged at once.

use std::time::Duration;

use async_trait::async_trait;
use deals_agents::{Charge, Meter, MeterError, MeteredOp, Payer};
use deals_core::EntryKind;
use deals_store::repo::tokens::{NewEntry, NewHold, Posted, Reserved};
use deals_store::{Store, now};
use uuid::Uuid;

use super::config::Pricing;
use crate::agents::serde_name;

/// Charges agent work to the payer's token balance.
#[derive(Debug, Clone)]
pub struct LedgerMeter {
    store: Store,
    pricing: Pricing,
    llm: bool,
    hold_ttl: Duration,
}

impl LedgerMeter {
    /// A meter on `store` with `pricing`; `llm` says whether an LLM provider is configured
    /// (LLM-only prices are free on the offline rules).
    pub fn new(store: Store, pricing: Pricing, llm: bool, hold_ttl: Duration) -> Self {
        Self {
            store,
            pricing,
            llm,
            hold_ttl,
        }
    }
}

/// What a charge did.
enum Outcome {
    Charged,
    AlreadyPaid,
    Refused(i64),
}

fn unavailable(e: impl std::fmt::Display) -> MeterError {
    MeterError::Unavailable(e.to_string())
}

impl LedgerMeter {
    /// Refuses `price` more for a goal whose budget it would exceed. Checked before the hold
    /// (not in its transaction): two steps of one goal running at once may pass it together.
    async fn check_budget(&self, goal_id: Uuid, price: i64) -> Result<(), MeterError> {
        let Some(max) = self.store.goal_budget(goal_id).await.map_err(unavailable)? else {
            return Ok(());
        };
        let spent = self
            .store
            .goal_token_spend(goal_id)
            .await
            .map_err(unavailable)?;
        let remaining = (max - spent).max(0);
        if price > remaining {
            return Err(MeterError::BudgetSpent {
                needed: price,
                remaining,
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Meter for LedgerMeter {
    async fn charge(&self, charge: &Charge, op: MeteredOp) -> Result<(), MeterError> {
        let Some(user_id) = charge.payer.user_id() else {
            return Ok(());
        };
        let price = self.pricing.price(op, self.llm).minor();
        if price == 0 {
            return Ok(());
        }
        let goal_id = match charge.payer {
            Payer::Goal { goal_id, .. } => Some(goal_id),
            Payer::User(_) | Payer::System => None,
        };
        let operation = serde_name(&op);
        if let Some(goal_id) = goal_id {
            self.check_budget(goal_id, price).await?;
        }
        let outcome = match charge.key_for(op) {
            Some(key) => {
                let ttl = chrono::Duration::from_std(self.hold_ttl).map_err(unavailable)?;
                let hold = NewHold {
                    key,
                    user_id,
                    goal_id,
                    operation: operation.clone(),
                    amount: price,
                    expires_at: now() + ttl,
                };
                match self.store.reserve_hold(hold).await.map_err(unavailable)? {
                    Reserved::Held => Outcome::Charged,
                    Reserved::AlreadyHeld => Outcome::AlreadyPaid,
                    Reserved::Insufficient { balance } => Outcome::Refused(balance),
                }
            }
            None => {
                let entry = NewEntry {
                    user_id,
                    kind: EntryKind::Charge,
                    amount: price,
                    reason: operation.replace('_', " "),
                    reference: None,
                    goal_id,
                    key: format!("charge:{}", Uuid::now_v7()),
                };
                match self.store.post_entry(entry).await.map_err(unavailable)? {
                    Posted::Applied(_) => Outcome::Charged,
                    Posted::Repeated(_) => Outcome::AlreadyPaid,
                    Posted::Insufficient { balance } => Outcome::Refused(balance),
                }
            }
        };
        match outcome {
            Outcome::AlreadyPaid => Ok(()),
            Outcome::Charged => {
                metrics::counter!("deals_tokens_charged_minor_total", "operation" => operation)
                    .increment(u64::try_from(price).unwrap_or(0));
                Ok(())
            }
            Outcome::Refused(balance) => {
                metrics::counter!("deals_tokens_refused_total", "operation" => operation)
                    .increment(1);
                Err(MeterError::InsufficientTokens {
                    needed: price,
                    balance,
                })
            }
        }
    }
}
