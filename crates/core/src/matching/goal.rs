//! Goal ↔ listing matching: a score in 0..1 with the reasons behind it.
//!
//! **Hard constraints** exclude (score 0, [`GoalMatch::excluded_by`] names the first that
//! failed), checked in this order: currency (only when the goal has a price bound: amounts in
//! different currencies are not compared), `max_price`, `min_price`, excluded keywords (stem
//! and synonym aware: excluding `refurbished` also excludes `Renewed`), `conditions`,
//! `markets`, a stated brand outside the goal's `brands` (a listing whose store states another
//! brand is excluded; one that states none stays a candidate), `min_seller_rating` (an unknown
//! rating does not exclude; the reasons say so), numeric `specs` (a title stating no amount
//! of the quantity is excluded too), the product type (a listing its store files under
//! another known category than the goal's is excluded: a monitor is not a TV however its title
//! reads), and accessories (a controller *for* a PS5 is excluded unless the goal asks for an
//! accessory; see [`super::accessory`]).
//!
//! **Soft criteria** rank: keyword coverage (share of the goal's keywords found in the title;
//! a multi-word keyword counts when all its words appear, in any order, or when its phrase
//! synonym does: `noise cancelling` ~ `ANC`), brand (the listing's brand or a brand word in
//! the title) and category (the listing's category or the title contains the category's
//! words; a generic product noun keyword such as `tv` is also met by the store category), and
//! wishes (share of the goal's use and context words found in the title or category; they
//! rank, never exclude). The score is the weighted mean over the soft criteria the goal
//! states, with weights [`KEYWORD_WEIGHT`], [`BRAND_WEIGHT`], [`CATEGORY_WEIGHT`] and
//! [`WISH_WEIGHT`]; wishes alone never make a match. [`GoalMatch::full`] says whether every
//! keyword was found: the strict reading a search uses. A listing matching none of
//! them scores 0, excluded by `nothing in common`. A goal with no keyword, brand or category
//! scores [`NEUTRAL_SCORE`] for every listing that passes its hard constraints.

use std::fmt;

use serde::Serialize;

use super::prepared::{Dict, Explain, Goal, ListingIds, Quiet};
use crate::criteria::GoalCriteria;
use crate::enums::Condition;
use crate::money::{Currency, Money};
use crate::taxonomy;

/// Weight of keyword coverage in the score.
pub const KEYWORD_WEIGHT: f64 = 0.6;
/// Weight of a brand match in the score.
pub const BRAND_WEIGHT: f64 = 0.25;
/// Weight of a category match in the score.
pub const CATEGORY_WEIGHT: f64 = 0.15;
/// Weight of the wishes met in the score (only when the goal has wishes).
pub const WISH_WEIGHT: f64 = 0.1;
/// Score of a listing passing the hard constraints of a goal that has no keyword, brand or
/// category.
pub const NEUTRAL_SCORE: f64 = 0.5;

/// What the goal matcher needs to know about a listing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListingFacts<'a> {
    /// The listing title.
    pub title: &'a str,
    /// Brand, when the store states it.
    pub brand: Option<&'a str>,
    /// The store's category (a name or a path such as `Electronics > Headphones`).
    pub category: Option<&'a str>,
    /// Market the listing comes from, e.g. `amazon`.
    pub market: &'a str,
    /// Item condition.
    pub condition: Condition,
    /// Current price in minor units.
    pub price_minor: i64,
    /// ISO 4217 code of the price.
    pub currency: &'a str,
    /// Seller rating on a 0–5 scale, when known.
    pub seller_rating: Option<f64>,
}

/// How well a listing fits a goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalMatch {
    /// 0 (excluded or nothing in common) to 1 (every keyword, the brand and the category).
    pub score: f64,
    /// Human-readable lines, soft criteria first: `keyword: noise cancelling`,
    /// `brand: sony`, `price $279.99 ≤ max $300.00`.
    pub reasons: Vec<String>,
    /// The hard constraint that excluded the listing, if any.
    pub excluded_by: Option<String>,
    /// Not excluded and every keyword found.
    pub full: bool,
}

/// Matches one listing against one goal's criteria.
pub fn match_goal(criteria: &GoalCriteria, listing: &ListingFacts) -> GoalMatch {
    let mut dict = Dict::default();
    let goal = Goal::new(criteria.clone(), &mut dict);
    goal.explain(listing, &ListingIds::new(listing, &dict))
}

