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
//! conflicting codes, see [`super::model`]'s `rivals`) decide on their own. What they leave open is decided by the learned model of [`super::learned`]: the
//! rules of steps 4–5 become one of its features, next to term, weighted-term and trigram
//! similarities and the soft variant differences (pack, tiers, generations, model tokens…).
//!
//! Missing a match only narrows the comparables of a market average; merging two variants
//! corrupts it, so every rule errs towards `No`.

use serde::Serialize;

use super::brands;
pub use super::gtin::{normalize_gtin, valid_gtin};
use super::learned::{self, FEATURES, Idf};
use super::model::{self, Codes};
use super::text::{self, TermKind};
use super::variants::{Variants, models_compatible};

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
    brand: Option<String>,
    mpn: Option<String>,
    model: Option<String>,
    terms: Vec<String>,
    variants: Variants,
    /// Strong model codes of the title and the store's model and MPN fields.
    codes: Vec<String>,
    /// Brand keys the title starts with.
    title_brands: Vec<String>,
    /// The first title term after the brand.
    head: Option<String>,
    /// Whether the title is an accessory of a product.
    accessory: bool,
    /// Whether the store's model field is written as a code, not a name ([`code_like`]).
    model_is_code: bool,
    /// Strong model codes of what an accessory says it is made for (`for WH-1000XM5`).
    made_for: Vec<String>,
    /// The [`Idf`] weight of each term of `terms`.
    weights: Vec<f32>,
    /// The sum of `weights`.
    weight: f32,
    /// Model tokens specific enough to identify a product (title and model field).
    identifiers: Vec<String>,
    /// Title and model field as one run of lower-case letters and digits.
    compact: String,
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
        let brand = key.brand.map(brands::key).filter(|b| !b.is_empty());
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
        terms.extend(brand.clone());
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
        let weights: Vec<f32> = terms.iter().map(|t| idf.weight(t)).collect();
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
        Self {
            grams,
            gtin: key.gtin.and_then(normalize_gtin),
            brand,
            mpn: key.mpn.map(model::code).filter(|m| !m.is_empty()),
            model: model_code,
            weight: weights.iter().sum(),
            weights,
            terms,
            variants,
            codes: model::codes(key.title, key.model.into_iter().chain(key.mpn)),
            title_brands: brands::title_keys(key.title),
            head,
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
        if let (Some(a), Some(b)) = (&self.gtin, &other.gtin) {
            return Compared::Decided(if a == b {
                SameProduct::Gtin
            } else {
                SameProduct::No
            });
        }
        let brands = match (&self.brand, &other.brand) {
            (Some(a), Some(b)) => {
                if !self.same_maker(a, other, b) {
                    return Compared::Decided(SameProduct::No);
                }
                if let (Some(x), Some(y)) = (&self.mpn, &other.mpn) {
                    if x == y {
                        return Compared::Decided(SameProduct::BrandMpn);
                    }
                    if !models_compatible(x, y) {
                        return Compared::Decided(SameProduct::No);
                    }
                }
                Some(a == b)
            }
            _ => None,
        };
        let codes = model::relate(&self.codes, &other.codes);
        if self.accessory != other.accessory && !self.same_accessory(other, codes) {
            return Compared::Decided(SameProduct::No);
        }
        let shared_code = codes == Codes::Shared;
        if self.variants.hard_conflict(&other.variants, shared_code) {
            return Compared::Decided(SameProduct::No);
        }
        let soft = self.variants.soft_conflicts(&other.variants, true);
        // Sharing a strong model code, other model tokens and tiers are not compared: stores
        // add their own part numbers and SKUs.
        let soft_any = if shared_code {
            soft[0] || soft[2] || soft[3] || soft[6] || soft[7]
        } else {
            soft.iter().any(|c| *c)
        };
        let models = match (&self.model, &other.model) {
            (Some(a), Some(b)) => Some(models_compatible(a, b)),
            _ => None,
        };
        // Two stores' model fields of one scheme that differ while each side has a model code
        // the other lacks (`QN65QN90C` / `QN65QN85C`) name two models; fields of different
        // schemes (a store's item number, the maker's part number) are left to the model.
        if models == Some(false) && codes == Codes::Conflict && self.rival_models(other) {
            return Compared::Decided(SameProduct::No);
        }
        let m = self.merge(other);
        let other_line = self.other_line(other);
        let rules_yes = models != Some(false)
            && !soft_any
            && ((shared_code && m.shared >= CODE_MIN_SHARED)
                || (!other_line && self.titles_similar(other, m.shared)));
        let unmatched = |x: &Self, y: &Self| {
            (x.identifiers.iter())
                .filter(|a| !y.identifiers.iter().any(|b| models_compatible(a, b)))
                .count()
        };
        let (ua, ub) = (unmatched(self, other), unmatched(other, self));
        let shared_identifier = ua < self.identifiers.len();
        let code_in = |x: &Self, y: &Self| x.codes.iter().any(|c| y.compact.contains(c.as_str()));
        // A store's model field, even a short or all-digit one (`7653`), in the other's title;
        // a product-line name (`AirPods 4`) is no model number.
        let model_in = |x: &Self, y: &Self| {
            usize::from(
                x.model
                    .as_deref()
                    .filter(|_| x.model_is_code)
                    .is_some_and(|m| m.len() >= 3 && y.compact.contains(m)),
            )
        };
        let (la, lb) = (self.terms.len(), other.terms.len());
        let union = (la + lb - m.shared).max(1) as f32;
        let wunion = (self.weight + other.weight - m.weight).max(1e-3);
        let wmin = self.weight.min(other.weight).max(1e-3);
        let (wa, wb) = (self.weight - m.weight, other.weight - m.weight);
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let grams = sorted_shared(&self.grams, &other.grams) as f32;
        let (ga, gb) = (self.grams.len() as f32, other.grams.len() as f32);
        Compared::Open([
            flag(rules_yes),
            flag(shared_code),
            flag(codes == Codes::Conflict),
            flag(models.is_some()),
            flag(models == Some(true)),
            flag(brands.is_some()),
            flag(brands == Some(true)),
            m.shared as f32 / union,
            m.shared as f32 / la.min(lb).max(1) as f32,
            m.weight / wunion,
            m.weight / wmin,
            m.shared as f32,
            la.min(lb) as f32,
            la.max(lb) as f32,
            flag(shared_identifier),
            ua.min(ub) as f32,
            ua.max(ub) as f32,
            m.shared_digits as f32,
            m.unshared_digits[0].min(m.unshared_digits[1]) as f32,
            m.unshared_digits[0].max(m.unshared_digits[1]) as f32,
            flag(other_line),
            flag(self.head.is_some() && self.head == other.head),
            flag(self.anchored(other)),
            m.max_unshared,
            wa.min(wb),
            wa.max(wb),
            flag(code_in(self, other) || code_in(other, self)),
            flag(soft_any),
            flag(soft[0]),
            flag(soft[1]),
            flag(soft[2]),
            flag(soft[3]),
            flag(soft[4]),
            flag(soft[5]),
            flag(soft[6]),
            flag(soft[7]),
            grams / (ga + gb - grams).max(1.0),
            grams / ga.min(gb).max(1.0),
            (model_in(self, other) + model_in(other, self)) as f32,
        ])
    }

    /// An accessory is not its product, unless both stores give the same model number, or both
    /// titles share a model code that is not the code of what the accessory is made for (the
    /// other title names the same accessory without its accessory word: `Toughskin Case for iPod
    /// nano NN4TSBLK` / `Toughskin NN4-TS-BLK`; not `Ear Pads for WH-1000XM5` / `WH-1000XM5`).
    fn same_accessory(&self, other: &Self, codes: Codes) -> bool {
        let (accessory, product) = if self.accessory {
            (self, other)
        } else {
            (other, self)
        };
        let own_code = || {
            (accessory.codes.iter())
                .filter(|c| product.codes.iter().any(|d| model::compatible(c, d)))
                .any(|c| !accessory.made_for.iter().any(|f| model::compatible(c, f)))
        };
        self.same_model_field(other) || (codes == Codes::Shared && own_code())
    }

    /// Whether both stores give a model number and they name the same model.
    fn same_model_field(&self, other: &Self) -> bool {
        match (&self.model, &other.model) {
            (Some(a), Some(b)) => a.len() >= 4 && models_compatible(a, b),
            _ => false,
        }
    }

    /// Whether the two store model fields are [`model::rivals`].
    fn rival_models(&self, other: &Self) -> bool {
        match (&self.model, &other.model) {
            (Some(a), Some(b)) => model::rivals(a, b),
            _ => false,
        }
    }

    /// Shared terms, their weight and what is left on each side, in one pass.
    fn merge(&self, other: &Self) -> Merge {
        let mut m = Merge::default();
        let (mut i, mut j) = (0, 0);
        loop {
            match (self.terms.get(i), other.terms.get(j)) {
                (Some(a), Some(b)) => match a.cmp(b) {
                    std::cmp::Ordering::Less => {
                        m.unshared(0, a, self.weights[i]);
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        m.unshared(1, b, other.weights[j]);
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        m.shared += 1;
                        m.weight += self.weights[i];
                        m.shared_digits += usize::from(text::has_digit(a));
                        i += 1;
                        j += 1;
                    }
                },
                (Some(a), None) => {
                    m.unshared(0, a, self.weights[i]);
                    i += 1;
                }
                (None, Some(b)) => {
                    m.unshared(1, b, other.weights[j]);
                    j += 1;
                }
                (None, None) => return m,
            }
        }
    }

    fn anchored(&self, other: &Self) -> bool {
        self.variants
            .anchors()
            .any(|a| other.variants.anchors().any(|b| a == b))
    }

    /// Whether brand keys `a` (of this listing) and `b` (of `other`) can name the same maker,
    /// also when one store's brand field is the other's distributor but the title names it.
    fn same_maker(&self, a: &str, other: &Self, b: &str) -> bool {
        brands::compatible(a, b)
            || other.title_brands.iter().any(|k| brands::compatible(a, k))
            || self.title_brands.iter().any(|k| brands::compatible(k, b))
    }

    /// The first words after the brand differ and neither title has the other's.
    fn other_line(&self, other: &Self) -> bool {
        match (&self.head, &other.head) {
            (Some(a), Some(b)) => {
                a != b
                    && other.terms.binary_search(a).is_err()
                    && self.terms.binary_search(b).is_err()
            }
            _ => false,
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
        let (mut i, mut j, mut n) = (0, 0, 0);
        while let (Some(a), Some(b)) = (self.terms.get(i), other.terms.get(j)) {
            match a.cmp(b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }

    fn titles_similar(&self, other: &Self, shared: usize) -> bool {
        let smaller = self.terms.len().min(other.terms.len());
        if smaller == 0 {
            return false;
        }
        let overlap = shared as f64 / smaller as f64;
        let identifier = (self.identifiers.iter())
            .any(|a| other.identifiers.iter().any(|b| models_compatible(a, b)));
        let anchored = || self.anchored(other);
        let identical = shared == self.terms.len() && shared == other.terms.len();
        (identifier && overlap >= IDENTIFIER_OVERLAP)
            || (identical && shared >= IDENTICAL_MIN_TERMS)
            || (shared >= TITLE_MIN_SHARED
                && overlap >= TITLE_OVERLAP
                && (self.title_similarity(other) >= TITLE_JACCARD || anchored()))
    }
}

/// Hashed character trigrams of the words of a title (each word padded with spaces), sorted
/// and deduplicated: similarity that survives spellings the term rules do not know.
fn trigrams(title: &str) -> Vec<u32> {
    let mut out = Vec::with_capacity(title.len() + 8);
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let bytes: Vec<u8> = std::iter::once(b' ')
            .chain(word.bytes().map(|b| b.to_ascii_lowercase()))
            .chain(std::iter::once(b' '))
            .collect();
        for w in bytes.windows(3) {
            out.push(u32::from(w[0]) << 16 | u32::from(w[1]) << 8 | u32::from(w[2]));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
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

/// How many items two sorted lists share.
fn sorted_shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// What the hard rules leave: a decision, or the features of an open pair.
enum Compared {
    Decided(SameProduct),
    Open([f32; FEATURES]),
}

/// Term overlap of two listings.
#[derive(Default)]
struct Merge {
    shared: usize,
    weight: f32,
    shared_digits: usize,
    unshared_digits: [usize; 2],
    max_unshared: f32,
}

impl Merge {
    fn unshared(&mut self, side: usize, term: &str, weight: f32) {
        self.unshared_digits[side] += usize::from(text::has_digit(term));
        self.max_unshared = self.max_unshared.max(weight);
    }
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
