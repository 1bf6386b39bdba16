//! The `tokens` configuration section: the signup bonus, the price list and how long a hold
//! waits for its work.

use deals_agents::MeteredOp;
use deals_core::TokenAmount;
use serde::{Deserialize, Serialize};

/// DEAL token settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensSettings {
    /// Tokens a new account starts with (decimal string).
    pub signup_bonus: TokenAmount,
    /// Tokens given to both sides when a new user enters a referral code (once per new user).
    pub referral_reward: TokenAmount,
    /// Days after registration within which a referral code may be entered.
    pub referral_window_days: u32,
    /// Seconds a hold waits for its work to be posted before it is released (refunded).
    pub hold_ttl_secs: u64,
    /// What each operation costs.
    pub pricing: Pricing,
    /// Wallet proof and on-chain deposits.
    pub solana: SolanaSettings,
}

/// Solana: the Sign-In With Solana challenge and where deposits are read from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolanaSettings {
    /// The domain named in the sign-in message (the host users see).
    pub domain: String,
    /// The URI named in the sign-in message.
    pub uri: String,
    /// The chain named in the sign-in message.
    pub chain_id: String,
    /// Seconds a challenge may be answered.
    pub challenge_ttl_secs: u64,
    /// JSON-RPC endpoint read for deposits.
    pub rpc_url: String,
    /// Mint of the DEAL token; empty disables deposits.
    pub mint: String,
    /// The treasury's token account (for `mint`) that deposits pay into.
    pub treasury: String,
    /// Decimals of the mint on chain (amounts are converted to the ledger's 6).
    pub decimals: u32,
    /// Seconds before a deposit that is not finalized yet is read again.
    pub recheck_secs: u64,
}

impl Default for SolanaSettings {
    fn default() -> Self {
        Self {
            domain: "localhost:8000".into(),
            uri: "http://localhost:8000".into(),
            chain_id: "mainnet".into(),
            challenge_ttl_secs: 300,
            rpc_url: "https://api.mainnet-beta.solana.com".into(),
            mint: String::new(),
            treasury: String::new(),
            decimals: 6,
            recheck_secs: 20,
        }
    }
}

/// The price list, in tokens. An operation priced `0` is free and leaves no ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pricing {
    /// Creating a goal: the Goal Analysis Agent reading its words (charged by the goal's
    /// analysis job).
    pub goal_analysis: TokenAmount,
    /// One run of the Deal Search Agent for a goal (the first search and each scheduled one).
    pub deal_search: TokenAmount,
    /// One deal analysis by an LLM; free when the offline rules provider answers.
    pub price_analysis_llm: TokenAmount,
    /// One alert decision by the Notification Agent.
    pub notification: TokenAmount,
}

impl Default for Pricing {
    fn default() -> Self {
        Self {
            goal_analysis: TokenAmount::whole(1),
            deal_search: parse_default("0.1"),
            price_analysis_llm: parse_default("0.05"),
            notification: TokenAmount::ZERO,
        }
    }
}

impl Default for TokensSettings {
    fn default() -> Self {
        Self {
            signup_bonus: TokenAmount::whole(20),
            referral_reward: TokenAmount::whole(5),
            referral_window_days: 7,
            hold_ttl_secs: 3600,
            pricing: Pricing::default(),
            solana: SolanaSettings::default(),
        }
    }
}

fn parse_default(text: &str) -> TokenAmount {
    TokenAmount::parse(text).unwrap_or(TokenAmount::ZERO)
}

impl Pricing {
    /// What `op` costs: LLM work is free when only the offline rules answer (`llm` false).
    pub fn price(&self, op: MeteredOp, llm: bool) -> TokenAmount {
        match op {
            MeteredOp::GoalAnalysis => self.goal_analysis,
            MeteredOp::DealSearch => self.deal_search,
            MeteredOp::PriceAnalysis if llm => self.price_analysis_llm,
            MeteredOp::PriceAnalysis => TokenAmount::ZERO,
            MeteredOp::Notification => self.notification,
        }
    }

    /// What a new goal costs up front: its analysis and its first search.
    pub fn new_goal(&self) -> TokenAmount {
        TokenAmount::from_minor(self.goal_analysis.minor() + self.deal_search.minor())
            .unwrap_or(TokenAmount::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_bonus_covers_eighteen_new_goals() {
        let settings = TokensSettings::default();
        let per_goal = settings.pricing.new_goal().minor();
        assert_eq!(settings.signup_bonus.minor() / per_goal, 18);
    }

    #[test]
    fn llm_price_analysis_is_free_on_the_offline_rules() {
        let pricing = Pricing::default();
        assert!(pricing.price(MeteredOp::PriceAnalysis, false).is_zero());
        assert!(!pricing.price(MeteredOp::PriceAnalysis, true).is_zero());
    }
}