impl Goal {
    /// The full match with its reasons.
    pub(crate) fn explain(&self, listing: &ListingFacts, ids: &ListingIds) -> GoalMatch {
        let mut reasons = Reasons {
            lines: Vec::with_capacity(8),
            soft_end: 0,
            excluded_by: None,
            missing: 0,
        };
        let score = self.evaluate(listing, ids, &mut reasons);
        GoalMatch {
            score,
            full: score > 0.0 && reasons.excluded_by.is_none() && reasons.missing == 0,
            reasons: reasons.lines,
            excluded_by: reasons.excluded_by,
        }
    }

    /// The score alone, without building any text.
    pub(crate) fn score(&self, listing: &ListingFacts, ids: &ListingIds) -> f64 {
        self.evaluate(listing, ids, &mut Quiet)
    }

    fn evaluate<E: Explain>(&self, l: &ListingFacts, ids: &ListingIds, e: &mut E) -> f64 {
        if self.passes_hard(l, ids, e) {
            self.soft_score(ids, e)
        } else {
            0.0
        }
    }

    fn passes_hard<E: Explain>(&self, l: &ListingFacts, ids: &ListingIds, e: &mut E) -> bool {
        let price = |minor| Price(minor, self.currency);
        if (self.min_price().is_some() || self.max_price().is_some())
            && !l
                .currency
                .trim()
                .eq_ignore_ascii_case(self.currency.as_str())
        {
            e.exclude(|| {
                let cur = l.currency.trim().to_ascii_uppercase();
                format!("currency {cur} is not the goal's {}", self.currency)
            });
            return false;
        }
        if let Some(max) = self.max_price() {
            if l.price_minor > max {
                e.exclude(|| format!("price {} > max {}", price(l.price_minor), price(max)));
                return false;
            }
            e.hard(|| format!("price {} ≤ max {}", price(l.price_minor), price(max)));
        }
        if let Some(min) = self.min_price() {
            if l.price_minor < min {
                e.exclude(|| format!("price {} < min {}", price(l.price_minor), price(min)));
                return false;
            }
            e.hard(|| format!("price {} ≥ min {}", price(l.price_minor), price(min)));
        }
        if let Some(i) = self.section(0, &ids.title).position(|met| met) {
            e.exclude(|| {
                let x = label(&self.cold.criteria.exclude_keywords, i);
                format!("excluded keyword: {x}")
            });
            return false;
        }
        if !self.accepts_condition(l.condition) {
            e.exclude(|| {
                let c = &self.cold.criteria.conditions;
                let ok: Vec<&str> = c.iter().map(Condition::as_str).collect();
                format!("condition {} not accepted ({})", l.condition, ok.join(", "))
            });
            return false;
        }
        if self.has_conditions() {
            e.hard(|| format!("condition: {}", l.condition));
        }
        if !self.accepts_market(ids.market) {
            e.exclude(|| {
                let m = l.market.trim().to_lowercase();
                format!(
                    "market {m} not searched ({})",
                    self.cold.criteria.markets.join(", ")
                )
            });
            return false;
        }
        if self.has_markets() {
            e.hard(|| format!("market: {}", l.market.trim().to_lowercase()));
        }
        // A listing that states another brand is not what a goal naming brands asks for; a
        // listing that states none stays a candidate (its brand may only be in the title).
        if self.count(3) > 0
            && let Some(stated) = l.brand.map(str::trim).filter(|b| !b.is_empty())
            && !self
                .brands()
                .iter()
                .any(|b| ids.brands.binary_search(b).is_ok())
        {
            e.exclude(|| {
                let wanted = self.cold.criteria.brands.join(" or ");
                format!("brand {} is not {wanted}", stated.to_lowercase())
            });
            return false;
        }
        if !self.passes_relevance(l, ids, e) {
            return false;
        }
        if let Some(min) = self.min_rating() {
            match l.seller_rating.filter(|r| r.is_finite()) {
                Some(r) if r < min => {
                    e.exclude(|| format!("seller rating {r:.1} < min {min:.1}"));
                    return false;
                }
                Some(r) => e.hard(|| format!("seller rating {r:.1} ≥ {min:.1}")),
                None => e.hard(|| format!("seller rating unknown (min {min:.1})")),
            }
        }
        true
    }

