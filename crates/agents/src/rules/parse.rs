//! The scanner: walks the tokens left to right and, at each position, tries the rules in a
//! fixed order (seller rating, price, market, filler, vague price words, negation, condition,
//! spec, feature, brand, category, context word, stop word, brand typo). What is left is a
//! hard keyword when it describes the product (a model number, a feature, a family or tier
//! word, an accessory noun, a word right after a brand) and a wish otherwise (`school`,
//! `travel`, `beach`). After a product noun, `for`, `that`, `to`… open the context: what
//! follows ranks but never excludes (`headphones for my iphone`: `iphone` is a wish).

use deals_core::Condition;
use deals_core::money::format_minor;

use super::brands::{brand_at, correct_typo};
use super::prices::{AROUND_PERCENT, Amount, Price, around_bounds, price_at};
use super::specs::spec_at;
use super::tokens::Token;
use super::vocab::{
    CATEGORIES, CONDITIONS, FEATURES, FILLER, MARKET_PREPOSITIONS, MARKETS, NEGATIONS, STOPWORDS,
    VAGUE_PRICE, lookup, phrase_len,
};
use super::words::{FAMILIES, FEATURE_WORDS};
use deals_core::matching::lexicon::{ACCESSORY_NOUNS, TIERS};
use deals_core::spec::SpecInput;

/// Words that, after a product noun, open the context (uses, people, places).
const CONTEXT_WORDS: &[&str] = &[
    "for", "that", "to", "which", "so", "because", "when", "while", "who", "as",
];

/// Everything read from the text, before normalisation.
#[derive(Debug, Default)]
pub(super) struct Draft {
    /// Keywords in text order; the flag marks category nouns.
    pub keywords: Vec<(String, bool)>,
    /// Excluded words.
    pub excludes: Vec<String>,
    /// Categories named.
    pub categories: Vec<String>,
    /// Brands named.
    pub brands: Vec<String>,
    /// Conditions asked for.
    pub conditions: Vec<Condition>,
    /// Conditions refused (`no refurbished`).
    pub no_conditions: Vec<Condition>,
    /// Markets asked for.
    pub markets: Vec<String>,
    /// Markets refused (`not on eBay`).
    pub no_markets: Vec<String>,
    /// Lowest price, minor units.
    pub min: Option<i64>,
    /// Highest price, minor units.
    pub max: Option<i64>,
    /// Currencies written with amounts, in order.
    pub currencies: Vec<deals_core::Currency>,
    /// Lowest seller rating.
    pub rating: Option<f64>,
    /// True when category nouns are given as alternatives (`laptop or tablet`).
    pub noun_alternatives: bool,
    /// Vague price words seen (`cheap`).
    pub vague: Vec<String>,
    /// Uses and context words: they rank, never exclude.
    pub wishes: Vec<String>,
    /// Numeric specs.
    pub specs: Vec<SpecInput>,
    /// Notes on what was ambiguous or ignored.
    pub notes: Vec<String>,
}

/// What a negation applies to.
enum Target {
    Condition(Condition),
    Market(&'static str),
    Word(String),
}

/// The scanner state.
pub(super) struct Parser<'a> {
    toks: &'a [Token],
    /// Tokens that were filler, left out of the title.
    pub filler: Vec<bool>,
    /// What was read.
    pub draft: Draft,
    last_market_end: Option<usize>,
    last_category_end: Option<usize>,
    last_brand_end: Option<usize>,
    last_keyword_end: Option<usize>,
    /// After a product noun and a context word: the rest ranks only.
    context: bool,
}

impl<'a> Parser<'a> {
    /// Reads every token.
    pub(super) fn run(toks: &'a [Token]) -> Self {
        let mut p = Parser {
            toks,
            filler: vec![false; toks.len()],
            draft: Draft::default(),
            last_market_end: None,
            last_category_end: None,
            last_brand_end: None,
            last_keyword_end: None,
            context: false,
        };
        let mut i = 0;
        while i < toks.len() {
            i += p.step(i).max(1);
        }
        p
    }

