//! LLM clients: the provider-neutral request and response, the [`LlmClient`] trait, its two
//! HTTP providers (OpenAI-compatible chat completions and Anthropic Messages), and the
//! [`LlmChain`] that tries them in order with retries, a circuit breaker, structured-output
//! repair and a response cache. The offline rules are not a client: each agent has its own
//! typed rules, which answer when the chain is empty or exhausted.

pub mod anthropic;
pub mod breaker;
pub mod cache;
pub mod chain;
pub mod config;
pub mod openai;
mod retry;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

pub use breaker::{HealthStatus, ProviderHealth};
pub use chain::{Answer, ChainSettings, Exhausted, LlmChain};
pub use config::{LlmConfig, ProviderConfig, ProviderKind, StructuredOutput};

use crate::run::AttemptOutcome;

/// One message of a conversation, in provider-neutral form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// Text from the user side (our prompt, with any user text delimited inside it).
    User {
        /// The text.
        text: String,
    },
    /// A previous answer of the model, replayed (for a repair or a tool-calling loop).
    Assistant {
        /// Text of the answer, if any.
        text: Option<String>,
        /// Tools the model asked for.
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call.
    ToolResult {
        /// The id of the call being answered.
        call_id: String,
        /// The result, usually JSON text.
        content: String,
    },
}

impl Message {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::User { text: text.into() }
    }
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    /// Name the model uses to call it.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON schema of its arguments.
    pub parameters: Value,
}

/// A tool call asked for by the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    /// Provider-assigned id, echoed in the result.
    pub id: String,
    /// Tool name (not necessarily one we offered).
    pub name: String,
    /// Arguments; a JSON string that does not parse is kept as a JSON string value.
    pub arguments: Value,
}

/// The JSON schema an answer must follow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputSchema {
    /// Short name (`goal_analysis`), sent with `response_format: json_schema`.
    pub name: String,
    /// The schema.
    pub schema: Value,
}

/// A provider-neutral completion request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmRequest {
    /// System instructions (never user text, never secrets).
    pub system: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// When set, the answer must be JSON following this schema.
    pub schema: Option<OutputSchema>,
    /// Tools offered to the model; empty for plain answers.
    pub tools: Vec<ToolSpec>,
    /// Most tokens to generate.
    pub max_tokens: u32,
}

/// Tokens a call consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

/// A provider-neutral completion.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmResponse {
    /// Text of the answer, if any.
    pub text: Option<String>,
    /// Tool calls asked for, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Tokens consumed.
    pub usage: Usage,
}

/// Why one HTTP attempt at a provider failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// HTTP 429.
    #[error("rate limited (HTTP 429)")]
    RateLimited {
        /// The provider's `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx (or 408).
    #[error("server error (HTTP {status})")]
    Server {
        /// The status code.
        status: u16,
        /// The provider's `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// Any other HTTP error status: our request or credentials are wrong; not retried.
    #[error("request refused (HTTP {status}): {detail}")]
    Refused {
        /// The status code.
        status: u16,
        /// The start of the error body.
        detail: String,
    },
    /// No answer within the provider's timeout.
    #[error("timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    /// Connection or TLS failure.
    #[error("transport error: {0}")]
    Transport(String),
    /// A 2xx answer we could not read.
    #[error("unreadable response: {0}")]
    Protocol(String),
}

impl LlmError {
    /// Whether trying the same provider again may help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout(_) | Self::Transport(_)
        )
    }

    /// The wait the provider asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// How the attempt is recorded in the run log.
    pub fn outcome(&self) -> AttemptOutcome {
        match self {
            Self::RateLimited { .. } => AttemptOutcome::RateLimited,
            Self::Server { .. } => AttemptOutcome::ServerError,
            Self::Refused { .. } => AttemptOutcome::Refused,
            Self::Timeout(_) => AttemptOutcome::Timeout,
            Self::Transport(_) => AttemptOutcome::TransportError,
            Self::Protocol(_) => AttemptOutcome::ProtocolError,
        }
    }
}

/// What a provider is, for the run log and `GET /api/v1/agents/status`. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderInfo {
    /// Configured name (`deepseek`, `openai`, `local-ollama`…).
    pub name: String,
    /// Wire format.
    pub kind: ProviderKind,
    /// Model asked for.
    pub model: String,
    /// Base URL, without credentials.
    pub base_url: String,
    /// USD per million input tokens.
    pub price_in_per_million: f64,
    /// USD per million output tokens.
    pub price_out_per_million: f64,
}

impl ProviderInfo {
    /// The public part of a provider's configuration.
    pub fn from_config(cfg: &ProviderConfig) -> Self {
        Self {
            name: cfg.name.clone(),
            kind: cfg.kind,
            model: cfg.model.clone(),
            base_url: public_url(&cfg.base_url),
            price_in_per_million: cfg.price_in_per_million,
            price_out_per_million: cfg.price_out_per_million,
        }
    }

    /// Estimated cost of `usage` in millionths of a US dollar.
    pub fn cost_micros(&self, usage: Usage) -> u64 {
        let cost = usage.input_tokens as f64 * self.price_in_per_million
            + usage.output_tokens as f64 * self.price_out_per_million;
        cost.round().max(0.0) as u64
    }
}

/// One LLM provider: a single HTTP attempt per call. Retries, timeouts' consequences, the
/// circuit breaker and fallback belong to [`LlmChain`].
#[async_trait]
pub trait LlmClient: Send + Sync {
    /// Name, kind, model and URL of the provider.
    fn info(&self) -> &ProviderInfo;

    /// Sends one completion request.
    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError>;
}

/// Installs rustls' ring crypto provider as the process default, once; a provider installed
/// earlier (by the app's `main`) is kept.
pub fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// Builds the reqwest client used by both providers.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, LlmError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout + Duration::from_millis(500))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| LlmError::Transport(format!("cannot build the HTTP client: {e}")))
}

/// A URL without user info (`user:pass@`), query or fragment, safe to show.
pub fn public_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}")
}

/// The first `max` characters of `text`, for error details.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_drop_credentials_and_queries() {
        assert_eq!(
            public_url("https://me:sk-1@api.example.com/v1?key=sk-2#x"),
            "https://api.example.com/v1"
        );
        assert_eq!(
            public_url("http://127.0.0.1:11434/v1"),
            "http://127.0.0.1:11434/v1"
        );
    }

    #[test]
    fn cost_is_tokens_times_price_per_million_in_micro_dollars() {
        let info = ProviderInfo {
            name: "deepseek".into(),
            kind: ProviderKind::OpenaiCompatible,
            model: "deepseek-chat".into(),
            base_url: String::new(),
            price_in_per_million: 0.28,
            price_out_per_million: 0.42,
        };
        let usage = Usage {
            input_tokens: 1_000_000,
            output_tokens: 500_000,
        };
        assert_eq!(info.cost_micros(usage), 490_000);
    }
}
