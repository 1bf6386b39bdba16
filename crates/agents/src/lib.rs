//! The agents of agentic-deals and the LLM clients they use.
//!
//! - [`llm`]: the [`llm::LlmClient`] trait, its providers (OpenAI-compatible through
//!   async-openai, Anthropic through reqwest) and the [`llm::LlmChain`] that tries them in order
//!   with retries, circuit breakers, structured-output repair and a response cache.
//! - [`agents`]: the four agents (Goal Analysis, Deal Search, Price Analysis, Notification),
//!   each a typed unit with a versioned prompt and offline rules that answer when no provider
//!   is configured or every provider failed; [`agents::Agents`] runs them.
//! - [`run`]: the [`run::AgentRun`] record every call returns; [`meter`]: the [`meter::Meter`]
//!   hook charged before agent work.
//! - [`rules`]: the offline goal parser.

pub mod agents;
pub mod llm;
pub mod meter;
pub mod prompt;
pub mod rules;
pub mod run;
pub mod secret;

pub use agents::{AgentError, Agents};
pub use llm::{LlmChain, LlmConfig};
pub use meter::{Charge, Meter, MeterError, MeteredOp, Payer, Unmetered};
pub use run::{AgentOutput, AgentRun, Attempt, AttemptOutcome, RunStatus};
pub use secret::Secret;

use serde::{Deserialize, Serialize};

/// The four agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// Plain-language goal → structured criteria.
    GoalAnalysis,
    /// Criteria → queries per market → matching listings.
    DealSearch,
    /// Listing + history + market context → base score and reasons.
    PriceAnalysis,
    /// Event + preferences → whether and how to alert.
    Notification,
}

impl AgentKind {
    /// Every agent, in pipeline order.
    pub const ALL: [AgentKind; 4] = [
        AgentKind::GoalAnalysis,
        AgentKind::DealSearch,
        AgentKind::PriceAnalysis,
        AgentKind::Notification,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_serialise_in_snake_case() {
        let names: Vec<String> = AgentKind::ALL
            .iter()
            .filter_map(|a| serde_json::to_string(a).ok())
            .collect();
        assert_eq!(
            names,
            [
                "\"goal_analysis\"",
                "\"deal_search\"",
                "\"price_analysis\"",
                "\"notification\""
            ]
        );
    }
}
