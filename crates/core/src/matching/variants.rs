//! Variant attributes read from a product title: the differences that make two otherwise
//! similar titles different products (`128GB` vs `256GB`, `55"` vs `65"`, `Black` vs `White`,
//! `Gen 2` vs `Gen 3`, `WH-1000XM4` vs `WH-1000XM5`, `2-pack`, `Pro`, `Renewed`, `Case for…`).
//!
//! Two kinds of comparison:
//! - *present in both and different*: measures (per unit kind), colours, generations, model
//!   tokens and carriers conflict only when both titles state them and neither set is contained
//!   in the other (`{16gb, 512gb}` vs `{512gb}` is compatible, `{128gb}` vs `{256gb}` is not);
//! - a one-letter colour code after a model number (`WH-1000XM5/B`) must agree with the colour
//!   word of a title that has no code (`/B` is black, so not `Silver`);
//! - *absence is meaningful*: pack count (none means 1), condition (none means new), tier words
//!   (`Pro`, `Max`; none means the base model) and accessory words must be equal.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

use super::lexicon;
use super::model;
use super::text::{self, Term, TermKind};

/// Variant attributes of one title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Variants {
    measures: BTreeMap<&'static str, BTreeSet<String>>,
    colours: BTreeSet<String>,
    generations: BTreeSet<String>,
    models: BTreeSet<String>,
    colour_code: Option<String>,
    carriers: BTreeSet<String>,
    pack: Option<String>,
    conditions: BTreeSet<&'static str>,
    tiers: BTreeSet<String>,
    accessories: BTreeSet<String>,
    /// The [`ROMAN`] numerals among `models`, a bit each (compared per pair without lookups).
    romans: u8,
}

impl Variants {
    /// Reads the variants of analysed title terms (phrase parts are skipped: `Ultra HD` is not
    /// the `Ultra` tier).
    pub(crate) fn of(terms: &[Term]) -> Self {
        let mut v = Self::default();
        let mut before_with = true;
        let mut prev = "";
        let words: Vec<&str> = (terms.iter())
            .filter(|t| t.kind != TermKind::PhraseWord)
            .map(|t| t.text.as_str())
            .collect();
        for (i, &s) in words.iter().enumerate() {
            let next = words.get(i + 1).copied().unwrap_or_default();
            if LISTS.with.contains(s) {
                before_with = false;
            } else if let Some((kind, value)) = measure(s) {
                if kind == "pk" {
                    v.pack.get_or_insert_with(|| value.to_owned());
                } else {
                    v.measures.entry(kind).or_default().insert(value.to_owned());
                }
            } else if s.starts_with("gen")
                && s.len() > 3
                && s[3..].bytes().all(|b| b.is_ascii_digit())
            {
                v.generations.insert(s.to_owned());
            } else if LISTS.colours.contains(s) || EXTRA_COLOURS.contains(&s) {
                v.colours.insert(s.to_owned());
            } else if LISTS.tiers.contains(s) || EXTRA_TIERS.contains(&s) {
                // `Core Ultra 7`, `Snapdragon X Plus` name a processor, not the tier.
                if !matches!(prev, "core" | "x") {
                    v.tiers.insert(s.to_owned());
                }
            } else if LISTS.accessories.contains(s) {
                let modifier =
                    (s == "case" && prev == "charge") || (s == "stand" && next == "mixer");
                if before_with && !modifier {
                    v.accessories.insert(s.to_owned());
                }
            } else if LISTS.carriers.contains(s) {
                v.carriers.insert(s.to_owned());
            } else if let Some(c) = LISTS.conditions.iter().find(|(w, _)| w == s) {
                v.conditions.insert(c.1);
            } else if s == LISTS.remanufactured {
                v.conditions.insert("refurbished");
            } else if is_model_token(s) {
                if let Some(colour) =
                    (s.len() == 1 && text::has_digit(prev) && measure(prev).is_none())
                        .then(|| colour_of_code(s))
                        .flatten()
                {
                    v.colour_code = Some(colour);
                }
                v.add_model_token(s.to_owned());
            }
            prev = s;
        }
        v
    }

