//! The learned part of same-product matching: similarity features of two listings that no hard
//! rule has decided, and a small gradient-boosted tree ensemble over them.
//!
//! The ensemble and the term weights are trained offline on the train splits of the public
//! product-matching pairs (`cargo run --release -p deals-core --example train_matcher`, see
//! docs/matching.md) and shipped as constants: [`super::learned_model`] (trees, threshold) and
//! `idf.txt` (inverse document frequencies of title terms). Nothing here is trained at run time.
//!
//! Trees are complete binary trees of depth [`DEPTH`] stored as arrays, so scoring a pair is
//! [`DEPTH`] comparisons per tree without branches on the tree shape.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::learned_model::{BASE, THRESHOLDS, TREES};

/// Depth of every tree.
pub(crate) const DEPTH: usize = 4;
/// Inner nodes per tree (breadth first: children of `i` are `2i+1`, `2i+2`).
pub(crate) const NODES: usize = (1 << DEPTH) - 1;
/// Leaves per tree.
pub(crate) const LEAVES: usize = 1 << DEPTH;

/// One tree: per inner node the feature and threshold (go right when `x[feature] > threshold`),
/// then the leaf values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tree {
    pub(crate) feature: [u8; NODES],
    pub(crate) threshold: [f32; NODES],
    pub(crate) leaf: [f32; LEAVES],
}

/// Names of the features, in order (for the trainer's report).
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "rules_yes",
    "shared_code",
    "codes_conflict",
    "model_fields_both",
    "model_fields_compatible",
    "brand_known_both",
    "brand_same_key",
    "jaccard",
    "overlap",
    "weighted_jaccard",
    "weighted_overlap",
    "shared_terms",
    "min_terms",
    "max_terms",
    "shared_identifier",
    "unmatched_identifiers_min",
    "unmatched_identifiers_max",
    "shared_digit_terms",
    "unshared_digit_terms_min",
    "unshared_digit_terms_max",
    "other_line",
    "same_head",
    "anchored",
    "max_unshared_weight",
    "unshared_weight_min",
    "unshared_weight_max",
    "code_in_other_text",
    "variant_differs",
    "pack_differs",
    "tiers_differ",
    "generations_differ",
    "carriers_differ",
    "model_tokens_differ",
    "numerals_differ",
    "accessory_words_differ",
    "colour_code_differs",
    "trigram_jaccard",
    "trigram_overlap",
    "model_field_in_other_title",
    "longest_shared_code_key",
    "code_stem_in_other_text",
];

/// Number of features.
pub const FEATURES: usize = 41;

/// Probability (as a log-odds sum) of the trees for one feature vector.
pub(crate) fn margin(x: &[f32; FEATURES]) -> f32 {
    margin_of(&TREES, BASE, x)
}

/// Whether the pair is the same product (its log-odds reach the threshold of its [`group`]),
/// and by how much: log-odds minus that threshold.
pub(crate) fn judge(x: &[f32; FEATURES]) -> (bool, f32) {
    let over = margin(x) - THRESHOLDS[group(x)];
    (over >= 0.0, over)
}

/// Which threshold applies: 0 the rules accept the pair (feature 0), 1 they refuse it but no
/// variant attribute differs, 2 a variant attribute the rules weigh differs (tiers,
/// generations, model tokens, pack…), where the model needs the most confidence.
pub(crate) fn group(x: &[f32; FEATURES]) -> usize {
    if x[0] > 0.5 {
        0
    } else if x[VARIANT_DIFFERS] < 0.5 {
        1
    } else {
        2
    }
}

/// Index of the feature `variant_differs`.
const VARIANT_DIFFERS: usize = 27;

/// The log-odds of `trees` for `x`.
pub(crate) fn margin_of(trees: &[Tree], base: f32, x: &[f32; FEATURES]) -> f32 {
    let padded = pad(x);
    let (chunks, rest) = trees.as_chunks::<CHUNK>();
    let mut sum = base;
    for chunk in chunks {
        for v in walk(chunk, &padded) {
            sum += v;
        }
    }
    rest.iter()
        .fold(sum, |sum, t| sum + walk(&[*t], &padded)[0])
}

/// Trees walked side by side (4, 6 and 8 measured: 6 was the fastest here).
const CHUNK: usize = 6;

