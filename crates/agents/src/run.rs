//! The record of one agent call: which provider answered, which failed before it, tokens,
//! latency and estimated cost. The app stores these; this crate only produces them.

use serde::Serialize;
use serde_json::Value;

use crate::AgentKind;

/// Provider name recorded when the offline rules answered.
pub const RULES_PROVIDER: &str = "rules";
/// Model name recorded when the offline rules answered.
pub const RULES_MODEL: &str = "rules";

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The first provider tried answered (the rules, when no provider is configured).
    Succeeded,
    /// A later provider, or the rules, answered after earlier providers failed.
    Fallback,
    /// No output could be produced.
    Failed,
}

/// What happened at one provider attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A valid answer.
    Answered,
    /// A valid answer from the cache; no call made.
    CacheHit,
    /// The answer was not valid; the error was sent back for one repair.
    InvalidOutput,
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx.
    ServerError,
    /// Another HTTP error (bad key, bad request): not retried.
    Refused,
    /// No answer in time.
    Timeout,
    /// Connection failure.
    TransportError,
    /// A 2xx answer that could not be read.
    ProtocolError,
    /// Skipped: the provider's circuit is open.
    CircuitOpen,
    /// The offline rules answered.
    Rules,
}

/// One attempt in a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// Provider name (`rules` for the offline rules).
    pub provider: String,
    /// What happened.
    pub outcome: AttemptOutcome,
    /// Error text, if any (never a secret: our own messages and the start of error bodies).
    pub detail: Option<String>,
    /// Milliseconds waited after this attempt before the next one at the same provider.
    pub waited_ms: u64,
}

impl Attempt {
    /// An attempt without detail or wait.
    pub fn new(provider: &str, outcome: AttemptOutcome) -> Self {
        Self {
            provider: provider.to_owned(),
            outcome,
            detail: None,
            waited_ms: 0,
        }
    }

    /// Adds the error text.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The run record of one agent call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentRun {
    /// Which agent.
    pub agent: AgentKind,
    /// Provider that produced the output (`rules` for the offline rules).
    pub provider: String,
    /// Model that produced the output.
    pub model: String,
    /// Version of the prompt template (`goal-analysis/1`).
    pub prompt_version: String,
    /// Short description of the input; no secrets, user text clipped.
    pub input_summary: String,
    /// The output, as JSON.
    pub output: Value,
    /// Prompt tokens over all attempts.
    pub tokens_in: u64,
    /// Generated tokens over all attempts.
    pub tokens_out: u64,
    /// Wall-clock time of the whole call, in milliseconds.
    pub latency_ms: u64,
    /// Estimated cost in millionths of a US dollar (0 for the rules and cache hits).
    pub cost_micros: u64,
    /// How the run ended.
    pub status: RunStatus,
    /// The last error, when a provider failed or the run failed.
    pub error: Option<String>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
}

/// An agent's output with its run record.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentOutput<T> {
    /// The typed output.
    pub output: T,
    /// The run record.
    pub run: AgentRun,
}
