//! Goals and listings compiled once, so that matching one listing against many goals is a few
//! integer look-ups per goal.
//!
//! Terms are interned as dense ids in a [`Dict`]. A goal becomes a [`Goal`]: its hard
//! constraints as plain values and its keywords, excluded keywords, categories and brands as
//! one flat program of term ids, stored inside the goal when short, so that scoring a
//! candidate costs about one cache miss; what only explanations need sits behind one pointer.
//! A listing becomes sorted id lists ([`ListingIds`]); terms absent from the dictionary are
//! dropped, as no goal can ask for them.

use std::collections::HashMap;

use super::accessory::{self, Accessory};
use super::goal::ListingFacts;
use super::relevance::Relevance;
use super::text::{self, TermKind};
use crate::criteria::GoalCriteria;
use crate::enums::Condition;
use crate::money::Currency;

/// Where the matcher writes its reasons; the text is only built when someone reads it.
pub(crate) trait Explain {
    /// A line about a soft criterion.
    fn soft(&mut self, line: impl FnOnce() -> String);
    /// A line about a hard constraint that passed.
    fn hard(&mut self, line: impl FnOnce() -> String);
    /// The hard constraint that excluded the listing.
    fn exclude(&mut self, why: impl FnOnce() -> String);
    /// A keyword was not found.
    fn missing(&mut self) {}
}

/// Discards every line (scoring only).
pub(crate) struct Quiet;

impl Explain for Quiet {
    fn soft(&mut self, _: impl FnOnce() -> String) {}
    fn hard(&mut self, _: impl FnOnce() -> String) {}
    fn exclude(&mut self, _: impl FnOnce() -> String) {}
}

/// Interned terms. Ids are never reused, so the dictionary grows with the vocabulary of every
/// goal ever inserted (words, brand keys and markets), not with the number of goals.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict(HashMap<String, u32>);

impl Dict {
    /// The id of a term, adding it when new.
    pub(crate) fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.0.get(term) {
            return id;
        }
        let id = self.0.len() as u32;
        self.0.insert(term.to_owned(), id);
        id
    }

    /// The id of a known term.
    pub(crate) fn get(&self, term: &str) -> Option<u32> {
        self.0.get(term).copied()
    }
}

/// A keyword, excluded keyword or category as text: met when all its `words` are present, or
/// all its `phrased` terms (the same with multi-word synonyms folded: `noise cancelling` →
/// `anc`). Stop words are dropped unless the requirement has nothing else.
pub(crate) fn requirement(label: &str) -> [Vec<String>; 2] {
    let terms = text::analyze(label);
    [TermKind::Phrase, TermKind::PhraseWord].map(|skip| {
        let all: Vec<&str> = terms
            .iter()
            .filter(|t| t.kind != skip)
            .map(|t| t.text.as_str())
            .collect();
        let kept: Vec<&str> = all
            .iter()
            .copied()
            .filter(|t| !text::is_stopword(t))
            .collect();
        let mut kept: Vec<String> = if kept.is_empty() { all } else { kept }
            .into_iter()
            .map(str::to_owned)
            .collect();
        kept.sort_unstable();
        kept.dedup();
        kept
    })
}

/// The most selective term of a list: one with a digit, else the longest.
fn most_selective(v: &[String]) -> Option<&str> {
    v.iter()
        .max_by_key(|t| (text::has_digit(t), t.len()))
        .map(String::as_str)
}

/// Longest program kept inside the [`Goal`] itself (most goals), so that scoring a candidate
/// touches one place in memory.
const INLINE: usize = 19;

/// A goal's term ids: `[n_excludes, n_keywords, n_categories, n_brands]`, then per
/// requirement `len, words…, len, phrased…` (phrased empty when equal to words), then brand
/// ids.
#[derive(Debug, Clone)]
enum Program {
    Inline(u8, [u32; INLINE]),
    Heap(Box<[u32]>),
}

impl Program {
    fn new(ids: Vec<u32>) -> Self {
        let mut inline = [0; INLINE];
        match inline.get_mut(..ids.len()) {
            Some(head) => {
                head.copy_from_slice(&ids);
                Program::Inline(ids.len() as u8, inline)
            }
            None => Program::Heap(ids.into()),
        }
    }

