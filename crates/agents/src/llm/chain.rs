//! The fallback chain: providers in order, each behind its circuit breaker, each call retried
//! on 429/5xx/timeouts with jittered backoff (or the provider's `Retry-After`, capped),
//! structured answers validated with one repair round, and valid answers cached.

use std::sync::Arc;
use std::time::Duration;

use super::breaker::{Admission, Breaker};
use super::cache::{self, CachedAnswer, ResponseCache};
use super::config::{LlmConfig, ProviderKind};
use super::{
    LlmClient, LlmError, LlmRequest, LlmResponse, Message, ProviderHealth, ProviderInfo, Usage,
    anthropic::Anthropic, openai::OpenAiCompatible, retry,
};
use crate::AgentKind;
use crate::run::{Attempt, AttemptOutcome, RULES_MODEL, RULES_PROVIDER};

/// Retry, breaker and cache settings of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainSettings {
    /// Consecutive failed calls that open a circuit.
    pub breaker_threshold: u32,
    /// How long an open circuit skips its provider.
    pub breaker_cooldown: Duration,
    /// First backoff step.
    pub backoff_base: Duration,
    /// Longest backoff step.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured.
    pub retry_after_cap: Duration,
    /// Most cached answers per agent.
    pub cache_entries: u64,
}

impl From<&LlmConfig> for ChainSettings {
    fn from(c: &LlmConfig) -> Self {
        Self {
            breaker_threshold: c.breaker_threshold,
            breaker_cooldown: Duration::from_millis(c.breaker_cooldown_ms),
            backoff_base: Duration::from_millis(c.backoff_base_ms),
            backoff_max: Duration::from_millis(c.backoff_max_ms),
            retry_after_cap: Duration::from_millis(c.retry_after_cap_ms),
            cache_entries: c.cache_entries,
        }
    }
}

impl Default for ChainSettings {
    fn default() -> Self {
        Self::from(&LlmConfig::default())
    }
}

/// One provider in the chain.
pub(crate) struct Slot {
    pub(crate) client: Arc<dyn LlmClient>,
    breaker: Breaker,
    max_retries: u32,
}

impl Slot {
    pub(crate) fn info(&self) -> &ProviderInfo {
        self.client.info()
    }

    /// Asks the breaker; a skipped provider is recorded as an attempt.
    pub(crate) fn admit(&self, tally: &mut Tally) -> bool {
        if self.breaker.admit() == Admission::Rejected {
            tally
                .attempts
                .push(Attempt::new(&self.info().name, AttemptOutcome::CircuitOpen));
            return false;
        }
        true
    }

    /// Marks a provider whose answers stayed invalid after the repair.
    pub(crate) fn answered_invalid(&self, error: String) {
        self.breaker.answered_invalid(error);
    }
}

/// Attempts, tokens and cost accumulated over one agent run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Tokens over all answers received (valid or not).
    pub usage: Usage,
    /// Estimated cost of those tokens, in micro-dollars.
    pub cost_micros: u64,
}

impl Tally {
    /// The detail of the last failed attempt.
    pub fn last_error(&self) -> Option<String> {
        self.attempts
            .iter()
            .rev()
            .filter(|a| !matches!(a.outcome, AttemptOutcome::Answered | AttemptOutcome::Rules))
            .find_map(|a| a.detail.clone())
    }
}

/// A validated answer from one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The validated value.
    pub value: T,
    /// Provider that gave it.
    pub provider: String,
    /// Its model.
    pub model: String,
    /// Attempts, tokens and cost, including failed attempts before it.
    pub tally: Tally,
}

/// Every provider failed or was skipped: the caller falls back to its rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exhausted {
    /// Attempts, tokens and cost so far.
    pub tally: Tally,
}

/// The ordered providers with their breakers, and the response cache.
pub struct LlmChain {
    slots: Vec<Slot>,
    settings: ChainSettings,
    cache: ResponseCache,
}

