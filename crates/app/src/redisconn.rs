//! One Redis connection type for the cache, the rate limiter, the live-event publisher and the
//! readiness check: a single server (`redis.url`, through a reconnecting
//! [`ConnectionManager`]) or a Redis Cluster (`redis.cluster_urls`, through redis-rs's
//! `cluster-async`, which routes each command to the node owning its key's slot and follows
//! resharding). Callers use ordinary redis commands on it either way.

use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// Where Redis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server.
    Single(String),
    /// Seed nodes of a cluster.
    Cluster(Vec<String>),
}

/// A cheap-to-clone, self-reconnecting connection to a Redis server or cluster.
#[derive(Clone)]
pub enum RedisConn {
    /// One server.
    Single(ConnectionManager),
    /// A cluster.
    Cluster(ClusterConnection),
}

/// How long connecting may take before start-up fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl RedisConn {
    /// Connects, failing within five seconds when Redis does not answer.
    pub async fn connect(target: &RedisTarget) -> anyhow::Result<Self> {
        match target {
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url.as_str()).context("invalid redis.url")?;
                let conn = tokio::time::timeout(CONNECT_TIMEOUT, client.get_connection_manager())
                    .await
                    .context("redis did not answer within 5 s")?
                    .context("cannot connect to redis")?;
                Ok(Self::Single(conn))
            }
            RedisTarget::Cluster(nodes) => {
                let client = ClusterClientBuilder::new(nodes.clone())
                    .connection_timeout(Duration::from_secs(2))
                    .response_timeout(Duration::from_secs(2))
                    .build()
                    .context("invalid redis.cluster_urls")?;
                let conn = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_connection())
                    .await
                    .context("the redis cluster did not answer within 5 s")?
                    .context("cannot connect to the redis cluster")?;
                Ok(Self::Cluster(conn))
            }
        }
    }

    /// `redis` or `redis-cluster`, for `/ready`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Single(_) => "redis",
            Self::Cluster(_) => "redis-cluster",
        }
    }

    /// Whether Redis answers `PING` within `deadline` (on a cluster: the node it routes to).
    pub async fn ping(&self, deadline: Duration) -> bool {
        let mut conn = self.clone();
        let pong = tokio::time::timeout(
            deadline,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        matches!(pong, Ok(Ok(ref p)) if p == "PONG")
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