/// The leaf values `x` reaches in `N` trees, walked level by level: each tree's step depends
/// on its own previous step only, so the steps of the `N` trees run side by side instead of
/// one tree's four dependent loads after another's. Each level's node index is in bounds of
/// its level by construction (levels hold nodes 0, 1–2, 3–6, 7–14; leaves follow), which the
/// `min`s tell the compiler: the walk has no bounds checks and no branches on the trees' shape.
#[inline(always)]
fn walk<const N: usize>(trees: &[Tree; N], x: &[f32; 256]) -> [f32; N] {
    const { assert!(DEPTH == 4, "the walk is written out for four levels") };
    let mut node = [0usize; N];
    for last in [0, 2, 6, 14] {
        for (n, t) in node.iter_mut().zip(trees) {
            let i = (*n).min(last);
            *n = 2 * i + 1 + usize::from(x[usize::from(t.feature[i])] > t.threshold[i]);
        }
    }
    let mut out = [0f32; N];
    for ((o, n), t) in out.iter_mut().zip(node).zip(trees) {
        *o = t.leaf[(n - NODES).min(LEAVES - 1)];
    }
    out
}

/// The features in a copy every `u8` index is in bounds of.
fn pad(x: &[f32; FEATURES]) -> [f32; 256] {
    let mut padded = [0f32; 256];
    padded[..FEATURES].copy_from_slice(x);
    padded
}

/// Inverse document frequencies of title terms.
#[derive(Debug, Clone, Default)]
pub struct Idf {
    weights: HashMap<String, f32>,
    unknown: f32,
}

impl Idf {
    /// Builds weights from document frequencies: `ln((n + 1) / (df + 1)) + 1`; terms seen fewer
    /// than `min_df` times get the weight of an unseen term.
    pub fn from_counts<'a>(
        documents: usize,
        counts: impl IntoIterator<Item = (&'a str, usize)>,
        min_df: usize,
    ) -> Self {
        let idf = |df: usize| ((documents as f32 + 1.0) / (df as f32 + 1.0)).ln() + 1.0;
        Self {
            weights: counts
                .into_iter()
                .filter(|(_, df)| *df >= min_df)
                .map(|(t, df)| (t.to_owned(), idf(df)))
                .collect(),
            unknown: idf(min_df.saturating_sub(1).max(1)),
        }
    }

    /// Reads the `idf.txt` format: a first line `* <weight>` (an unseen term), then
    /// `<term> <weight>`.
    pub fn parse(text: &str) -> Self {
        let mut out = Self::default();
        for line in text.lines() {
            let Some((term, w)) = line.rsplit_once(' ') else {
                continue;
            };
            let w: f32 = w.parse().unwrap_or(1.0);
            if term == "*" {
                out.unknown = w;
            } else {
                out.weights.insert(term.to_owned(), w);
            }
        }
        out
    }

    /// Writes the `idf.txt` format, terms sorted.
    pub fn to_text(&self) -> String {
        let mut terms: Vec<(&String, &f32)> = self.weights.iter().collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = format!("* {:.3}\n", self.unknown);
        for (t, w) in terms {
            out.push_str(&format!("{t} {w:.3}\n"));
        }
        out
    }

    /// The weight of a term.
    pub fn weight(&self, term: &str) -> f32 {
        self.weights.get(term).copied().unwrap_or(self.unknown)
    }

    /// The weights shipped with the crate.
    pub fn builtin() -> &'static Self {
        &BUILTIN
    }
}

static BUILTIN: LazyLock<Idf> = LazyLock::new(|| Idf::parse(include_str!("idf.txt")));

#[cfg(test)]
mod tests {
    use super::*;

    /// One tree walked node by node, as the trainer reads it.
    fn reference(trees: &[Tree], base: f32, x: &[f32; FEATURES]) -> f32 {
        trees.iter().fold(base, |sum, t| {
            let mut i = 0;
            while i < NODES {
                i = 2 * i + 1 + usize::from(x[usize::from(t.feature[i])] > t.threshold[i]);
            }
            sum + t.leaf[i - NODES]
        })
    }

    #[test]
    fn the_side_by_side_walk_gives_the_node_by_node_sum_bit_for_bit() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..2_000 {
            let mut x = [0f32; FEATURES];
            for v in &mut x {
                // Flags, counts and ratios, like the real features; some exactly at a threshold.
                *v = match next() % 4 {
                    0 => (next() % 2) as f32,
                    1 => (next() % 30) as f32 + 0.5 * (next() % 2) as f32,
                    2 => (next() % 1000) as f32 / 1000.0,
                    _ => (next() % 6000) as f32 / 100.0,
                };
            }
            // Every length, so the remainder after the chunks is walked too.
            let n = round % (TREES.len() + 1);
            assert_eq!(
                margin_of(&TREES[..n], BASE, &x).to_bits(),
                reference(&TREES[..n], BASE, &x).to_bits(),
                "{n} trees, {x:?}"
            );
        }
    }
}
