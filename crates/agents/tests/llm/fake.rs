//! A scripted fake LLM server (axum on 127.0.0.1:0), fake markets and test builders.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use deals_agents::llm::{LlmChain, LlmConfig, ProviderConfig, ProviderKind, StructuredOutput};
use deals_agents::{Agents, Secret, Unmetered};
use deals_core::{Availability, Condition};
use deals_markets::{
    Market, MarketError, Offer, SearchQuery, SourceHealth, SourceKind, SourceStatus,
};
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// Status and JSON body.
    Json(u16, Value),
    /// Status, extra headers and JSON body.
    Headers(u16, Vec<(&'static str, &'static str)>, Value),
    /// Waits, then answers.
    Slow(Duration, Box<Reply>),
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The fake server.
pub struct FakeServer {
    pub url: String,
    inner: Arc<Inner>,
}

impl FakeServer {
    pub async fn start(script: Vec<Reply>) -> Self {
        let inner = Arc::new(Inner {
            script: Mutex::new(script.into()),
            requests: Mutex::default(),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, inner }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.requests.lock().unwrap().clone()
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    inner.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let reply = inner.script.lock().unwrap().pop_front();
    let mut reply = reply.unwrap_or(Reply::Json(
        500,
        json!({"error": {"message": "script exhausted"}}),
    ));
    loop {
        match reply {
            Reply::Slow(d, next) => {
                tokio::time::sleep(d).await;
                reply = *next;
            }
            Reply::Json(status, body) => return (code(status), axum::Json(body)).into_response(),
            Reply::Headers(status, headers, body) => {
                let mut response = (code(status), axum::Json(body)).into_response();
                for (k, v) in headers {
                    response.headers_mut().insert(k, v.parse().unwrap());
                }
                return response;
            }
        }
    }
}

fn code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap()
}

/// An OpenAI chat completion with text content.
pub fn openai_text(content: &str, tokens_in: u32, tokens_out: u32) -> Reply {
    openai_message(
        json!({"role": "assistant", "content": content}),
        tokens_in,
        tokens_out,
    )
}

/// An OpenAI chat completion asking for tool calls `(id, name, arguments JSON text)`.
pub fn openai_tools(calls: &[(&str, &str, &str)]) -> Reply {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
        .collect();
    openai_message(
        json!({"role": "assistant", "content": null, "tool_calls": calls}),
        50,
        20,
    )
}

fn openai_message(message: Value, tokens_in: u32, tokens_out: u32) -> Reply {
    Reply::Json(
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_764_000_000, "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": null}],
            "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}
        }),
    )
}

/// An Anthropic message with content blocks.
pub fn anthropic_blocks(blocks: Value, tokens_in: u32, tokens_out: u32) -> Reply {
    Reply::Json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-fake",
            "content": blocks, "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out}
        }),
    )
}

/// An Anthropic message with one text block.
pub fn anthropic_text(text: &str, tokens_in: u32, tokens_out: u32) -> Reply {
    anthropic_blocks(
        json!([{"type": "text", "text": text}]),
        tokens_in,
        tokens_out,
    )
}

pub fn error(status: u16) -> Reply {
    Reply::Json(
        status,
        json!({"error": {"message": "scripted failure", "type": "server_error"}}),
    )
}

/// A provider pointing at `server`: OpenAI-compatible at `{url}/v1`, Anthropic at `{url}`.
pub fn provider(kind: ProviderKind, name: &str, server: &FakeServer) -> ProviderConfig {
    let base_url = match kind {
        ProviderKind::Anthropic => server.url.clone(),
        _ => format!("{}/v1", server.url),
    };
    ProviderConfig {
        kind,
        name: name.into(),
        base_url,
        model: format!("{name}-model"),
        api_key: Some(Secret::new(format!("sk-test-{name}"))),
        timeout_ms: 2_000,
        max_retries: 1,
        price_in_per_million: 0.5,
        price_out_per_million: 1.5,
        structured_output: StructuredOutput::JsonSchema,
    }
}

