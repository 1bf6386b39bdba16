//! The hard rules of same-product matching (GTIN, brand + MPN, makers, accessories, rival
//! model fields and the hard variant guards), which decide a pair on their own, and the old
//! title rules (shared model code, similar titles), which only give the learned model one of
//! its features for the pairs the hard rules leave open. See the order of trust in
//! [`super`].

use super::{
    CODE_MIN_SHARED, IDENTICAL_MIN_TERMS, IDENTIFIER_OVERLAP, ProductFeatures, SameProduct,
    TITLE_JACCARD, TITLE_MIN_SHARED, TITLE_OVERLAP,
};
use crate::matching::brands::Brand;
use crate::matching::model::{self, Codes};
use crate::matching::variants::models_compatible;

/// What the hard rules found out about a pair they leave open, for its features.
#[derive(Clone, Copy)]
pub(super) struct Open {
    /// Whether the brand keys are equal, when both stores state a brand.
    pub(super) brands: Option<bool>,
    /// How the two listings' strong model codes relate.
    pub(super) codes: Codes,
    /// Whether the store model fields are compatible, when both stores give one.
    pub(super) models: Option<bool>,
    /// The soft variant differences (see `Variants::soft_conflicts`).
    pub(super) soft: [bool; 8],
    /// Whether a soft difference counts: with a shared strong code, other model tokens and
    /// tiers do not (stores add their own part numbers and SKUs).
    pub(super) soft_any: bool,
}

/// A pair decided by a hard rule, or left open to the learned model.
pub(super) enum Rules {
    Decided(SameProduct),
    Open(Open),
}

impl ProductFeatures {
    /// Applies the hard rules to a pair.
    pub(super) fn hard_rules(&self, other: &Self) -> Rules {
        if let (Some(a), Some(b)) = (&self.gtin, &other.gtin) {
            return Rules::Decided(if a == b {
                SameProduct::Gtin
            } else {
                SameProduct::No
            });
        }
        let brands = match (&self.brand, &other.brand) {
            (Some(a), Some(b)) => {
                if !self.same_maker(a, other, b) {
                    return Rules::Decided(SameProduct::No);
                }
                if let (Some(x), Some(y)) = (&self.mpn, &other.mpn) {
                    if x == y {
                        return Rules::Decided(SameProduct::BrandMpn);
                    }
                    if !models_compatible(x, y) {
                        return Rules::Decided(SameProduct::No);
                    }
                }
                Some(a.key == b.key)
            }
            _ => None,
        };
        let codes = model::relate(&self.codes, &other.codes);
        if self.accessory != other.accessory && !self.same_accessory(other, codes) {
            return Rules::Decided(SameProduct::No);
        }
        let shared_code = codes == Codes::Shared;
        if self.variants.hard_conflict(&other.variants, shared_code) {
            return Rules::Decided(SameProduct::No);
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
            return Rules::Decided(SameProduct::No);
        }
        // So do two title codes of one scheme that the other side lacks (`WH-1000XM4` /
        // `WH-1000XM5`, `10707RNN` / `10707RCC`, `PLA401V3` / `PLA401V3KIT`).
        if codes == Codes::Conflict && self.rival_codes(other) {
            return Rules::Decided(SameProduct::No);
        }
        Rules::Open(Open {
            brands,
            codes,
            models,
            soft,
            soft_any,
        })
    }

    /// The old title rules: the pair shares a strong model code and a few terms, or its titles
    /// are similar enough (steps 4 and 5 of [`super`]), with no soft variant difference and
    /// no conflicting model fields.
    pub(super) fn rules_accept(
        &self,
        other: &Self,
        open: &Open,
        shared: usize,
        other_line: bool,
    ) -> bool {
        open.models != Some(false)
            && !open.soft_any
            && ((open.codes == Codes::Shared && shared >= CODE_MIN_SHARED)
                || (!other_line && self.titles_similar(other, shared)))
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

    /// Whether a code of each side that the other lacks are [`model::rivals`] or one is the
    /// other with another model's suffix ([`model::extended_model`]).
    fn rival_codes(&self, other: &Self) -> bool {
        let lacked = |x: &'_ Self, y: &'_ Self| -> Vec<String> {
            (x.codes.iter())
                .filter(|c| !y.codes.iter().any(|d| model::compatible(c, d)))
                .cloned()
                .collect()
        };
        let theirs = lacked(other, self);
        lacked(self, other)
            .iter()
            .any(|a| (theirs.iter()).any(|b| model::rivals(a, b) || model::extended_model(a, b)))
    }

    /// Whether the titles share a model or generation token.
    pub(super) fn anchored(&self, other: &Self) -> bool {
        self.variants
            .anchors()
            .any(|a| other.variants.anchors().any(|b| a == b))
    }

    /// Whether brand keys `a` (of this listing) and `b` (of `other`) can name the same maker,
    /// also when one store's brand field is the other's distributor but the title names it.
    fn same_maker(&self, a: &Brand, other: &Self, b: &Brand) -> bool {
        a.compatible(b)
            || other.title_brands.iter().any(|k| a.compatible(k))
            || self.title_brands.iter().any(|k| k.compatible(b))
    }

    /// The first words after the brand differ and neither title has the other's.
    pub(super) fn other_line(&self, other: &Self) -> bool {
        match (&self.head, &other.head) {
            (Some(a), Some(b)) => {
                a != b && other.ids.binary_search(a).is_err() && self.ids.binary_search(b).is_err()
            }
            _ => false,
        }
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
