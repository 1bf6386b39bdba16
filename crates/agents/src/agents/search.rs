//! Deal Search: criteria → one query per market → listings that fit, ranked.
//!
//! With a provider, the model plans the queries through tools, one `search_<market>` tool
//! per market (the [`Market`] adapters), in a bounded loop: at most `max_steps` model turns
//! and `max_tool_calls` searches. Only the offered tool names are honoured; any other call is
//! refused, logged and answered with an error, and the loop goes on. The model only chooses
//! query text: price, condition and exclusion filters come from the criteria. Without a
//! provider (or when all fail) the rules plan one query per market from the criteria.
//!
//! The rules' queries come from the hard constraints only (keywords, else brands and the
//! product type); wishes never reach a store. When a store returns nothing, a bounded
//! relaxation ladder follows ([`relaxations`]: drop the least informative word, try the
//! category's name for the product noun, then the product type alone), each step recorded in
//! [`SearchOutput::queries`]. When nothing fits and the goal has a price bound, each store is
//! asked once more without it, only to explain ([`SearchOutput::summary`]).
//!
//! Either way every offer is checked with [`match_goal`]: excluded offers and partial matches
//! ([`deals_core::matching::GoalMatch::full`]) are dropped, the rest ranked with
//! [`compare_deals`] (available first, then match score, then price) with the reasons.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use deals_core::matching::{GoalMatch, ListingFacts, RankFacts, compare_deals, match_goal};
use deals_core::{Availability, GoalCriteria, taxonomy};
use deals_markets::{Market, Offer, SearchQuery};
use serde::Serialize;
use serde_json::{Value, json};

use super::explain::{self, Seen};
pub use super::relax::{MAX_RELAXATIONS, relaxations};
use super::{RunMeta, rules_answer};
use crate::AgentKind;
use crate::llm::chain::{Slot, Tally};
use crate::llm::{LlmChain, LlmRequest, Message, ToolCall, ToolSpec};
use crate::prompt::delimit;
use crate::run::{AgentOutput, Attempt, AttemptOutcome, RULES_MODEL, RULES_PROVIDER, RunStatus};

/// Version of the Deal Search prompt.
pub const PROMPT_VERSION: &str = "deal-search/1";
const TEMPLATE: &str = include_str!("prompts/deal_search.md");

/// Bounds of the tool-calling loop and of the result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchLimits {
    /// Most model turns per provider.
    pub max_steps: u32,
    /// Most searches per provider.
    pub max_tool_calls: u32,
    /// Offers asked of each search.
    pub per_query_limit: usize,
    /// Most deals returned.
    pub max_results: usize,
    /// Lowest goal-match score (0–1) a deal needs; below it a listing shares too little with
    /// the goal (a brand alone weighs 0.25).
    pub min_match_score: f64,
}

impl Default for SearchLimits {
    fn default() -> Self {
        Self {
            max_steps: 6,
            max_tool_calls: 10,
            per_query_limit: 50,
            max_results: 200,
            min_match_score: 0.5,
        }
    }
}

/// A search that was run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedQuery {
    /// Market searched.
    pub market: String,
    /// Query text.
    pub text: String,
    /// Offers returned, or `None` when the search failed.
    pub offers: Option<usize>,
    /// Why this query relaxes the goal's (`dropped "wireless"`, `product type alone`,
    /// `without the price bounds, to explain`); `None` for the goal's own query.
    pub relaxed: Option<String>,
}

/// A listing that fits the goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundDeal {
    /// The offer as the market reported it.
    pub offer: Offer,
    /// Match score 0–1.
    pub match_score: f64,
    /// Why it matches (`keyword: noise cancelling`, `brand: sony`…).
    pub reasons: Vec<String>,
}

/// What Deal Search produces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutput {
    /// Searches run, in order.
    pub queries: Vec<PlannedQuery>,
    /// Fitting listings, best first.
    pub deals: Vec<FoundDeal>,
    /// Tool names the model called that were not offered (refused).
    pub refused_tools: Vec<String>,
    /// Failed searches, one line each.
    pub tool_errors: Vec<String>,
    /// One line on the outcome: how many deals fit, or why none did (`14 tvs found, none
    /// under $250.00; cheapest $256.00 at walmart`).
    pub summary: String,
}

