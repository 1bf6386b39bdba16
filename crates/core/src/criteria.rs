//! What a goal is looking for: the structured criteria that the Goal Analysis agent produces from
//! plain language and that users may also send or edit directly.

use serde::{Deserialize, Serialize, Serializer};

use crate::enums::Condition;
use crate::error::ValidationErrors;
use crate::money::{AmountInput, Currency, format_minor};
use crate::spec::{Spec, SpecInput};

/// Most entries accepted in one list (keywords, brands…).
pub const MAX_LIST_LEN: usize = 32;
/// Longest accepted entry of a list, in characters.
pub const MAX_TERM_CHARS: usize = 64;

/// Criteria exactly as a client sends them; every field optional. Parse with [`GoalCriteria::parse`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GoalCriteriaInput {
    /// Words that should appear in a matching listing.
    pub keywords: Vec<String>,
    /// Words that exclude a listing.
    pub exclude_keywords: Vec<String>,
    /// Product categories, e.g. `headphones`.
    pub categories: Vec<String>,
    /// Accepted brands.
    pub brands: Vec<String>,
    /// Accepted conditions: `new`, `used`, `refurbished`, `open_box`.
    pub conditions: Vec<String>,
    /// Lowest acceptable price.
    pub min_price: Option<AmountInput>,
    /// Highest acceptable price.
    pub max_price: Option<AmountInput>,
    /// ISO 4217 currency of the prices (default USD).
    pub currency: Option<String>,
    /// Markets to search, e.g. `amazon`, `ebay`; empty means all.
    pub markets: Vec<String>,
    /// Lowest acceptable seller rating on a 0–5 scale.
    pub min_seller_rating: Option<f64>,
    /// Uses and context words that rank listings but never exclude one (`travel`, `kitchen`).
    pub wishes: Vec<String>,
    /// Numeric specs with their direction: `{"quantity": "memory", "op": "min", "value": 16,
    /// "unit": "gb"}`.
    pub specs: Vec<SpecInput>,
}

/// Validated, normalised goal criteria.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalCriteria {
    /// Lower-cased, de-duplicated keywords.
    pub keywords: Vec<String>,
    /// Lower-cased, de-duplicated excluded words.
    pub exclude_keywords: Vec<String>,
    /// Lower-cased categories.
    pub categories: Vec<String>,
    /// Lower-cased brands.
    pub brands: Vec<String>,
    /// Accepted conditions; empty means any.
    pub conditions: Vec<Condition>,
    /// Lowest acceptable price in minor units.
    #[serde(serialize_with = "as_decimal")]
    pub min_price: Option<i64>,
    /// Highest acceptable price in minor units.
    #[serde(serialize_with = "as_decimal")]
    pub max_price: Option<i64>,
    /// Currency of the prices.
    pub currency: Currency,
    /// Lower-cased market names; empty means all.
    pub markets: Vec<String>,
    /// Lowest acceptable seller rating (0–5).
    pub min_seller_rating: Option<f64>,
    /// Lower-cased, de-duplicated wishes: they rank, never exclude. Left out of the JSON form
    /// when empty, so criteria without them read and write as before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wishes: Vec<String>,
    /// Numeric specs a listing must meet (hard constraints); left out of the JSON form when
    /// empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specs: Vec<Spec>,
}

fn as_decimal<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(minor) => s.serialize_str(&format_minor(*minor)),
        None => s.serialize_none(),
    }
}

impl Default for GoalCriteria {
    fn default() -> Self {
        Self {
            keywords: vec![],
            exclude_keywords: vec![],
            categories: vec![],
            brands: vec![],
            conditions: vec![],
            min_price: None,
            max_price: None,
            currency: Currency::USD,
            markets: vec![],
            min_seller_rating: None,
            wishes: vec![],
            specs: vec![],
        }
    }
}

