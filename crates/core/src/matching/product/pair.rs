//! The similarity features of a pair the hard rules leave open, which the learned model of
//! [`crate::matching::learned`] reads (names in `FEATURE_NAMES`, in this order): the old
//! rules' decision, model-code, brand and model-field agreement, term, weighted-term and
//! character-trigram similarities, identifiers and digit terms, and the soft variant
//! differences.

use super::ProductFeatures;
use super::rules::Open;
use crate::matching::keys;
use crate::matching::learned::FEATURES;
use crate::matching::model::Codes;
use crate::matching::text;
use crate::matching::variants::models_compatible;

impl ProductFeatures {
    /// The features of a pair left open by the hard rules, which found out `open`.
    pub(super) fn features(&self, other: &Self, open: &Open) -> [f32; FEATURES] {
        let Open {
            brands,
            codes,
            models,
            soft,
            soft_any,
        } = *open;
        let shared_code = codes == Codes::Shared;
        let m = self.merge(other);
        let other_line = self.other_line(other);
        let rules_yes = self.rules_accept(other, open, m.shared, other_line);
        let unmatched = |x: &Self, y: &Self| {
            (x.identifiers.iter())
                .filter(|a| !y.identifiers.iter().any(|b| models_compatible(a, b)))
                .count()
        };
        let (ua, ub) = (unmatched(self, other), unmatched(other, self));
        let shared_identifier = ua < self.identifiers.len();
        let code_in = |x: &Self, y: &Self| x.codes.iter().any(|c| text::occurs(&y.compact, c));
        // A store's model field, even a short or all-digit one (`7653`), in the other's title;
        // a product-line name (`AirPods 4`) is no model number.
        let model_in = |x: &Self, y: &Self| {
            usize::from(
                x.model
                    .as_deref()
                    .filter(|_| x.model_is_code)
                    .is_some_and(|m| m.len() >= 3 && text::occurs(&y.compact, m)),
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
        [
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
            self.keys.longest_shared(&other.keys) as f32,
            keys::longest_in(&self.stems, &other.compact, &other.codes).max(keys::longest_in(
                &other.stems,
                &self.compact,
                &self.codes,
            )) as f32,
        ]
    }

    /// Shared terms, their weight and what is left on each side, in one pass over the sorted
    /// term ids.
    fn merge(&self, other: &Self) -> Merge {
        let mut m = Merge::default();
        // The places in this listing's terms of the shared terms, whose weights are added up
        // in that order below (a bit each, or a list for titles of more than 64 terms).
        let mut shared = 0u64;
        let mut spill = Vec::new();
        let (a, b) = (&self.ids, &other.ids);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (x, y) = (a[i], b[j]);
            if x < y {
                m.unshared(0, x, self.weights[i]);
                i += 1;
            } else if x > y {
                m.unshared(1, y, other.weights[j]);
                j += 1;
            } else {
                m.shared += 1;
                match self.ranks[i] {
                    rank @ 0..64 => shared |= 1 << rank,
                    rank => spill.push(rank),
                }
                m.shared_digits += digit(x);
                i += 1;
                j += 1;
            }
        }
        for (&x, &w) in a[i..].iter().zip(&self.weights[i..]) {
            m.unshared(0, x, w);
        }
        for (&y, &w) in b[j..].iter().zip(&other.weights[j..]) {
            m.unshared(1, y, w);
        }
        while shared != 0 {
            m.weight += self.term_weights[shared.trailing_zeros() as usize];
            shared &= shared - 1;
        }
        spill.sort_unstable();
        for rank in spill {
            m.weight += self.term_weights[rank as usize];
        }
        m
    }
}

/// Whether a term id is of a term with a digit (its low bit, see `term_id`).
fn digit(id: u64) -> usize {
    (id & 1) as usize
}

/// Hashed character trigrams of the words of a title (each word padded with spaces), sorted
/// and deduplicated: similarity that survives spellings the term rules do not know.
pub(super) fn trigrams(title: &str) -> Vec<u32> {
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

/// How many items two sorted lists share.
pub(super) fn sorted_shared<T: Ord>(a: &[T], b: &[T]) -> usize {
    crate::matching::text::shared_sorted(a, b).count()
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
    fn unshared(&mut self, side: usize, id: u64, weight: f32) {
        self.unshared_digits[side] += digit(id);
        self.max_unshared = self.max_unshared.max(weight);
    }
}

#[cfg(test)]
mod tests {
    use super::super::ProductKey;
    use super::*;

    /// The merge over ids finds what a merge of the term strings finds, and adds the shared
    /// weights in the terms' order, bit for bit: also for titles of more than 64 terms.
    #[test]
    fn the_id_merge_is_the_string_merge() {
        let long: String = (0..90).map(|i| format!("word{i}x ")).collect();
        let half: String = (0..90).step_by(2).map(|i| format!("word{i}x ")).collect();
        for (a, b) in [
            (
                "Sony WH-1000XM5 Wireless Headphones Black",
                "Sony WH1000XM5 Headphones",
            ),
            (long.as_str(), half.as_str()),
            (half.as_str(), long.as_str()),
        ] {
            let fa = ProductFeatures::new(&ProductKey {
                title: a,
                ..ProductKey::default()
            });
            let fb = ProductFeatures::new(&ProductKey {
                title: b,
                ..ProductKey::default()
            });
            let m = fa.merge(&fb);
            let shared: Vec<usize> = (0..fa.terms.len())
                .filter(|&i| fb.terms.contains(&fa.terms[i]))
                .collect();
            let weight = shared.iter().fold(0f32, |sum, &i| sum + fa.term_weights[i]);
            assert_eq!(m.shared, shared.len(), "{a} / {b}");
            assert_eq!(m.weight.to_bits(), weight.to_bits(), "{a} / {b}");
            let digits = shared
                .iter()
                .filter(|&&i| crate::matching::text::has_digit(&fa.terms[i]))
                .count();
            assert_eq!(m.shared_digits, digits);
        }
        let terms = ProductFeatures::new(&ProductKey {
            title: &long,
            ..ProductKey::default()
        })
        .terms
        .len();
        assert!(terms > 64, "the long title spills: {terms} terms");
    }
}