/// The Deal Search agent.
#[derive(Debug, Clone, Copy)]
pub struct DealSearchAgent;

/// Tool name of a market's search.
pub fn tool_name(market: &str) -> String {
    format!("search_{market}")
}

/// The markets a goal allows, in the order given.
fn allowed_markets<'m>(
    criteria: &GoalCriteria,
    markets: &'m [Arc<dyn Market>],
) -> Vec<&'m Arc<dyn Market>> {
    markets
        .iter()
        .filter(|m| criteria.markets.is_empty() || criteria.markets.iter().any(|c| c == m.name()))
        .collect()
}

impl DealSearchAgent {
    /// The rules' query text: the keywords; else the brands and category names.
    pub fn query_text(criteria: &GoalCriteria) -> String {
        if !criteria.keywords.is_empty() {
            return criteria.keywords.join(" ");
        }
        let mut words: Vec<&str> = criteria.brands.iter().map(String::as_str).collect();
        words.extend(criteria.categories.iter().map(|c| taxonomy::leaf(c)));
        words.join(" ")
    }

    /// A query with the criteria's hard filters.
    pub fn query(criteria: &GoalCriteria, text: &str, limit: usize) -> SearchQuery {
        SearchQuery {
            text: text.trim().to_owned(),
            max_price_minor: criteria.max_price,
            min_price_minor: criteria.min_price,
            conditions: criteria.conditions.clone(),
            limit,
        }
    }

    /// The tools offered to the model: one search per allowed market.
    pub fn tools(criteria: &GoalCriteria, markets: &[Arc<dyn Market>]) -> Vec<ToolSpec> {
        allowed_markets(criteria, markets)
            .into_iter()
            .map(|m| ToolSpec {
                name: tool_name(m.name()),
                description: format!("Search the {} store for listings.", m.name()),
                parameters: json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["query"],
                    "properties": {"query": {"type": "string", "description": "product words"}}
                }),
            })
            .collect()
    }

    /// Ranks offers against the criteria: excluded ones, partial matches, duplicates and those
    /// under the limits' minimum match score dropped; then [`compare_deals`] (available
    /// first, best match, cheapest).
    pub fn rank(
        criteria: &GoalCriteria,
        offers: Vec<Offer>,
        limits: &SearchLimits,
    ) -> Vec<FoundDeal> {
        let mut seen = HashSet::new();
        let mut deals: Vec<FoundDeal> = offers
            .into_iter()
            .filter(|o| seen.insert((o.market.clone(), o.external_id.clone())))
            .filter_map(|offer| {
                let m = fit(criteria, &offer);
                (m.full && m.score >= limits.min_match_score).then_some(FoundDeal {
                    offer,
                    match_score: m.score,
                    reasons: m.reasons,
                })
            })
            .collect();
        deals.sort_by(|a, b| compare_deals(&rank_facts(a), &rank_facts(b)));
        deals.truncate(limits.max_results);
        deals
    }
}

/// The goal match of an offer (a brand named in the title stands in for a missing one).
fn fit(criteria: &GoalCriteria, offer: &Offer) -> GoalMatch {
    match_goal(
        criteria,
        &ListingFacts {
            title: &offer.title,
            brand: offer
                .brand
                .as_deref()
                .or_else(|| crate::rules::brand_in_title(&offer.title)),
            category: offer.category.as_deref(),
            market: &offer.market,
            condition: offer.condition,
            price_minor: offer.price_minor,
            currency: &offer.currency,
            seller_rating: offer.seller_rating,
        },
    )
}

fn rank_facts(d: &FoundDeal) -> RankFacts {
    RankFacts {
        match_score: d.match_score,
        deal_score: None,
        available: d.offer.availability != Availability::OutOfStock,
        price_minor: d.offer.price_minor,
    }
}

/// Offers and records gathered by one search plan.
#[derive(Default)]
struct Gathered {
    offers: Vec<Offer>,
    queries: Vec<PlannedQuery>,
    refused: Vec<String>,
    errors: Vec<String>,
}

impl Gathered {
    async fn search(&mut self, market: &dyn Market, query: &SearchQuery) -> Value {
        self.search_as(market, query, None).await
    }

