//! Deal Search: the rules plan, and the tool-calling loop on both wire formats.

use std::sync::Arc;

use deals_agents::llm::ProviderKind;
use deals_agents::{Agents, AttemptOutcome, RunStatus};
use deals_core::GoalCriteria;
use deals_markets::Market;
use serde_json::json;
use uuid::Uuid;

use crate::fake::{
    FakeMarket, FakeServer, GOAL, agents, anthropic_blocks, anthropic_text, config,
    headphone_markets, openai_text, openai_tools, provider,
};

fn criteria() -> GoalCriteria {
    deals_agents::rules::parse_goal(GOAL).criteria
}

fn ids(out: &deals_agents::AgentOutput<deals_agents::agents::SearchOutput>) -> Vec<String> {
    out.output
        .deals
        .iter()
        .map(|d| d.offer.external_id.clone())
        .collect()
}

#[tokio::test]
async fn the_rules_search_every_market_once_and_rank_what_fits() {
    let (bestbuy, amazon) = headphone_markets();
    let markets: Vec<Arc<dyn Market>> = vec![bestbuy.clone(), amazon.clone()];

    let out = Agents::offline()
        .search_deals(Uuid::nil(), &criteria(), &markets)
        .await
        .unwrap();

    let q = &bestbuy.queries()[0];
    assert_eq!(q.text, "noise cancelling headphones");
    assert_eq!(q.max_price_minor, Some(30_000));
    assert_eq!(amazon.queries().len(), 1);
    // Apple is over the price (filtered by the market); the Bose speaker shares only the
    // brand with the goal; Bose and Sony headphones match fully, the cheaper first.
    assert_eq!(ids(&out), ["az1", "bb1"]);
    assert!(
        out.output.deals[0]
            .reasons
            .iter()
            .any(|r| r.contains("bose")),
        "{:?}",
        out.output.deals[0].reasons
    );
    assert_eq!(
        (out.run.provider.as_str(), out.run.status),
        ("rules", RunStatus::Succeeded)
    );
    assert_eq!(out.run.prompt_version, "deal-search/1");
}

#[tokio::test]
async fn a_goal_naming_markets_searches_only_those() {
    let (bestbuy, amazon) = headphone_markets();
    let markets: Vec<Arc<dyn Market>> = vec![bestbuy.clone(), amazon.clone()];
    let c = deals_agents::rules::parse_goal("sony headphones on best buy").criteria;

    Agents::offline()
        .search_deals(Uuid::nil(), &c, &markets)
        .await
        .unwrap();

    assert_eq!(bestbuy.queries().len(), 1);
    assert!(amazon.queries().is_empty());
}

#[tokio::test]
async fn openai_tool_calls_drive_the_search_and_unknown_tools_are_refused() {
    let server = FakeServer::start(vec![
        openai_tools(&[
            (
                "call_1",
                "search_bestbuy",
                r#"{"query": "sony wh-1000xm5"}"#,
            ),
            ("call_2", "delete_user", r#"{"user": "everyone"}"#),
        ]),
        openai_tools(&[(
            "call_3",
            "search_amazon",
            r#"{"query": "bose quietcomfort"}"#,
        )]),
        openai_text("Searched both stores.", 30, 5),
    ])
    .await;
    let agents = agents(&config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]));
    let (bestbuy, amazon) = headphone_markets();
    let markets: Vec<Arc<dyn Market>> = vec![bestbuy.clone(), amazon.clone()];

    let out = agents
        .search_deals(Uuid::nil(), &criteria(), &markets)
        .await
        .unwrap();

    assert_eq!(out.run.provider, "primary");
    assert_eq!(out.run.status, RunStatus::Succeeded);
    assert_eq!(out.output.refused_tools, ["delete_user"]);
    assert_eq!(bestbuy.queries()[0].text, "sony wh-1000xm5");
    assert_eq!(
        bestbuy.queries()[0].max_price_minor,
        Some(30_000),
        "filters come from the criteria"
    );
    assert_eq!(amazon.queries()[0].text, "bose quietcomfort");
    assert_eq!(ids(&out), ["az1", "bb1"]);
    assert_eq!((out.run.tokens_in, out.run.tokens_out), (130, 45));

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let tools: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["search_bestbuy", "search_amazon"]);
    assert!(
        requests[0].body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .starts_with("<goal_criteria>")
    );
    let second = requests[1].body["messages"].as_array().unwrap();
    assert_eq!(second[2]["role"], "assistant");
    assert_eq!(
        second[2]["tool_calls"][1]["function"]["name"],
        "delete_user"
    );
    assert_eq!(
        (
            second[3]["role"].as_str(),
            second[3]["tool_call_id"].as_str()
        ),
        (Some("tool"), Some("call_1"))
    );
    assert!(
        second[3]["content"]
            .as_str()
            .unwrap()
            .contains("Sony WH-1000XM5")
    );
    assert_eq!(second[4]["tool_call_id"], "call_2");
    assert!(
        second[4]["content"]
            .as_str()
            .unwrap()
            .contains("unknown tool delete_user")
    );
}

