//! Trains the learned part of same-product matching on the **train** splits of the public
//! pairs in `../shared/data/er/` (Walmart–Amazon and Abt–Buy) and writes it into the crate:
//!
//! ```text
//! cargo run --release -p deals-core --example train_matcher            # report only
//! cargo run --release -p deals-core --example train_matcher -- write   # also write the model
//! ```
//!
//! Steps: term weights (inverse document frequency over the train records) →
//! `src/matching/idf.txt`; similarity features of every train pair that the hard rules leave
//! open (see `ProductFeatures::pair_features`); gradient-boosted trees (logistic loss,
//! histogram splits, depth 4); the decision threshold from 5-fold out-of-fold scores on train
//! (the highest F1 of the worse benchmark with precision ≥ [`MIN_PRECISION`] on both); the
//! final trees on all train pairs → `src/matching/learned_model.rs`. The validation splits are
//! only read for the report at the end. Deterministic: no randomness.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/matching/er_data.rs"]
#[allow(dead_code)]
mod er_data;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use deals_core::matching::{FEATURE_NAMES, FEATURES, Idf, ProductFeatures, SameProduct};

/// Trees in the ensemble.
const TREES: usize = 100;
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
/// Lowest out-of-fold precision accepted when choosing the threshold.
const MIN_PRECISION: f64 = 0.955;
/// Terms seen in fewer train records get the weight of an unseen term.
const MIN_DF: usize = 2;
/// Index of the feature `variant_differs`.
const VARIANT_DIFFERS: usize = 27;
const BENCHES: [&str; 2] = ["Walmart-Amazon", "Abt-Buy"];

/// One labelled pair: `None` when a hard rule decides it, with that decision.
struct Sample {
    bench: usize,
    x: Option<[f32; FEATURES]>,
    decided: bool,
    y: bool,
}

struct Tree {
    feature: [u8; 15],
    threshold: [f32; 15],
    leaf: [f32; 16],
}

struct Model {
    base: f32,
    trees: Vec<Tree>,
}

