//! CPU time of `same_product` on precomputed features, for a machine too busy for criterion's
//! wall-clock figures: the same pair as `benches/matching.rs` (`same_product/from_features`),
//! compared `N` times, timed by this thread's CPU time from `/proc/thread-self/stat` (Linux),
//! so that time spent waiting for a core while other processes run does not count.
//!
//! ```text
//! cargo run --release -p deals-core --example same_product_cpu [comparisons per run]
//! ```
//!
//! With a small count (`… same_product_cpu 20000`) it also serves `valgrind --tool=callgrind`,
//! whose instruction counts do not depend on what else the machine runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::hint::black_box;

use deals_core::matching::{ProductFeatures, ProductKey};

/// Comparisons per run, unless the first argument says otherwise.
const N: u32 = 5_000_000;

/// User plus system CPU time of this thread, in clock ticks (1/100 s).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("Linux /proc");
    // Fields after the command name (which ends with the last `)`): state is field 3, utime 14.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn main() {
    let a = ProductKey {
        title: "Sony WH-1000XM5 Wireless Industry Leading Noise Canceling Headphones with Auto Noise Canceling Optimizer, Crystal Clear Hands-Free Calling, and Alexa Voice Control, Black",
        brand: Some("Sony"),
        ..ProductKey::default()
    };
    let b = ProductKey {
        title: "Sony - WH-1000XM5 Wireless Noise-Canceling Over-the-Ear Headphones - Black",
        brand: Some("Sony"),
        mpn: Some("WH1000XM5/B"),
        ..ProductKey::default()
    };
    let n: u32 = std::env::args()
        .nth(1)
        .map_or(N, |a| a.parse().expect("a count of comparisons"));
    let (fa, fb) = (ProductFeatures::new(&a), ProductFeatures::new(&b));
    for run in 0..3 {
        let wall = std::time::Instant::now();
        let start = cpu_ticks();
        for _ in 0..n {
            black_box(black_box(&fa).same_as(black_box(&fb)));
        }
        let cpu_ns = (cpu_ticks() - start) as f64 * 1e7 / f64::from(n);
        let wall_ns = wall.elapsed().as_nanos() as f64 / f64::from(n);
        println!("run {run}: {cpu_ns:.0} ns CPU per pair ({wall_ns:.0} ns wall)");
    }
}
