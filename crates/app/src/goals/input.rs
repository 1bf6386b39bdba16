//! What a user sends to create or change a goal, and how it is parsed into typed store input:
//! plain language is read once, by the offline Goal Analysis rules, when no criteria are sent.
//! The JSON API and the web UI's forms deserialise into these same types.

use chrono::{DateTime, Utc};
use deals_agents::agents::GoalAnalysis;
use deals_agents::rules::parse_goal;
use deals_core::money::AmountInput;
use deals_core::{GoalCriteria, GoalCriteriaInput, GoalStatus, Priority, ValidationErrors};
use deals_store::repo::goals::{GoalChanges, NewGoal};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Criteria as the API answers them (normalised: lower case, de-duplicated).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaDoc {
    /// Words a matching listing should contain.
    pub keywords: Vec<String>,
    /// Words that exclude a listing.
    pub exclude_keywords: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Brands.
    pub brands: Vec<String>,
    /// Conditions: `new`, `used`, `refurbished`, `open_box`.
    pub conditions: Vec<String>,
    /// Lowest price, two decimals.
    pub min_price: Option<String>,
    /// Highest price, two decimals.
    pub max_price: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Markets; empty means all.
    pub markets: Vec<String>,
    /// Lowest seller rating, 0–5.
    pub min_seller_rating: Option<f64>,
    /// Uses and context words that rank listings but never exclude one (left out when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wishes: Vec<String>,
    /// Numeric specs with their direction (left out when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub specs: Vec<serde_json::Value>,
}

/// Criteria as a client sends them (see `GoalCriteriaInput` for parsing rules): every field
/// may be left out; list entries are trimmed, lower-cased and de-duplicated. Beyond what each
/// field states, a keyword must not also be excluded, `min_price` must not exceed `max_price`,
/// and a spec's unit must fit its quantity.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CriteriaInputDoc {
    /// Words a matching listing should contain.
    #[schema(schema_with = crate::schema::terms)]
    pub keywords: Vec<String>,
    /// Words that exclude a listing.
    #[schema(schema_with = crate::schema::terms)]
    pub exclude_keywords: Vec<String>,
    /// Product categories, e.g. `headphones`.
    #[schema(schema_with = crate::schema::terms)]
    pub categories: Vec<String>,
    /// Accepted brands.
    #[schema(schema_with = crate::schema::terms)]
    pub brands: Vec<String>,
    /// Accepted conditions; empty means any.
    #[schema(schema_with = crate::schema::conditions)]
    pub conditions: Vec<String>,
    /// Lowest acceptable price.
    #[schema(schema_with = crate::schema::money_or_null)]
    pub min_price: Option<String>,
    /// Highest acceptable price.
    #[schema(schema_with = crate::schema::money_or_null)]
    pub max_price: Option<String>,
    /// ISO 4217 code of the prices (default USD).
    #[schema(schema_with = crate::schema::currency_or_null)]
    pub currency: Option<String>,
    /// Markets to search; empty means all.
    #[schema(schema_with = crate::schema::markets)]
    pub markets: Vec<String>,
    /// Lowest acceptable seller rating, 0–5.
    #[schema(minimum = 0, maximum = 5)]
    pub min_seller_rating: Option<f64>,
    /// Uses and context words that rank listings but never exclude one (`travel`).
    #[schema(schema_with = crate::schema::terms)]
    pub wishes: Vec<String>,
    /// Numeric specs: `{"quantity": "memory", "op": "min", "value": 16, "unit": "gb"}`.
    #[schema(schema_with = crate::schema::specs)]
    pub specs: Vec<serde_json::Value>,
}

/// A new goal: `query` (plain language) and/or `criteria`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoalRequest {
    /// What the user wants, in their words (3–500 characters once runs of spaces are
    /// collapsed).
    #[schema(min_length = 3, max_length = 500, pattern = r"\S")]
    pub query: Option<String>,
    /// Structured criteria.
    #[schema(value_type = Option<CriteriaInputDoc>)]
    pub criteria: Option<GoalCriteriaInput>,
    /// Title; defaults to the query (1–200 characters once runs of spaces are collapsed).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    /// `low`, `medium` (default), `high`, `critical`.
    #[schema(schema_with = crate::schema::priority)]
    pub priority: Option<String>,
    /// Optional deadline; must be in the future (422 otherwise).
    pub deadline: Option<DateTime<Utc>>,
    /// Most matches to keep, 1–500 (default 50).
    #[schema(minimum = 1, maximum = 500)]
    pub max_matches: Option<i32>,
    /// Score (0..1) from which to alert (default 0.7).
    #[schema(minimum = 0, maximum = 1)]
    pub notify_threshold: Option<f64>,
    /// Price hoped for.
    #[schema(schema_with = crate::schema::money_or_null)]
    pub target_price: Option<AmountInput>,
}

/// Deserialises a present field (even `null`) as `Some`, so PATCH can tell "clear" from "keep".
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a goal; omitted fields stay as they are, `null` clears nullable ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UpdateGoalRequest {
    /// New title (1–200 characters once runs of spaces are collapsed).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    /// New criteria (replaces the old ones).
    #[schema(value_type = Option<CriteriaInputDoc>)]
    pub criteria: Option<GoalCriteriaInput>,
    /// New status.
    #[schema(schema_with = crate::schema::goal_status)]
    pub status: Option<String>,
    /// New priority.
    #[schema(schema_with = crate::schema::priority)]
    pub priority: Option<String>,
    /// New deadline (in the future; 422 otherwise), or null to clear.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// New match limit, 1–500.
    #[schema(minimum = 1, maximum = 500)]
    pub max_matches: Option<i32>,
    /// New alert threshold, 0–1.
    #[schema(minimum = 0, maximum = 1)]
    pub notify_threshold: Option<f64>,
    /// New target price, or null to clear.
    #[serde(deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::money_or_null)]
    pub target_price: Option<Option<AmountInput>>,
}

