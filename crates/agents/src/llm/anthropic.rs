//! Anthropic Messages API over reqwest: `POST {base}/v1/messages` with `x-api-key` and
//! `anthropic-version: 2023-06-01`. There is no response-format switch: the schema is in the
//! prompt and the chain validates the text.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::config::ProviderConfig;
use super::{
    LlmClient, LlmError, LlmRequest, LlmResponse, Message, ProviderInfo, ToolCall, Usage, clip,
    http_client, retry,
};
use crate::secret::Secret;

/// The API version header value.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// An Anthropic provider.
#[derive(Debug)]
pub struct Anthropic {
    info: ProviderInfo,
    http: reqwest::Client,
    url: String,
    api_key: Secret,
    timeout: Duration,
}

impl Anthropic {
    /// Builds the client; fails only when the HTTP client cannot be built.
    pub fn new(cfg: &ProviderConfig) -> Result<Self, LlmError> {
        let timeout = Duration::from_millis(cfg.timeout_ms);
        Ok(Self {
            info: ProviderInfo::from_config(cfg),
            http: http_client(timeout)?,
            url: format!("{}/v1/messages", cfg.base_url.trim_end_matches('/')),
            api_key: cfg.api_key.clone().unwrap_or_default(),
            timeout,
        })
    }
}

/// The request body: consecutive tool results are merged into one user turn, as the API
/// wants roles to alternate.
fn body(model: &str, request: &LlmRequest) -> Value {
    let mut messages: Vec<Value> = Vec::new();
    for m in &request.messages {
        match m {
            Message::User { text } => messages.push(json!({"role": "user", "content": text})),
            Message::Assistant { text, tool_calls } => {
                let mut blocks: Vec<Value> = text
                    .iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| json!({"type": "text", "text": t}))
                    .collect();
                blocks.extend(tool_calls.iter().map(|c| {
                    json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments})
                }));
                messages.push(json!({"role": "assistant", "content": blocks}));
            }
            Message::ToolResult { call_id, content } => {
                let block =
                    json!({"type": "tool_result", "tool_use_id": call_id, "content": content});
                match messages.last_mut() {
                    Some(last)
                        if last["role"] == "user"
                            && last["content"]
                                .as_array()
                                .is_some_and(|b| b.iter().all(|b| b["type"] == "tool_result")) =>
                    {
                        if let Some(blocks) = last["content"].as_array_mut() {
                            blocks.push(block);
                        }
                    }
                    _ => messages.push(json!({"role": "user", "content": [block]})),
                }
            }
        }
    }
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "system": request.system,
        "messages": messages,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
    }
    body
}

#[derive(Deserialize)]
struct Reply {
    content: Vec<Block>,
    #[serde(default)]
    usage: ReplyUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct ReplyUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

#[async_trait]
impl LlmClient for Anthropic {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let send = self
            .http
            .post(&self.url)
            .header("x-api-key", self.api_key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .json(&body(&self.info.model, request))
            .send();
        let timed_out = |_| LlmError::Timeout(self.timeout);
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                LlmError::Timeout(self.timeout)
            } else {
                LlmError::Transport(e.to_string())
            }
        };
        let response = tokio::time::timeout(self.timeout, send)
            .await
            .map_err(timed_out)?
            .map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = retry::retry_after(response.headers());
        let text = tokio::time::timeout(self.timeout, response.text())
            .await
            .map_err(timed_out)?
            .map_err(transport)?;
        match status {
            200..=299 => {}
            429 => return Err(LlmError::RateLimited { retry_after }),
            408 | 500..=599 => {
                return Err(LlmError::Server {
                    status,
                    retry_after,
                });
            }
            _ => {
                return Err(LlmError::Refused {
                    status,
                    detail: clip(&text, 200),
                });
            }
        }
        let reply: Reply = serde_json::from_str(&text)
            .map_err(|e| LlmError::Protocol(format!("{e}: {}", clip(&text, 200))))?;
        let mut out = LlmResponse {
            usage: Usage {
                input_tokens: reply.usage.input_tokens,
                output_tokens: reply.usage.output_tokens,
            },
            ..LlmResponse::default()
        };
        for block in reply.content {
            match block {
                Block::Text { text } => out.text.get_or_insert_with(String::new).push_str(&text),
                Block::ToolUse { id, name, input } => out.tool_calls.push(ToolCall {
                    id,
                    name,
                    arguments: input,
                }),
                Block::Other => {}
            }
        }
        Ok(out)
    }
}