/// Fast retries and a breaker that stays open for the test's length.
pub fn config(providers: Vec<ProviderConfig>) -> LlmConfig {
    LlmConfig {
        providers,
        backoff_base_ms: 2,
        backoff_max_ms: 5,
        retry_after_cap_ms: 20,
        breaker_threshold: 2,
        breaker_cooldown_ms: 600_000,
        ..LlmConfig::default()
    }
}

pub fn agents(cfg: &LlmConfig) -> Agents {
    Agents::new(
        Arc::new(LlmChain::from_config(cfg).unwrap()),
        Arc::new(Unmetered),
    )
}

/// A valid Goal Analysis answer.
pub fn goal_json() -> String {
    json!({
        "title": "Sony or Bose noise cancelling headphones",
        "criteria": {
            "keywords": ["noise cancelling", "headphones"], "categories": ["audio/headphones"],
            "brands": ["sony", "bose"], "conditions": ["new"], "max_price": "300.00"
        },
        "notes": []
    })
    .to_string()
}

pub const GOAL: &str = "Sony or Bose noise cancelling headphones under $300, new";

/// A market with canned offers that records its queries.
pub struct FakeMarket {
    pub name: String,
    pub offers: Vec<Offer>,
    pub fail: bool,
    pub queries: Mutex<Vec<SearchQuery>>,
}

impl FakeMarket {
    pub fn new(name: &str, offers: Vec<Offer>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            offers,
            fail: false,
            queries: Mutex::default(),
        })
    }

    pub fn queries(&self) -> Vec<SearchQuery> {
        self.queries.lock().unwrap().clone()
    }
}

#[async_trait]
impl Market for FakeMarket {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Simulated
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        self.queries.lock().unwrap().push(query.clone());
        if self.fail {
            return Err(MarketError::Timeout);
        }
        Ok(self
            .offers
            .iter()
            .filter(|o| query.accepts(o))
            .cloned()
            .collect())
    }

    async fn product(&self, external_id: &str) -> Result<Offer, MarketError> {
        Err(MarketError::NotFound(external_id.into()))
    }

    fn health(&self) -> SourceHealth {
        SourceHealth {
            name: self.name.clone(),
            kind: SourceKind::Simulated,
            enabled: true,
            status: SourceStatus::Ok,
            last_success: None,
            last_error: None,
        }
    }
}

pub fn offer(market: &str, id: &str, title: &str, brand: &str, price_minor: i64) -> Offer {
    Offer {
        market: market.into(),
        source: SourceKind::Simulated,
        external_id: id.into(),
        url: format!("https://example.invalid/{market}/{id}"),
        title: title.into(),
        brand: Some(brand.into()),
        model: None,
        gtin: None,
        mpn: None,
        category: Some("Audio > Headphones".into()),
        price_minor,
        original_price_minor: None,
        currency: "USD".into(),
        condition: Condition::New,
        seller_name: None,
        seller_rating: Some(4.6),
        seller_review_count: None,
        availability: Availability::InStock,
        shipping_minor: None,
        image_url: None,
        flags: Vec::new(),
    }
}

/// Headphone offers at two stores.
pub fn headphone_markets() -> (Arc<FakeMarket>, Arc<FakeMarket>) {
    let bestbuy = FakeMarket::new(
        "bestbuy",
        vec![
            offer(
                "bestbuy",
                "bb1",
                "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
                "Sony",
                27_999,
            ),
            offer(
                "bestbuy",
                "bb2",
                "Apple AirPods Max Noise Cancelling Headphones",
                "Apple",
                44_999,
            ),
        ],
    );
    let amazon = FakeMarket::new(
        "amazon",
        vec![
            offer(
                "amazon",
                "az1",
                "Bose QuietComfort Noise Cancelling Headphones",
                "Bose",
                24_900,
            ),
            Offer {
                category: Some("Audio > Speakers".into()),
                ..offer(
                    "amazon",
                    "az2",
                    "Bose SoundLink Flex Bluetooth Speaker",
                    "Bose",
                    12_900,
                )
            },
        ],
    );
    (bestbuy, amazon)
}
