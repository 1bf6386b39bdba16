//! The error every use case returns: what went wrong in the user's terms. The HTTP layer maps it
//! to problem+json, the web UI to a page or a form error, the job runner to a retry or a dead job.

use deals_core::ValidationErrors;
use deals_store::StoreError;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such resource visible to the caller (someone else's resource is "not found" too).
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state (a paused goal, a taken e-mail…).
    #[error("{0}")]
    Conflict(String),
    /// One or more fields are invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The caller may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Credentials are missing, wrong or expired.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The user's tokens do not cover the work (HTTP 402).
    #[error("not enough tokens: {cost} needed, {balance} available")]
    InsufficientTokens {
        /// What the work costs.
        cost: deals_core::TokenAmount,
        /// The user's balance.
        balance: deals_core::TokenAmount,
    },
    /// The goal's token budget does not cover the work (HTTP 402).
    #[error("the goal's token budget is spent: {cost} needed, {remaining} left")]
    BudgetSpent {
        /// What the work costs.
        cost: deals_core::TokenAmount,
        /// What is left of the goal's budget.
        remaining: deals_core::TokenAmount,
    },
    /// A dependency (the database…) cannot be reached; worth retrying later.
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// Anything else: a bug or an unexpected failure of a dependency.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A validation error of one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(ValidationErrors::single(field, message))
    }

    /// Whether trying again later cannot help (used by the job runner).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::NotFound
                | Error::Invalid(_)
                | Error::Forbidden
                | Error::Unauthorized(_)
                | Error::InsufficientTokens { .. }
                | Error::BudgetSpent { .. }
        )
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict(_) => {
                Error::Conflict("conflicts with an existing resource".into())
            }
            e if e.is_unreachable() => {
                tracing::error!(error = %e, "database unreachable");
                Error::Unavailable("the database")
            }
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<deals_agents::AgentError> for Error {
    fn from(e: deals_agents::AgentError) -> Self {
        use deals_agents::MeterError;
        let deals_agents::AgentError::Meter(e) = e;
        let amount = |m: i64| deals_core::TokenAmount::from_minor(m).unwrap_or_default();
        match e {
            MeterError::InsufficientTokens { needed, balance } => Error::InsufficientTokens {
                cost: amount(needed),
                balance: amount(balance),
            },
            MeterError::BudgetSpent { needed, remaining } => Error::BudgetSpent {
                cost: amount(needed),
                remaining: amount(remaining),
            },
            MeterError::Unavailable(why) => {
                tracing::error!(error = %why, "token ledger unavailable");
                Error::Unavailable("the token ledger")
            }
        }
    }
}

/// Result of a use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;
