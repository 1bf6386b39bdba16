//! Opaque refresh tokens: 256 random bits, given to the client once, stored only as SHA-256.

use sha2::{Digest, Sha256};

/// A new refresh token (`rt_` + 64 hex digits).
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("rt_{}", hex::encode(bytes))
}

/// The stored form of a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_stored_hashed() {
        let a = generate();
        assert_eq!(a.len(), 67);
        assert_ne!(a, generate());
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
        assert_eq!(digest(&a), digest(&a));
    }
}