fn check_title(errors: &mut ValidationErrors, title: &str) -> String {
    let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        errors.add("title", "must not be empty");
    } else if t.chars().count() > 200 {
        errors.add("title", "must be at most 200 characters");
    }
    t
}

fn check_threshold(errors: &mut ValidationErrors, v: f64) {
    if !(0.0..=1.0).contains(&v) {
        errors.add("notify_threshold", "must be between 0 and 1");
    }
}

fn check_max_matches(errors: &mut ValidationErrors, v: i32) {
    if !(1..=500).contains(&v) {
        errors.add("max_matches", "must be between 1 and 500");
    }
}

fn check_deadline(errors: &mut ValidationErrors, d: &DateTime<Utc>) {
    if *d <= Utc::now() {
        errors.add("deadline", "must be in the future");
    }
}

fn parse_criteria(errors: &mut ValidationErrors, input: GoalCriteriaInput) -> Option<GoalCriteria> {
    match GoalCriteria::parse(input) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.absorb("criteria", e);
            None
        }
    }
}

impl CreateGoalRequest {
    /// The user's words with runs of whitespace collapsed, as they are stored and analysed.
    pub fn words(&self) -> Option<String> {
        self.query
            .as_deref()
            .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Parses the request of `user_id`; every invalid field is reported. `analysis` is the Goal
    /// Analysis agent's reading of [`Self::words`], when the caller already has it.
    pub fn parse(
        self,
        user_id: Uuid,
        analysis: Option<GoalAnalysis>,
    ) -> Result<NewGoal, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let query = self
            .query
            .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "));
        match &query {
            Some(q) if q.chars().count() < 3 => {
                errors.add("query", "must be at least 3 characters")
            }
            Some(q) if q.chars().count() > 500 => {
                errors.add("query", "must be at most 500 characters")
            }
            None if self.criteria.is_none() => {
                errors.add("query", "give a query, criteria, or both")
            }
            _ => {}
        }
        let criteria_given = self.criteria.is_some();
        // Plain language is read by the Goal Analysis agent's answer when one is given, else by
        // the offline rules; criteria sent with it win.
        let analysed = analysis.or_else(|| query.as_deref().map(|q| parse_goal(q).into()));
        let criteria = match self.criteria {
            Some(input) => parse_criteria(&mut errors, input),
            None => Some(
                analysed
                    .as_ref()
                    .map(|a| a.criteria.clone())
                    .unwrap_or_default(),
            ),
        };
        if query.is_none()
            && criteria_given
            && criteria.as_ref().is_some_and(GoalCriteria::is_empty)
        {
            errors.add(
                "criteria",
                "needs at least one keyword, brand or category when no query is given",
            );
        }
        let title = match (self.title, &query, &criteria) {
            (Some(t), _, _) => check_title(&mut errors, &t),
            (None, Some(q), _) => match analysed.as_ref().filter(|a| !a.title.is_empty()) {
                Some(a) => a.title.clone(),
                None => q.chars().take(200).collect(),
            },
            (None, None, Some(c)) => {
                let words: Vec<&str> = c
                    .brands
                    .iter()
                    .chain(&c.keywords)
                    .chain(&c.categories)
                    .map(String::as_str)
                    .collect();
                words.join(" ").chars().take(200).collect()
            }
            (None, None, None) => String::new(),
        };
        let priority = match self.priority {
            Some(p) => errors
                .check("priority", Priority::parse(&p))
                .unwrap_or(Priority::Medium),
            None => Priority::Medium,
        };
        if let Some(d) = &self.deadline {
            check_deadline(&mut errors, d);
        }
        let max_matches = self.max_matches.unwrap_or(50);
        check_max_matches(&mut errors, max_matches);
        let notify_threshold = self.notify_threshold.unwrap_or(0.7);
        check_threshold(&mut errors, notify_threshold);
        let target_price_minor = self
            .target_price
            .and_then(|a| errors.check("target_price", a.to_minor()));
        let criteria = criteria.unwrap_or_default();
        errors.into_result(NewGoal {
            user_id,
            title,
            query,
            criteria,
            priority,
            deadline: self.deadline,
            max_matches,
            notify_threshold,
            target_price_minor,
        })
    }
}

impl UpdateGoalRequest {
    /// Parses the changes; every invalid field is reported.
    pub fn parse(self) -> Result<GoalChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = self.title.map(|t| check_title(&mut errors, &t));
        let criteria = self.criteria.and_then(|c| parse_criteria(&mut errors, c));
        let status = self
            .status
            .and_then(|s| errors.check("status", GoalStatus::parse(&s)));
        let priority = self
            .priority
            .and_then(|p| errors.check("priority", Priority::parse(&p)));
        if let Some(Some(d)) = &self.deadline {
            check_deadline(&mut errors, d);
        }
        if let Some(m) = self.max_matches {
            check_max_matches(&mut errors, m);
        }
        if let Some(t) = self.notify_threshold {
            check_threshold(&mut errors, t);
        }
        let target_price_minor = match self.target_price {
            Some(Some(a)) => errors.check("target_price", a.to_minor()).map(Some),
            Some(None) => Some(None),
            None => None,
        };
        errors.into_result(GoalChanges {
            title,
            criteria,
            status,
            priority,
            deadline: self.deadline,
            max_matches: self.max_matches,
            notify_threshold: self.notify_threshold,
            target_price_minor,
        })
    }
}
