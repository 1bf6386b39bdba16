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
    trees.iter().fold(base, |sum, t| sum + t.value(&padded))
}

/// The features in a copy every `u8` index is in bounds of.
fn pad(x: &[f32; FEATURES]) -> [f32; 256] {
    let mut padded = [0f32; 256];
    padded[..FEATURES].copy_from_slice(x);
    padded
}

impl Tree {
    /// The leaf `x` reaches. Each level's node index is in bounds of its level by construction
    /// (levels hold nodes 0, 1–2, 3–6, 7–14; leaves follow), which the `min`s tell the compiler:
    /// the walk has no bounds checks and no branches on the tree's shape.
    #[inline]
    fn value(&self, x: &[f32; 256]) -> f32 {
        const { assert!(DEPTH == 4, "the walk is written out for four levels") };
        let step =
            |n: usize| 2 * n + 1 + usize::from(x[usize::from(self.feature[n])] > self.threshold[n]);
        let i = step(0);
        let i = step(i.min(2));
        let i = step(i.min(6));
        let i = step(i.min(14));
        self.leaf[(i - NODES).min(LEAVES - 1)]
    }
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
