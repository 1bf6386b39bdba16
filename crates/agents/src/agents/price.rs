//! Price Analysis: listing facts, price history statistics and market context → a base score
//! 0–100 with reasons (the `base` of the deal score formula). The offline rules are
//! [`deals_core::analysis::rules_base_score`].

use deals_core::analysis::{BaseInput, rules_base_score};
use deals_core::{Condition, Currency, Trend};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Agent;
use crate::AgentKind;
use crate::llm::{LlmRequest, Message, OutputSchema};
use crate::meter::MeteredOp;
use crate::prompt::{delimit, render};

/// Most reasons kept.
pub const MAX_REASONS: usize = 6;

const TEMPLATE: &str = include_str!("prompts/price_analysis.md");

/// Price statistics of the product over the last 90 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryStats {
    /// Lowest price.
    pub lowest_90_days_minor: Option<i64>,
    /// Median price.
    pub median_90_days_minor: Option<i64>,
    /// Direction of the series.
    pub trend: Trend,
    /// Number of price points.
    pub points: u32,
}

/// What Price Analysis reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceInput {
    /// Listing title.
    pub title: String,
    /// Market, e.g. `bestbuy`.
    pub market: String,
    /// Current price in minor units.
    pub price_minor: i64,
    /// Currency of all amounts.
    pub currency: Currency,
    /// Item condition.
    pub condition: Condition,
    /// Seller rating on a 0–5 scale.
    pub seller_rating: Option<f64>,
    /// Whether the item can be bought now.
    pub in_stock: bool,
    /// Reference ("was") price, when supported by the history
    /// ([`deals_core::analysis::check_reference_price`]).
    pub reference_price_minor: Option<i64>,
    /// Mean current price of the same product across markets.
    pub market_average_minor: Option<i64>,
    /// How many stores were compared for the average.
    pub stores_compared: u32,
    /// Price history statistics.
    pub history: HistoryStats,
}

/// What Price Analysis produces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceVerdict {
    /// 0–100, rounded to 0.01.
    pub base_score: f64,
    /// One line per fact used.
    pub reasons: Vec<String>,
}

/// The Price Analysis agent.
#[derive(Debug, Clone, Copy)]
pub struct PriceAnalysisAgent;

/// The JSON schema of the answer.
pub fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["base_score", "reasons"],
        "properties": {
            "base_score": {"type": "number", "minimum": 0, "maximum": 100},
            "reasons": {"type": "array", "minItems": 1, "maxItems": MAX_REASONS,
                        "items": {"type": "string", "maxLength": 200}}
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    base_score: f64,
    reasons: Vec<String>,
}

impl Agent for PriceAnalysisAgent {
    type Input = PriceInput;
    type Output = PriceVerdict;
    const KIND: AgentKind = AgentKind::PriceAnalysis;
    const OP: MeteredOp = MeteredOp::PriceAnalysis;
    const PROMPT_VERSION: &'static str = "price-analysis/1";

    fn summary(input: &PriceInput) -> String {
        let title: String = input.title.chars().take(80).collect();
        format!(
            "{title} at {} for {} minor {}",
            input.market, input.price_minor, input.currency
        )
    }

    fn request(input: &PriceInput) -> LlmRequest {
        let schema = schema();
        let facts = serde_json::to_string(input).unwrap_or_default();
        LlmRequest {
            system: render(TEMPLATE, &[("schema", &schema.to_string())]),
            messages: vec![Message::user(delimit("listing_facts", &facts))],
            schema: Some(OutputSchema {
                name: "price_analysis".into(),
                schema,
            }),
            tools: Vec::new(),
            max_tokens: 400,
        }
    }

    fn validate(_input: &PriceInput, text: &str) -> Result<PriceVerdict, String> {
        let raw: Raw = super::parse_json(text)?;
        if !(0.0..=100.0).contains(&raw.base_score) {
            return Err("base_score: must be between 0 and 100".into());
        }
        let reasons: Vec<String> = raw
            .reasons
            .into_iter()
            .map(|r| r.trim().chars().take(200).collect::<String>())
            .filter(|r| !r.is_empty())
            .take(MAX_REASONS)
            .collect();
        if reasons.is_empty() {
            return Err("reasons: give at least one reason".into());
        }
        Ok(PriceVerdict {
            base_score: (raw.base_score * 100.0).round() / 100.0,
            reasons,
        })
    }

    fn rules(input: &PriceInput) -> PriceVerdict {
        let (base_score, reasons) = rules_base_score(&BaseInput {
            price_minor: input.price_minor,
            reference_price_minor: input.reference_price_minor,
            market_average_minor: input.market_average_minor,
            lowest_90_days_minor: input.history.lowest_90_days_minor,
            seller_rating: input.seller_rating,
            in_stock: input.in_stock,
        });
        PriceVerdict {
            base_score,
            reasons,
        }
    }
}
