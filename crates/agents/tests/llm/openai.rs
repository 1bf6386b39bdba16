//! The OpenAI-compatible provider: request shape, structured output, tokens and cost.

use deals_agents::llm::{ProviderKind, StructuredOutput};
use deals_agents::{AttemptOutcome, RunStatus};
use uuid::Uuid;

use crate::fake::{FakeServer, GOAL, agents, config, goal_json, openai_text, provider};

#[tokio::test]
async fn a_structured_answer_is_parsed_with_its_tokens_and_cost() {
    let server = FakeServer::start(vec![openai_text(&goal_json(), 1_200, 300)]).await;
    let cfg = config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.output.criteria.brands, ["sony", "bose"]);
    assert_eq!(out.output.criteria.max_price, Some(30_000));
    assert_eq!(out.output.criteria.categories, ["audio/headphones"]);
    let run = &out.run;
    assert_eq!(
        (run.provider.as_str(), run.model.as_str()),
        ("primary", "primary-model")
    );
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!((run.tokens_in, run.tokens_out), (1_200, 300));
    // 1200 × $0.50/M + 300 × $1.50/M = $0.00105
    assert_eq!(run.cost_micros, 1_050);
    assert_eq!(run.prompt_version, "goal-analysis/2");
    assert_eq!(run.attempts.len(), 1);
    assert_eq!(run.attempts[0].outcome, AttemptOutcome::Answered);
    assert_eq!(run.error, None);
}

#[tokio::test]
async fn the_request_has_the_openai_shape_and_delimits_user_text() {
    let server = FakeServer::start(vec![openai_text(&goal_json(), 10, 10)]).await;
    let cfg = config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]);

    agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.headers["authorization"], "Bearer sk-test-primary");
    assert_eq!(r.body["model"], "primary-model");
    assert_eq!(r.body["response_format"]["type"], "json_schema");
    assert_eq!(
        r.body["response_format"]["json_schema"]["name"],
        "goal_analysis"
    );
    assert!(r.body.get("tools").is_none());
    let messages = r.body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[1]["role"], "user");
    assert_eq!(
        messages[1]["content"],
        format!("<user_goal>\n{GOAL}\n</user_goal>")
    );
    let whole = r.body.to_string();
    assert!(!whole.contains("sk-test"), "the key is only in the header");
}

#[tokio::test]
async fn json_object_mode_is_sent_to_providers_that_want_it() {
    let server = FakeServer::start(vec![openai_text(&goal_json(), 10, 10)]).await;
    let mut p = provider(ProviderKind::OpenaiCompatible, "deepseek", &server);
    p.structured_output = StructuredOutput::JsonObject;

    agents(&config(vec![p]))
        .analyze_goal(Uuid::nil(), GOAL)
        .await
        .unwrap();

    let body = &server.requests()[0].body;
    assert_eq!(
        body["response_format"],
        serde_json::json!({"type": "json_object"})
    );
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("\"criteria\""),
        "the schema is in the prompt"
    );
}