    fn text(&self, i: usize) -> &'a str {
        self.toks.get(i).map(|t| t.text.as_str()).unwrap_or("")
    }

    fn join(&self, i: usize, n: usize) -> String {
        let words: Vec<&str> = (i..i + n).map(|k| self.text(k)).collect();
        words.join(" ")
    }

    /// Applies the first rule that matches at `i`; returns the tokens it used.
    fn step(&mut self, i: usize) -> usize {
        let toks = self.toks;
        if let Some(n) = self.rating_at(i) {
            return n;
        }
        if let Some((price, n)) = price_at(toks, i) {
            self.apply_price(price);
            return n;
        }
        if let Some((n, m)) = self.market_at(i) {
            self.draft.markets.push(m.to_owned());
            return n;
        }
        if let Some(n) = phrase_len(toks, i, FILLER) {
            self.filler[i..i + n].fill(true);
            return n;
        }
        let word = self.text(i);
        if VAGUE_PRICE.contains(&word) {
            self.filler[i] = true;
            self.draft.vague.push(word.to_owned());
            return 1;
        }
        if let Some(n) = self.negation_at(i) {
            return n;
        }
        if let Some((n, c)) = lookup(toks, i, CONDITIONS) {
            self.draft.conditions.push(c);
            return n;
        }
        if let Some((n, spec)) = spec_at(toks, i) {
            self.draft.specs.push(spec);
            // `1TB SSD` after the product is part of the spec, not a second product.
            let drive =
                matches!(self.text(i + n), "ssd" | "hdd") && self.last_category_end.is_some();
            return n + usize::from(drive);
        }
        if let Some((n, f)) = self.feature_at(i) {
            self.keep(f);
            return n;
        }
        if let Some((n, b)) = brand_at(toks, i) {
            self.draft.brands.push(b.to_owned());
            self.last_brand_end = Some(i + n);
            return n;
        }
        if self.context
            && let Some((n, _)) = lookup(toks, i, CATEGORIES)
        {
            self.draft.wishes.push(self.join(i, n));
            return n;
        }
        if let Some((n, c)) = lookup(toks, i, CATEGORIES) {
            let mut k = i;
            while k > 0 && matches!(self.text(k - 1), "a" | "an") {
                k -= 1;
            }
            if k > 0 && self.text(k - 1) == "or" && self.last_category_end == Some(k - 1) {
                self.draft.noun_alternatives = true;
            }
            self.last_category_end = Some(i + n);
            self.draft.categories.push(c.to_owned());
            self.draft.keywords.push((self.join(i, n), true));
            return n;
        }
        if CONTEXT_WORDS.contains(&word) && self.last_category_end.is_some() {
            self.context = true;
            return 1;
        }
        let short_model = word.len() <= 2 && self.last_keyword_end == Some(i);
        if !self.context && (TIERS.contains(&word) || short_model) {
            self.keyword(i, word);
            return 1;
        }
        if STOPWORDS.contains(&word) {
            return 1;
        }
        if let Some(b) = correct_typo(word) {
            self.draft
                .notes
                .push(format!("\"{word}\" is read as the brand \"{b}\""));
            self.draft.brands.push(b.to_owned());
            self.last_brand_end = Some(i + 1);
            return 1;
        }
        let model_like = word.bytes().any(|b| b.is_ascii_digit());
        let describes = [FEATURE_WORDS, FAMILIES, TIERS, ACCESSORY_NOUNS]
            .iter()
            .any(|list| list.contains(&word));
        let after_brand = self.last_brand_end == Some(i);
        if model_like || (!self.context && (describes || after_brand)) {
            if after_brand {
                self.last_brand_end = Some(i + 1);
            }
            self.keyword(i, word);
        } else {
            self.draft.wishes.push(word.to_owned());
        }
        1
    }

    /// A hard keyword read at token `i`.
    fn keyword(&mut self, i: usize, word: &str) {
        self.last_keyword_end = Some(i + 1);
        self.draft.keywords.push((word.to_owned(), false));
    }

    /// A feature: a hard keyword, or a wish in the context part.
    fn keep(&mut self, feature: String) {
        if self.context {
            self.draft.wishes.push(feature);
        } else {
            self.draft.keywords.push((feature, false));
        }
    }

    /// `seller rating 4.5+`, `rated 4 or higher`, `at least 4 stars`, `4+ star sellers`.
    fn rating_at(&mut self, i: usize) -> Option<usize> {
        let mut j = i;
        let mut anchored = false;
        while matches!(
            self.text(j),
            "seller" | "sellers" | "seller's" | "rating" | "rated"
        ) {
            anchored = true;
            j += 1;
        }
        while let Some(n) = phrase_len(
            self.toks,
            j,
            &[
                "of", "at least", "above", "over", "min", "minimum", "with", "is", "a",
            ],
        ) {
            j += n;
        }
        let raw = self.text(j);
        let value: f64 = raw.trim_end_matches('+').parse().ok()?;
        let mut k = j + 1;
        let starred = matches!(self.text(k), "star" | "stars");
        if starred {
            k += 1;
        }
        if !(anchored || starred) || !(0.0..=5.0).contains(&value) {
            return None;
        }
        k += phrase_len(
            self.toks,
            k,
            &[
                "seller",
                "sellers",
                "rating",
                "or more",
                "or higher",
                "or better",
                "or above",
                "and up",
                "plus",
            ],
        )
        .unwrap_or(0);
        self.draft.rating = Some(value);
        Some(k - i)
    }

    fn apply_price(&mut self, price: Price) {
        let d = &mut self.draft;
        let amounts = match price {
            Price::Range(a, b) => vec![a, b],
            Price::Max(a) | Price::Min(a) | Price::Around(a) | Price::Lone(a) => vec![a],
        };
        d.currencies
            .extend(amounts.iter().filter_map(|a| a.currency));
        let shown = |a: &Amount| format_minor(a.minor);
        match price {
            Price::Max(a) => set_bound(&mut d.max, a.minor, "maximum", &mut d.notes),
            Price::Min(a) => set_bound(&mut d.min, a.minor, "minimum", &mut d.notes),
            Price::Lone(a) => {
                d.notes.push(format!(
                    "{} has no \"under\" or \"over\"; read as the maximum",
                    shown(&a)
                ));
                set_bound(&mut d.max, a.minor, "maximum", &mut d.notes);
            }
            Price::Range(a, b) => {
                set_bound(&mut d.min, a.minor.min(b.minor), "minimum", &mut d.notes);
                set_bound(&mut d.max, a.minor.max(b.minor), "maximum", &mut d.notes);
            }
            Price::Around(a) => {
                let (lo, hi) = around_bounds(a.minor);
                d.notes.push(format!(
                    "\"around {}\" is read as {}–{} (±{AROUND_PERCENT} %)",
                    shown(&a),
                    format_minor(lo),
                    format_minor(hi)
                ));
                set_bound(&mut d.min, lo, "minimum", &mut d.notes);
                set_bound(&mut d.max, hi, "maximum", &mut d.notes);
            }
        }
    }

    /// `on eBay`, `from Best Buy`, `at Target`, `Amazon`; `target` needs a preposition or a
    /// market just before it (`eBay or Target`).
    fn market_at(&mut self, i: usize) -> Option<(usize, &'static str)> {
        let prep = usize::from(MARKET_PREPOSITIONS.contains(&self.text(i)));
        let (n, m) = lookup(self.toks, i + prep, MARKETS)?;
        if m == "target" && prep == 0 {
            let after_market = self.last_market_end.is_some_and(|end| {
                end == i || (end + 1 == i && matches!(self.text(end), "or" | "and"))
            });
            if !after_market {
                return None;
            }
        }
        self.last_market_end = Some(i + prep + n);
        Some((prep + n, m))
    }

    /// The multi-word features of the list (`noise cancelling`, `over ear`).
    fn feature_at(&self, i: usize) -> Option<(usize, String)> {
        lookup(self.toks, i, FEATURES).map(|(n, f)| (n, f.to_owned()))
    }

    /// `no Apple`, `not used`, `except Amazon`, `without ads`, and lists (`no used or refurbished`).
    fn negation_at(&mut self, i: usize) -> Option<usize> {
        let mut j = i + phrase_len(self.toks, i, NEGATIONS)?;
        let mut first = true;
        while let Some((n, target)) = self.target_at(j) {
            match target {
                Target::Condition(c) => self.draft.no_conditions.push(c),
                Target::Market(m) => self.draft.no_markets.push(m.to_owned()),
                Target::Word(w) => self.draft.excludes.push(w),
            }
            j += n;
            first = false;
            if !matches!(self.text(j), "or" | "nor" | "and") || self.target_at(j + 1).is_none() {
                break;
            }
            j += 1;
        }
        (!first).then_some(j - i)
    }

    fn target_at(&mut self, j: usize) -> Option<(usize, Target)> {
        if let Some((n, c)) = lookup(self.toks, j, CONDITIONS) {
            return Some((n, Target::Condition(c)));
        }
        let prep = usize::from(MARKET_PREPOSITIONS.contains(&self.text(j)));
        if let Some((n, m)) = lookup(self.toks, j + prep, MARKETS) {
            return Some((prep + n, Target::Market(m)));
        }
        if let Some((n, b)) = brand_at(self.toks, j) {
            return Some((n, Target::Word(b.to_owned())));
        }
        if let Some((n, f)) = self.feature_at(j) {
            return Some((n, Target::Word(f)));
        }
        let word = self.text(j);
        if word.is_empty() || STOPWORDS.contains(&word) || price_at(self.toks, j).is_some() {
            return None;
        }
        let word = correct_typo(word).unwrap_or(word);
        Some((1, Target::Word(word.to_owned())))
    }
}

/// Sets a price bound, noting when an earlier one is replaced.
fn set_bound(slot: &mut Option<i64>, minor: i64, name: &str, notes: &mut Vec<String>) {
    if let Some(old) = slot.replace(minor)
        && old != minor
    {
        notes.push(format!(
            "several {name} prices; {} is used, {} ignored",
            format_minor(minor),
            format_minor(old)
        ));
    }
}