impl Model {
    fn margin(&self, x: &[f32; FEATURES]) -> f32 {
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

fn main() {
    let write = std::env::args().nth(1).as_deref() == Some("write");
    let load = |split: &str| -> Vec<(usize, er_data::Pair)> {
        BENCHES
            .iter()
            .enumerate()
            .flat_map(|(b, name)| {
                er_data::load(&format!("{name}.{split}"))
                    .unwrap_or_else(|| panic!("{name}.{split} missing"))
                    .into_iter()
                    .map(move |p| (b, p))
            })
            .collect()
    };
    let train = load("train");
    let valid = load("valid");

    // Term weights from the train records (each distinct record once).
    let plain = Idf::default();
    let mut seen = HashSet::new();
    let mut df: HashMap<String, usize> = HashMap::new();
    for (_, p) in &train {
        for r in [&p.left, &p.right] {
            if !seen.insert(er_data::describe(r)) {
                continue;
            }
            for t in ProductFeatures::with_idf(&r.key(), &plain).terms() {
                *df.entry(t.clone()).or_default() += 1;
            }
        }
    }
    let idf = Idf::from_counts(seen.len(), df.iter().map(|(t, n)| (t.as_str(), *n)), MIN_DF);

    let samples = |pairs: &[(usize, er_data::Pair)]| -> Vec<Sample> {
        pairs
            .iter()
            .map(|(bench, p)| {
                let (a, b) = (
                    ProductFeatures::with_idf(&p.left.key(), &idf),
                    ProductFeatures::with_idf(&p.right.key(), &idf),
                );
                let x = a.pair_features(&b);
                Sample {
                    bench: *bench,
                    x,
                    decided: x.is_none() && a.same_as(&b) != SameProduct::No,
                    y: p.same,
                }
            })
            .collect()
    };
    if std::env::args().nth(1).as_deref() == Some("vetoed") {
        for (b, p) in &train {
            let (x, y) = (
                ProductFeatures::new(&p.left.key()),
                ProductFeatures::new(&p.right.key()),
            );
            if p.same && x.pair_features(&y).is_none() && x.same_as(&y) == SameProduct::No {
                println!(
                    "{b} {}\n   {}",
                    er_data::describe(&p.left),
                    er_data::describe(&p.right)
                );
            }
        }
        return;
    }
    let mut tr = samples(&train);
    tr.extend(sim_samples(&idf));
    let va = samples(&valid);
    for (name, set) in [("train", &tr), ("valid", &va)] {
        for (b, bench) in BENCHES.iter().enumerate() {
            let of = || set.iter().filter(|s| s.bench == b);
            let vetoed = of().filter(|s| s.x.is_none() && !s.decided && s.y).count();
            let pos = of().filter(|s| s.y).count();
            println!(
                "{bench}.{name}: {} pairs, {pos} same; {vetoed} same pairs refused by a hard rule",
                of().count()
            );
        }
    }

    let cuts = cuts(&tr);
    // Out-of-fold margins on train for the threshold.
    let mut oof = vec![f32::NAN; tr.len()];
    for fold in 0..5 {
        let fit: Vec<usize> = (0..tr.len()).filter(|i| i % 5 != fold).collect();
        let model = train_trees(&tr, &fit, &cuts);
        for i in (0..tr.len()).filter(|i| i % 5 == fold) {
            if let Some(x) = &tr[i].x {
                oof[i] = model.margin(x);
            }
        }
    }
    let all: Vec<usize> = (0..tr.len()).collect();
    let model = train_trees(&tr, &all, &cuts);
    let sim = sim_pairs(&idf, &model);
    // The rules alone on the simulated world: the thresholds may not make it worse.
    let sim_rules = sim
        .iter()
        .map(|m| m.scores([f32::MIN, f32::INFINITY, f32::INFINITY]))
        .collect::<Vec<_>>();
    let rules = |s: &Sample| s.decided || s.x.is_some_and(|x| x[0] > 0.5);
    // The policy: what the rules accept unless the model is against it (margin < low), and
    // what the model accepts (margin ≥ high) when no variant attribute differs.
    let policy = |x: &[f32; FEATURES], m: f32, t: [f32; 3]| m >= t[group(x)];
    let mut best = (f64::MIN, [f32::MIN; 3]);
    let mut candidates: Vec<f32> = oof.iter().copied().filter(|m| !m.is_nan()).collect();
    candidates.sort_by(f32::total_cmp);
    let steps = |from: f32| (0..=40).map(move |k| from + k as f32 * 0.25);
    let lows: Vec<f32> = std::iter::once(f32::MIN).chain(steps(-8.0)).collect();
    let grid: Vec<f32> = steps(-2.0).collect();
    for &low in &lows {
        for &high in &grid {
            for &top in grid.iter().filter(|&&t| t >= high) {
                let t = [low, high, top];
                let s = scores(&tr, |i, s| {
                    s.decided || s.x.is_some_and(|x| policy(&x, oof[i], t))
                });
                if s.iter().all(|s| s.precision() >= MIN_PRECISION)
                    && sim.iter().zip(&sim_rules).all(|(m, r)| m.no_worse(t, *r))
                {
                    let worst = s.iter().map(|s| s.f1()).fold(f64::MAX, f64::min);
                    if worst > best.0 {
                        best = (worst, t);
                    }
                }
            }
        }
    }
    let t = best.1;
    if let Ok(b) = std::env::var("DUMP") {
        for (i, (bench, p)) in train.iter().enumerate() {
            let got = tr[i].decided || tr[i].x.is_some_and(|x| policy(&x, oof[i], t));
            if bench.to_string() == b && got != p.same {
                println!(
                    "{} {:.2}\n   {}\n   {}",
                    if got { "FP" } else { "FN" },
                    oof[i],
                    er_data::describe(&p.left),
                    er_data::describe(&p.right)
                );
            }
        }
    }

    let report = |name: &str, set: &[Sample], decide: &dyn Fn(usize, &Sample) -> bool| {
        for (b, s) in scores(set, decide).iter().enumerate() {
            println!(
                "  {}.{name}: precision {:.3} recall {:.3} F1 {:.3}",
                BENCHES[b],
                s.precision(),
                s.recall(),
                s.f1()
            );
        }
    };
    println!("rules only:");
    report("train", &tr, &|_, s| rules(s));
    report("valid", &va, &|_, s| rules(s));
    for ((m, name), r) in sim.iter().zip(["as shown", "titles only"]).zip(&sim_rules) {
        println!(
            "simulator ({name}, seed {SIM_SEED}), rules only: precision {:.4} recall {:.4}",
            r.0, r.1
        );
        let (p, r, acc) = m.scores(t);
        println!(
            "simulator ({name}, seed {SIM_SEED}): precision {p:.4} recall {r:.4}, accessory merges {acc}"
        );
    }
    println!("learned, thresholds {t:?} (out-of-fold on train, then valid):");
    report("train-oof", &tr, &|i, s| {
        s.decided || s.x.is_some_and(|x| policy(&x, oof[i], t))
    });
    report("valid", &va, &|_, s| {
        s.decided || s.x.is_some_and(|x| policy(&x, model.margin(&x), t))
    });
    let mut gain = [0usize; FEATURES];
    for t in &model.trees {
        for (f, th) in t.feature.iter().zip(t.threshold) {
            if th.is_finite() {
                gain[*f as usize] += 1;
            }
        }
    }
    println!(
        "splits per feature: {}",
        FEATURE_NAMES
            .iter()
            .zip(gain)
            .map(|(n, g)| format!("{n} {g}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    if write {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/matching");
        std::fs::write(format!("{dir}/idf.txt"), idf.to_text()).unwrap();
        std::fs::write(format!("{dir}/learned_model.rs"), rust_source(&model, t)).unwrap();
        println!("wrote {dir}/idf.txt and {dir}/learned_model.rs");
    }
}

/// Seed of the simulated world whose offers constrain the thresholds (the linkage test uses the
/// default world, seed 42).
const SIM_SEED: u64 = 7;

/// The cross-store pairs of one simulated world in one mode (store fields shown or titles
/// only): what the hard rules decide, and the open pairs the thresholds may accept.
struct SimPairs {
    /// Pairs of the same product.
    same: usize,
    /// Decided same by a hard rule: (right, wrong, wrong with an accessory).
    decided: (usize, usize, usize),
    /// Open pairs: (group, margin, same product, accessory with non-accessory).
    open: Vec<(usize, f32, bool, bool)>,
}

impl SimPairs {
    fn scores(&self, t: [f32; 3]) -> (f64, f64, usize) {
        let (mut tp, mut fp, mut acc) = self.decided;
        for &(g, m, same, accessory) in &self.open {
            if m >= t[g] {
                if same {
                    tp += 1;
                } else {
                    fp += 1;
                    acc += usize::from(accessory);
                }
            }
        }
        (
            tp as f64 / (tp + fp).max(1) as f64,
            tp as f64 / self.same.max(1) as f64,
            acc,
        )
    }

    /// Precision and recall at least those of the rules alone (`rules`, less 0.002), and no
    /// accessory merged with a product.
    fn no_worse(&self, t: [f32; 3], rules: (f64, f64, usize)) -> bool {
        let (p, r, acc) = self.scores(t);
        p >= rules.0 - 0.002 && r >= rules.1 - 0.002 && acc == 0
    }
}

/// Reads `target/sim-offers-<SIM_SEED>.tsv` (written by `deals-markets`' `sim_offers`
/// example) into pairs for both modes.
fn sim_pairs(idf: &Idf, model: &Model) -> Vec<SimPairs> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/sim-offers-7.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!("{path} missing: cargo run -p deals-markets --example sim_offers -- {SIM_SEED} > target/sim-offers-{SIM_SEED}.tsv")
    });
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    fn opt(s: &str) -> Option<&str> {
        (!s.is_empty()).then_some(s)
    }
    [true, false]
        .map(|full| {
            let features: Vec<ProductFeatures> = rows
                .iter()
                .map(|r| {
                    ProductFeatures::with_idf(
                        &deals_core::matching::ProductKey {
                            title: r[4],
                            brand: opt(r[5]),
                            model: opt(r[6]).filter(|_| full),
                            gtin: opt(r[7]).filter(|_| full),
                            mpn: opt(r[8]).filter(|_| full),
                        },
                        idf,
                    )
                })
                .collect();
            let mut out = SimPairs {
                same: 0,
                decided: (0, 0, 0),
                open: vec![],
            };
            for i in 0..rows.len() {
                for j in i + 1..rows.len() {
                    let (a, b) = (&rows[i], &rows[j]);
                    if a[0] == b[0] || a[1] != b[1] {
                        continue;
                    }
                    let same = a[2] == b[2];
                    out.same += usize::from(same);
                    match features[i].pair_features(&features[j]) {
                        Some(x) => {
                            let m = model.margin(&x);
                            if x[0] > 0.5 || m >= -2.0 {
                                out.open.push((group(&x), m, same, a[3] != b[3]));
                            }
                        }
                        None => {
                            if features[i].same_as(&features[j]) != SameProduct::No {
                                if same {
                                    out.decided.0 += 1;
                                } else {
                                    out.decided.1 += 1;
                                    out.decided.2 += usize::from(a[3] != b[3]);
                                }
                            }
                        }
                    }
                }
            }
            out
        })
        .into()
}

