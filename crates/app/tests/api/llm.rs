//! The app on a configured LLM provider (a local fake speaking the OpenAI chat-completions wire
//! format): the Price Analysis Agent's base score reaches the stored analysis, the run log says
//! which provider answered with its tokens and cost, and agents whose answer the fake cannot
//! give fall back to the offline rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::routing::post;
use deals_agents::llm::config::{ProviderConfig, ProviderKind, StructuredOutput};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A chat-completions server that always answers with a price verdict of 77.
async fn fake_openai() -> (String, Arc<AtomicU64>) {
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |Json(body): Json<Value>| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let content = json!({"base_score": 77, "reasons": ["fake model: fair price"]});
                Json(json!({
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 1_764_000_000,
                    "model": body["model"],
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": content.to_string()},
                        "finish_reason": "stop"
                    }],
                    "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), calls)
}

#[tokio::test]
async fn a_configured_provider_scores_deals_and_its_runs_are_costed() {
    let (base_url, calls) = fake_openai().await;
    let app = TestApp::spawn_with(|s| {
        s.sim.enabled = true;
        s.llm.providers = vec![ProviderConfig {
            kind: ProviderKind::OpenaiCompatible,
            name: "fake".into(),
            base_url,
            model: "fake-model".into(),
            api_key: Some(deals_agents::Secret::new("sk-fake")),
            timeout_ms: 5_000,
            max_retries: 0,
            price_in_per_million: 0.5,
            price_out_per_million: 1.5,
            structured_output: StructuredOutput::JsonObject,
        }];
    })
    .await;
    let user = app.register_user().await;
    let goal = app
        .create_goal(
            &user,
            "Sony or Bose noise cancelling headphones under $300, new",
        )
        .await;
    let id = goal["id"].as_str().unwrap();
    app.drain_jobs().await;
    let deals: Value = app
        .get(&format!("/api/v1/goals/{id}/deals"), Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    let deal_id = deals["items"][0]["id"].as_str().unwrap();
    let analysis: Value = app
        .get(&format!("/api/v1/deals/{deal_id}/analysis"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(analysis["base_score"], 77.0, "{analysis}");
    assert!(calls.load(Ordering::SeqCst) > 0);

    let admin = app.register_admin().await;
    let runs: Value = app
        .get("/api/v1/agents/runs?per_page=100", Some(&admin.access))
        .await
        .json()
        .await
        .unwrap();
    let items = runs["items"].as_array().unwrap();
    let price = items
        .iter()
        .find(|r| r["agent"] == "price_analysis")
        .expect("a price analysis run");
    assert_eq!(price["provider"], "fake");
    assert_eq!(price["model"], "fake-model");
    assert_eq!(price["status"], "succeeded");
    assert_eq!(
        (price["tokens_in"].as_i64(), price["tokens_out"].as_i64()),
        (Some(1200), Some(300))
    );
    // 1 200 × $0.50 / M + 300 × $1.50 / M = $0.00105.
    assert!(
        (price["cost"].as_f64().unwrap() - 0.00105).abs() < 1e-9,
        "{price}"
    );
    // The fake cannot analyse goals: after its answer fails validation (and the repair), the
    // offline rules answer and the run says so.
    let goal_run = items
        .iter()
        .find(|r| r["agent"] == "goal_analysis")
        .expect("a goal analysis run");
    assert_eq!(goal_run["provider"], "rules", "{goal_run}");
    assert_eq!(goal_run["status"], "fallback", "{goal_run}");
    let status: Value = app
        .get("/api/v1/agents/status", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["rules_only"], false);
    assert_eq!(status["providers"][0]["name"], "fake");
    assert!(
        !status.to_string().contains("sk-fake"),
        "no secret in the status"
    );
}
