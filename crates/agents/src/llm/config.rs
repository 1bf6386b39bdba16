//! LLM configuration: the ordered provider list and the chain's retry, breaker and cache
//! settings. Empty (the default) means the offline rules answer everything.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Wire format of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI chat completions: OpenAI, DeepSeek, Ollama, vLLM, llama.cpp, OpenRouter…
    OpenaiCompatible,
    /// Anthropic Messages API.
    Anthropic,
    /// The offline rules (listed in health only; never configured).
    Rules,
}

/// How an OpenAI-compatible provider is asked for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutput {
    /// `response_format: {type: json_schema, json_schema: {name, schema}}` (OpenAI, vLLM,
    /// Ollama, llama.cpp).
    #[default]
    JsonSchema,
    /// `response_format: {type: json_object}` (DeepSeek); the schema is in the prompt only.
    JsonObject,
    /// No `response_format`; the schema is in the prompt only.
    PromptOnly,
}

/// One provider, in fallback order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Wire format.
    pub kind: ProviderKind,
    /// Name in the run log and the status endpoint.
    pub name: String,
    /// Base URL: `https://api.deepseek.com`, `http://127.0.0.1:11434/v1`… (Anthropic: without
    /// `/v1`).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key; optional for local servers.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Timeout of one HTTP attempt, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries after the first attempt, for 429, 5xx, timeouts and connection errors.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// USD per million input tokens, for the cost estimate.
    #[serde(default)]
    pub price_in_per_million: f64,
    /// USD per million output tokens, for the cost estimate.
    #[serde(default)]
    pub price_out_per_million: f64,
    /// How JSON answers are asked for (OpenAI-compatible only).
    #[serde(default)]
    pub structured_output: StructuredOutput,
}

fn default_timeout_ms() -> u64 {
    30_000
}

fn default_max_retries() -> u32 {
    2
}

impl ProviderConfig {
    /// DeepSeek (`deepseek-chat`), the primary preset; JSON mode is `json_object`.
    pub fn deepseek(api_key: Secret) -> Self {
        Self {
            kind: ProviderKind::OpenaiCompatible,
            name: "deepseek".into(),
            base_url: "https://api.deepseek.com".into(),
            model: "deepseek-chat".into(),
            api_key: Some(api_key),
            timeout_ms: default_timeout_ms(),
            max_retries: default_max_retries(),
            price_in_per_million: 0.28,
            price_out_per_million: 0.42,
            structured_output: StructuredOutput::JsonObject,
        }
    }

    /// OpenAI (`gpt-4o-mini`), the fallback preset.
    pub fn openai(api_key: Secret) -> Self {
        Self {
            kind: ProviderKind::OpenaiCompatible,
            name: "openai".into(),
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key: Some(api_key),
            timeout_ms: default_timeout_ms(),
            max_retries: default_max_retries(),
            price_in_per_million: 0.15,
            price_out_per_million: 0.60,
            structured_output: StructuredOutput::JsonSchema,
        }
    }

    /// Anthropic (`claude-haiku-4-5`).
    pub fn anthropic(api_key: Secret) -> Self {
        Self {
            kind: ProviderKind::Anthropic,
            name: "anthropic".into(),
            base_url: "https://api.anthropic.com".into(),
            model: "claude-haiku-4-5".into(),
            api_key: Some(api_key),
            timeout_ms: default_timeout_ms(),
            max_retries: default_max_retries(),
            price_in_per_million: 1.0,
            price_out_per_million: 5.0,
            structured_output: StructuredOutput::PromptOnly,
        }
    }
}

/// LLM settings. Providers are tried in order: `providers` first, then the presets whose key
/// is set (DeepSeek, OpenAI, Anthropic), then the offline rules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Explicit providers, in fallback order.
    pub providers: Vec<ProviderConfig>,
    /// Adds the DeepSeek preset.
    pub deepseek_api_key: Option<Secret>,
    /// Adds the OpenAI preset.
    pub openai_api_key: Option<Secret>,
    /// Adds the Anthropic preset.
    pub anthropic_api_key: Option<Secret>,
    /// Consecutive failed calls that open a provider's circuit.
    pub breaker_threshold: u32,
    /// How long an open circuit skips the provider before one probe, in milliseconds.
    pub breaker_cooldown_ms: u64,
    /// First backoff step, in milliseconds (doubles per retry, jittered).
    pub backoff_base_ms: u64,
    /// Longest backoff step, in milliseconds.
    pub backoff_max_ms: u64,
    /// Longest `Retry-After` honoured, in milliseconds.
    pub retry_after_cap_ms: u64,
    /// Most cached answers per agent.
    pub cache_entries: u64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            deepseek_api_key: None,
            openai_api_key: None,
            anthropic_api_key: None,
            breaker_threshold: 3,
            breaker_cooldown_ms: 30_000,
            backoff_base_ms: 250,
            backoff_max_ms: 4_000,
            retry_after_cap_ms: 10_000,
            cache_entries: 1_000,
        }
    }
}

impl LlmConfig {
    /// The providers in fallback order: explicit ones, then each preset with a non-empty key
    /// whose name is not already taken.
    pub fn resolved_providers(&self) -> Vec<ProviderConfig> {
        let mut out = self.providers.clone();
        type Preset = fn(Secret) -> ProviderConfig;
        let presets: [(&Option<Secret>, Preset); 3] = [
            (&self.deepseek_api_key, ProviderConfig::deepseek),
            (&self.openai_api_key, ProviderConfig::openai),
            (&self.anthropic_api_key, ProviderConfig::anthropic),
        ];
        for (key, preset) in presets {
            if let Some(key) = key.as_ref().filter(|k| !k.is_empty()) {
                let p = preset(key.clone());
                if !out.iter().any(|o| o.name == p.name) {
                    out.push(p);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_follow_explicit_providers_and_keys_stay_hidden() {
        let cfg: LlmConfig = serde_json::from_value(serde_json::json!({
            "providers": [{"kind": "openai_compatible", "name": "ollama",
                           "base_url": "http://127.0.0.1:11434/v1", "model": "llama3.2"}],
            "deepseek_api_key": "sk-ds", "openai_api_key": "sk-oa", "anthropic_api_key": ""
        }))
        .unwrap_or_default();
        let names: Vec<String> = cfg
            .resolved_providers()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["ollama", "deepseek", "openai"]);
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("sk-ds") && !debug.contains("sk-oa"),
            "{debug}"
        );
    }

    #[test]
    fn unknown_fields_are_refused_and_empty_means_rules_only() {
        let bad = serde_json::from_value::<LlmConfig>(serde_json::json!({"providerz": []}));
        assert!(bad.is_err());
        assert!(LlmConfig::default().resolved_providers().is_empty());
    }
}
