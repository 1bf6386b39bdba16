//! Password hashing: argon2id (OWASP parameters) for new hashes; bcrypt hashes of imported users
//! still verify. Hashing runs on the blocking pool, never on the async runtime.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use deals_core::Password;

fn hasher() -> Argon2<'static> {
    // OWASP 2023 minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id, off the async runtime.
pub async fn hash(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored argon2 or bcrypt hash, off the async runtime. A malformed
/// stored hash verifies as false.
pub async fn verify(password: String, stored: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
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

/// A valid argon2id hash of a random password, verified against when the e-mail is unknown so
/// that a login takes as long whether or not the account exists.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Tg6bq3lDGTHa1G7t4oPdKd0/gXhVpZfL7d+Yq8yC5nM"
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
        assert!(verify("correct horse".into(), h.clone()).await.unwrap());
        assert!(!verify("wrong horse!".into(), h).await.unwrap());
    }

    #[tokio::test]
    async fn bcrypt_hashes_of_imported_users_verify() {
        let h = bcrypt::hash("imported-pass", 4).unwrap();
        assert!(verify("imported-pass".into(), h.clone()).await.unwrap());
        assert!(!verify("other-pass".into(), h.clone()).await.unwrap());
        assert!(needs_rehash(&h));
    }

    #[tokio::test]
    async fn malformed_hashes_never_verify() {
        assert!(!verify("x".into(), "not a hash".into()).await.unwrap());
        assert!(!verify("x".into(), dummy_hash().into()).await.unwrap());
    }
}