impl std::fmt::Debug for LlmChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.slots.iter().map(|s| s.info().name.as_str()).collect();
        f.debug_struct("LlmChain")
            .field("providers", &names)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl LlmChain {
    /// Builds the providers of `cfg` in fallback order (none: rules only).
    pub fn from_config(cfg: &LlmConfig) -> Result<Self, LlmError> {
        let mut clients: Vec<(Arc<dyn LlmClient>, u32)> = Vec::new();
        for p in cfg.resolved_providers() {
            let client: Arc<dyn LlmClient> = match p.kind {
                ProviderKind::OpenaiCompatible => Arc::new(OpenAiCompatible::new(&p)?),
                ProviderKind::Anthropic => Arc::new(Anthropic::new(&p)?),
                ProviderKind::Rules => {
                    tracing::warn!(provider = %p.name, "kind rules is not a provider; ignored");
                    continue;
                }
            };
            clients.push((client, p.max_retries));
        }
        Ok(Self::with_clients(clients, ChainSettings::from(cfg)))
    }

    /// A chain over given clients (each with its retry count), e.g. custom providers.
    pub fn with_clients(clients: Vec<(Arc<dyn LlmClient>, u32)>, settings: ChainSettings) -> Self {
        let slots = clients
            .into_iter()
            .map(|(client, max_retries)| Slot {
                client,
                breaker: Breaker::new(settings.breaker_threshold, settings.breaker_cooldown),
                max_retries,
            })
            .collect();
        Self {
            slots,
            cache: ResponseCache::new(settings.cache_entries),
            settings,
        }
    }

    /// No providers: the offline rules answer everything.
    pub fn rules_only() -> Self {
        Self::with_clients(Vec::new(), ChainSettings::default())
    }

    /// True when no provider is configured.
    pub fn is_rules_only(&self) -> bool {
        self.slots.is_empty()
    }

    /// Health of each provider in fallback order, then the offline rules (always ok).
    pub fn health(&self) -> Vec<ProviderHealth> {
        let mut out: Vec<ProviderHealth> = self
            .slots
            .iter()
            .map(|s| s.breaker.health(s.info()))
            .collect();
        out.push(ProviderHealth {
            name: RULES_PROVIDER.into(),
            kind: ProviderKind::Rules,
            model: RULES_MODEL.into(),
            base_url: String::new(),
            status: super::HealthStatus::Ok,
            last_success: None,
            last_error: None,
            consecutive_failures: 0,
        });
        out
    }

    pub(crate) fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// One call at one provider, retried on retryable errors. Every attempt, its tokens and
    /// cost go into `tally`; the breaker learns the call's result.
    pub(crate) async fn call(
        &self,
        slot: &Slot,
        request: &LlmRequest,
        tally: &mut Tally,
    ) -> Result<LlmResponse, LlmError> {
        let name = &slot.info().name;
        let mut attempt = 0;
        loop {
            match slot.client.complete(request).await {
                Ok(response) => {
                    tally.usage.input_tokens += response.usage.input_tokens;
                    tally.usage.output_tokens += response.usage.output_tokens;
                    tally.cost_micros += slot.info().cost_micros(response.usage);
                    slot.breaker.succeeded();
                    return Ok(response);
                }
                Err(e) => {
                    let mut record = Attempt::new(name, e.outcome()).detail(e.to_string());
                    if !e.is_retryable() || attempt >= slot.max_retries {
                        tracing::warn!(provider = %name, error = %e, "LLM call failed");
                        tally.attempts.push(record);
                        slot.breaker.failed(e.to_string());
                        return Err(e);
                    }
                    let wait = retry::wait_before_retry(
                        e.retry_after(),
                        attempt,
                        self.settings.backoff_base,
                        self.settings.backoff_max,
                        self.settings.retry_after_cap,
                    );
                    record.waited_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                    tally.attempts.push(record);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Asks each provider in turn for an answer that `validate` accepts: a cached answer is
    /// used first; an invalid answer is sent back once with its error; a provider that fails
    /// or stays invalid hands over to the next. Exhausted means: use the rules.
    pub async fn structured<T>(
        &self,
        agent: AgentKind,
        prompt_version: &str,
        request: &LlmRequest,
        validate: &(dyn Fn(&str) -> Result<T, String> + Sync),
    ) -> Result<Answer<T>, Exhausted> {
        let mut tally = Tally::default();
        let prompt = serde_json::to_string(request).unwrap_or_default();
        for slot in &self.slots {
            let info = slot.info();
            let answered = |value, tally| Answer {
                value,
                provider: info.name.clone(),
                model: info.model.clone(),
                tally,
            };
            if !slot.admit(&mut tally) {
                continue;
            }
            let key = cache::key(&info.name, &info.model, prompt_version, &prompt);
            if let Some(hit) = self.cache.get(agent, &key).await
                && let Ok(value) = validate(&hit.text)
            {
                tally
                    .attempts
                    .push(Attempt::new(&info.name, AttemptOutcome::CacheHit));
                return Ok(answered(value, tally));
            }
            let Ok(first) = self.call(slot, request, &mut tally).await else {
                continue;
            };
            let text = first.text.unwrap_or_default();
            let error = match validate(&text) {
                Ok(value) => {
                    self.remember(agent, key, &text).await;
                    tally
                        .attempts
                        .push(Attempt::new(&info.name, AttemptOutcome::Answered));
                    return Ok(answered(value, tally));
                }
                Err(error) => error,
            };
            tally
                .attempts
                .push(Attempt::new(&info.name, AttemptOutcome::InvalidOutput).detail(&error));
            let repair = repair_request(request, text, &error);
            let Ok(second) = self.call(slot, &repair, &mut tally).await else {
                continue;
            };
            let text = second.text.unwrap_or_default();
            match validate(&text) {
                Ok(value) => {
                    self.remember(agent, key, &text).await;
                    tally.attempts.push(
                        Attempt::new(&info.name, AttemptOutcome::Answered).detail("after repair"),
                    );
                    return Ok(answered(value, tally));
                }
                Err(error) => {
                    tracing::warn!(provider = %info.name, %error, "LLM answer invalid twice");
                    slot.answered_invalid(error.clone());
                    tally.attempts.push(
                        Attempt::new(&info.name, AttemptOutcome::InvalidOutput).detail(error),
                    );
                }
            }
        }
        Err(Exhausted { tally })
    }

    async fn remember(&self, agent: AgentKind, key: cache::CacheKey, text: &str) {
        let answer = CachedAnswer {
            text: Arc::from(text),
        };
        self.cache.put(agent, key, answer).await;
    }
}

/// The conversation plus the invalid answer and its error, asking for a corrected answer.
fn repair_request(request: &LlmRequest, answer: String, error: &str) -> LlmRequest {
    let mut repair = request.clone();
    let answer = if answer.trim().is_empty() {
        "(no text)".to_owned()
    } else {
        answer
    };
    repair.messages.push(Message::Assistant {
        text: Some(answer),
        tool_calls: Vec::new(),
    });
    repair.messages.push(Message::user(format!(
        "That answer was not valid: {error}. Reply again with only the JSON object, following \
         the schema exactly."
    )));
    repair
}
