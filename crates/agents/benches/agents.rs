//! Latency of the agents on the offline rules provider.
fn main() {}
