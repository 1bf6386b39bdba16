//! The simulated world of seed [`SIM_SEED`] (`deals-markets`' `sim_offers` example writes its
//! offers to `target/sim-offers-7.tsv`): training samples, and the cross-store pairs the
//! chosen thresholds may not make worse than the rules alone. The linkage test uses the
//! default world (seed 42), which stays held out.

use deals_core::matching::{Idf, ProductFeatures, ProductKey, SameProduct};

use crate::data::Sample;
use crate::thresholds::group;
use crate::trees::Model;

/// Seed of the simulated world.
pub const SIM_SEED: u64 = 7;

/// An empty column as `None`.
fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The offers, one row of columns per offer: store, condition, catalogue product, whether it is
/// an accessory (`1`), title, brand, model, GTIN, MPN.
pub struct Offers(String);

impl Offers {
    /// Reads `target/sim-offers-7.tsv`.
    pub fn read() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/sim-offers-7.tsv");
        Self(std::fs::read_to_string(path).unwrap_or_else(|_| {
            panic!("{path} missing: cargo run -p deals-markets --example sim_offers -- {SIM_SEED} > target/sim-offers-{SIM_SEED}.tsv")
        }))
    }

    fn rows(&self) -> Vec<Vec<&str>> {
        self.0.lines().map(|l| l.split('\t').collect()).collect()
    }

    /// Calls `f(a, b, same product, accessory with non-accessory)` for every pair of offers at
    /// two stores in the same condition, with each offer's features: store fields shown
    /// (`full`) or title and brand only.
    fn pairs(
        &self,
        idf: &Idf,
        full: bool,
        mut f: impl FnMut(&ProductFeatures, &ProductFeatures, bool, bool),
    ) {
        let rows = self.rows();
        let features: Vec<ProductFeatures> = rows
            .iter()
            .map(|r| {
                ProductFeatures::with_idf(
                    &ProductKey {
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
                if a[0] != b[0] && a[1] == b[1] {
                    f(&features[i], &features[j], a[2] == b[2], a[3] != b[3]);
                }
            }
        }
    }

    /// Training samples (bench 2), in both modes: every same-product pair and the
    /// different-product pairs whose titles share at least a quarter of their terms.
    pub fn samples(&self, idf: &Idf) -> Vec<Sample> {
        let mut out = Vec::new();
        for full in [true, false] {
            self.pairs(idf, full, |a, b, same, _| {
                if let Some(x) = a.pair_features(b)
                    && (same || x[7] >= 0.25 || x[0] > 0.5)
                {
                    out.push(Sample {
                        bench: 2,
                        x: Some(x),
                        decided: false,
                        y: same,
                    });
                }
            });
        }
        out
    }

    /// The pairs of both modes (store fields shown, titles only), scored by `model`.
    pub fn scored(&self, idf: &Idf, model: &Model) -> [SimPairs; 2] {
        [true, false].map(|full| {
            let mut out = SimPairs {
                same: 0,
                decided: (0, 0, 0),
                open: vec![],
            };
            self.pairs(idf, full, |a, b, same, accessory| {
                out.same += usize::from(same);
                match a.pair_features(b) {
                    Some(x) => {
                        let m = model.margin(&x);
                        if x[0] > 0.5 || m >= -2.0 {
                            out.open.push((group(&x), m, same, accessory));
                        }
                    }
                    None => {
                        if a.same_as(b) != SameProduct::No {
                            if same {
                                out.decided.0 += 1;
                            } else {
                                out.decided.1 += 1;
                                out.decided.2 += usize::from(accessory);
                            }
                        }
                    }
                }
            });
            out
        })
    }
}

/// The cross-store pairs of the simulated world in one mode: what the hard rules decide, and
/// the open pairs the thresholds may accept.
pub struct SimPairs {
    /// Pairs of the same product.
    same: usize,
    /// Decided same by a hard rule: (right, wrong, wrong with an accessory).
    decided: (usize, usize, usize),
    /// Open pairs: (group, margin, same product, accessory with non-accessory).
    open: Vec<(usize, f32, bool, bool)>,
}

impl SimPairs {
    /// Precision, recall and accessory merges with thresholds `t`.
    pub fn scores(&self, t: [f32; 3]) -> (f64, f64, usize) {
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
    pub fn no_worse(&self, t: [f32; 3], rules: (f64, f64, usize)) -> bool {
        let (p, r, acc) = self.scores(t);
        p >= rules.0 - 0.002 && r >= rules.1 - 0.002 && acc == 0
    }
}
