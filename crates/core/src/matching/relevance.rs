//! What the relevance rules add to a compiled goal: wishes (rank, never exclude), the product
//! type as taxonomy paths (a listing its store files under another known category is
//! excluded), generic product nouns a store category meets, and whether the goal asks for an
//! accessory at all (otherwise accessories are excluded; see [`super::accessory`]).

use super::prepared::{Dict, requirement};
use super::{category, lexicon, text};
use crate::criteria::GoalCriteria;
use crate::taxonomy;

/// A goal's wishes, product types and accessory stance, compiled once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Relevance {
    /// Per wish, its term ids (met when all are present).
    pub(crate) wishes: Vec<Vec<u32>>,
    /// Per keyword, the taxonomy path a store category meets it by (generic product nouns).
    pub(crate) keyword_paths: Vec<Option<&'static str>>,
    /// The goal's categories as taxonomy paths, when every one is known; a listing filed under
    /// another known path is excluded.
    pub(crate) paths: Vec<&'static str>,
    /// Whether the goal asks for an accessory (a category or keyword naming one).
    pub(crate) asks_accessory: bool,
}

impl Relevance {
    pub(crate) fn new(criteria: &GoalCriteria, dict: &mut Dict) -> Self {
        let wishes = (criteria.wishes.iter())
            .map(|w| requirement(w)[0].iter().map(|t| dict.intern(t)).collect())
            .collect();
        let keyword_paths = (criteria.keywords.iter())
            .map(|k| {
                let generic = lexicon::GENERIC_NOUNS.contains(&text::term(k.trim()).as_str());
                generic.then(|| category::noun_category(k)).flatten()
            })
            .collect();
        let known: Vec<&'static str> = (criteria.categories.iter())
            .filter_map(|c| {
                let leaf = taxonomy::leaf(c);
                taxonomy::CATEGORIES
                    .iter()
                    .copied()
                    .find(|p| *p == c.as_str() || taxonomy::leaf(p) == leaf)
            })
            .collect();
        let paths = if known.len() == criteria.categories.len() {
            known
        } else {
            Vec::new()
        };
        let asks_accessory = paths.contains(&"gaming/accessories")
            || (criteria.keywords.iter()).any(|k| {
                k.split_whitespace()
                    .any(|w| lexicon::ACCESSORY_NOUNS.contains(&text::term(w).as_str()))
            });
        Self {
            wishes,
            keyword_paths,
            paths,
            asks_accessory,
        }
    }
}