    /// Specs, the product type as the store files it, and accessories.
    fn passes_relevance<E: Explain>(&self, l: &ListingFacts, ids: &ListingIds, e: &mut E) -> bool {
        let rel = &self.cold.relevance;
        for spec in &self.cold.criteria.specs {
            match spec.met_by(l.title) {
                Some(true) => e.hard(|| format!("spec: {spec}")),
                Some(false) => {
                    e.exclude(|| format!("spec not met: {spec}"));
                    return false;
                }
                None => {
                    e.exclude(|| format!("spec not stated: {spec}"));
                    return false;
                }
            }
        }
        if let Some(path) = ids.path
            && !rel.paths.is_empty()
            && !rel.paths.contains(&path)
        {
            e.exclude(|| {
                let wanted: Vec<&str> = rel.paths.iter().map(|p| taxonomy::leaf(p)).collect();
                let leaf = taxonomy::leaf(path);
                format!(
                    "filed under {leaf} by the store, not {}",
                    wanted.join(" or ")
                )
            });
            return false;
        }
        if let Some(a) = &ids.accessory
            && !rel.asks_accessory
        {
            e.exclude(|| format!("accessory: {}", a.describe()));
            return false;
        }
        true
    }

    fn soft_score<E: Explain>(&self, ids: &ListingIds, e: &mut E) -> f64 {
        let c = &self.cold.criteria;
        let rel = &self.cold.relevance;
        let (mut weights, mut total, mut any) = (0.0, 0.0, false);
        let n_keywords = self.count(1);
        if n_keywords > 0 {
            let mut found = 0usize;
            for (i, met) in self.section(1, &ids.title).enumerate() {
                let by_category = || {
                    let path = rel.keyword_paths.get(i).copied().flatten();
                    path.is_some() && path == ids.path
                };
                if met || by_category() {
                    found += 1;
                    e.soft(|| format!("keyword: {}", label(&c.keywords, i)));
                } else {
                    e.missing();
                    e.soft(|| format!("missing keyword: {}", label(&c.keywords, i)));
                }
            }
            weights += KEYWORD_WEIGHT;
            total += KEYWORD_WEIGHT * found as f64 / n_keywords as f64;
            any |= found > 0;
        }
        if self.count(3) > 0 {
            weights += BRAND_WEIGHT;
            let hit = self
                .brands()
                .iter()
                .position(|b| ids.brands.binary_search(b).is_ok());
            match hit {
                Some(i) => {
                    total += BRAND_WEIGHT;
                    any = true;
                    e.soft(|| format!("brand: {}", label(&c.brands, i)));
                }
                None => e.soft(|| format!("brand is not {}", c.brands.join(" or "))),
            }
        }
        if self.count(2) > 0 {
            weights += CATEGORY_WEIGHT;
            match self.section(2, &ids.any).position(|met| met) {
                Some(i) => {
                    total += CATEGORY_WEIGHT;
                    any = true;
                    e.soft(|| format!("category: {}", label(&c.categories, i)));
                }
                None => e.soft(|| format!("category is not {}", c.categories.join(" or "))),
            }
        }
        if !rel.wishes.is_empty() && weights > 0.0 {
            let met =
                |w: &Vec<u32>| !w.is_empty() && w.iter().all(|t| ids.any.binary_search(t).is_ok());
            let n = rel.wishes.iter().filter(|w| met(w)).count();
            for (i, _) in rel.wishes.iter().enumerate().filter(|(_, w)| met(w)) {
                e.soft(|| format!("wish: {}", label(&c.wishes, i)));
            }
            weights += WISH_WEIGHT;
            total += WISH_WEIGHT * n as f64 / rel.wishes.len() as f64;
        }
        if weights == 0.0 {
            e.soft(|| "no keyword, brand or category: only the constraints apply".to_owned());
            return NEUTRAL_SCORE;
        }
        if !any {
            e.exclude(|| "nothing in common".to_owned());
            return 0.0;
        }
        total / weights
    }
}

fn label(labels: &[String], i: usize) -> &str {
    labels.get(i).map_or("", String::as_str)
}

/// A price as reasons show it: `$279.99` for dollars, euros and pounds; `279.99 CAD`
/// otherwise.
struct Price(i64, Currency);

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self.1.as_str() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => return Money::new(self.0, self.1).fmt(f),
        };
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{symbol}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Collects every line, soft ones first.
struct Reasons {
    lines: Vec<String>,
    soft_end: usize,
    excluded_by: Option<String>,
    missing: usize,
}

impl Explain for Reasons {
    fn soft(&mut self, line: impl FnOnce() -> String) {
        self.lines.insert(self.soft_end, line());
        self.soft_end += 1;
    }
    fn hard(&mut self, line: impl FnOnce() -> String) {
        self.lines.push(line());
    }
    fn exclude(&mut self, why: impl FnOnce() -> String) {
        self.excluded_by = Some(why());
    }
    fn missing(&mut self) {
        self.missing += 1;
    }
}
