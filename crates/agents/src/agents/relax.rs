//! The relaxation ladder of Deal Search: the queries tried, in order, when a store has
//! nothing that fits the goal's own query.

use deals_core::matching::noun_category;
use deals_core::{GoalCriteria, taxonomy};

use super::search::DealSearchAgent;

/// Most relaxed queries per market when a store has nothing that fits.
pub const MAX_RELAXATIONS: usize = 3;

/// The relaxed queries tried, in order, when a store returns nothing for the goal's own
/// query: without the least informative keyword (the last one that is neither a product noun
/// nor a model number), with the category's name for the product noun, then the product
/// type alone; each with why, at most [`MAX_RELAXATIONS`], none repeating an earlier text.
pub fn relaxations(criteria: &GoalCriteria) -> Vec<(String, String)> {
    let own = DealSearchAgent::query_text(criteria);
    let k = &criteria.keywords;
    let mut steps: Vec<(String, String)> = Vec::new();
    let informative = |w: &str| noun_category(w).is_some() || w.bytes().any(|b| b.is_ascii_digit());
    if k.len() > 1
        && let Some(i) = k.iter().rposition(|w| !informative(w))
    {
        let rest: Vec<&str> = (k.iter().enumerate())
            .filter(|(j, _)| *j != i)
            .map(|(_, w)| w.as_str())
            .collect();
        steps.push((rest.join(" "), format!("dropped \"{}\"", k[i])));
    }
    let leaf = criteria.categories.first().map(|c| taxonomy::leaf(c));
    if let Some(leaf) = leaf
        && let Some(i) = k
            .iter()
            .position(|w| noun_category(w).is_some() && w != leaf)
    {
        let mut swapped = k.clone();
        swapped[i] = leaf.to_owned();
        steps.push((swapped.join(" "), format!("{leaf} for {}", k[i])));
    }
    if let Some(leaf) = leaf {
        let mut words: Vec<&str> = criteria.brands.iter().map(String::as_str).collect();
        words.push(leaf);
        steps.push((words.join(" "), "product type alone".to_owned()));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (text, why) in steps {
        if text != own && !text.is_empty() && !out.iter().any(|(t, _)| *t == text) {
            out.push((text, why));
        }
    }
    out.truncate(MAX_RELAXATIONS);
    out
}