    /// Runs one search, recording why it relaxes the goal's query, if it does.
    async fn search_as(
        &mut self,
        market: &dyn Market,
        query: &SearchQuery,
        relaxed: Option<String>,
    ) -> Value {
        let result = market.search(query).await;
        let mut planned = PlannedQuery {
            market: market.name().to_owned(),
            text: query.text.clone(),
            offers: None,
            relaxed,
        };
        let summary = match result {
            Ok(offers) => {
                planned.offers = Some(offers.len());
                let shown: Vec<Value> = offers
                    .iter()
                    .take(10)
                    .map(|o| json!({"title": o.title, "price_minor": o.price_minor, "condition": o.condition}))
                    .collect();
                self.offers.extend(offers);
                json!({"offers": shown})
            }
            Err(e) => {
                self.errors.push(format!("{}: {e}", market.name()));
                json!({"error": e.to_string()})
            }
        };
        self.queries.push(planned);
        summary
    }

    fn output(self, criteria: &GoalCriteria, limits: &SearchLimits) -> SearchOutput {
        let unpriced = GoalCriteria {
            min_price: None,
            max_price: None,
            ..criteria.clone()
        };
        let matches: Vec<(GoalMatch, bool)> = (self.offers.iter())
            .map(|o| (fit(criteria, o), fit(&unpriced, o).full))
            .collect();
        let seen: Vec<Seen<'_>> = (self.offers.iter().zip(&matches))
            .map(|(offer, (m, fits))| Seen {
                offer,
                excluded_by: m.excluded_by.as_deref(),
                fits_without_price: *fits,
            })
            .collect();
        let text = DealSearchAgent::query_text(criteria);
        let deals = DealSearchAgent::rank(criteria, self.offers.clone(), limits);
        let summary = explain::summary(criteria, &text, deals.len(), &seen);
        SearchOutput {
            queries: self.queries,
            deals,
            refused_tools: self.refused,
            tool_errors: self.errors,
            summary,
        }
    }
}

/// Runs the rules plan: one query per allowed market.
async fn rules_plan(
    criteria: &GoalCriteria,
    markets: &[Arc<dyn Market>],
    limits: &SearchLimits,
) -> Gathered {
    let mut g = Gathered::default();
    let text = DealSearchAgent::query_text(criteria);
    let query = DealSearchAgent::query(criteria, &text, limits.per_query_limit);
    let ladder = relaxations(criteria);
    for m in allowed_markets(criteria, markets) {
        let before = g.offers.len();
        g.search(m.as_ref(), &query).await;
        for (text, why) in &ladder {
            let fresh = g.offers.get(before..).unwrap_or(&[]);
            if g.queries.last().is_some_and(|q| q.offers.is_none())
                || fresh.iter().any(|o| fit(criteria, o).full)
            {
                break;
            }
            let relaxed = DealSearchAgent::query(criteria, text, limits.per_query_limit);
            g.search_as(m.as_ref(), &relaxed, Some(why.clone())).await;
        }
    }
    let priced = criteria.min_price.is_some() || criteria.max_price.is_some();
    if priced && DealSearchAgent::rank(criteria, g.offers.clone(), limits).is_empty() {
        let mut unpriced = query.clone();
        (unpriced.min_price_minor, unpriced.max_price_minor) = (None, None);
        for m in allowed_markets(criteria, markets) {
            let why = "without the price bounds, to explain".to_owned();
            g.search_as(m.as_ref(), &unpriced, Some(why)).await;
        }
    }
    g
}

/// Answers one tool call: runs an offered search, refuses anything else.
async fn answer_call(
    call: &ToolCall,
    criteria: &GoalCriteria,
    allowed: &[&Arc<dyn Market>],
    limits: &SearchLimits,
    searches: &mut u32,
    g: &mut Gathered,
) -> String {
    let Some(market) = allowed.iter().find(|m| tool_name(m.name()) == call.name) else {
        tracing::warn!(tool = %call.name, "refused a tool call outside the offered tools");
        g.refused.push(call.name.clone());
        return json!({"error": format!("unknown tool {}; only the offered search tools exist", call.name)})
            .to_string();
    };
    if *searches >= limits.max_tool_calls {
        return json!({"error": "search budget spent; reply without tool calls"}).to_string();
    }
    let Some(text) = call.arguments.get("query").and_then(Value::as_str) else {
        return json!({"error": "arguments must be {\"query\": string}"}).to_string();
    };
    *searches += 1;
    let query = DealSearchAgent::query(criteria, text, limits.per_query_limit);
    g.search(market.as_ref(), &query).await.to_string()
}

