//! Metering: every agent operation is charged to the user before any LLM work.
//!
//! Cost of each operation, in DEAL token minor units:
//!
//! | operation | cost |
//! |---|---|
//! | goal analysis | 10 |
//! | deal search | 25 |
//! | price analysis | 2 |
//! | notification | 1 |
//!
//! The charge is the same whichever provider (or the offline rules) answers, so a price list
//! can be shown up front (`GET /api/v1/tokens/pricing`).

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

/// A metered agent operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeteredOp {
    /// Goal text → criteria.
    GoalAnalysis,
    /// Criteria → listings.
    DealSearch,
    /// Listing → base score.
    PriceAnalysis,
    /// Event → alert decision.
    Notification,
}

impl MeteredOp {
    /// Every operation.
    pub const ALL: [MeteredOp; 4] = [
        MeteredOp::GoalAnalysis,
        MeteredOp::DealSearch,
        MeteredOp::PriceAnalysis,
        MeteredOp::Notification,
    ];

    /// Cost in DEAL token minor units (see the module table).
    pub const fn cost(self) -> i64 {
        match self {
            MeteredOp::GoalAnalysis => 10,
            MeteredOp::DealSearch => 25,
            MeteredOp::PriceAnalysis => 2,
            MeteredOp::Notification => 1,
        }
    }
}

/// Why a charge failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeterError {
    /// The user cannot pay for the operation (HTTP 402).
    #[error("not enough tokens: {needed} needed, {balance} available")]
    InsufficientTokens {
        /// Cost of the operation.
        needed: i64,
        /// The user's balance.
        balance: i64,
    },
    /// The goal's token budget does not cover the operation (HTTP 402).
    #[error("the goal's budget is spent: {needed} needed, {remaining} left")]
    BudgetSpent {
        /// Cost of the operation.
        needed: i64,
        /// What is left of the goal's budget.
        remaining: i64,
    },
    /// The ledger could not be reached.
    #[error("metering unavailable: {0}")]
    Unavailable(String),
}

/// Who pays for an agent operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payer {
    /// A user, for work they asked for directly.
    User(Uuid),
    /// A user, for work on one of their goals (so the goal's spending can be shown and capped).
    Goal {
        /// The goal's owner, who pays.
        user_id: Uuid,
        /// The goal.
        goal_id: Uuid,
    },
    /// Nobody: the system's own upkeep (re-scoring listings after a price check).
    System,
}

impl Payer {
    /// The paying user, if any.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Payer::User(id) | Payer::Goal { user_id: id, .. } => Some(*id),
            Payer::System => None,
        }
    }
}

/// One charge: who pays, and the idempotency key that makes a repeat of the same step (a
/// retried job) free. Work done outside a job (a request) has no key: each request is new work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Charge {
    /// Who pays.
    pub payer: Payer,
    /// Unique per step of work, e.g. `job:<job id>:search_deals`; `None` when not repeatable.
    pub key: Option<String>,
}

impl Charge {
    /// A charge to `payer` without an idempotency key.
    pub fn new(payer: Payer) -> Self {
        Self { payer, key: None }
    }

    /// The same charge with an idempotency key.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The idempotency key of `op` within this charge: the step's key and the operation, so
    /// one step charging two operations keeps them apart.
    pub fn key_for(&self, op: MeteredOp) -> Option<String> {
        let op = serde_json::to_value(op)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.key.as_ref().map(|k| format!("{k}:{op}"))
    }
}

/// A user paying for work they asked for directly, without an idempotency key.
impl From<Uuid> for Charge {
    fn from(user_id: Uuid) -> Self {
        Charge::new(Payer::User(user_id))
    }
}

/// Charges agent operations to their payers.
#[async_trait]
pub trait Meter: Send + Sync {
    /// Charges `op` as `charge` says, or refuses. A charge whose key was already charged
    /// succeeds without charging again.
    async fn charge(&self, charge: &Charge, op: MeteredOp) -> Result<(), MeterError>;
}

/// Charges nothing: every operation is allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unmetered;

#[async_trait]
impl Meter for Unmetered {
    async fn charge(&self, _charge: &Charge, _op: MeteredOp) -> Result<(), MeterError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_an_operation_joins_the_step_and_the_operation() {
        let goal = Payer::Goal {
            user_id: Uuid::nil(),
            goal_id: Uuid::max(),
        };
        let charge = Charge::new(goal).with_key("job:1:search");
        assert_eq!(
            charge.key_for(MeteredOp::DealSearch).as_deref(),
            Some("job:1:search:deal_search")
        );
        assert_eq!(charge.payer.user_id(), Some(Uuid::nil()));
        assert_eq!(
            Charge::new(Payer::System).key_for(MeteredOp::Notification),
            None
        );
    }
}