    fn ids(&self) -> &[u32] {
        match self {
            Program::Inline(n, ids) => ids.get(..*n as usize).unwrap_or(&[]),
            Program::Heap(ids) => ids,
        }
    }
}

/// The parts of a goal that only explanations and index maintenance read.
#[derive(Debug, Clone)]
pub(crate) struct Cold {
    /// The criteria, for reason texts.
    pub(crate) criteria: GoalCriteria,
    /// Interned market names; empty accepts any.
    markets: Box<[u32]>,
    /// Word ids the goal is posted under in an index.
    pub(crate) index_words: Vec<u32>,
    /// Brand ids the goal is posted under in an index.
    pub(crate) index_brands: Vec<u32>,
    /// What only the relevance rules read (wishes, product types, accessories).
    pub(crate) relevance: Relevance,
}

/// A goal compiled against a [`Dict`]: what scoring reads, in about two cache lines.
#[derive(Debug, Clone)]
pub(crate) struct Goal {
    program: Program,
    /// Lowest price in minor units; `i64::MIN` when none.
    min_price: i64,
    /// Highest price in minor units; `i64::MAX` when none.
    max_price: i64,
    /// Lowest seller rating; NaN when none.
    min_rating: f64,
    /// Currency of the price bounds.
    pub(crate) currency: Currency,
    /// Accepted conditions as bits of [`Condition::ALL`]; 0 accepts any.
    conditions: u8,
    has_markets: bool,
    /// Everything else.
    pub(crate) cold: Box<Cold>,
}

impl Goal {
    /// Compiles criteria, interning their terms.
    pub(crate) fn new(criteria: GoalCriteria, dict: &mut Dict) -> Self {
        let mut program = vec![
            criteria.exclude_keywords.len() as u32,
            criteria.keywords.len() as u32,
            criteria.categories.len() as u32,
            criteria.brands.len() as u32,
        ];
        let mut index_words = Vec::new();
        let sections = [
            (&criteria.exclude_keywords, false),
            (&criteria.keywords, true),
            (&criteria.categories, true),
        ];
        for (i, (labels, indexed)) in sections.into_iter().enumerate() {
            for label in labels {
                // A category path is matched by its leaf: `audio/headphones` → `headphones`.
                let label = if i == 2 {
                    crate::taxonomy::leaf(label)
                } else {
                    label
                };
                let [words, phrased] = requirement(label);
                let phrased = if phrased == words { vec![] } else { phrased };
                for list in [&words, &phrased] {
                    program.push(list.len() as u32);
                    program.extend(list.iter().map(|t| dict.intern(t)));
                    if indexed {
                        index_words.extend(most_selective(list).map(|t| dict.intern(t)));
                    }
                }
            }
        }
        let mut index_brands = Vec::new();
        for b in &criteria.brands {
            let id = dict.intern(&text::normalize_brand(b));
            program.push(id);
            index_brands.push(id);
        }
        for ids in [&mut index_words, &mut index_brands] {
            ids.sort_unstable();
            ids.dedup();
        }
        let relevance = Relevance::new(&criteria, dict);
        let markets: Box<[u32]> = (criteria.markets.iter())
            .map(|m| dict.intern(&m.trim().to_lowercase()))
            .collect();
        Self {
            program: Program::new(program),
            min_price: criteria.min_price.unwrap_or(i64::MIN),
            max_price: criteria.max_price.unwrap_or(i64::MAX),
            min_rating: criteria.min_seller_rating.unwrap_or(f64::NAN),
            currency: criteria.currency,
            conditions: criteria
                .conditions
                .iter()
                .fold(0, |bits, c| bits | condition_bit(*c)),
            has_markets: !markets.is_empty(),
            cold: Box::new(Cold {
                criteria,
                markets,
                index_words,
                index_brands,
                relevance,
            }),
        }
    }

    /// Lowest price in minor units.
    pub(crate) fn min_price(&self) -> Option<i64> {
        (self.min_price != i64::MIN).then_some(self.min_price)
    }

    /// Highest price in minor units.
    pub(crate) fn max_price(&self) -> Option<i64> {
        (self.max_price != i64::MAX).then_some(self.max_price)
    }

    /// Lowest seller rating.
    pub(crate) fn min_rating(&self) -> Option<f64> {
        (!self.min_rating.is_nan()).then_some(self.min_rating)
    }

