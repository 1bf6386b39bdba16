//! Password hashing: argon2id (OWASP parameters) for new hashes; bcrypt hashes of imported users
//! still verify. Hashing runs on the blocking pool, never on the async runtime, at most
//! [`CONCURRENCY`] at once, each in one of a few reusable 19 MiB work buffers: a burst of
//! sign-ins costs at most `CONCURRENCY` × 19 MiB while it lasts, instead of a fresh buffer per
//! hash. The buffers are freed once no hash ran for [`POOL_IDLE`], so the memory goes back to
//! the allocator (and from there to the system) after the burst.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use deals_core::Password;
use tokio::sync::Semaphore;

fn hasher() -> Argon2<'static> {
    // OWASP 2023 minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes computed at once.
pub const CONCURRENCY: usize = 4;

/// At most [`CONCURRENCY`] hashes are computed at once (each argon2id run needs 19 MiB): a
/// burst of logins queues here instead of exhausting memory through the blocking pool.
static HASHING: Semaphore = Semaphore::const_new(CONCURRENCY);

/// How long the work buffers are kept after the last hash finished.
pub const POOL_IDLE: Duration = Duration::from_secs(2);

/// Work buffers of finished hashes, reused by the next ones (at most one per permit), and
/// freed once no hash finished for [`POOL_IDLE`].
struct BufferPool {
    buffers: Mutex<Vec<Vec<Block>>>,
    finished: AtomicU64,
}

impl BufferPool {
    const fn new() -> Self {
        Self {
            buffers: Mutex::new(Vec::new()),
            finished: AtomicU64::new(0),
        }
    }

    /// A buffer of `blocks` blocks: a pooled one when it has that size, else a new one.
    fn take(&self, blocks: usize) -> Vec<Block> {
        let pooled = self.buffers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(buf) if buf.len() == blocks => buf,
            _ => vec![Block::default(); blocks],
        }
    }

    /// Keeps a buffer for the next hash (at most [`CONCURRENCY`] are kept).
    fn put(&self, buffer: Vec<Block>) {
        let mut pool = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < CONCURRENCY {
            pool.push(buffer);
        }
    }

    /// Buffers kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.buffers.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Counts a finished hash; returns the count to pass to [`BufferPool::release_if_idle`].
    fn finished_one(&self) -> u64 {
        self.finished.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Frees the kept buffers when no hash finished since the one that returned `seen`;
    /// whether it did.
    fn release_if_idle(&self, seen: u64) -> bool {
        if self.finished.load(Ordering::Relaxed) != seen {
            return false;
        }
        let freed = std::mem::take(&mut *self.buffers.lock().unwrap_or_else(|p| p.into_inner()));
        drop(freed);
        true
    }

    /// Counts a finished hash and frees the kept buffers when no other hash finishes within
    /// [`POOL_IDLE`]: a burst keeps reusing them, the idle server gives the memory back.
    fn release_when_idle(&'static self) {
        let seen = self.finished_one();
        tokio::spawn(async move {
            tokio::time::sleep(POOL_IDLE).await;
            self.release_if_idle(seen);
        });
    }
}

static BUFFERS: BufferPool = BufferPool::new();

/// Runs argon2 with `params` into `out`, in a pooled work buffer when the sizes fit.
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let mut memory = BUFFERS.take(params.block_count());
    let result = argon.hash_password_into_with_memory(password, salt, out, &mut memory);
    BUFFERS.put(memory);
    result
}

/// The PHC string of an argon2id hash of `password` with a fresh salt.
fn hash_now(password: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("argon2 salt: {e}"))?;
    let argon = hasher();
    let params = argon.params().clone();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, &params, password, salt_raw, &mut out)
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("argon2 output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches a stored argon2 PHC hash (any variant, version and parameters),
/// compared in constant time.
fn verify_argon2(password: &[u8], stored: &PasswordHash<'_>) -> bool {
    let (Ok(algorithm), Some(salt), Some(expected)) = (
        Algorithm::try_from(stored.algorithm),
        stored.salt,
        stored.hash,
    ) else {
        return false;
    };
    let Ok(params) = Params::try_from(stored) else {
        return false;
    };
    let version = stored
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&argon, &params, password, salt_raw, &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Hashes a password with argon2id, off the async runtime.
pub async fn hash(password: Password) -> anyhow::Result<String> {
    let permit = HASHING.acquire().await?;
    let hashed = tokio::task::spawn_blocking(move || hash_now(password.expose().as_bytes())).await;
    drop(permit);
    BUFFERS.release_when_idle();
    hashed?
}

/// Checks a password against a stored argon2 or bcrypt hash, off the async runtime. With no
/// stored hash (unknown account) it checks against a dummy argon2id hash of the same cost and
/// answers false, so the answer takes as long either way. A malformed stored hash verifies as
/// false.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let permit = HASHING.acquire().await?;
    let verified = tokio::task::spawn_blocking(move || {
        let Some(stored) = stored else {
            if let Ok(parsed) = PasswordHash::new(dummy_hash()) {
                let _ = verify_argon2(password.as_bytes(), &parsed);
            }
            return Ok(false);
        };
        if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
            return Ok(bcrypt::verify(&password, &stored).unwrap_or(false));
        }
        Ok(PasswordHash::new(&stored)
            .map(|parsed| verify_argon2(password.as_bytes(), &parsed))
            .unwrap_or(false))
    })
    .await;
    drop(permit);
    BUFFERS.release_when_idle();
    verified?
}

/// A hash of a random password with the current parameters, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let secret: [u8; 16] = rand::random();
        hash_now(&secret).unwrap_or_default()
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

    #[test]
    fn pooled_hashes_are_standard_phc_strings_the_argon2_crate_verifies_and_vice_versa() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let ours = hash_now(b"correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(hasher().verify_password(b"correct horse", &parsed).is_ok());
        let theirs = hasher()
            .hash_password(b"battery staple", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let theirs = PasswordHash::new(&theirs).unwrap();
        assert!(verify_argon2(b"battery staple", &theirs));
        assert!(!verify_argon2(b"battery stapler", &theirs));
        assert!(BUFFERS.len() <= CONCURRENCY);
    }

    #[test]
    fn pooled_buffers_are_kept_during_a_burst_and_freed_when_idle() {
        let pool = BufferPool::new();
        for _ in 0..CONCURRENCY + 2 {
            pool.put(pool.take(8));
        }
        pool.put(vec![Block::default(); 8]);
        assert_eq!(
            pool.len(),
            2,
            "a buffer is reused, extra ones are kept up to the limit"
        );
        let first = pool.finished_one();
        let second = pool.finished_one();
        assert!(!pool.release_if_idle(first), "another hash finished since");
        assert_eq!(pool.len(), 2);
        assert!(pool.release_if_idle(second));
        assert_eq!(pool.len(), 0, "freed after an idle period");
    }

    #[tokio::test]
    async fn malformed_hashes_and_unknown_accounts_never_verify() {
        assert!(!verify("x".into(), Some("not a hash".into())).await.unwrap());
        assert!(!verify("x".into(), None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_costs_as_much_as_a_real_one() {
        let dummy = PasswordHash::new(dummy_hash()).expect("the dummy hash parses");
        let real = hash_now(b"x").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(
            dummy.params, real.params,
            "same memory, iterations and lanes"
        );
    }
}