    /// Adds the tokens of a store-supplied model field as model tokens.
    pub(crate) fn add_model(&mut self, model: &str) {
        for t in text::tokens(model) {
            if text::has_digit(&t) && measure(&t).is_none() {
                self.add_model_token(t);
            }
        }
    }

    /// The model tokens specific enough to identify a product on their own (`qn90c`,
    /// `wh1000xm5`; not `4k`, `5g` or `1080p`).
    pub(crate) fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.models
            .iter()
            .map(String::as_str)
            .filter(|m| is_identifier(m))
    }

    /// Model and generation tokens, which anchor a short title to a longer one.
    pub(crate) fn anchors(&self) -> impl Iterator<Item = &str> {
        self.models
            .iter()
            .chain(&self.generations)
            .map(String::as_str)
            .filter(|m| text::has_digit(m))
    }

    /// The differences that always make another product: condition, colours, a colour code
    /// against a colour word and measures (storage, memory, screen and other sizes); unless the
    /// titles share a strong model code (`shared_code`), also accessory words.
    pub(crate) fn hard_conflict(&self, o: &Self, shared_code: bool) -> bool {
        let only_new = |v: &Self| v.conditions.iter().all(|c| *c == "new");
        let conditions_differ = if only_new(self) || only_new(o) {
            !(only_new(self) && only_new(o))
        } else {
            self.conditions != o.conditions
        };
        (!shared_code && self.accessories != o.accessories)
            || self.code_contradicts(o)
            || o.code_contradicts(self)
            || conditions_differ
            || sets_conflict(&self.colours, &o.colours, |a, b| a == b)
            || self.measures.iter().any(|(kind, a)| {
                o.measures
                    .get(kind)
                    .is_some_and(|b| sets_conflict(a, b, |x, y| x == y))
            })
    }

    /// The differences stores also write differently for one product, which the rules and the
    /// learned model weigh: `[pack, tiers, generations, carriers, model tokens, roman
    /// numerals, accessory words, colour code]` (tiers, model tokens and numerals only with
    /// `strict_models`).
    pub(crate) fn soft_conflicts<'a>(&'a self, o: &'a Self, strict_models: bool) -> [bool; 8] {
        let pack = |v: &'a Self| v.pack.as_deref().unwrap_or("1pk");
        [
            pack(self) != pack(o),
            strict_models && self.tiers != o.tiers,
            sets_conflict(&self.generations, &o.generations, |a, b| a == b),
            sets_conflict(&self.carriers, &o.carriers, |a, b| a == b),
            strict_models && sets_conflict(&self.models, &o.models, models_compatible),
            strict_models && self.romans != o.romans,
            self.accessories != o.accessories,
            self.code_contradicts(o) || o.code_contradicts(self),
        ]
    }
}

impl Variants {
    /// Adds a model token. Roman numerals among them are also kept as bits: `QuietComfort
    /// Earbuds II` is not the first model, so absence is meaningful.
    fn add_model_token(&mut self, token: String) {
        if let Some(i) = ROMAN.iter().position(|r| *r == token) {
            self.romans |= 1 << i;
        }
        self.models.insert(token);
    }

    /// A colour code here (`/B`), none there, and there a colour word that is not the code's.
    fn code_contradicts(&self, o: &Self) -> bool {
        self.colour_code.as_ref().is_some_and(|code| {
            o.colour_code.is_none() && !o.colours.is_empty() && !o.colours.contains(code)
        })
    }
}

/// The colour term of a one-letter colour code (`b` black, `s` silver…), or the letter itself
/// when it is unknown; none for a digit or an `x` (`1 3 cut`, `5 x 8`), which say nothing about
/// the colour.
fn colour_of_code(letter: &str) -> Option<String> {
    if letter == "x" || !letter.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    Some(
        lexicon::COLOUR_CODES
            .iter()
            .find(|(l, _)| *l == letter)
            .map_or_else(|| letter.to_owned(), |(_, colour)| text::term(colour)),
    )
}

