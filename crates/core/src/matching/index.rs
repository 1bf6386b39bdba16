//! An inverted index over active goals, so that a new listing is matched against the goals
//! that share a term with it instead of every goal.
//!
//! Each goal is posted under, for every keyword and category, the most selective term of each
//! way the requirement can be met (see [`super::goal`]: all its words, or its phrase synonym),
//! and under the key of every accepted brand. A listing meeting a requirement therefore has at
//! least one of the goal's posting terms among its title, category or brand terms, so
//! [`GoalIndex::candidates`] never misses a goal that [`super::match_goal`] scores above 0.
//! Goals without any keyword, brand or category are kept in a list of goals that are always
//! candidates.

use std::collections::HashMap;
use std::hash::Hash;

use super::goal::{GoalMatch, ListingFacts};
use super::prepared::{Dict, Goal, ListingIds};
use crate::criteria::GoalCriteria;

/// Active goals, indexed by keyword, category and brand terms.
///
/// Goals live in a slab of slots; postings list slots by term id, so a look-up is an array
/// access and candidates are gathered as integers.
#[derive(Debug, Clone)]
pub struct GoalIndex<K> {
    dict: Dict,
    slots: Vec<Option<(K, Goal)>>,
    free: Vec<u32>,
    slot_of: HashMap<K, u32>,
    words: Vec<Vec<u32>>,
    brands: Vec<Vec<u32>>,
    always: Vec<u32>,
}

impl<K: Copy + Eq + Hash + Ord> Default for GoalIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Copy + Eq + Hash + Ord> GoalIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        Self {
            dict: Dict::default(),
            slots: Vec::new(),
            free: Vec::new(),
            slot_of: HashMap::new(),
            words: Vec::new(),
            brands: Vec::new(),
            always: Vec::new(),
        }
    }

    /// Adds a goal, replacing the goal of the same key if there is one.
    pub fn insert(&mut self, key: K, criteria: GoalCriteria) {
        self.remove(key);
        let goal = Goal::new(criteria, &mut self.dict);
        let slot = self.free.pop().unwrap_or(self.slots.len() as u32);
        if goal.cold.criteria.is_empty() {
            self.always.push(slot);
        }
        for &w in &goal.cold.index_words {
            post(&mut self.words, w, slot);
        }
        for &b in &goal.cold.index_brands {
            post(&mut self.brands, b, slot);
        }
        match self.slots.get_mut(slot as usize) {
            Some(s) => *s = Some((key, goal)),
            None => self.slots.push(Some((key, goal))),
        }
        self.slot_of.insert(key, slot);
    }

    /// Removes a goal; nothing happens when the key is unknown.
    pub fn remove(&mut self, key: K) {
        let Some(slot) = self.slot_of.remove(&key) else {
            return;
        };
        let Some((_, goal)) = self.slots.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.always.retain(|s| *s != slot);
        for &w in &goal.cold.index_words {
            unpost(&mut self.words, w, slot);
        }
        for &b in &goal.cold.index_brands {
            unpost(&mut self.brands, b, slot);
        }
        self.free.push(slot);
    }

    /// Number of goals.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// True when there is no goal.
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Keys of the goals that share a keyword or category term or a brand with the listing,
    /// plus the goals that are always candidates; sorted, without duplicates.
    pub fn candidates(&self, listing: &ListingFacts) -> Vec<K> {
        let ids = ListingIds::new(listing, &self.dict);
        let mut keys: Vec<K> = self.candidate_goals(&ids).map(|(k, _)| k).collect();
        keys.sort_unstable();
        keys
    }

    /// The goals that match the listing (score above 0) with their reasons, best first; equal
    /// scores are ordered by key.
    pub fn matches(&self, listing: &ListingFacts) -> Vec<(K, GoalMatch)> {
        let ids = ListingIds::new(listing, &self.dict);
        let mut hits: Vec<(K, f64, &Goal)> = self
            .candidate_goals(&ids)
            .map(|(k, g)| (k, g.score(listing, &ids), g))
            .filter(|(_, s, _)| *s > 0.0)
            .collect();
        hits.sort_by(|(ka, a, _), (kb, b, _)| b.total_cmp(a).then(ka.cmp(kb)));
        hits.into_iter()
            .map(|(k, _, g)| (k, g.explain(listing, &ids)))
            .collect()
    }

    /// The scores of the goals that match the listing (above 0), best first, without reasons:
    /// the cheap form of [`Self::matches`] for callers that explain only what they keep.
    pub fn scores(&self, listing: &ListingFacts) -> Vec<(K, f64)> {
        let ids = ListingIds::new(listing, &self.dict);
        let mut out: Vec<(K, f64)> = self
            .candidate_goals(&ids)
            .map(|(k, g)| (k, g.score(listing, &ids)))
            .filter(|(_, s)| *s > 0.0)
            .collect();
        out.sort_by(|(ka, a), (kb, b)| b.total_cmp(a).then(ka.cmp(kb)));
        out
    }

    /// The full match of one goal with the listing, reasons included; `None` for an unknown
    /// key. Pairs with [`Self::scores`] to explain only the matches a caller keeps.
    pub fn explain(&self, key: K, listing: &ListingFacts) -> Option<GoalMatch> {
        let slot = *self.slot_of.get(&key)?;
        let (_, goal) = self.slots.get(slot as usize)?.as_ref()?;
        Some(goal.explain(listing, &ListingIds::new(listing, &self.dict)))
    }

    /// The candidate goals, in slot order (memory order).
    fn candidate_goals<'a>(&'a self, ids: &ListingIds) -> impl Iterator<Item = (K, &'a Goal)> {
        let mut slots = self.always.clone();
        for &w in &ids.any {
            slots.extend(self.words.get(w as usize).into_iter().flatten());
        }
        for &b in &ids.brands {
            slots.extend(self.brands.get(b as usize).into_iter().flatten());
        }
        slots.sort_unstable();
        slots.dedup();
        slots.into_iter().filter_map(|s| {
            let (k, g) = self.slots.get(s as usize)?.as_ref()?;
            Some((*k, g))
        })
    }
}

fn post(postings: &mut Vec<Vec<u32>>, term: u32, slot: u32) {
    let i = term as usize;
    if postings.len() <= i {
        postings.resize_with(i + 1, Vec::new);
    }
    if let Some(list) = postings.get_mut(i) {
        list.push(slot);
    }
}

fn unpost(postings: &mut [Vec<u32>], term: u32, slot: u32) {
    if let Some(list) = postings.get_mut(term as usize) {
        list.retain(|s| *s != slot);
    }
}
