//! The fallback chain: repair, retries, Retry-After, timeouts, the circuit breaker, the
//! cache and the rules at the end.

use std::time::Duration;

use deals_agents::llm::{HealthStatus, ProviderKind};
use deals_agents::{AttemptOutcome, RunStatus};
use uuid::Uuid;

use crate::fake::{
    FakeServer, GOAL, Reply, agents, anthropic_text, config, error, goal_json, openai_text,
    provider,
};

fn outcomes(run: &deals_agents::AgentRun) -> Vec<(String, AttemptOutcome)> {
    run.attempts
        .iter()
        .map(|a| (a.provider.clone(), a.outcome))
        .collect()
}

fn at(p: &str, o: AttemptOutcome) -> (String, AttemptOutcome) {
    (p.to_owned(), o)
}

#[tokio::test]
async fn invalid_json_is_sent_back_once_and_the_repair_is_used() {
    let server = FakeServer::start(vec![
        openai_text(
            "Sure! Here are your criteria: {keywords: headphones",
            100,
            20,
        ),
        openai_text(&goal_json(), 150, 60),
    ])
    .await;
    let cfg = config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "primary");
    assert_eq!(out.run.status, RunStatus::Succeeded);
    assert_eq!(
        outcomes(&out.run),
        [
            at("primary", AttemptOutcome::InvalidOutput),
            at("primary", AttemptOutcome::Answered)
        ]
    );
    assert_eq!(
        (out.run.tokens_in, out.run.tokens_out),
        (250, 80),
        "both calls are counted"
    );
    let repair = &server.requests()[1].body["messages"];
    let repair = repair.as_array().unwrap();
    assert_eq!(repair.len(), 4);
    assert_eq!(repair[2]["role"], "assistant");
    assert!(repair[2]["content"].as_str().unwrap().starts_with("Sure!"));
    assert!(
        repair[3]["content"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
}

#[tokio::test]
async fn answers_that_break_the_schema_are_repaired_too() {
    let unknown_field = serde_json::json!({
        "title": "Headphones", "notes": [],
        "criteria": {"keywords": ["headphones"], "delete_user": true}
    });
    let server = FakeServer::start(vec![
        openai_text(&unknown_field.to_string(), 10, 10),
        openai_text(&goal_json(), 10, 10),
    ])
    .await;
    let cfg = config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "primary");
    let detail = out.run.attempts[0].detail.clone().unwrap();
    assert!(detail.contains("delete_user"), "{detail}");
}

