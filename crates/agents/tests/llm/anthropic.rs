//! The Anthropic provider: Messages API request shape, text and usage.

use deals_agents::RunStatus;
use deals_agents::llm::ProviderKind;
use uuid::Uuid;

use crate::fake::{FakeServer, GOAL, agents, anthropic_text, config, goal_json, provider};

#[tokio::test]
async fn the_messages_api_is_called_with_its_headers_and_body() {
    let server = FakeServer::start(vec![anthropic_text(&goal_json(), 900, 150)]).await;
    let cfg = config(vec![provider(ProviderKind::Anthropic, "claude", &server)]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.output.criteria.brands, ["sony", "bose"]);
    assert_eq!(out.run.provider, "claude");
    assert_eq!(out.run.status, RunStatus::Succeeded);
    assert_eq!((out.run.tokens_in, out.run.tokens_out), (900, 150));
    assert_eq!(out.run.cost_micros, 675);
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.headers["x-api-key"], "sk-test-claude");
    assert_eq!(r.headers["anthropic-version"], "2023-06-01");
    assert!(r.headers.get("authorization").is_none());
    assert_eq!(r.body["model"], "claude-model");
    assert!(r.body["max_tokens"].as_u64().unwrap() > 0);
    assert!(r.body["system"].as_str().unwrap().contains("<user_goal>"));
    assert_eq!(r.body["messages"][0]["role"], "user");
    assert_eq!(
        r.body["messages"][0]["content"],
        format!("<user_goal>\n{GOAL}\n</user_goal>")
    );
    assert!(r.body.get("tools").is_none());
}

#[tokio::test]
async fn an_anthropic_error_status_falls_back_to_the_rules() {
    let server = FakeServer::start(vec![crate::fake::error(401)]).await;
    let cfg = config(vec![provider(ProviderKind::Anthropic, "claude", &server)]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "rules");
    assert_eq!(out.run.status, RunStatus::Fallback);
    assert_eq!(
        server.requests().len(),
        1,
        "a refused request is not retried"
    );
    assert!(out.run.error.unwrap().contains("401"));
}
