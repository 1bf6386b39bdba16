//! Gradient-boosted trees (logistic loss, histogram splits, complete trees of depth
//! [`DEPTH`] stored as arrays like the crate's `learned::Tree`), and the Rust source of a
//! trained ensemble for `src/matching/learned_model.rs`.

use std::fmt::Write as _;

use deals_core::matching::FEATURES;

use crate::data::Sample;

/// Trees in the ensemble.
const TREES: usize = 150;
/// Depth of each tree (the crate's `learned::DEPTH`).
const DEPTH: usize = 4;
/// Shrinkage of each tree's leaves.
const LEARNING_RATE: f32 = 0.2;
/// L2 penalty on leaf values.
const LAMBDA: f64 = 1.0;
/// Smallest hessian sum of a child.
const MIN_CHILD: f64 = 2.0;
/// Histogram bins per feature.
const BINS: usize = 64;

/// One tree: per inner node the feature and threshold, then the leaf values.
pub struct Tree {
    pub feature: [u8; 15],
    pub threshold: [f32; 15],
    leaf: [f32; 16],
}

/// A trained ensemble.
pub struct Model {
    base: f32,
    pub trees: Vec<Tree>,
}

impl Model {
    /// The log-odds of the trees for `x`.
    pub fn margin(&self, x: &[f32; FEATURES]) -> f32 {
        let mut sum = self.base;
        for t in &self.trees {
            let mut i = 0;
            for _ in 0..DEPTH {
                i = 2 * i + 1 + usize::from(x[t.feature[i] as usize] > t.threshold[i]);
            }
            sum += t.leaf[i - 15];
        }
        sum
    }
}

/// Per feature, the split thresholds: midpoints between distinct values, or quantiles.
pub fn cuts(set: &[Sample]) -> Vec<Vec<f32>> {
    (0..FEATURES)
        .map(|f| {
            let mut v: Vec<f32> = set.iter().filter_map(|s| s.x.map(|x| x[f])).collect();
            v.sort_by(f32::total_cmp);
            let mut distinct = v.clone();
            distinct.dedup();
            if distinct.len() <= BINS {
                distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
            } else {
                let mut c: Vec<f32> = (1..BINS).map(|k| v[k * v.len() / BINS]).collect();
                c.dedup();
                c
            }
        })
        .collect()
}

/// Trains the trees on the samples `rows` of `set` (those with features).
pub fn train_trees(set: &[Sample], rows: &[usize], cuts: &[Vec<f32>]) -> Model {
    let rows: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| set[i].x.is_some())
        .collect();
    let xs: Vec<[f32; FEATURES]> = rows.iter().map(|&i| set[i].x.unwrap()).collect();
    let ys: Vec<f64> = rows
        .iter()
        .map(|&i| f64::from(u8::from(set[i].y)))
        .collect();
    let bins: Vec<[u8; FEATURES]> = xs
        .iter()
        .map(|x| std::array::from_fn(|f| cuts[f].partition_point(|&c| c < x[f]) as u8))
        .collect();
    let mean = ys.iter().sum::<f64>() / ys.len() as f64;
    let base = (mean / (1.0 - mean)).ln() as f32;
    let mut margin = vec![base; rows.len()];
    let mut trees = Vec::with_capacity(TREES);
    for _ in 0..TREES {
        let (g, h): (Vec<f64>, Vec<f64>) = margin
            .iter()
            .zip(&ys)
            .map(|(m, y)| {
                let p = 1.0 / (1.0 + (-f64::from(*m)).exp());
                (p - y, (p * (1.0 - p)).max(1e-6))
            })
            .unzip();
        let mut tree = Tree {
            feature: [0; 15],
            threshold: [f32::INFINITY; 15],
            leaf: [0.0; 16],
        };
        // Node membership, breadth first.
        let mut node = vec![0usize; rows.len()];
        for depth in 0..DEPTH {
            let first = (1 << depth) - 1;
            for n in first..first + (1 << depth) {
                let members: Vec<usize> = (0..rows.len()).filter(|&r| node[r] == n).collect();
                if let Some((f, k)) = best_split(&members, &bins, &g, &h, cuts) {
                    tree.feature[n] = f as u8;
                    tree.threshold[n] = cuts[f][k];
                }
            }
            for r in 0..rows.len() {
                let n = node[r];
                let right = xs[r][tree.feature[n] as usize] > tree.threshold[n];
                node[r] = 2 * n + 1 + usize::from(right);
            }
        }
        for leaf in 0..16 {
            let (gs, hs) = (0..rows.len())
                .filter(|&r| node[r] == leaf + 15)
                .fold((0.0, 0.0), |(a, b), r| (a + g[r], b + h[r]));
            tree.leaf[leaf] = (-gs / (hs + LAMBDA)) as f32 * LEARNING_RATE;
        }
        for r in 0..rows.len() {
            margin[r] += tree.leaf[node[r] - 15];
        }
        trees.push(tree);
    }
    Model { base, trees }
}

