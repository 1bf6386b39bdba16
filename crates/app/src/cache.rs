//! Response cache for public GETs behind one trait: moka in-process by default, Redis when
//! configured (shared by every replica). TTLs follow the architecture document.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use moka::Expiry;
use moka::future::Cache as Moka;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

/// TTL of one deal's public data (`deal:*`).
pub const DEAL_TTL: Duration = Duration::from_secs(60);
/// TTL of search results.
pub const SEARCH_TTL: Duration = Duration::from_secs(600);
/// Default TTL.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// A byte cache with per-entry TTL. Failures are logged and treated as misses: the cache never
/// makes a request fail.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value under `key`, if present and fresh.
    async fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration);
    /// Removes `key`.
    async fn delete(&self, key: &str);
    /// Which backend this is, for `/ready` and logs.
    fn kind(&self) -> &'static str;
}

struct PerEntryTtl;

impl Expiry<String, (Arc<Vec<u8>>, Duration)> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _: &String,
        v: &(Arc<Vec<u8>>, Duration),
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(v.1)
    }
}

/// In-process cache (moka), bounded in entries.
pub struct MemoryCache {
    inner: Moka<String, (Arc<Vec<u8>>, Duration)>,
}

impl MemoryCache {
    /// A cache holding at most `capacity` entries.
    pub fn new(capacity: u64) -> Self {
        Self {
            inner: Moka::builder()
                .max_capacity(capacity)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.inner.get(key).await.map(|(v, _)| v.as_ref().clone())
    }
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        self.inner
            .insert(key.to_owned(), (Arc::new(value), ttl))
            .await;
    }
    async fn delete(&self, key: &str) {
        self.inner.invalidate(key).await;
    }
    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// Redis cache shared by all replicas; keys carry the deployment's prefix.
pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisCache {
    /// A cache on an established connection.
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}cache:{key}", self.prefix)
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut conn = self.conn.clone();
        match conn.get::<_, Option<Vec<u8>>>(self.key(key)).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "redis cache get failed");
                None
            }
        }
    }
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let mut conn = self.conn.clone();
        let secs = ttl.as_secs().max(1);
        if let Err(e) = conn.set_ex::<_, _, ()>(self.key(key), value, secs).await {
            tracing::warn!(error = %e, "redis cache set failed");
        }
    }
    async fn delete(&self, key: &str) {
        let mut conn = self.conn.clone();
        if let Err(e) = conn.del::<_, ()>(self.key(key)).await {
            tracing::warn!(error = %e, "redis cache delete failed");
        }
    }
    fn kind(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_honours_per_entry_ttl_and_delete() {
        let c = MemoryCache::new(100);
        c.set("a", b"1".to_vec(), Duration::from_millis(30)).await;
        c.set("b", b"2".to_vec(), Duration::from_secs(60)).await;
        assert_eq!(c.get("a").await.as_deref(), Some(&b"1"[..]));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(c.get("a").await, None);
        assert_eq!(c.get("b").await.as_deref(), Some(&b"2"[..]));
        c.delete("b").await;
        assert_eq!(c.get("b").await, None);
    }
}