/// The tool-calling loop at one provider; `None` when the provider failed or searched nothing.
async fn model_plan(
    chain: &LlmChain,
    slot: &Slot,
    criteria: &GoalCriteria,
    markets: &[Arc<dyn Market>],
    limits: &SearchLimits,
    tally: &mut Tally,
) -> Option<Gathered> {
    let allowed = allowed_markets(criteria, markets);
    let facts = serde_json::to_string(criteria).unwrap_or_default();
    let mut request = LlmRequest {
        system: TEMPLATE.to_owned(),
        messages: vec![Message::user(delimit("goal_criteria", &facts))],
        schema: None,
        tools: DealSearchAgent::tools(criteria, markets),
        max_tokens: 500,
    };
    let mut g = Gathered::default();
    let mut searches = 0;
    for _ in 0..limits.max_steps {
        let response = chain.call(slot, &request, tally).await.ok()?;
        if response.tool_calls.is_empty() {
            break;
        }
        request.messages.push(Message::Assistant {
            text: response.text.clone(),
            tool_calls: response.tool_calls.clone(),
        });
        for call in &response.tool_calls {
            let content =
                answer_call(call, criteria, &allowed, limits, &mut searches, &mut g).await;
            request.messages.push(Message::ToolResult {
                call_id: call.id.clone(),
                content,
            });
        }
    }
    if g.queries.is_empty() {
        tally.attempts.push(
            Attempt::new(&slot.info().name, AttemptOutcome::InvalidOutput)
                .detail("the model ran no search"),
        );
        return None;
    }
    tally
        .attempts
        .push(Attempt::new(&slot.info().name, AttemptOutcome::Answered));
    Some(g)
}

/// Runs Deal Search (metering is done by the caller).
pub(crate) async fn run(
    chain: &LlmChain,
    criteria: &GoalCriteria,
    markets: &[Arc<dyn Market>],
    limits: &SearchLimits,
) -> AgentOutput<SearchOutput> {
    let meta = RunMeta {
        agent: AgentKind::DealSearch,
        prompt_version: PROMPT_VERSION,
        input_summary: summary(criteria, markets),
        started: Instant::now(),
    };
    let mut tally = Tally::default();
    for slot in chain.slots() {
        if !slot.admit(&mut tally) {
            continue;
        }
        if let Some(g) = model_plan(chain, slot, criteria, markets, limits, &mut tally).await {
            let info = slot.info();
            let out = meta.finish(
                g.output(criteria, limits),
                info.name.clone(),
                info.model.clone(),
                tally,
            );
            return failed_if_nothing_searched(out);
        }
    }
    let g = rules_plan(criteria, markets, limits).await;
    let (output, tally) = rules_answer(g.output(criteria, limits), tally);
    failed_if_nothing_searched(meta.finish(
        output,
        RULES_PROVIDER.into(),
        RULES_MODEL.into(),
        tally,
    ))
}

/// A run whose every search failed (or that had no market to search) is a failed run.
fn failed_if_nothing_searched(mut out: AgentOutput<SearchOutput>) -> AgentOutput<SearchOutput> {
    if out.output.queries.iter().all(|q| q.offers.is_none()) {
        out.run.status = RunStatus::Failed;
        out.run.error = Some(match out.output.tool_errors.last() {
            Some(e) => format!("every search failed; last: {e}"),
            None => "no market to search".to_owned(),
        });
    }
    out
}

fn summary(criteria: &GoalCriteria, markets: &[Arc<dyn Market>]) -> String {
    let names: Vec<&str> = allowed_markets(criteria, markets)
        .into_iter()
        .map(|m| m.name())
        .collect();
    let text: String = DealSearchAgent::query_text(criteria)
        .chars()
        .take(80)
        .collect();
    format!("search \"{text}\" in {}", names.join(", "))
}
