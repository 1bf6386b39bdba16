//! The four agents and the runner that meters them, asks the LLM chain, falls back to their
//! offline rules and records the run.
//!
//! Each structured agent implements [`Agent`]: a typed input and output, a versioned prompt
//! (`PROMPT_VERSION`, template text in `prompts/`), a validator that turns the model's text
//! into the typed output (or an error sent back for one repair), and `rules`, the
//! deterministic answer used when no provider is configured or every provider failed. Deal
//! Search runs a tool-calling loop instead (see [`search`]).

pub mod explain;
pub mod goal;
pub mod notify;
pub mod price;
mod relax;
pub mod search;

use std::sync::Arc;
use std::time::Instant;

use deals_core::GoalCriteria;
use deals_markets::Market;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AgentKind;
use crate::llm::chain::Tally;
use crate::llm::{Exhausted, LlmChain, LlmRequest};
use crate::meter::{Charge, Meter, MeterError, MeteredOp, Unmetered};
use crate::run::{
    AgentOutput, AgentRun, Attempt, AttemptOutcome, RULES_MODEL, RULES_PROVIDER, RunStatus,
};

pub use goal::{GoalAnalysis, GoalAnalysisAgent};
pub use notify::{EventKind, NotificationAgent, NotifyDecision, NotifyInput, PriceEvent};
pub use price::{PriceAnalysisAgent, PriceInput, PriceVerdict};
pub use search::{DealSearchAgent, FoundDeal, PlannedQuery, SearchLimits, SearchOutput};

/// Why an agent call produced nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The meter refused the operation (not enough tokens → HTTP 402).
    #[error(transparent)]
    Meter(#[from] MeterError),
}

/// A structured agent: typed input → typed output, by an LLM or by its rules.
pub trait Agent {
    /// What the agent reads.
    type Input: ?Sized + Sync;
    /// What it produces.
    type Output: Serialize + Send;
    /// Which agent this is.
    const KIND: AgentKind;
    /// What a call costs.
    const OP: MeteredOp;
    /// Version of the prompt template, recorded in every run and part of the cache key.
    const PROMPT_VERSION: &'static str;

    /// Short, secret-free description of the input for the run log.
    fn summary(input: &Self::Input) -> String;
    /// The LLM request: system prompt with the output schema, user text delimited.
    fn request(input: &Self::Input) -> LlmRequest;
    /// Reads and checks the model's answer; the error text is sent back for the repair.
    fn validate(input: &Self::Input, text: &str) -> Result<Self::Output, String>;
    /// The deterministic answer: no network, never fails.
    fn rules(input: &Self::Input) -> Self::Output;
}

/// Runs the agents on one LLM chain, charging a meter.
#[derive(Clone)]
pub struct Agents {
    chain: Arc<LlmChain>,
    meter: Arc<dyn Meter>,
    search_limits: SearchLimits,
}

