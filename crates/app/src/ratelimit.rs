//! Rate limiting behind one trait: an in-process GCRA limiter (governor) by default, a Redis
//! sliding window when Redis is configured so that limits hold across replicas.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::redisconn::RedisConn;
use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::breaker::Breaker;

/// Which limit applies to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Requests without a token, per client address.
    Anonymous,
    /// Requests with a valid token, per user.
    User,
    /// Sign-in endpoints, per client address.
    Auth,
}

impl Bucket {
    fn as_str(self) -> &'static str {
        match self {
            Bucket::Anonymous => "anon",
            Bucket::User => "user",
            Bucket::Auth => "auth",
        }
    }
}

/// The request may not proceed before `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// How long to wait.
    pub retry_after: Duration,
}

/// Limits per minute for each bucket.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Anonymous requests per minute.
    pub anonymous: NonZeroU32,
    /// Signed-in requests per minute.
    pub user: NonZeroU32,
    /// Sign-in attempts per minute.
    pub auth: NonZeroU32,
}

impl Limits {
    fn of(&self, bucket: Bucket) -> NonZeroU32 {
        match bucket {
            Bucket::Anonymous => self.anonymous,
            Bucket::User => self.user,
            Bucket::Auth => self.auth,
        }
    }
}

/// Counts requests per key.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `key` in `bucket`; `Err` when over the limit.
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Limited>;
}

/// In-process limiter: one keyed GCRA limiter per bucket (burst = the per-minute limit).
pub struct MemoryLimiter {
    anonymous: DefaultKeyedRateLimiter<String>,
    user: DefaultKeyedRateLimiter<String>,
    auth: DefaultKeyedRateLimiter<String>,
}

impl MemoryLimiter {
    /// Limiters for `limits`.
    pub fn new(limits: Limits) -> Self {
        let keyed = |n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n));
        Self {
            anonymous: keyed(limits.anonymous),
            user: keyed(limits.user),
            auth: keyed(limits.auth),
        }
    }

    /// Forgets keys whose state is back to full; call periodically to bound memory.
    pub fn shrink(&self) {
        for l in [&self.anonymous, &self.user, &self.auth] {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Limited> {
        let limiter = match bucket {
            Bucket::Anonymous => &self.anonymous,
            Bucket::User => &self.user,
            Bucket::Auth => &self.auth,
        };
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| Limited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }
}

/// Redis sliding-window limiter (at most N requests in any 60 s), shared by every replica. The
/// window is a sorted set of request times, trimmed and counted atomically in a Lua script that
/// reads the clock of the Redis server, so replicas with skewed clocks agree. While Redis fails
/// or is slow (see [`Breaker`]), each replica limits on its own with the in-process limiter.
pub struct RedisLimiter {
    conn: RedisConn,
    prefix: String,
    limits: Limits,
    script: redis::Script,
    breaker: Breaker,
    fallback: MemoryLimiter,
}

const WINDOW_MS: u64 = 60_000;

const SLIDING_WINDOW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
";

impl RedisLimiter {
    /// A limiter on an established connection.
    pub fn new(conn: RedisConn, prefix: impl Into<String>, limits: Limits) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
            limits,
            script: redis::Script::new(SLIDING_WINDOW),
            breaker: Breaker::redis("redis rate limiter"),
            fallback: MemoryLimiter::new(limits),
        }
    }

    /// Shares `breaker` (one per Redis: the limiter and the cache trip it together).
    pub fn with_breaker(mut self, breaker: Breaker) -> Self {
        self.breaker = breaker;
        self
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Limited> {
        let redis_key = format!("{}rl:{}:{key}", self.prefix, bucket.as_str());
        let member = uuid::Uuid::new_v4().simple().to_string();
        let mut conn = self.conn.clone();
        let mut invocation = self.script.key(redis_key);
        invocation
            .arg(WINDOW_MS)
            .arg(self.limits.of(bucket).get())
            .arg(member);
        let wait_ms = self
            .breaker
            .call(invocation.invoke_async::<u64>(&mut conn))
            .await;
        match wait_ms {
            Some(0) => Ok(()),
            Some(ms) => Err(Limited {
                retry_after: Duration::from_millis(ms),
            }),
            // Redis is down or slow: limit in this process meanwhile; /ready reports Redis.
            None => self.fallback.check(bucket, key).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(n: u32) -> Limits {
        let n = NonZeroU32::new(n).unwrap();
        Limits {
            anonymous: n,
            user: n,
            auth: n,
        }
    }

    #[tokio::test]
    async fn memory_limiter_refuses_past_the_burst_per_key() {
        let l = MemoryLimiter::new(limits(3));
        for _ in 0..3 {
            assert!(l.check(Bucket::Anonymous, "1.2.3.4").await.is_ok());
        }
        let refused = l.check(Bucket::Anonymous, "1.2.3.4").await.unwrap_err();
        assert!(
            refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(20)
        );
        assert!(
            l.check(Bucket::Anonymous, "5.6.7.8").await.is_ok(),
            "other keys are independent"
        );
        assert!(
            l.check(Bucket::User, "1.2.3.4").await.is_ok(),
            "buckets are independent"
        );
    }
}
