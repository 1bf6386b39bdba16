//! The agents of agentic-deals and the LLM clients they use.
//!
//! This crate will hold the `LlmClient` trait with its providers (OpenAI-compatible, Anthropic,
//! the offline rules provider) and fallback chain, and the four agents of the design: Goal
//! Analysis, Deal Search, Price Analysis and Notification. For now it names the agents, the
//! vocabulary that run records and metering already use.

pub mod rules;

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
