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
//! histogram splits, depth 4); the decision thresholds from 5-fold out-of-fold scores on
//! train (see [`thresholds`]); the final trees on all train pairs →
//! `src/matching/learned_model.rs`. The validation splits are only read for the report at the
//! end. Deterministic: no randomness.
//!
//! Modules: [`data`] (the pairs, term weights and samples), [`sim`] (the simulated world),
//! [`trees`] (the learner and the generated source), [`thresholds`] (out-of-fold margins and
//! the threshold search).
//!
//! `-- vetoed` lists the train pairs of the same product a hard rule refuses; `DUMP=0` (or
//! `1`) lists the out-of-fold misses of Walmart–Amazon (or Abt–Buy) train.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../../tests/matching/er_data.rs"]
#[allow(dead_code)]
mod er_data;

mod data;
mod sim;
mod thresholds;
mod trees;

use deals_core::matching::{FEATURE_NAMES, FEATURES};

use data::{BENCHES, Sample};
use sim::{Offers, SIM_SEED};
use thresholds::{accepts, scores};

fn main() {
    let arg = std::env::args().nth(1);
    let train = data::load("train");
    if arg.as_deref() == Some("vetoed") {
        data::print_vetoed(&train);
        return;
    }
    let valid = data::load("valid");
    let idf = data::term_weights(&train);
    let offers = Offers::read();
    let mut tr = data::samples(&train, &idf);
    tr.extend(offers.samples(&idf));
    let va = data::samples(&valid, &idf);
    data::print_counts("train", &tr);
    data::print_counts("valid", &va);

    let cuts = trees::cuts(&tr);
    let oof = thresholds::out_of_fold(&tr, &cuts);
    let all: Vec<usize> = (0..tr.len()).collect();
    let model = trees::train_trees(&tr, &all, &cuts);
    let sim = offers.scored(&idf, &model);
    // The rules alone on the simulated world: the thresholds may not make it worse.
    let sim_rules = sim
        .iter()
        .map(|m| m.scores([f32::MIN, f32::INFINITY, f32::INFINITY]))
        .collect::<Vec<_>>();
    let t = thresholds::choose(&tr, &oof, &sim, &sim_rules);
    let oof_accepts =
        |i: usize, s: &Sample| s.decided || s.x.is_some_and(|x| accepts(&x, oof[i], t));
    if let Ok(b) = std::env::var("DUMP") {
        for (i, (bench, p)) in train.iter().enumerate() {
            let got = oof_accepts(i, &tr[i]);
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

    let rules = |_: usize, s: &Sample| s.decided || s.x.is_some_and(|x| x[0] > 0.5);
    println!("rules only:");
    report("train", &tr, &rules);
    report("valid", &va, &rules);
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
    report("train-oof", &tr, &oof_accepts);
    report("valid", &va, &|_, s| {
        s.decided || s.x.is_some_and(|x| accepts(&x, model.margin(&x), t))
    });
    print_splits(&model);

    if arg.as_deref() == Some("write") {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/matching");
        std::fs::write(format!("{dir}/idf.txt"), idf.to_text()).unwrap();
        std::fs::write(
            format!("{dir}/learned_model.rs"),
            trees::rust_source(&model, t),
        )
        .unwrap();
        println!("wrote {dir}/idf.txt and {dir}/learned_model.rs");
    }
}

/// Prints precision, recall and F1 per benchmark of the pairs `decide` accepts.
fn report(name: &str, set: &[Sample], decide: &dyn Fn(usize, &Sample) -> bool) {
    for (b, s) in scores(set, decide).iter().enumerate() {
        println!(
            "  {}.{name}: precision {:.3} recall {:.3} F1 {:.3}",
            BENCHES[b],
            s.precision(),
            s.recall(),
            s.f1()
        );
    }
}

/// Prints how many inner nodes of the trees split on each feature.
fn print_splits(model: &trees::Model) {
    let mut splits = [0usize; FEATURES];
    for t in &model.trees {
        for (f, th) in t.feature.iter().zip(t.threshold) {
            if th.is_finite() {
                splits[*f as usize] += 1;
            }
        }
    }
    println!(
        "splits per feature: {}",
        FEATURE_NAMES
            .iter()
            .zip(splits)
            .map(|(n, g)| format!("{n} {g}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
