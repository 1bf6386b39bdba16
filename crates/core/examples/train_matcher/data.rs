//! The labelled pairs the trainer learns from: the public benchmarks' splits, the term weights
//! of their train records, and each pair as a [`Sample`] (its features, or the hard rule's
//! decision).

use std::collections::{HashMap, HashSet};

use deals_core::matching::{FEATURES, Idf, ProductFeatures, SameProduct};

use crate::er_data;

/// The two public benchmarks, in the order of [`Sample::bench`].
pub const BENCHES: [&str; 2] = ["Walmart-Amazon", "Abt-Buy"];
/// Terms seen in fewer train records get the weight of an unseen term.
const MIN_DF: usize = 2;

/// One labelled pair.
pub struct Sample {
    /// Index into [`BENCHES`], or 2 for the simulated world.
    pub bench: usize,
    /// The features, or `None` when a hard rule decides the pair.
    pub x: Option<[f32; FEATURES]>,
    /// Whether a hard rule decided the pair is the same product.
    pub decided: bool,
    /// The label: the same product.
    pub y: bool,
}

/// The pairs of one split of both benchmarks, with their benchmark's index.
pub fn load(split: &str) -> Vec<(usize, er_data::Pair)> {
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
}

/// Inverse document frequencies of the terms of the train records, each distinct record once,
/// rounded as `idf.txt` stores them, so that the trees split the features the crate computes.
pub fn term_weights(train: &[(usize, er_data::Pair)]) -> Idf {
    let plain = Idf::default();
    let mut seen = HashSet::new();
    let mut df: HashMap<String, usize> = HashMap::new();
    for (_, p) in train {
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
    Idf::parse(&idf.to_text())
}

/// Each pair as a sample, its records weighted with `idf`.
pub fn samples(pairs: &[(usize, er_data::Pair)], idf: &Idf) -> Vec<Sample> {
    pairs
        .iter()
        .map(|(bench, p)| {
            let (a, b) = (
                ProductFeatures::with_idf(&p.left.key(), idf),
                ProductFeatures::with_idf(&p.right.key(), idf),
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
}

/// Prints the same-product pairs of `pairs` that a hard rule refuses (with the shipped weights).
pub fn print_vetoed(pairs: &[(usize, er_data::Pair)]) {
    for (b, p) in pairs {
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
}

/// Prints, per benchmark, the pairs of a set and the same pairs a hard rule refuses.
pub fn print_counts(name: &str, set: &[Sample]) {
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