/// Both sets non-empty and neither covered by the other.
fn sets_conflict(
    a: &BTreeSet<String>,
    b: &BTreeSet<String>,
    same: impl Fn(&str, &str) -> bool,
) -> bool {
    let covers =
        |x: &BTreeSet<String>, y: &BTreeSet<String>| x.iter().all(|i| y.iter().any(|j| same(i, j)));
    !a.is_empty() && !b.is_empty() && !covers(a, b) && !covers(b, a)
}

/// Equal, or the longer adds a short prefix or letter suffix to the shorter, which is an
/// identifier (`qn65qn90c` ~ `qn90c`, `wh1000xm5` ~ `1000xm5`; not `hf10` ~ `hf100`).
pub(crate) fn models_compatible(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    a == b || (is_identifier(short) && model::extends(short, long))
}

/// A term that is a number with a unit: `(kind, value)`. Gigabytes, terabytes and megabytes
/// share the kind `capacity`; every other unit is its own kind.
fn measure(t: &str) -> Option<(&'static str, &str)> {
    let at = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    if at == 0 {
        return None;
    }
    let unit = &t[at..];
    let kind = match unit {
        "gb" | "tb" | "mb" => "capacity",
        _ => lexicon::UNITS.iter().find(|(_, u)| *u == unit)?.1,
    };
    Some((kind, t))
}

/// Tokens that name a model: containing a digit (`15`, `qn90c`), single letters (`Series X`,
/// the `/B` of `WH-1000XM5/B`) and roman numerals.
fn is_model_token(t: &str) -> bool {
    text::has_digit(t)
        || (t.len() == 1 && t.bytes().all(|b| b.is_ascii_lowercase()) && t != "a" && t != "w")
        || ROMAN.contains(&t)
}

/// At least four characters, letters and digits, and not a generic spec such as `1080p`,
/// `4k`, `5g`, `ddr5` or `wifi6`.
fn is_identifier(t: &str) -> bool {
    const GENERIC_PREFIXES: &[&str] = &["ddr", "wifi", "usb", "gen", "hdmi", "pcie"];
    let letters = t.bytes().filter(u8::is_ascii_alphabetic).count();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let spec = t.len() > 1
        && t[..t.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && t.ends_with(['p', 'k', 'g']);
    t.len() >= 4
        && letters > 0
        && digits > 0
        && !spec
        && !GENERIC_PREFIXES.iter().any(|p| t.starts_with(p))
}

/// Roman numerals read as model tokens (at most 8: a bit each in `Variants::romans`).
const ROMAN: &[&str] = &["ii", "iii", "iv", "vi", "vii", "viii"];

/// Colour words beyond the lexicon's (as terms).
const EXTRA_COLOURS: &[&str] = &[
    "violet",
    "plum",
    "magenta",
    "cyan",
    "turquoise",
    "aqua",
    "burgundy",
    "maroon",
    "lime",
    "olive",
    "tan",
    "khaki",
    "gunmetal",
    "platinum",
    "copper",
    "fuchsia",
    "indigo",
];

/// Tier words beyond the lexicon's: `Pixel 9 Pro XL`, `DualSense Edge`.
const EXTRA_TIERS: &[&str] = &["xl", "edge"];

struct Lists {
    with: HashSet<String>,
    colours: HashSet<String>,
    tiers: HashSet<String>,
    accessories: HashSet<String>,
    carriers: HashSet<String>,
    conditions: Vec<(String, &'static str)>,
    remanufactured: String,
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| Lists {
    with: text::term_set(&["with", "w", "includes", "including"]),
    colours: text::term_set(lexicon::COLOURS),
    tiers: text::term_set(lexicon::TIERS),
    accessories: text::term_set(lexicon::ACCESSORIES),
    carriers: text::term_set(lexicon::CARRIERS),
    conditions: lexicon::CONDITION_WORDS
        .iter()
        .map(|(w, c)| (text::term(w), *c))
        .collect(),
    remanufactured: text::term("remanufactured"),
});
