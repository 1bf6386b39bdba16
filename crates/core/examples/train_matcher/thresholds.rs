//! The decision thresholds, one per group of pairs (see the crate's `learned::group`), chosen
//! from 5-fold out-of-fold margins on the train pairs: the highest F1 of the worse benchmark
//! with out-of-fold precision ≥ [`MIN_PRECISION`] on both, and on the simulated world no
//! worse than the rules alone.

use deals_core::matching::FEATURES;

use crate::data::Sample;
use crate::er_data;
use crate::sim::SimPairs;
use crate::trees::{Model, train_trees};

/// Lowest out-of-fold precision accepted when choosing the thresholds.
const MIN_PRECISION: f64 = 0.955;
/// Index of the feature `variant_differs`.
const VARIANT_DIFFERS: usize = 27;
/// Folds of the out-of-fold margins.
const FOLDS: usize = 5;

/// The crate's `learned::group`: 0 the rules accept the pair, 1 they refuse it but no variant
/// attribute differs, 2 a variant attribute differs.
pub fn group(x: &[f32; FEATURES]) -> usize {
    if x[0] > 0.5 {
        0
    } else if x[VARIANT_DIFFERS] < 0.5 {
        1
    } else {
        2
    }
}

/// Whether a pair with features `x` and margin `m` is the same product under thresholds `t`.
pub fn accepts(x: &[f32; FEATURES], m: f32, t: [f32; 3]) -> bool {
    m >= t[group(x)]
}

/// Confusion counts per benchmark.
pub fn scores(set: &[Sample], decide: impl Fn(usize, &Sample) -> bool) -> [er_data::Scores; 2] {
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

/// Each sample's margin from the trees trained on the other folds (NaN when a hard rule
/// decides it).
pub fn out_of_fold(set: &[Sample], cuts: &[Vec<f32>]) -> Vec<f32> {
    let mut oof = vec![f32::NAN; set.len()];
    for fold in 0..FOLDS {
        let fit: Vec<usize> = (0..set.len()).filter(|i| i % FOLDS != fold).collect();
        let model: Model = train_trees(set, &fit, cuts);
        for i in (0..set.len()).filter(|i| i % FOLDS == fold) {
            if let Some(x) = &set[i].x {
                oof[i] = model.margin(x);
            }
        }
    }
    oof
}

/// The thresholds `[rules accept, no variant differs, a variant differs]` on a grid of
/// quarter steps, given the out-of-fold margins `oof` of `set` and the simulated pairs `sim`
/// with the rules' own scores `sim_rules`.
pub fn choose(
    set: &[Sample],
    oof: &[f32],
    sim: &[SimPairs],
    sim_rules: &[(f64, f64, usize)],
) -> [f32; 3] {
    let mut best = (f64::MIN, [f32::MIN; 3]);
    let steps = |from: f32| (0..=40).map(move |k| from + k as f32 * 0.25);
    let lows: Vec<f32> = std::iter::once(f32::MIN).chain(steps(-8.0)).collect();
    let grid: Vec<f32> = steps(-2.0).collect();
    for &low in &lows {
        for &high in &grid {
            for &top in grid.iter().filter(|&&t| t >= high) {
                let t = [low, high, top];
                let s = scores(set, |i, s| {
                    s.decided || s.x.is_some_and(|x| accepts(&x, oof[i], t))
                });
                if s.iter().all(|s| s.precision() >= MIN_PRECISION)
                    && sim.iter().zip(sim_rules).all(|(m, r)| m.no_worse(t, *r))
                {
                    let worst = s.iter().map(|s| s.f1()).fold(f64::MAX, f64::min);
                    if worst > best.0 {
                        best = (worst, t);
                    }
                }
            }
        }
    }
    best.1
}
