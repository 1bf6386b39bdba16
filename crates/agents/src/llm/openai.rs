//! OpenAI-compatible chat completions through async-openai: OpenAI, DeepSeek, Ollama, vLLM,
//! llama.cpp, OpenRouter. async-openai's own retry layer is replaced by a transport that
//! turns every non-2xx answer into an error carrying the status and `Retry-After`, so the
//! chain alone decides about retries.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionTool, ChatCompletionTools,
    CreateChatCompletionRequest, FunctionCall, FunctionObject, ResponseFormat,
    ResponseFormatJsonSchema,
};
use async_trait::async_trait;
use serde_json::Value;

use super::config::{ProviderConfig, StructuredOutput};
use super::{
    LlmClient, LlmError, LlmRequest, LlmResponse, Message, ProviderInfo, ToolCall, Usage, clip,
    http_client, retry,
};

/// An OpenAI-compatible provider.
pub struct OpenAiCompatible {
    info: ProviderInfo,
    client: Client<OpenAIConfig>,
    timeout: Duration,
    structured_output: StructuredOutput,
}

impl std::fmt::Debug for OpenAiCompatible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatible")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl OpenAiCompatible {
    /// Builds the client; fails only when the HTTP client cannot be built.
    pub fn new(cfg: &ProviderConfig) -> Result<Self, LlmError> {
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let http = http_client(timeout)?;
        let key = cfg.api_key.as_ref().map(|k| k.expose()).unwrap_or_default();
        let config = OpenAIConfig::new()
            .with_api_base(cfg.base_url.trim_end_matches('/'))
            .with_api_key(key);
        let client = Client::with_config(config)
            .with_http_client(http.clone())
            .with_http_service(StatusTransport { http });
        Ok(Self {
            info: ProviderInfo::from_config(cfg),
            client,
            timeout,
            structured_output: cfg.structured_output,
        })
    }

    fn body(&self, request: &LlmRequest) -> CreateChatCompletionRequest {
        let mut messages = vec![ChatCompletionRequestMessage::System(
            ChatCompletionRequestSystemMessage {
                content: ChatCompletionRequestSystemMessageContent::Text(request.system.clone()),
                name: None,
            },
        )];
        messages.extend(request.messages.iter().map(message));
        let response_format = request
            .schema
            .as_ref()
            .and_then(|s| match self.structured_output {
                StructuredOutput::JsonSchema => Some(ResponseFormat::JsonSchema {
                    json_schema: ResponseFormatJsonSchema {
                        description: None,
                        name: s.name.clone(),
                        schema: s.schema.clone(),
                        strict: None,
                    },
                }),
                StructuredOutput::JsonObject => Some(ResponseFormat::JsonObject),
                StructuredOutput::PromptOnly => None,
            });
        let tools = (!request.tools.is_empty()).then(|| {
            request
                .tools
                .iter()
                .map(|t| {
                    ChatCompletionTools::Function(ChatCompletionTool {
                        function: FunctionObject {
                            name: t.name.clone(),
                            description: Some(t.description.clone()),
                            parameters: Some(t.parameters.clone()),
                            strict: None,
                        },
                    })
                })
                .collect()
        });
        #[allow(deprecated)]
        CreateChatCompletionRequest {
            messages,
            model: self.info.model.clone(),
            response_format,
            tools,
            // `max_tokens` rather than `max_completion_tokens`: DeepSeek, Ollama and
            // llama.cpp read this one.
            max_tokens: Some(request.max_tokens),
            ..Default::default()
        }
    }
}

fn message(m: &Message) -> ChatCompletionRequestMessage {
    match m {
        Message::User { text } => {
            ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: ChatCompletionRequestUserMessageContent::Text(text.clone()),
                name: None,
            })
        }
        Message::Assistant { text, tool_calls } => {
            let calls = tool_calls
                .iter()
                .map(|c| {
                    ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                        id: c.id.clone(),
                        function: FunctionCall {
                            name: c.name.clone(),
                            arguments: match &c.arguments {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            },
                        },
                    })
                })
                .collect::<Vec<_>>();
            ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
                content: text
                    .clone()
                    .map(ChatCompletionRequestAssistantMessageContent::Text),
                tool_calls: (!calls.is_empty()).then_some(calls),
                ..Default::default()
            })
        }
        Message::ToolResult { call_id, content } => {
            ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
                content: ChatCompletionRequestToolMessageContent::Text(content.clone()),
                tool_call_id: call_id.clone(),
            })
        }
    }
}

#[async_trait]
impl LlmClient for OpenAiCompatible {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let body = self.body(request);
        let chat = self.client.chat();
        let response = tokio::time::timeout(self.timeout, chat.create(body))
            .await
            .map_err(|_| LlmError::Timeout(self.timeout))?
            .map_err(|e| from_openai(e, self.timeout))?;
        let usage = response
            .usage
            .map(|u| Usage {
                input_tokens: u.prompt_tokens.into(),
                output_tokens: u.completion_tokens.into(),
            })
            .unwrap_or_default();
        let choice = response
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::Protocol("no choices in the answer".into()))?;
        let tool_calls = choice
            .message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| match c {
                ChatCompletionMessageToolCalls::Function(f) => Some(ToolCall {
                    id: f.id,
                    name: f.function.name,
                    arguments: serde_json::from_str(&f.function.arguments)
                        .unwrap_or(Value::String(f.function.arguments)),
                }),
                ChatCompletionMessageToolCalls::Custom(_) => None,
            })
            .collect();
        Ok(LlmResponse {
            text: choice.message.content,
            tool_calls,
            usage,
        })
    }
}

/// A non-2xx HTTP answer, carried through async-openai as a boxed error.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}")]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

fn from_openai(e: OpenAIError, timeout: Duration) -> LlmError {
    match e {
        OpenAIError::Boxed(b) => match b.downcast::<HttpFailure>() {
            Ok(f) => match f.status {
                429 => LlmError::RateLimited {
                    retry_after: f.retry_after,
                },
                408 | 500..=599 => LlmError::Server {
                    status: f.status,
                    retry_after: f.retry_after,
                },
                status => LlmError::Refused {
                    status,
                    detail: clip(&f.body, 200),
                },
            },
            Err(other) => LlmError::Transport(other.to_string()),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout(timeout),
        OpenAIError::Reqwest(e) => LlmError::Transport(e.to_string()),
        other => LlmError::Protocol(clip(&other.to_string(), 300)),
    }
}

/// The HTTP transport given to async-openai: sends once, and returns non-2xx answers as
/// [`HttpFailure`] with the status, `Retry-After` and the start of the body.
#[derive(Clone)]
struct StatusTransport {
    http: reqwest::Client,
}

impl tower_service::Service<HttpRequestFactory> for StatusTransport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let http = self.http.clone();
        Box::pin(async move {
            let request = factory.build().await?;
            let response = http.execute(request).await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after = retry::retry_after(response.headers());
            let body = response.text().await.unwrap_or_default();
            Err(OpenAIError::Boxed(Box::new(HttpFailure {
                status: status.as_u16(),
                retry_after,
                body: clip(&body, 500),
            })))
        })
    }
}