#[tokio::test]
async fn invalid_json_twice_hands_over_to_the_next_provider() {
    let primary = FakeServer::start(vec![
        openai_text("nope", 10, 5),
        openai_text("still nope", 10, 5),
    ])
    .await;
    let fallback = FakeServer::start(vec![anthropic_text(&goal_json(), 20, 10)]).await;
    let cfg = config(vec![
        provider(ProviderKind::OpenaiCompatible, "primary", &primary),
        provider(ProviderKind::Anthropic, "fallback", &fallback),
    ]);
    let agents = agents(&cfg);

    let out = agents.analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "fallback");
    assert_eq!(out.run.status, RunStatus::Fallback);
    assert_eq!(
        outcomes(&out.run),
        [
            at("primary", AttemptOutcome::InvalidOutput),
            at("primary", AttemptOutcome::InvalidOutput),
            at("fallback", AttemptOutcome::Answered),
        ]
    );
    assert_eq!((out.run.tokens_in, out.run.tokens_out), (40, 20));
    assert!(out.run.error.unwrap().contains("not valid JSON"));
    let health = agents.chain().health();
    assert_eq!(
        health[0].status,
        HealthStatus::Degraded,
        "up but misbehaving"
    );
    assert_eq!(health[0].consecutive_failures, 0);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_up_to_the_cap_then_retries() {
    let server = FakeServer::start(vec![
        Reply::Headers(
            429,
            vec![("retry-after", "30")],
            serde_json::json!({"error": {"message": "slow down"}}),
        ),
        openai_text(&goal_json(), 10, 10),
    ])
    .await;
    let cfg = config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "primary");
    assert_eq!(out.run.status, RunStatus::Succeeded);
    assert_eq!(out.run.attempts[0].outcome, AttemptOutcome::RateLimited);
    assert_eq!(
        out.run.attempts[0].waited_ms, 20,
        "30 s asked, capped at the configured 20 ms"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_500_is_retried_with_backoff_and_the_retry_answers() {
    let server = FakeServer::start(vec![error(500), anthropic_text(&goal_json(), 10, 10)]).await;
    let cfg = config(vec![provider(ProviderKind::Anthropic, "claude", &server)]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "claude");
    assert_eq!(out.run.status, RunStatus::Succeeded);
    assert_eq!(
        outcomes(&out.run),
        [
            at("claude", AttemptOutcome::ServerError),
            at("claude", AttemptOutcome::Answered)
        ]
    );
    assert!(
        (1..=2).contains(&out.run.attempts[0].waited_ms),
        "jittered in [base/2, base]"
    );
}

#[tokio::test]
async fn a_timeout_moves_on_to_the_next_provider() {
    let slow = FakeServer::start(vec![Reply::Slow(
        Duration::from_secs(5),
        Box::new(openai_text(&goal_json(), 10, 10)),
    )])
    .await;
    let fast = FakeServer::start(vec![openai_text(&goal_json(), 10, 10)]).await;
    let mut primary = provider(ProviderKind::OpenaiCompatible, "slow", &slow);
    primary.timeout_ms = 150;
    primary.max_retries = 0;
    let cfg = config(vec![
        primary,
        provider(ProviderKind::OpenaiCompatible, "fast", &fast),
    ]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "fast");
    assert_eq!(
        outcomes(&out.run),
        [
            at("slow", AttemptOutcome::Timeout),
            at("fast", AttemptOutcome::Answered)
        ]
    );
    assert!(out.run.error.unwrap().contains("timed out after 150 ms"));
}

#[tokio::test]
async fn the_chain_ends_in_the_rules_and_the_run_lists_every_failure() {
    let a = FakeServer::start(vec![error(503), error(503)]).await;
    let b = FakeServer::start(vec![error(502), error(502)]).await;
    let cfg = config(vec![
        provider(ProviderKind::OpenaiCompatible, "deepseek", &a),
        provider(ProviderKind::Anthropic, "claude", &b),
    ]);

    let out = agents(&cfg).analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(
        (out.run.provider.as_str(), out.run.model.as_str()),
        ("rules", "rules")
    );
    assert_eq!(out.run.status, RunStatus::Fallback);
    assert_eq!(
        outcomes(&out.run),
        [
            at("deepseek", AttemptOutcome::ServerError),
            at("deepseek", AttemptOutcome::ServerError),
            at("claude", AttemptOutcome::ServerError),
            at("claude", AttemptOutcome::ServerError),
            at("rules", AttemptOutcome::Rules),
        ]
    );
    assert_eq!(out.run.cost_micros, 0);
    assert_eq!(
        out.output.criteria.brands,
        ["sony", "bose"],
        "the rules still answer"
    );
}

#[tokio::test]
async fn the_circuit_opens_after_consecutive_failures_and_the_provider_is_skipped() {
    let server = FakeServer::start(vec![error(500), error(500)]).await;
    let mut p = provider(ProviderKind::OpenaiCompatible, "flaky", &server);
    p.max_retries = 0;
    let agents = agents(&config(vec![p]));

    for _ in 0..2 {
        let out = agents.analyze_goal(Uuid::nil(), GOAL).await.unwrap();
        assert_eq!(out.run.attempts[0].outcome, AttemptOutcome::ServerError);
    }
    let health = agents.chain().health();
    assert_eq!(health[0].status, HealthStatus::CircuitOpen);
    assert_eq!(health[0].consecutive_failures, 2);
    assert_eq!(
        health[0].last_error.as_deref(),
        Some("server error (HTTP 500)")
    );

    let out = agents
        .analyze_goal(Uuid::nil(), "a different goal: sony tv")
        .await
        .unwrap();

    assert_eq!(
        outcomes(&out.run),
        [
            at("flaky", AttemptOutcome::CircuitOpen),
            at("rules", AttemptOutcome::Rules)
        ]
    );
    assert_eq!(server.requests().len(), 2, "skipped at once, no request");
}

#[tokio::test]
async fn after_the_cool_down_one_probe_closes_the_circuit() {
    let server = FakeServer::start(vec![error(500), openai_text(&goal_json(), 10, 10)]).await;
    let mut p = provider(ProviderKind::OpenaiCompatible, "flaky", &server);
    p.max_retries = 0;
    let mut cfg = config(vec![p]);
    cfg.breaker_threshold = 1;
    cfg.breaker_cooldown_ms = 50;
    let agents = agents(&cfg);

    agents.analyze_goal(Uuid::nil(), GOAL).await.unwrap();
    assert_eq!(agents.chain().health()[0].status, HealthStatus::CircuitOpen);
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(agents.chain().health()[0].status, HealthStatus::Down);

    let out = agents.analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(out.run.provider, "flaky");
    let health = &agents.chain().health()[0];
    assert_eq!(health.status, HealthStatus::Ok);
    assert!(health.last_success.is_some());
}

#[tokio::test]
async fn a_cached_answer_is_reused_without_a_call() {
    let server = FakeServer::start(vec![openai_text(&goal_json(), 100, 50)]).await;
    let agents = agents(&config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]));

    let first = agents.analyze_goal(Uuid::nil(), GOAL).await.unwrap();
    let second = agents.analyze_goal(Uuid::nil(), GOAL).await.unwrap();

    assert_eq!(first.output, second.output);
    assert_eq!(
        outcomes(&second.run),
        [at("primary", AttemptOutcome::CacheHit)]
    );
    assert_eq!((second.run.tokens_in, second.run.cost_micros), (0, 0));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn health_lists_providers_in_order_then_the_rules_without_secrets() {
    let a = FakeServer::start(vec![]).await;
    let cfg = config(vec![
        provider(ProviderKind::OpenaiCompatible, "deepseek", &a),
        provider(ProviderKind::Anthropic, "claude", &a),
    ]);
    let health = agents(&cfg).chain().health();

    let names: Vec<&str> = health.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["deepseek", "claude", "rules"]);
    assert!(health.iter().all(|h| h.status == HealthStatus::Ok));
    let json = serde_json::to_string(&health).unwrap();
    assert!(!json.contains("sk-test"), "{json}");
    assert!(json.contains("\"kind\":\"openai_compatible\""));
}