impl std::fmt::Debug for Agents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agents")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl Agents {
    /// Agents on `chain`, charging `meter`.
    pub fn new(chain: Arc<LlmChain>, meter: Arc<dyn Meter>) -> Self {
        Self {
            chain,
            meter,
            search_limits: SearchLimits::default(),
        }
    }

    /// Replaces the Deal Search loop bounds.
    pub fn with_search_limits(mut self, limits: SearchLimits) -> Self {
        self.search_limits = limits;
        self
    }

    /// Rules only, unmetered: the embedded default without keys.
    pub fn offline() -> Self {
        Self::new(Arc::new(LlmChain::rules_only()), Arc::new(Unmetered))
    }

    /// The chain (for `GET /api/v1/agents/status`: [`LlmChain::health`]).
    pub fn chain(&self) -> &LlmChain {
        &self.chain
    }

    /// Goal text → criteria, title and notes.
    pub async fn analyze_goal(
        &self,
        charge: impl Into<Charge>,
        text: &str,
    ) -> Result<AgentOutput<GoalAnalysis>, AgentError> {
        self.run::<GoalAnalysisAgent>(charge, text).await
    }

    /// Listing, history and market context → base score 0–100 and reasons.
    pub async fn analyze_price(
        &self,
        charge: impl Into<Charge>,
        input: &PriceInput,
    ) -> Result<AgentOutput<PriceVerdict>, AgentError> {
        self.run::<PriceAnalysisAgent>(charge, input).await
    }

    /// Price event and preferences → whether and how to alert.
    pub async fn decide_notification(
        &self,
        charge: impl Into<Charge>,
        input: &NotifyInput,
    ) -> Result<AgentOutput<NotifyDecision>, AgentError> {
        self.run::<NotificationAgent>(charge, input).await
    }

    /// Criteria → one query per allowed market (the markets are the model's tools) →
    /// fitting listings, best first.
    pub async fn search_deals(
        &self,
        charge: impl Into<Charge>,
        criteria: &GoalCriteria,
        markets: &[Arc<dyn Market>],
    ) -> Result<AgentOutput<SearchOutput>, AgentError> {
        self.charge(charge, MeteredOp::DealSearch).await?;
        Ok(self.search_uncharged(criteria, markets).await)
    }

    /// Charges `op` as [`Agents::search_deals`] and the other agents do before they work (for
    /// a caller that reuses another goal's identical search, see [`Agents::search_uncharged`]).
    pub async fn charge(&self, charge: impl Into<Charge>, op: MeteredOp) -> Result<(), AgentError> {
        self.meter.charge(&charge.into(), op).await?;
        Ok(())
    }

    /// [`Agents::search_deals`] without its charge: the caller charged the goal already.
    pub async fn search_uncharged(
        &self,
        criteria: &GoalCriteria,
        markets: &[Arc<dyn Market>],
    ) -> AgentOutput<SearchOutput> {
        search::run(&self.chain, criteria, markets, &self.search_limits).await
    }

    /// Runs one structured agent: charge, ask the chain, else the rules; record the run.
    pub async fn run<A: Agent>(
        &self,
        charge: impl Into<Charge>,
        input: &A::Input,
    ) -> Result<AgentOutput<A::Output>, AgentError> {
        let started = Instant::now();
        self.meter.charge(&charge.into(), A::OP).await?;
        let answer = if self.chain.is_rules_only() {
            Err(Exhausted::default())
        } else {
            let request = A::request(input);
            let validate = |text: &str| A::validate(input, text);
            self.chain
                .structured(A::KIND, A::PROMPT_VERSION, &request, &validate)
                .await
        };
        let (output, provider, model, tally) = match answer {
            Ok(a) => (a.value, a.provider, a.model, a.tally),
            Err(exhausted) => {
                let (output, tally) = rules_answer(A::rules(input), exhausted.tally);
                (output, RULES_PROVIDER.into(), RULES_MODEL.into(), tally)
            }
        };
        let meta = RunMeta {
            agent: A::KIND,
            prompt_version: A::PROMPT_VERSION,
            input_summary: A::summary(input),
            started,
        };
        Ok(meta.finish(output, provider, model, tally))
    }
}

/// Reads a JSON answer, tolerating a Markdown code fence around it.
pub(crate) fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed);
    serde_json::from_str(body.trim()).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            format!("not valid JSON ({e})")
        } else {
            format!("does not follow the schema ({e})")
        }
    })
}

/// Adds the rules' attempt to a tally.
pub(crate) fn rules_answer<T>(output: T, mut tally: Tally) -> (T, Tally) {
    tally
        .attempts
        .push(Attempt::new(RULES_PROVIDER, AttemptOutcome::Rules));
    (output, tally)
}

/// What a run record needs besides the outcome.
pub(crate) struct RunMeta {
    pub(crate) agent: AgentKind,
    pub(crate) prompt_version: &'static str,
    pub(crate) input_summary: String,
    pub(crate) started: Instant,
}

impl RunMeta {
    /// The output with its run record. The status is `fallback` when any attempt was at
    /// another provider than the one that answered.
    pub(crate) fn finish<T: Serialize>(
        self,
        output: T,
        provider: String,
        model: String,
        tally: Tally,
    ) -> AgentOutput<T> {
        let status = if tally.attempts.iter().all(|a| a.provider == provider) {
            RunStatus::Succeeded
        } else {
            RunStatus::Fallback
        };
        let run = AgentRun {
            agent: self.agent,
            provider,
            model,
            prompt_version: self.prompt_version.into(),
            input_summary: self.input_summary,
            output: serde_json::to_value(&output).unwrap_or_default(),
            tokens_in: tally.usage.input_tokens,
            tokens_out: tally.usage.output_tokens,
            latency_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            cost_micros: tally.cost_micros,
            status,
            error: tally.last_error(),
            attempts: tally.attempts,
        };
        AgentOutput { output, run }
    }
}
