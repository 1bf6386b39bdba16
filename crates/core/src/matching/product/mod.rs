//! Same-product matching across stores, in order of trust:
//!
//! 1. **GTIN** (UPC-A, EAN-13, GTIN-14 compared in their 14-digit form): both valid and equal →
//!    [`SameProduct::Gtin`]; both valid and different → [`SameProduct::No`] (a GTIN names one
//!    variant). An invalid check digit makes the code ignored.
//! 2. **Brand + MPN** (case, spaces, dashes and slashes ignored): same brand and same MPN →
//!    [`SameProduct::BrandMpn`]; same brand and unrelated MPNs → `No`; one MPN extending the
//!    other (`wh1000xm5` / `wh1000xm5b`) decides nothing and the titles are compared. Two
//!    brands that cannot name the same maker are always `No`; aliases, sub-brands (`Ultimate
//!    Ears` of Logitech) and a brand the other title starts with are the same maker (see
//!    [`super::brands`]).
//! 3. **Accessory guard**: a title that is an accessory (`Joy-Con Controllers`, `Case for
//!    iPhone 15`; see [`super::accessory`], the same detection goal matching uses) is never
//!    the product it goes with (`Switch Console with Joy-Con`), unless both stores give the
//!    same model number or the titles share a model code of the accessory itself, not of what
//!    it is made for (`Toughskin Case for iPod nano NN4TSBLK` / `Toughskin NN4-TS-BLK`: the
//!    other store left out the accessory word; `Ear Pads for WH-1000XM5` stays apart).
//! 4. **Model code**: when the titles and store fields share a strong model code (see
//!    [`super::model`]: `WH1000XM5/B` ≈ `WH-1000XM5`, `QN65QN90CAFXZA` ≈ `QN90C`), a few
//!    shared terms ([`CODE_MIN_SHARED`]) are enough, whatever else each store adds; the other
//!    variant attributes below must still agree.
//! 5. **Title**: no variant attribute may conflict: storage and memory sizes, screen and
//!    other sizes, colours (and `/B`-style colour codes), generations, model numbers,
//!    carriers, pack counts, conditions (`Renewed`), tiers (`Pro`, `Max`) and accessory words
//!    (`Case`). Then the normalised title terms (brand included, stop words removed) must be
//!    similar enough:
//!    either they share an identifier model token (`qn90c`, `wh1000xm5`) and the overlap
//!    coefficient |A∩B| / min(|A|,|B|) is at least [`IDENTIFIER_OVERLAP`]; or they share at
//!    least [`TITLE_MIN_SHARED`] terms with an overlap coefficient of at least
//!    [`TITLE_OVERLAP`] and either a Jaccard index of at least [`TITLE_JACCARD`] or a shared
//!    model or generation token (`15` of `iPhone 15`, `gen5`): a short title fully contained
//!    in a long marketplace title is the same product only when something anchors it. Two
//!    titles with identical term sets of at least [`IDENTICAL_MIN_TERMS`] terms also match.
//!
//! Steps 1–3 and the hard variant guards (condition, colours, colour codes, measures; accessory
//! words unless a strong code is shared; conflicting model fields of one numbering scheme with
//! conflicting codes, see [`super::model`]'s `rivals`) decide on their own (`rules.rs`). What
//! they leave open is decided by the learned model of [`super::learned`]: the rules of steps
//! 4–5 become one of its features, next to term, weighted-term and trigram similarities and
//! the soft variant differences (pack, tiers, generations, model tokens…; see `pair.rs`).
//!
//! Missing a match only narrows the comparables of a market average; merging two variants
//! corrupts it, so every rule errs towards `No`.

use serde::Serialize;

mod pair;
mod rules;

use super::brands;
pub use super::gtin::{normalize_gtin, valid_gtin};
use super::keys;
use super::learned::{self, FEATURES, Idf};
use super::model;
use super::text::{self, TermKind};
use super::variants::Variants;
use pair::trigrams;
use rules::Rules;

