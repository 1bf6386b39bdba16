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
//!    the product it goes with (`Switch Console with Joy-Con`).
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
//! Missing a match only narrows the comparables of a market average; merging two variants
//! corrupts it, so every rule errs towards `No`.

use serde::Serialize;

use super::brands;
pub use super::gtin::{normalize_gtin, valid_gtin};
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
}

impl ProductFeatures {
    /// Normalises a listing's product key.
    pub fn new(key: &ProductKey) -> Self {
        let brand = key.brand.map(brands::key).filter(|b| !b.is_empty());
        let analysed = text::analyze(key.title);
        let mut variants = Variants::of(&analysed);
        let head = head_term(&analysed, key.brand);
        let accessory = super::accessory::is_accessory(key.title, None);
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
        Self {
            gtin: key.gtin.and_then(normalize_gtin),
            brand,
            mpn: key.mpn.map(model::code).filter(|m| !m.is_empty()),
            model: key.model.map(model::code).filter(|m| !m.is_empty()),
            terms,
            variants,
            codes: model::codes(key.title, key.model.into_iter().chain(key.mpn)),
            title_brands: brands::title_keys(key.title),
            head,
            accessory,
        }
    }

    /// Decides whether this listing and `other` are the same product.
    pub fn same_as(&self, other: &Self) -> SameProduct {
        if let (Some(a), Some(b)) = (&self.gtin, &other.gtin) {
            return if a == b {
                SameProduct::Gtin
            } else {
                SameProduct::No
            };
        }
        if let (Some(a), Some(b)) = (&self.brand, &other.brand) {
            if !self.same_maker(a, other, b) {
                return SameProduct::No;
            }
            if let (Some(x), Some(y)) = (&self.mpn, &other.mpn) {
                if x == y {
                    return SameProduct::BrandMpn;
                }
                if !models_compatible(x, y) {
                    return SameProduct::No;
                }
            }
        }
        if self.accessory != other.accessory {
            return SameProduct::No;
        }
        let codes = model::relate(&self.codes, &other.codes);
        let shared_code = codes == Codes::Shared;
        if let (Some(a), Some(b)) = (&self.model, &other.model)
            && !models_compatible(a, b)
        {
            return SameProduct::No;
        }
        if self.variants.conflicts(&other.variants, !shared_code) {
            return SameProduct::No;
        }
        if shared_code && self.shared_terms(other) >= CODE_MIN_SHARED {
            return SameProduct::Title;
        }
        if self.other_line(other) || !self.titles_similar(other) {
            return SameProduct::No;
        }
        SameProduct::Title
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

    fn titles_similar(&self, other: &Self) -> bool {
        let smaller = self.terms.len().min(other.terms.len());
        if smaller == 0 {
            return false;
        }
        let shared = self.shared_terms(other);
        let overlap = shared as f64 / smaller as f64;
        let identifier = self
            .identifiers()
            .any(|a| other.identifiers().any(|b| models_compatible(a, b)));
        let anchored = || {
            self.variants
                .anchors()
                .any(|a| other.variants.anchors().any(|b| a == b))
        };
        let identical = shared == self.terms.len() && shared == other.terms.len();
        (identifier && overlap >= IDENTIFIER_OVERLAP)
            || (identical && shared >= IDENTICAL_MIN_TERMS)
            || (shared >= TITLE_MIN_SHARED
                && overlap >= TITLE_OVERLAP
                && (self.title_similarity(other) >= TITLE_JACCARD || anchored()))
    }

    fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.variants.identifiers().chain(
            self.model
                .as_deref()
                .filter(|m| text::has_digit(m) && m.len() >= 4),
        )
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
