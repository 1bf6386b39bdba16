//! Password hashing: argon2id (OWASP parameters) for new hashes; bcrypt hashes of imported users
//! still verify. Hashing runs on the blocking pool, never on the async runtime.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

use deals_core::Password;
use tokio::sync::Semaphore;

fn hasher() -> Argon2<'static> {
    // OWASP 2023 minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many hashes are computed at once (each argon2id run holds 19 MiB): a burst of
/// logins queues here instead of exhausting memory through the blocking pool.
static HASHING: Semaphore = Semaphore::const_new(4);

/// Hashes a password with argon2id, off the async runtime.
pub async fn hash(password: Password) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored argon2 or bcrypt hash, off the async runtime. With no
/// stored hash (unknown account) it checks against a dummy argon2id hash of the same cost and
/// answers false, so the answer takes as long either way. A malformed stored hash verifies as
/// false.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let Some(stored) = stored else {
            let dummy = dummy_hash();
            if let Ok(parsed) = PasswordHash::new(dummy) {
                let _ = hasher().verify_password(password.as_bytes(), &parsed);
            }
            return Ok(false);
        };
        if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
            return Ok(bcrypt::verify(&password, &stored).unwrap_or(false));
        }
        Ok(PasswordHash::new(&stored)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false))
    })
    .await?
}

/// A hash of a random password with the current parameters, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret: [u8; 16] = rand::random();
        hasher()
            .hash_password(&secret, &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Whether a stored hash should be replaced by a fresh argon2id hash after a successful login.
pub fn needs_rehash(stored: &str) -> bool {
    !stored.starts_with("$argon2id$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse!".into(), Some(h)).await.unwrap());
    }

    #[tokio::test]
    async fn bcrypt_hashes_of_imported_users_verify() {
        let h = bcrypt::hash("imported-pass", 4).unwrap();
        assert!(
            verify("imported-pass".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("other-pass".into(), Some(h.clone())).await.unwrap());
        assert!(needs_rehash(&h));
    }

    #[tokio::test]
    async fn malformed_hashes_and_unknown_accounts_never_verify() {
        assert!(!verify("x".into(), Some("not a hash".into())).await.unwrap());
        assert!(!verify("x".into(), None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_costs_as_much_as_a_real_one() {
        let dummy = PasswordHash::new(dummy_hash()).expect("the dummy hash parses");
        let real = hasher()
            .hash_password(b"x", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(
            dummy.params, real.params,
            "same memory, iterations and lanes"
        );
    }
}