/// Smallest overlap coefficient of two titles that share an identifier model token.
pub const IDENTIFIER_OVERLAP: f64 = 0.6;
/// Smallest Jaccard index of two titles without a shared identifier or anchor token.
pub const TITLE_JACCARD: f64 = 0.5;
/// Smallest overlap coefficient of two titles without a shared identifier.
pub const TITLE_OVERLAP: f64 = 0.85;
/// Fewest shared terms of two titles without a shared identifier.
pub const TITLE_MIN_SHARED: usize = 4;
/// Fewest terms of two identical normalised titles (`Apple AirTag (4-Pack)`).
pub const IDENTICAL_MIN_TERMS: usize = 3;
/// Fewest shared title terms of two listings that share a strong model code.
pub const CODE_MIN_SHARED: usize = 2;

/// What identifies a listing's product, as its store gives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductKey<'a> {
    /// The listing title.
    pub title: &'a str,
    /// Brand, when the store states it.
    pub brand: Option<&'a str>,
    /// Model name or number, when the store states it.
    pub model: Option<&'a str>,
    /// GTIN, UPC or EAN code.
    pub gtin: Option<&'a str>,
    /// Manufacturer part number.
    pub mpn: Option<&'a str>,
}

/// Whether two listings are the same product, and by which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SameProduct {
    /// Same valid GTIN.
    Gtin,
    /// Same brand and manufacturer part number.
    BrandMpn,
    /// Similar normalised titles with no conflicting variant.
    Title,
    /// Not the same product (or not enough evidence).
    No,
}

/// A decision of [`ProductFeatures::judge`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    /// Same product, and by which rule.
    pub verdict: SameProduct,
    /// The learned model's log-odds above the threshold of the pair's group (≥ 0 when it
    /// accepted the pair); `None` when a hard rule decided.
    pub score: Option<f32>,
}

impl SameProduct {
    /// How much a link by this rule is trusted: GTIN 3, brand and MPN 2, title 1, none 0.
    pub fn strength(self) -> u8 {
        match self {
            SameProduct::Gtin => 3,
            SameProduct::BrandMpn => 2,
            SameProduct::Title => 1,
            SameProduct::No => 0,
        }
    }

    /// The rule's name as stored and shown (`gtin`, `brand_mpn`, `title`, `no`).
    pub fn as_str(self) -> &'static str {
        match self {
            SameProduct::Gtin => "gtin",
            SameProduct::BrandMpn => "brand_mpn",
            SameProduct::Title => "title",
            SameProduct::No => "no",
        }
    }
}

/// Decides whether `a` and `b` are the same product. To compare one listing with many, build
/// [`ProductFeatures`] once per listing instead.
pub fn same_product(a: &ProductKey, b: &ProductKey) -> SameProduct {
    ProductFeatures::new(a).same_as(&ProductFeatures::new(b))
}

/// The normalised identifiers, title terms and variants of one listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFeatures {
    gtin: Option<String>,
    brand: Option<brands::Brand>,
    mpn: Option<String>,
    model: Option<String>,
    terms: Vec<String>,
    variants: Variants,
    /// Strong model codes of the title and the store's model and MPN fields.
    codes: Vec<String>,
    /// The codes and their stems without a short letter suffix (`keys::stems`).
    stems: Vec<String>,
    /// Brand keys the title starts with.
    title_brands: Vec<brands::Brand>,
    /// The [`term_id`] of the first title term after the brand.
    head: Option<u64>,
    /// Whether the title is an accessory of a product.
    accessory: bool,
    /// Whether the store's model field is written as a code, not a name ([`code_like`]).
    model_is_code: bool,
    /// Strong model codes of what an accessory says it is made for (`for WH-1000XM5`).
    made_for: Vec<String>,
    /// The [`term_id`]s of `terms`, sorted: pairs compare integers, not strings.
    ids: Vec<u64>,
    /// The [`Idf`] weight of each term of `ids`.
    weights: Vec<f32>,
    /// The place in `terms` of each term of `ids`: shared weights are added up in that order,
    /// so that a pair's features do not depend on the hash.
    ranks: Vec<u32>,
    /// The weights in the order of `terms`.
    term_weights: Vec<f32>,
    /// The sum of `weights` (added up in the order of `terms`).
    weight: f32,
    /// Model tokens specific enough to identify a product (title and model field).
    identifiers: Vec<String>,
    /// Title and model field as one run of lower-case letters and digits.
    compact: String,
    /// Code keys of the title and model field.
    keys: keys::Keys,
    /// Hashed character trigrams of the title's words, sorted.
    grams: Vec<u32>,
}

