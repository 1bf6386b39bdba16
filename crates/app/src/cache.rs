//! Response cache for public GETs behind one trait: moka in-process by default, Redis when
//! configured (shared by every replica). TTLs follow the architecture document.

use std::time::Duration;

use crate::redisconn::RedisConn;
use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache as Moka;
use redis::AsyncCommands;

use crate::breaker::Breaker;

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
    async fn get(&self, key: &str) -> Option<Bytes>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: Bytes, ttl: Duration);
    /// Removes `key`.
    async fn delete(&self, key: &str);
    /// Which backend this is, for `/ready` and logs.
    fn kind(&self) -> &'static str;
}

struct PerEntryTtl;

impl Expiry<String, (Bytes, Duration)> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _: &String,
        v: &(Bytes, Duration),
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(v.1)
    }
}

/// In-process cache (moka), bounded in bytes of keys and values.
pub struct MemoryCache {
    inner: Moka<String, (Bytes, Duration)>,
}

impl MemoryCache {
    /// A cache holding at most about `max_bytes` of keys and values (least used go first).
    pub fn new(max_bytes: u64) -> Self {
        let inner = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &(Bytes, Duration)| {
                u32::try_from(key.len() + value.0.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        Self { inner }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Bytes> {
        self.inner.get(key).await.map(|(v, _)| v)
    }
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) {
        self.inner.insert(key.to_owned(), (value, ttl)).await;
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
    conn: RedisConn,
    prefix: String,
    breaker: Breaker,
}

impl RedisCache {
    /// A cache on an established connection.
    pub fn new(conn: RedisConn, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
            breaker: Breaker::redis("redis cache"),
        }
    }

    /// Shares `breaker` (one per Redis: the limiter and the cache trip it together).
    pub fn with_breaker(mut self, breaker: Breaker) -> Self {
        self.breaker = breaker;
        self
    }

    fn key(&self, key: &str) -> String {
        format!("{}cache:{key}", self.prefix)
    }
}

#[async_trait]
impl Cache for RedisCache {
    // Every call goes through the breaker: Redis trouble is a cache miss within 250 ms at
    // worst, then skipped at once for a few seconds.
    async fn get(&self, key: &str) -> Option<Bytes> {
        let mut conn = self.conn.clone();
        self.breaker
            .call(conn.get::<_, Option<Vec<u8>>>(self.key(key)))
            .await
            .flatten()
            .map(Bytes::from)
    }
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) {
        let mut conn = self.conn.clone();
        let secs = ttl.as_secs().max(1);
        let key = self.key(key);
        self.breaker
            .call(conn.set_ex::<_, _, ()>(key, value.as_ref(), secs))
            .await;
    }
    async fn delete(&self, key: &str) {
        let mut conn = self.conn.clone();
        self.breaker.call(conn.del::<_, ()>(self.key(key))).await;
    }
    fn kind(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_is_bounded_in_bytes() {
        let c = MemoryCache::new(1024 * 1024);
        for i in 0..1_000 {
            c.set(
                &format!("search:{i}"),
                Bytes::from(vec![b'x'; 4_000]),
                Duration::from_secs(600),
            )
            .await;
        }
        c.inner.run_pending_tasks().await;
        assert!(
            c.inner.weighted_size() <= 1024 * 1024,
            "{} bytes kept",
            c.inner.weighted_size()
        );
        assert!(c.inner.entry_count() < 300);
    }

    #[tokio::test]
    async fn memory_cache_honours_per_entry_ttl_and_delete() {
        let c = MemoryCache::new(1024);
        c.set("a", Bytes::from_static(b"1"), Duration::from_millis(30))
            .await;
        c.set("b", Bytes::from_static(b"2"), Duration::from_secs(60))
            .await;
        assert_eq!(c.get("a").await.as_deref(), Some(&b"1"[..]));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(c.get("a").await, None);
        assert_eq!(c.get("b").await.as_deref(), Some(&b"2"[..]));
        c.delete("b").await;
        assert_eq!(c.get("b").await, None);
    }
}
