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
    /// The ledger could not be reached.
    #[error("metering unavailable: {0}")]
    Unavailable(String),
}

/// Charges agent operations to users.
#[async_trait]
pub trait Meter: Send + Sync {
    /// Charges `op` to `user_id`, or refuses.
    async fn charge(&self, user_id: Uuid, op: MeteredOp) -> Result<(), MeterError>;
}

/// Charges nothing: every operation is allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unmetered;

#[async_trait]
impl Meter for Unmetered {
    async fn charge(&self, _user_id: Uuid, _op: MeteredOp) -> Result<(), MeterError> {
        Ok(())
    }
}