impl ProductFeatures {
    /// Normalises a listing's product key.
    pub fn new(key: &ProductKey) -> Self {
        Self::with_idf(key, Idf::builtin())
    }

    /// Normalises a listing's product key, weighting its terms with `idf` (the trainer's own
    /// weights; [`Self::new`] uses the shipped ones).
    #[doc(hidden)]
    pub fn with_idf(key: &ProductKey, idf: &Idf) -> Self {
        let brand = key
            .brand
            .map(brands::key)
            .filter(|b| !b.is_empty())
            .map(brands::Brand::new);
        let analysed = text::analyze(key.title);
        let mut variants = Variants::of(&analysed);
        let head = head_term(&analysed, key.brand);
        let accessory = super::accessory::is_accessory(key.title, None);
        let made_for = (accessory
            .then(|| super::accessory::made_for(key.title))
            .flatten())
        .map(|t| model::codes(&t, []))
        .unwrap_or_default();
        let mut terms: Vec<String> = analysed
            .into_iter()
            .filter(|t| t.kind != TermKind::PhraseWord && !text::is_stopword(&t.text))
            .map(|t| text::brand_alias(t.text))
            .collect();
        terms.extend(brand.as_ref().map(|b| b.key.clone()));
        if let Some(model) = key.model {
            variants.add_model(model);
            terms.extend(
                text::tokens(model)
                    .into_iter()
                    .filter(|t| text::has_digit(t)),
            );
        }
        terms.sort_unstable();
        terms.dedup();
        let term_weights: Vec<f32> = terms.iter().map(|t| idf.weight(t)).collect();
        let mut ids: Vec<(u64, f32, u32)> = (terms.iter().zip(&term_weights).zip(0..))
            .map(|((t, w), rank)| (term_id(t), *w, rank))
            .collect();
        ids.sort_unstable_by_key(|(id, _, _)| *id);
        let ranks = ids.iter().map(|(_, _, rank)| *rank).collect();
        let (ids, weights) = ids.into_iter().map(|(id, w, _)| (id, w)).unzip();
        let model_code = key.model.map(model::code).filter(|m| !m.is_empty());
        let mut identifiers: Vec<String> = variants.identifiers().map(str::to_owned).collect();
        identifiers.extend(
            model_code
                .clone()
                .filter(|m| text::has_digit(m) && m.len() >= 4),
        );
        identifiers.sort_unstable();
        identifiers.dedup();
        let mut compact = model::code(key.title);
        compact.push(' ');
        compact.push_str(model_code.as_deref().unwrap_or_default());
        let grams = trigrams(key.title);
        let codes = model::codes(key.title, key.model.into_iter().chain(key.mpn));
        let mut keys = keys::Keys::of(key.title);
        keys.extend(key.model.map(keys::Keys::of).unwrap_or_default());
        Self {
            keys,
            grams,
            gtin: key.gtin.and_then(normalize_gtin),
            brand,
            mpn: key.mpn.map(model::code).filter(|m| !m.is_empty()),
            model: model_code,
            weight: term_weights.iter().sum(),
            term_weights,
            ids,
            weights,
            ranks,
            terms,
            variants,
            stems: keys::stems(&codes),
            codes,
            title_brands: brands::title_keys(key.title),
            head: head.as_deref().map(term_id),
            accessory,
            model_is_code: key.model.is_some_and(code_like),
            made_for,
            identifiers,
            compact,
        }
    }