/// Training samples from the simulated world of [`SIM_SEED`] (bench 2): every same-product
/// pair and the different-product pairs whose titles share at least a quarter of their terms.
fn sim_samples(idf: &Idf) -> Vec<Sample> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/sim-offers-7.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    fn opt(s: &str) -> Option<&str> {
        (!s.is_empty()).then_some(s)
    }
    let mut out = Vec::new();
    for full in [true, false] {
        let features: Vec<ProductFeatures> = rows
            .iter()
            .map(|r| {
                ProductFeatures::with_idf(
                    &deals_core::matching::ProductKey {
                        title: r[4],
                        brand: opt(r[5]),
                        model: opt(r[6]).filter(|_| full),
                        gtin: opt(r[7]).filter(|_| full),
                        mpn: opt(r[8]).filter(|_| full),
                    },
                    idf,
                )
            })
            .collect();
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                let (a, b) = (&rows[i], &rows[j]);
                if a[0] == b[0] || a[1] != b[1] {
                    continue;
                }
                let same = a[2] == b[2];
                if let Some(x) = features[i].pair_features(&features[j])
                    && (same || x[7] >= 0.25 || x[0] > 0.5)
                {
                    out.push(Sample {
                        bench: 2,
                        x: Some(x),
                        decided: false,
                        y: same,
                    });
                }
            }
        }
    }
    out
}

/// The crate's `learned::group`: 0 the rules accept the pair, 1 they refuse it but no variant
/// attribute differs, 2 a variant attribute differs.
fn group(x: &[f32; FEATURES]) -> usize {
    if x[0] > 0.5 {
        0
    } else if x[VARIANT_DIFFERS] < 0.5 {
        1
    } else {
        2
    }
}

/// Confusion counts per benchmark.
fn scores(set: &[Sample], decide: impl Fn(usize, &Sample) -> bool) -> [er_data::Scores; 2] {
    let mut out = [er_data::Scores::default(); 2];
    for (i, s) in set.iter().enumerate() {
        let Some(c) = out.get_mut(s.bench) else {
            continue;
        };
        match (decide(i, s), s.y) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, true) => c.fn_ += 1,
            (false, false) => c.tn += 1,
        }
    }
    out
}

/// Per feature, the split thresholds: midpoints between distinct values, or quantiles.
fn cuts(set: &[Sample]) -> Vec<Vec<f32>> {
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

fn train_trees(set: &[Sample], rows: &[usize], cuts: &[Vec<f32>]) -> Model {
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

fn rust_source(model: &Model, t: [f32; 3]) -> String {
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
         pub(crate) const TREES: [Tree; {}] = [",
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
