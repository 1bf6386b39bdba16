//! Writes the simulated marketplace's offers as tab-separated lines for the same-product
//! trainer (`deals-core`'s `train_matcher`): store, condition, catalogue product, whether the
//! product is an accessory, title, brand, model, GTIN, MPN (empty when the store shows none).
//!
//! ```text
//! cargo run -p deals-markets --example sim_offers -- 7 > target/sim-offers-7.tsv
//! ```
//!
//! The argument is the world's seed. The trainer uses another seed than the linkage test's
//! default world (42), so that the test stays held out.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use deals_markets::sim::{SimConfig, SimWorld};

fn main() {
    let seed = std::env::args().nth(1).map_or(7, |s| s.parse().unwrap());
    let world = SimWorld::new(SimConfig {
        seed,
        ..SimConfig::default()
    });
    let clean = |s: Option<&str>| s.unwrap_or_default().replace(['\t', '\n'], " ");
    for o in world.all_offers() {
        let accessory = world
            .product(o.product)
            .is_some_and(|p| p.category.ends_with("accessories"));
        println!(
            "{}\t{:?}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            o.store,
            o.condition,
            o.product,
            u8::from(accessory),
            clean(Some(&o.title)),
            clean(o.brand.as_deref()),
            clean(o.model.as_deref()),
            clean(o.gtin.as_deref()),
            clean(o.mpn.as_deref()),
        );
    }
}