    /// Number of requirements in a section: 0 excluded keywords, 1 keywords, 2 categories,
    /// 3 brands.
    pub(crate) fn count(&self, which: usize) -> usize {
        self.program.ids().get(which).copied().unwrap_or(0) as usize
    }

    /// Whether the goal states an accepted condition.
    pub(crate) fn has_conditions(&self) -> bool {
        self.conditions != 0
    }

    /// Whether the goal states accepted markets.
    pub(crate) fn has_markets(&self) -> bool {
        self.has_markets
    }

    /// Whether the goal accepts the condition.
    pub(crate) fn accepts_condition(&self, c: Condition) -> bool {
        self.conditions == 0 || self.conditions & condition_bit(c) != 0
    }

    /// Whether the goal accepts the (interned) market.
    pub(crate) fn accepts_market(&self, market: Option<u32>) -> bool {
        !self.has_markets || market.is_some_and(|m| self.cold.markets.contains(&m))
    }

    /// The requirements of one section: 0 excluded keywords, 1 keywords, 2 categories. Each
    /// item tells whether the requirement is met by a text with the sorted ids `present`.
    pub(crate) fn section<'a>(
        &'a self,
        which: usize,
        present: &'a [u32],
    ) -> impl Iterator<Item = bool> + 'a {
        let program = self.program.ids();
        let counts = program.get(..4).unwrap_or(&[]);
        let skip: usize = counts.iter().take(which).map(|&n| n as usize).sum();
        let mut rest = program.get(4..).unwrap_or(&[]);
        for _ in 0..skip * 2 {
            rest = take(rest).1;
        }
        (0..self.count(which)).map(move |_| {
            let (words, after) = take(rest);
            let (phrased, after) = take(after);
            rest = after;
            let all =
                |v: &[u32]| !v.is_empty() && v.iter().all(|t| present.binary_search(t).is_ok());
            all(words) || all(phrased)
        })
    }

    /// Brand ids, in the order of the criteria.
    pub(crate) fn brands(&self) -> &[u32] {
        let program = self.program.ids();
        let n = self.count(3);
        program
            .get(program.len().saturating_sub(n)..)
            .unwrap_or(&[])
    }
}

/// Splits `len, items…` off the front of a program.
fn take(p: &[u32]) -> (&[u32], &[u32]) {
    let n = p.first().copied().unwrap_or(0) as usize;
    let rest = p.get(1..).unwrap_or(&[]);
    rest.split_at(n.min(rest.len()))
}

fn condition_bit(c: Condition) -> u8 {
    let i = Condition::ALL.iter().position(|x| *x == c).unwrap_or(0);
    1 << i
}

/// A listing's terms as sorted ids of a [`Dict`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ListingIds {
    /// Title terms.
    pub(crate) title: Vec<u32>,
    /// Title and category terms.
    pub(crate) any: Vec<u32>,
    /// Brand keys: the listing's brand and the brand words of its title.
    pub(crate) brands: Vec<u32>,
    /// The market.
    pub(crate) market: Option<u32>,
    /// The taxonomy path of the store category, when it names one.
    pub(crate) path: Option<&'static str>,
    /// What the listing is an accessory of, when it is one.
    pub(crate) accessory: Option<Accessory>,
}

impl ListingIds {
    /// Analyses a listing and looks its terms up.
    pub(crate) fn new(l: &ListingFacts, dict: &Dict) -> Self {
        let ids = |terms: Vec<String>| {
            let mut v: Vec<u32> = terms.iter().filter_map(|t| dict.get(t)).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let words = |s: &str| text::analyze(s).into_iter().map(|t| t.text);
        let title = ids(words(l.title).collect());
        let any = ids(words(l.title)
            .chain(l.category.into_iter().flat_map(words))
            .collect());
        let mut brands = text::brand_keys(l.title);
        brands.extend(l.brand.map(text::normalize_brand).filter(|b| !b.is_empty()));
        Self {
            title,
            any,
            brands: ids(brands),
            market: dict.get(&l.market.trim().to_lowercase()),
            path: (l.category.and_then(super::category::category_of))
                .or_else(|| super::category::category_of_title(l.title)),
            accessory: accessory::accessory(l.title, l.category),
        }
    }
}