#[tokio::test]
async fn anthropic_tool_use_blocks_drive_the_search() {
    let server = FakeServer::start(vec![
        anthropic_blocks(
            json!([
                {"type": "text", "text": "Searching."},
                {"type": "tool_use", "id": "toolu_1", "name": "search_bestbuy", "input": {"query": "noise cancelling headphones"}},
                {"type": "tool_use", "id": "toolu_2", "name": "search_amazon", "input": {"query": "noise cancelling headphones"}}
            ]),
            200,
            40,
        ),
        anthropic_text("Done.", 400, 10),
    ])
    .await;
    let agents = agents(&config(vec![provider(
        ProviderKind::Anthropic,
        "claude",
        &server,
    )]));
    let (bestbuy, amazon) = headphone_markets();
    let markets: Vec<Arc<dyn Market>> = vec![bestbuy.clone(), amazon.clone()];

    let out = agents
        .search_deals(Uuid::nil(), &criteria(), &markets)
        .await
        .unwrap();

    assert_eq!(out.run.provider, "claude");
    assert_eq!(ids(&out), ["az1", "bb1"]);
    assert_eq!((out.run.tokens_in, out.run.tokens_out), (600, 50));
    let requests = server.requests();
    assert_eq!(requests[0].body["tools"][0]["name"], "search_bestbuy");
    assert!(requests[0].body["tools"][0]["input_schema"]["properties"]["query"].is_object());
    let second = requests[1].body["messages"].as_array().unwrap();
    assert_eq!(
        second.len(),
        3,
        "user, assistant, one user turn with both results"
    );
    assert_eq!(second[1]["content"][1]["type"], "tool_use");
    assert_eq!(second[2]["content"][0]["type"], "tool_result");
    assert_eq!(second[2]["content"][0]["tool_use_id"], "toolu_1");
    assert_eq!(second[2]["content"][1]["tool_use_id"], "toolu_2");
}

#[tokio::test]
async fn the_loop_is_bounded_by_its_steps() {
    let looping: Vec<_> = (0..10)
        .map(|i| {
            openai_tools(&[(
                &*format!("c{i}"),
                "search_bestbuy",
                r#"{"query": "headphones"}"#,
            )])
        })
        .collect();
    let server = FakeServer::start(looping).await;
    let limits = deals_agents::agents::SearchLimits {
        max_steps: 3,
        max_tool_calls: 2,
        ..Default::default()
    };
    let agents = agents(&config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]))
    .with_search_limits(limits);
    let (bestbuy, amazon) = headphone_markets();
    let markets: Vec<Arc<dyn Market>> = vec![bestbuy.clone(), amazon];

    let out = agents
        .search_deals(Uuid::nil(), &criteria(), &markets)
        .await
        .unwrap();

    assert_eq!(server.requests().len(), 3, "max_steps model turns");
    assert_eq!(bestbuy.queries().len(), 2, "max_tool_calls searches");
    assert_eq!(out.run.provider, "primary");
}

#[tokio::test]
async fn a_model_that_never_searches_hands_over_to_the_rules() {
    let server = FakeServer::start(vec![openai_text("I cannot help with that.", 10, 5)]).await;
    let agents = agents(&config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]));
    let (bestbuy, amazon) = headphone_markets();
    let markets: Vec<Arc<dyn Market>> = vec![bestbuy.clone(), amazon];

    let out = agents
        .search_deals(Uuid::nil(), &criteria(), &markets)
        .await
        .unwrap();

    assert_eq!(
        (out.run.provider.as_str(), out.run.status),
        ("rules", RunStatus::Fallback)
    );
    assert_eq!(out.run.attempts[0].outcome, AttemptOutcome::InvalidOutput);
    assert_eq!(bestbuy.queries().len(), 1);
}

#[tokio::test]
async fn every_search_failing_is_a_failed_run() {
    let down = Arc::new(FakeMarket {
        fail: true,
        ..Arc::try_unwrap(FakeMarket::new("ebay", vec![]))
            .ok()
            .unwrap()
    });
    let markets: Vec<Arc<dyn Market>> = vec![down];

    let out = Agents::offline()
        .search_deals(Uuid::nil(), &criteria(), &markets)
        .await
        .unwrap();

    assert_eq!(out.run.status, RunStatus::Failed);
    assert!(out.run.error.unwrap().contains("ebay: timed out"));
    assert!(out.output.deals.is_empty());
}
