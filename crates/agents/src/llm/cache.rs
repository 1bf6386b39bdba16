//! Cache of validated answers, keyed by a SHA-256 of (provider, model, prompt version,
//! prompt), with a time to live per agent and a bounded number of entries (moka).

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use sha2::{Digest, Sha256};

use crate::AgentKind;

/// How long an agent's answers are reused; `None`: never cached.
pub fn ttl(agent: AgentKind) -> Option<Duration> {
    match agent {
        AgentKind::GoalAnalysis | AgentKind::PriceAnalysis => Some(Duration::from_secs(3600)),
        AgentKind::Notification => Some(Duration::from_secs(600)),
        // Search results change by the minute and the loop calls tools: never cached.
        AgentKind::DealSearch => None,
    }
}

/// A cached answer: the validated JSON text and the tokens it cost when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// The answer text, valid for the agent's schema when stored.
    pub text: Arc<str>,
}

/// The cache key of one prompt at one provider.
pub type CacheKey = [u8; 32];

/// The response cache: one bounded cache per cached agent.
#[derive(Clone)]
pub struct ResponseCache {
    goal: Cache<CacheKey, CachedAnswer>,
    price: Cache<CacheKey, CachedAnswer>,
    notification: Cache<CacheKey, CachedAnswer>,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache").finish_non_exhaustive()
    }
}

impl ResponseCache {
    /// A cache holding at most `entries` answers per agent.
    pub fn new(entries: u64) -> Self {
        let build = |agent| {
            Cache::builder()
                .max_capacity(entries)
                .time_to_live(ttl(agent).unwrap_or(Duration::ZERO))
                .build()
        };
        Self {
            goal: build(AgentKind::GoalAnalysis),
            price: build(AgentKind::PriceAnalysis),
            notification: build(AgentKind::Notification),
        }
    }

    fn of(&self, agent: AgentKind) -> Option<&Cache<CacheKey, CachedAnswer>> {
        match agent {
            AgentKind::GoalAnalysis => Some(&self.goal),
            AgentKind::PriceAnalysis => Some(&self.price),
            AgentKind::Notification => Some(&self.notification),
            AgentKind::DealSearch => None,
        }
    }

    /// The cached answer, if fresh.
    pub async fn get(&self, agent: AgentKind, key: &CacheKey) -> Option<CachedAnswer> {
        self.of(agent)?.get(key).await
    }

    /// Stores an answer (no-op for agents that are not cached).
    pub async fn put(&self, agent: AgentKind, key: CacheKey, answer: CachedAnswer) {
        if let Some(cache) = self.of(agent) {
            cache.insert(key, answer).await;
        }
    }
}

/// SHA-256 over the length-prefixed parts, so no two part lists share a key.
pub fn key(provider: &str, model: &str, prompt_version: &str, prompt: &str) -> CacheKey {
    let mut h = Sha256::new();
    for part in [provider, model, prompt_version, prompt] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_every_part() {
        let base = key("deepseek", "deepseek-chat", "goal-analysis/1", "p");
        assert_ne!(base, key("openai", "deepseek-chat", "goal-analysis/1", "p"));
        assert_ne!(base, key("deepseek", "gpt", "goal-analysis/1", "p"));
        assert_ne!(
            base,
            key("deepseek", "deepseek-chat", "goal-analysis/2", "p")
        );
        assert_ne!(
            base,
            key("deepseek", "deepseek-chat", "goal-analysis/1", "q")
        );
        assert_ne!(key("ab", "c", "", ""), key("a", "bc", "", ""));
    }
}