    /// The normalised title terms (for the trainer's term weights).
    #[doc(hidden)]
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Decides whether this listing and `other` are the same product.
    pub fn same_as(&self, other: &Self) -> SameProduct {
        self.judge(other).verdict
    }

    /// [`Self::same_as`] with the learned model's log-odds when it decided the pair, so that
    /// the best of several title matches can be told apart.
    pub fn judge(&self, other: &Self) -> Judged {
        match self.compare(other) {
            Compared::Decided(verdict) => Judged {
                verdict,
                score: None,
            },
            Compared::Open(x) => {
                let (same, score) = learned::judge(&x);
                Judged {
                    verdict: if same {
                        SameProduct::Title
                    } else {
                        SameProduct::No
                    },
                    score: Some(score),
                }
            }
        }
    }

    /// The similarity features the learned model reads, or `None` when a hard rule decides the
    /// pair (GTIN, brand and MPN, makers, accessories, variants).
    #[doc(hidden)]
    pub fn pair_features(&self, other: &Self) -> Option<[f32; FEATURES]> {
        match self.compare(other) {
            Compared::Decided(_) => None,
            Compared::Open(x) => Some(x),
        }
    }

    /// The hard rules, then the features of what they leave open.
    fn compare(&self, other: &Self) -> Compared {
        match self.hard_rules(other) {
            Rules::Decided(verdict) => Compared::Decided(verdict),
            Rules::Open(open) => Compared::Open(self.features(other, &open)),
        }
    }

    /// Jaccard index of the two listings' normalised title terms.
    pub fn title_similarity(&self, other: &Self) -> f64 {
        let shared = self.shared_terms(other);
        let union = self.terms.len() + other.terms.len() - shared;
        if union == 0 {
            0.0
        } else {
            shared as f64 / union as f64
        }
    }

    fn shared_terms(&self, other: &Self) -> usize {
        pair::sorted_shared(&self.ids, &other.ids)
    }
}

/// A title term as an integer: its FNV-1a hash, shifted to leave the low bit for whether the
/// term has a digit. Two different terms of one pair have the same id with a chance of about
/// one in 2^60.
fn term_id(term: &str) -> u64 {
    let hash = term.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash << 1 | u64::from(text::has_digit(term))
}

/// A model field written as a code rather than a name: one word (`CENTURION534BK`,
/// `ce-mt0b12-s1`), or words with no run of more than four letters (`pf14 .0 w`); not a
/// product-line name (`AirPods 4`).
fn code_like(raw: &str) -> bool {
    !raw.trim().contains(char::is_whitespace)
        || raw
            .split(|c: char| !c.is_ascii_alphabetic())
            .all(|letters| letters.len() <= 4)
}

/// What the hard rules leave: a decision, or the features of an open pair.
enum Compared {
    Decided(SameProduct),
    Open([f32; FEATURES]),
}

/// The first term of a title that is not the brand, a stop word or a condition word.
fn head_term(terms: &[text::Term], brand: Option<&str>) -> Option<String> {
    let brand_words: Vec<String> = brand
        .map(|b| text::analyze(b).into_iter().map(|t| t.text).collect())
        .unwrap_or_default();
    let conditions = ["refurbished", "used", "openbox"];
    terms
        .iter()
        .filter(|t| t.kind != TermKind::PhraseWord)
        .map(|t| t.text.as_str())
        .find(|t| {
            !text::is_stopword(t)
                && !brand_words.iter().any(|b| b == t)
                && !conditions.contains(t)
                && text::brand_alias((*t).to_owned()) != brand.map(brands::key).unwrap_or_default()
        })
        .map(str::to_owned)
}
