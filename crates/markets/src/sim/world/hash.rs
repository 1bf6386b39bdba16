//! The simulator's only source of randomness: a fixed splitmix64/FNV-1a hash, so the simulated
//! world never changes with a dependency upgrade.

/// splitmix64's finaliser: a well-mixed 64-bit value from any input.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string, used to turn names (stores, ids, purposes) into hash inputs.
pub(crate) fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// A hash of a key and a sequence of parts.
pub(crate) fn hash(key: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(mix(key), |h, &p| mix(h ^ p))
}

/// A hash of a key, a purpose label and a number (a step, a day, a product id…).
pub(crate) fn hash_at(key: u64, purpose: &str, n: i64) -> u64 {
    // The bit pattern of `n` is what is hashed; negative steps (before the epoch) are fine.
    hash(key, &[fnv(purpose), n.cast_unsigned()])
}

/// A uniform number in `[0, 1)` from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    // 53 high bits give every representable double in [0, 1) the same weight.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform number in `[lo, hi)` from a hash.
pub(crate) fn between(h: u64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(h)
}

/// One of `items`, picked by a hash; `items` must not be empty.
pub(crate) fn pick<T: Copy>(h: u64, items: &[T]) -> T {
    items[(h % items.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fixed_and_spreads() {
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(fnv(""), 0xCBF2_9CE4_8422_2325);
        let mean = (0..10_000).map(|i| unit(hash_at(7, "t", i))).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert_ne!(hash_at(1, "a", 1), hash_at(1, "b", 1));
    }
}