impl GoalCriteria {
    /// Validates and normalises client input. Field names in errors are relative to the
    /// criteria object (`max_price`, `keywords[2]`…).
    pub fn parse(input: GoalCriteriaInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let keywords = terms(&mut errors, "keywords", input.keywords);
        let exclude_keywords = terms(&mut errors, "exclude_keywords", input.exclude_keywords);
        let categories = terms(&mut errors, "categories", input.categories);
        let brands = terms(&mut errors, "brands", input.brands);
        let markets = terms(&mut errors, "markets", input.markets);
        let wishes = terms(&mut errors, "wishes", input.wishes);
        if input.specs.len() > MAX_LIST_LEN {
            errors.add("specs", format!("must have at most {MAX_LIST_LEN} entries"));
        }
        let mut specs: Vec<Spec> = Vec::new();
        for (i, raw) in input.specs.iter().take(MAX_LIST_LEN).enumerate() {
            if let Some(spec) = errors.check(&format!("specs[{i}]"), Spec::parse(raw))
                && !specs.contains(&spec)
            {
                specs.push(spec);
            }
        }
        let mut known_markets = Vec::new();
        for (i, m) in markets.iter().enumerate() {
            let key: String = m
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '_'))
                .collect();
            match MARKETS.iter().find(|k| **k == key) {
                Some(k) if !known_markets.contains(&(*k).to_owned()) => {
                    known_markets.push((*k).to_owned())
                }
                Some(_) => {}
                None => errors.add(
                    format!("markets[{i}]"),
                    format!("must be one of: {}", MARKETS.join(" ")),
                ),
            }
        }
        let markets = known_markets;
        let mut conditions = Vec::new();
        for (i, c) in input.conditions.iter().enumerate() {
            if let Some(c) = errors.check(&format!("conditions[{i}]"), Condition::parse(c))
                && !conditions.contains(&c)
            {
                conditions.push(c);
            }
        }
        let min_price = input
            .min_price
            .and_then(|a| errors.check("min_price", a.to_minor()));
        let max_price = input
            .max_price
            .and_then(|a| errors.check("max_price", a.to_minor()));
        if let (Some(lo), Some(hi)) = (min_price, max_price)
            && lo > hi
        {
            errors.add("min_price", "must not be greater than max_price");
        }
        let currency = match input.currency {
            Some(c) => errors
                .check("currency", Currency::parse(&c))
                .unwrap_or_default(),
            None => Currency::USD,
        };
        if let Some(r) = input.min_seller_rating
            && !(0.0..=5.0).contains(&r)
        {
            errors.add("min_seller_rating", "must be between 0 and 5");
        }
        let overlap: Vec<&String> = keywords
            .iter()
            .filter(|k| exclude_keywords.contains(k))
            .collect();
        if let Some(k) = overlap.first() {
            errors.add("exclude_keywords", format!("'{k}' is also a keyword"));
        }
        errors.into_result(Self {
            keywords,
            exclude_keywords,
            categories,
            brands,
            conditions,
            min_price,
            max_price,
            currency,
            markets,
            min_seller_rating: input.min_seller_rating,
            wishes,
            specs,
        })
    }

    /// Reads criteria back from their stored JSON form.
    pub fn from_json(value: serde_json::Value) -> Result<Self, ValidationErrors> {
        let input: GoalCriteriaInput = serde_json::from_value(value)
            .map_err(|e| ValidationErrors::single("criteria", e.to_string()))?;
        Self::parse(input)
    }

    /// True when nothing at all would narrow a search.
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty() && self.categories.is_empty() && self.brands.is_empty()
    }
}

/// Trims, lower-cases and de-duplicates a list of terms, checking sizes.
fn terms(errors: &mut ValidationErrors, field: &str, raw: Vec<String>) -> Vec<String> {
    if raw.len() > MAX_LIST_LEN {
        errors.add(field, format!("must have at most {MAX_LIST_LEN} entries"));
        return vec![];
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, t) in raw.into_iter().enumerate() {
        let t = t
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if t.is_empty() {
            errors.add(format!("{field}[{i}]"), "must not be empty");
        } else if t.chars().count() > MAX_TERM_CHARS {
            errors.add(
                format!("{field}[{i}]"),
                format!("must be at most {MAX_TERM_CHARS} characters"),
            );
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The stores a goal can be limited to.
pub const MARKETS: [&str; 5] = ["amazon", "walmart", "bestbuy", "target", "ebay"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<GoalCriteria, ValidationErrors> {
        GoalCriteria::parse(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn normalises_terms_and_prices() {
        let c = parse(json!({
            "keywords": ["  Noise   Cancelling ", "noise cancelling", "Headphones"],
            "brands": ["Sony", "BOSE"],
            "conditions": ["new", "open_box", "new"],
            "max_price": "300",
            "min_price": 50,
            "currency": "usd",
            "markets": ["Amazon", "ebay", "Best Buy"]
        }))
        .unwrap();
        assert_eq!(c.keywords, ["noise cancelling", "headphones"]);
        assert_eq!(c.brands, ["sony", "bose"]);
        assert_eq!(c.conditions, [Condition::New, Condition::OpenBox]);
        assert_eq!((c.min_price, c.max_price), (Some(5_000), Some(30_000)));
        assert_eq!(c.markets, ["amazon", "ebay", "bestbuy"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = parse(json!({
            "keywords": ["ok", "  "],
            "conditions": ["mint"],
            "min_price": "500",
            "max_price": "300",
            "currency": "dollars",
            "min_seller_rating": 7.5,
            "markets": ["mars"]
        }))
        .unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "keywords[1]",
                "markets[0]",
                "conditions[0]",
                "min_price",
                "currency",
                "min_seller_rating"
            ]
        );
    }

    #[test]
    fn stored_form_round_trips() {
        let c = parse(json!({"keywords": ["tv"], "max_price": "999.99", "conditions": ["used"]}))
            .unwrap();
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(stored["max_price"], "999.99");
        assert_eq!(GoalCriteria::from_json(stored).unwrap(), c);
    }

    #[test]
    fn wishes_and_specs_are_read_and_omitted_when_empty() {
        let c = parse(json!({
            "keywords": ["laptop"], "wishes": ["Travel", "travel"],
            "specs": [{"quantity": "memory", "op": "min", "value": 16, "unit": "GB"}]
        }))
        .unwrap();
        assert_eq!(c.wishes, ["travel"]);
        assert_eq!(c.specs[0].to_string(), "memory ≥ 16gb");
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(GoalCriteria::from_json(stored).unwrap(), c);
        let plain = serde_json::to_value(parse(json!({"keywords": ["tv"]})).unwrap()).unwrap();
        assert!(plain.get("wishes").is_none() && plain.get("specs").is_none());
        let e = parse(
            json!({"specs": [{"quantity": "memory", "op": "min", "value": 16, "unit": "hz"}]}),
        )
        .unwrap_err();
        assert_eq!(e.errors[0].field, "specs[0]");
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<GoalCriteriaInput>(json!({"max_prce": 3})).is_err());
    }

    #[test]
    fn keyword_that_is_also_excluded_is_contradictory() {
        let e = parse(json!({"keywords": ["apple"], "exclude_keywords": ["Apple"]})).unwrap_err();
        assert_eq!(e.errors[0].field, "exclude_keywords");
    }
}