/// The feature and cut index of the best split of `members`, if any gains.
fn best_split(
    members: &[usize],
    bins: &[[u8; FEATURES]],
    g: &[f64],
    h: &[f64],
    cuts: &[Vec<f32>],
) -> Option<(usize, usize)> {
    let (gt, ht) = members
        .iter()
        .fold((0.0, 0.0), |(a, b), &r| (a + g[r], b + h[r]));
    let parent = gt * gt / (ht + LAMBDA);
    let mut best: Option<(f64, usize, usize)> = None;
    for (f, cut) in cuts.iter().enumerate() {
        let mut hist = vec![(0.0f64, 0.0f64); cut.len() + 1];
        for &r in members {
            let b = bins[r][f] as usize;
            hist[b].0 += g[r];
            hist[b].1 += h[r];
        }
        let (mut gl, mut hl) = (0.0, 0.0);
        for (k, (hg, hh)) in hist.iter().enumerate().take(cut.len()) {
            gl += hg;
            hl += hh;
            let (gr, hr) = (gt - gl, ht - hl);
            if hl < MIN_CHILD || hr < MIN_CHILD {
                continue;
            }
            let gain = gl * gl / (hl + LAMBDA) + gr * gr / (hr + LAMBDA) - parent;
            if gain > 1e-9 && best.is_none_or(|(b, _, _)| gain > b) {
                best = Some((gain, f, k));
            }
        }
    }
    best.map(|(_, f, k)| (f, k))
}

/// The source of `src/matching/learned_model.rs` for `model` and thresholds `t`.
pub fn rust_source(model: &Model, t: [f32; 3]) -> String {
    let mut s = String::new();
    let f = |x: f32| {
        if x.is_finite() {
            format!("{x:?}")
        } else {
            "f32::INFINITY".to_owned()
        }
    };
    writeln!(
        s,
        "//! Generated by `cargo run --release -p deals-core --example train_matcher -- write`\n\
         //! from the train splits of the public product-matching pairs and a simulated world (seed 7);\n\
         //! do not edit.\n\
         //! {} trees of depth {DEPTH}, learning rate {LEARNING_RATE}.\n\n\
         use super::learned::Tree;\n\n\
         /// Log-odds before the trees.\n\
         pub(crate) const BASE: f32 = {};\n\
         /// Smallest log-odds of the same product, per group (see `learned::group`).\n\
         pub(crate) const THRESHOLDS: [f32; 3] = [{}];\n\
         /// The trees.\n\
         #[rustfmt::skip]\n\
         pub(crate) static TREES: [Tree; {}] = [",
        model.trees.len(),
        f(model.base),
        t.map(f).join(", "),
        model.trees.len()
    )
    .unwrap();
    for t in &model.trees {
        writeln!(
            s,
            "    Tree {{ feature: {:?}, threshold: [{}], leaf: [{}] }},",
            t.feature,
            t.threshold.map(f).join(", "),
            t.leaf.map(f).join(", ")
        )
        .unwrap();
    }
    s.push_str("];\n");
    s
}
