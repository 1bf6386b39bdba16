//! Relevance through the agents: wishes and specs from the model, accessories and store
//! categories kept apart, the relaxation ladder and the "nothing found" reason, on the rules
//! and through the fake OpenAI-compatible server.

use std::sync::Arc;

use async_trait::async_trait;
use deals_agents::Agents;
use deals_agents::llm::ProviderKind;
use deals_core::spec::{Quantity, SpecOp};
use deals_markets::{
    Market, MarketError, Offer, SearchQuery, SourceHealth, SourceKind, SourceStatus,
};
use serde_json::json;
use uuid::Uuid;

use crate::fake::{FakeServer, agents, config, offer, openai_text, openai_tools, provider};

/// A store whose search, like the real ones, needs every query word in the title or category.
struct WordStore(Vec<Offer>);

fn has_word(haystack: &str, word: &str) -> bool {
    let singular = |w: &str| w.trim_end_matches('s').to_owned();
    haystack
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| singular(&w.to_lowercase()) == singular(word))
}

#[async_trait]
impl Market for WordStore {
    fn name(&self) -> &str {
        &self.0[0].market
    }
    fn kind(&self) -> SourceKind {
        SourceKind::Simulated
    }
    async fn search(&self, q: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        Ok((self.0.iter())
            .filter(|o| q.accepts(o))
            .filter(|o| {
                let text = format!("{} {}", o.title, o.category.as_deref().unwrap_or(""));
                q.words().iter().all(|w| has_word(&text, w))
            })
            .cloned()
            .collect())
    }
    async fn product(&self, id: &str) -> Result<Offer, MarketError> {
        Err(MarketError::NotFound(id.into()))
    }
    fn health(&self) -> SourceHealth {
        SourceHealth {
            name: self.name().to_owned(),
            kind: SourceKind::Simulated,
            enabled: true,
            status: SourceStatus::Ok,
            last_success: None,
            last_error: None,
        }
    }
}

fn filed(o: Offer, category: &str) -> Offer {
    Offer {
        category: Some(category.into()),
        ..o
    }
}

fn console_store() -> Arc<dyn Market> {
    Arc::new(WordStore(vec![
        filed(
            offer(
                "walmart",
                "w1",
                "Sony PlayStation DualSense Wireless Controller for PS5",
                "Sony",
                6_999,
            ),
            "Video Games > Gaming Accessories",
        ),
        filed(
            offer(
                "walmart",
                "w2",
                "Sony PlayStation 5 Slim Console Disc Edition 1TB",
                "Sony",
                49_999,
            ),
            "Video Games > Consoles",
        ),
    ]))
}

#[tokio::test]
async fn a_store_returning_only_accessories_is_asked_again_with_the_product_type() {
    let c = deals_agents::rules::parse_goal("ps5").criteria;
    let out = Agents::offline()
        .search_deals(Uuid::nil(), &c, &[console_store()])
        .await
        .unwrap();
    let ids: Vec<&str> = out
        .output
        .deals
        .iter()
        .map(|d| d.offer.external_id.as_str())
        .collect();
    assert_eq!(ids, ["w2"], "the console, never the controller for it");
    let q = &out.output.queries;
    assert_eq!((q[0].text.as_str(), q[0].relaxed.as_deref()), ("ps5", None));
    assert_eq!(q[1].text, "consoles");
    assert_eq!(q[1].relaxed.as_deref(), Some("consoles for ps5"));
}

#[tokio::test]
async fn the_accessory_is_found_when_the_goal_asks_for_it() {
    let c = deals_agents::rules::parse_goal("ps5 controller").criteria;
    let out = Agents::offline()
        .search_deals(Uuid::nil(), &c, &[console_store()])
        .await
        .unwrap();
    let ids: Vec<&str> = out
        .output
        .deals
        .iter()
        .map(|d| d.offer.external_id.as_str())
        .collect();
    assert_eq!(ids, ["w1"]);
}

#[tokio::test]
async fn nothing_under_the_price_says_how_many_and_the_cheapest() {
    let store: Arc<dyn Market> = Arc::new(WordStore(vec![filed(
        offer(
            "walmart",
            "w9",
            "TCL 55-Inch S4 4K LED Smart Google TV",
            "TCL",
            25_600,
        ),
        "Electronics/TV & Video/TVs",
    )]));
    let c = deals_agents::rules::parse_goal("a tv for the kitchen under $250").criteria;
    let out = Agents::offline()
        .search_deals(Uuid::nil(), &c, &[store])
        .await
        .unwrap();
    assert!(out.output.deals.is_empty());
    assert_eq!(
        out.output.summary,
        "1 tvs found, none under $250.00; cheapest $256.00 at walmart"
    );
    let last = out.output.queries.last().unwrap();
    assert_eq!(
        last.relaxed.as_deref(),
        Some("without the price bounds, to explain")
    );
}

#[tokio::test]
async fn the_models_wishes_and_specs_are_kept_and_a_monitor_is_not_a_tv() {
    let analysis = json!({
        "title": "65 inch TV for the living room",
        "criteria": {
            "keywords": ["tv"], "categories": ["tv/tvs"], "wishes": ["living room"],
            "specs": [{"quantity": "size", "op": "eq", "value": 65, "unit": "in"}]
        },
        "notes": []
    });
    let server = FakeServer::start(vec![
        openai_text(&analysis.to_string(), 20, 20),
        openai_tools(&[("call_1", "search_walmart", r#"{"query": "65 inch tv"}"#)]),
        openai_text("done", 5, 5),
    ])
    .await;
    let agents = agents(&config(vec![provider(
        ProviderKind::OpenaiCompatible,
        "primary",
        &server,
    )]));
    let goal = agents
        .analyze_goal(Uuid::nil(), "a 65 inch tv for the living room")
        .await
        .unwrap();
    let c = goal.output.criteria;
    assert_eq!(c.wishes, ["living room"]);
    assert_eq!(
        (c.specs[0].quantity, c.specs[0].op),
        (Quantity::Size, SpecOp::Eq)
    );

    let store: Arc<dyn Market> = Arc::new(WordStore(vec![
        filed(
            offer(
                "walmart",
                "m1",
                "Samsung Smart Monitor M8 65 inch Monitor with Streaming TV",
                "Samsung",
                69_999,
            ),
            "Electronics/Computers/Monitors",
        ),
        filed(
            offer(
                "walmart",
                "t1",
                "Samsung 65 inch Class Crystal UHD 4K Smart TV",
                "Samsung",
                52_999,
            ),
            "Electronics/TV & Video/TVs",
        ),
        filed(
            offer(
                "walmart",
                "t2",
                "Samsung 55 inch Class Crystal UHD 4K Smart TV",
                "Samsung",
                42_999,
            ),
            "Electronics/TV & Video/TVs",
        ),
    ]));
    let out = agents
        .search_deals(Uuid::nil(), &c, &[store])
        .await
        .unwrap();
    let ids: Vec<&str> = out
        .output
        .deals
        .iter()
        .map(|d| d.offer.external_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["t1"],
        "the monitor is no TV and the 55 inch is not 65"
    );
}
