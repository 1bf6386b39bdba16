//! Turns a [`Draft`] into valid [`GoalCriteria`]: de-duplication, the category-noun keyword
//! rule, condition and market exclusions, price order, currency and the size limits of
//! [`deals_core::criteria`], so the result always passes [`GoalCriteria::parse`].

use deals_core::criteria::{MAX_LIST_LEN, MAX_TERM_CHARS};
use deals_core::spec::{Spec, SpecInput};
use deals_core::{Condition, Currency, GoalCriteria};
use deals_markets::STORES;

use super::parse::Draft;

/// Builds the criteria; adds notes to `draft.notes` as it goes.
pub(super) fn criteria(mut draft: Draft) -> (GoalCriteria, Vec<String>) {
    let notes = &mut draft.notes;
    let keep_nouns = !draft.noun_alternatives;
    let excludes = terms(draft.excludes, "excluded words", notes);
    let keywords: Vec<String> = draft
        .keywords
        .into_iter()
        .filter(|(k, noun)| (keep_nouns || !noun) && !excludes.contains(k))
        .map(|(k, _)| k)
        .collect();
    let mut keywords = terms(keywords, "keywords", notes);
    let mut wishes = draft.wishes;
    if keywords.is_empty() && draft.brands.is_empty() && draft.categories.is_empty() {
        // Nothing known was named: the unknown words are the product.
        keywords = terms(std::mem::take(&mut wishes), "keywords", notes);
    }

    let mut conditions: Vec<Condition> = Vec::new();
    for c in draft.conditions {
        if !conditions.contains(&c) {
            conditions.push(c);
        }
    }
    if !draft.no_conditions.is_empty() {
        if conditions.is_empty() {
            conditions = Condition::ALL.to_vec();
        }
        conditions.retain(|c| !draft.no_conditions.contains(c));
        if conditions.is_empty() {
            notes.push("every condition was both asked for and refused; any is accepted".into());
        }
    }
    let mut markets = draft.markets;
    if !draft.no_markets.is_empty() {
        if markets.is_empty() {
            markets = STORES.iter().map(|s| (*s).to_owned()).collect();
        }
        markets.retain(|m| !draft.no_markets.contains(m));
        if markets.is_empty() {
            notes.push("every market was both asked for and refused; all are searched".into());
        }
    }

    let (mut min, mut max) = (draft.min, draft.max);
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        notes.push("the minimum price was above the maximum; they are swapped".into());
        (min, max) = (Some(hi), Some(lo));
    }
    if max.is_none() {
        for v in &draft.vague {
            notes.push(format!("\"{v}\" has no price; no maximum set"));
        }
    }
    let currency = draft.currencies.first().copied().unwrap_or(Currency::USD);
    if draft.currencies.iter().any(|c| *c != currency) {
        notes.push(format!("several currencies; {currency} is used"));
    }
    let criteria = GoalCriteria {
        keywords,
        exclude_keywords: excludes,
        categories: terms(draft.categories, "categories", notes),
        brands: terms(draft.brands, "brands", notes),
        conditions,
        min_price: min,
        max_price: max,
        currency,
        markets: terms(markets, "markets", notes),
        min_seller_rating: draft.rating,
        wishes: terms(wishes, "wishes", notes),
        specs: specs(draft.specs, notes),
    };
    if criteria.is_empty() {
        notes.push("no product, brand or category recognised".into());
    }
    (criteria, draft.notes)
}

/// Validated, de-duplicated specs; one the core refuses is noted and dropped.
fn specs(raw: Vec<SpecInput>, notes: &mut Vec<String>) -> Vec<Spec> {
    let mut out: Vec<Spec> = Vec::new();
    for input in raw.into_iter().take(MAX_LIST_LEN) {
        match Spec::parse(&input) {
            Ok(spec) if !out.contains(&spec) => out.push(spec),
            Ok(_) => {}
            Err(e) => notes.push(format!("a spec is ignored: {e}")),
        }
    }
    out
}

/// De-duplicates and applies the list and term size limits, noting what was dropped.
fn terms(raw: Vec<String>, what: &str, notes: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        if t.chars().count() > MAX_TERM_CHARS {
            notes.push(format!(
                "a word longer than {MAX_TERM_CHARS} characters is ignored"
            ));
        } else if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_LIST_LEN {
        notes.push(format!("only the first {MAX_LIST_LEN} {what} are kept"));
        out.truncate(MAX_LIST_LEN);
    }
    out
}
