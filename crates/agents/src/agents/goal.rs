//! Goal Analysis: plain-language goal → [`GoalCriteria`], a title and notes on ambiguity
//! (used by `POST /api/v1/goals`). The offline rules are [`crate::rules::parse_goal`].

use deals_core::{GoalCriteria, taxonomy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Agent;
use crate::AgentKind;
use crate::llm::{LlmRequest, Message, OutputSchema};
use crate::meter::MeteredOp;
use crate::prompt::{clean_user_text, delimit, render};
use crate::rules::{MAX_TITLE_CHARS, ParsedGoal, parse_goal};

/// Most notes kept.
pub const MAX_NOTES: usize = 8;

const TEMPLATE: &str = include_str!("prompts/goal_analysis.md");

/// What Goal Analysis produces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalAnalysis {
    /// Validated criteria; categories are taxonomy paths.
    pub criteria: GoalCriteria,
    /// A short title, at most [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// What was ambiguous or ignored.
    pub notes: Vec<String>,
}

impl From<ParsedGoal> for GoalAnalysis {
    fn from(p: ParsedGoal) -> Self {
        Self {
            criteria: p.criteria,
            title: p.title,
            notes: p.notes,
        }
    }
}

/// The Goal Analysis agent.
#[derive(Debug, Clone, Copy)]
pub struct GoalAnalysisAgent;

/// The JSON schema of the answer.
pub fn schema() -> Value {
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let amount = json!({"type": ["string", "null"], "pattern": "^[0-9]+(\\.[0-9]{1,2})?$"});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["title", "criteria", "notes"],
        "properties": {
            "title": {"type": "string", "maxLength": MAX_TITLE_CHARS},
            "notes": strings,
            "criteria": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "keywords": strings, "exclude_keywords": strings,
                    "categories": {"type": "array", "items": {"enum": taxonomy::CATEGORIES}},
                    "brands": strings,
                    "conditions": {"type": "array", "items": {"enum": ["new", "used", "refurbished", "open_box"]}},
                    "min_price": amount, "max_price": amount,
                    "currency": {"type": "string"},
                    "markets": {"type": "array", "items": {"enum": deals_markets::STORES}},
                    "min_seller_rating": {"type": ["number", "null"], "minimum": 0, "maximum": 5},
                    "wishes": strings,
                    "specs": {"type": "array", "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["quantity", "op", "value", "unit"],
                        "properties": {
                            "quantity": {"enum": ["size", "storage", "memory", "refresh_rate", "weight", "power", "capacity", "battery"]},
                            "op": {"enum": ["min", "max", "eq"]},
                            "value": {"type": "number", "exclusiveMinimum": 0},
                            "unit": {"enum": ["in", "cm", "gb", "tb", "mb", "hz", "g", "kg", "lb", "w", "qt", "l", "mah"]}
                        }
                    }}
                }
            }
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    title: String,
    criteria: Value,
    #[serde(default)]
    notes: Vec<String>,
}

impl Agent for GoalAnalysisAgent {
    type Input = str;
    type Output = GoalAnalysis;
    const KIND: AgentKind = AgentKind::GoalAnalysis;
    const OP: MeteredOp = MeteredOp::GoalAnalysis;
    const PROMPT_VERSION: &'static str = "goal-analysis/2";

    fn summary(input: &str) -> String {
        let text = clean_user_text(input);
        let clipped: String = text.chars().take(120).collect();
        format!("goal: {clipped}")
    }

    fn request(input: &str) -> LlmRequest {
        let schema = schema();
        let system = render(
            TEMPLATE,
            &[
                ("schema", &schema.to_string()),
                ("categories", &taxonomy::CATEGORIES.join(", ")),
            ],
        );
        LlmRequest {
            system,
            messages: vec![Message::user(delimit("user_goal", input))],
            schema: Some(OutputSchema {
                name: "goal_analysis".into(),
                schema,
            }),
            tools: Vec::new(),
            max_tokens: 600,
        }
    }

    fn validate(_input: &str, text: &str) -> Result<GoalAnalysis, String> {
        let raw: Raw = super::parse_json(text)?;
        let criteria = GoalCriteria::from_json(raw.criteria).map_err(|e| e.to_string())?;
        if let Some(c) = criteria.categories.iter().find(|c| !taxonomy::is_known(c)) {
            return Err(format!(
                "criteria.categories: '{c}' is not one of the listed paths"
            ));
        }
        let title = raw.title.trim();
        if title.is_empty() {
            return Err("title: must not be empty".into());
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(format!("title: at most {MAX_TITLE_CHARS} characters"));
        }
        Ok(GoalAnalysis {
            criteria,
            title: title.to_owned(),
            notes: raw
                .notes
                .into_iter()
                .map(|n| n.trim().chars().take(300).collect::<String>())
                .filter(|n| !n.is_empty())
                .take(MAX_NOTES)
                .collect(),
        })
    }

    fn rules(input: &str) -> GoalAnalysis {
        parse_goal(input).into()
    }
}
