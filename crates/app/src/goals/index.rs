//! The active goals as an inverted index ([`GoalIndex`]), so that a listing stored by one
//! goal's search is matched to every other goal it fits.
//!
//! Kept up to date incrementally: a goal created, edited, paused or deleted in this process is
//! inserted into or removed from the index at once ([`SharedGoalIndex::upsert`],
//! [`SharedGoalIndex::remove`]); goals changed by other processes (API replicas, workers) are
//! picked up by a cheap check at most every [`SYNC_EVERY`], which reads only the goals whose
//! `updated_at` moved since the last check. Deleted goals leave nothing to read, so the index
//! is still rebuilt from the database every [`MAX_AGE`]; meanwhile their ids are dropped by
//! the caller, which loads the goals it matches (only active ones).

use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use deals_core::GoalCriteria;
use deals_core::matching::GoalIndex;
use deals_store::{Store, StoreError, now};
use tokio::sync::Mutex;
use uuid::Uuid;

/// How long a built index is kept (brought up to date meanwhile) before it is rebuilt.
pub const MAX_AGE: Duration = Duration::from_secs(600);
/// How often the goals changed by other processes are read.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);
/// Clock skew allowed between processes when reading changes since the last check.
const SKEW: chrono::Duration = chrono::Duration::seconds(2);

struct Built {
    index: GoalIndex<Uuid>,
    at: Instant,
    synced: DateTime<Utc>,
    checked: Instant,
}

/// A goal index shared by the jobs of one process.
#[derive(Default)]
pub struct SharedGoalIndex {
    built: RwLock<Option<Built>>,
    refresh: Mutex<()>,
}

impl std::fmt::Debug for SharedGoalIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedGoalIndex").finish_non_exhaustive()
    }
}

impl SharedGoalIndex {
    /// Runs `read` on the current index: built first when missing or older than [`MAX_AGE`],
    /// brought up to date with other processes' changes when last checked more than
    /// [`SYNC_EVERY`] ago.
    pub async fn read<R>(
        &self,
        store: &Store,
        read: impl FnOnce(&GoalIndex<Uuid>) -> R,
    ) -> Result<R, StoreError> {
        self.refresh(store).await?;
        let built = self.built.read().unwrap_or_else(|e| e.into_inner());
        Ok(match built.as_ref() {
            Some(b) => read(&b.index),
            None => read(&GoalIndex::new()),
        })
    }

    /// Adds or replaces a goal (created or edited in this process); no-op until the index is
    /// first built, which reads it from the database.
    pub fn upsert(&self, goal: Uuid, criteria: GoalCriteria) {
        let mut built = self.built.write().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = built.as_mut() {
            b.index.insert(goal, criteria);
        }
    }

    /// Removes a goal (deleted, paused or otherwise no longer active in this process).
    pub fn remove(&self, goal: Uuid) {
        let mut built = self.built.write().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = built.as_mut() {
            b.index.remove(goal);
        }
    }

    /// Goals in the index (0 before it is first built).
    pub fn len(&self) -> usize {
        let built = self.built.read().unwrap_or_else(|e| e.into_inner());
        built.as_ref().map_or(0, |b| b.index.len())
    }

    /// True when the index holds no goal.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    async fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let (rebuild, sync) = {
            let built = self.built.read().unwrap_or_else(|e| e.into_inner());
            match built.as_ref() {
                None => (true, None),
                Some(b) if b.at.elapsed() >= MAX_AGE => (true, None),
                Some(b) if b.checked.elapsed() >= SYNC_EVERY => (false, Some(b.synced)),
                Some(_) => (false, None),
            }
        };
        if !rebuild && sync.is_none() {
            return Ok(());
        }
        // One refresh at a time; the others use the index as it is meanwhile (or wait for
        // the first build).
        let _guard = match self.refresh.try_lock() {
            Ok(g) => g,
            Err(_) if !rebuild => return Ok(()),
            Err(_) => self.refresh.lock().await,
        };
        let started = now();
        if rebuild {
            let fresh = {
                let built = self.built.read().unwrap_or_else(|e| e.into_inner());
                built.as_ref().is_some_and(|b| b.at.elapsed() < MAX_AGE)
            };
            if fresh {
                return Ok(());
            }
            let goals = store.active_goal_criteria().await?;
            let index = tokio::task::spawn_blocking(move || {
                let mut index = GoalIndex::new();
                for (id, criteria) in goals {
                    index.insert(id, criteria);
                }
                index
            })
            .await
            .map_err(|e| StoreError::Corrupt(format!("building the goal index: {e}")))?;
            *self.built.write().unwrap_or_else(|e| e.into_inner()) = Some(Built {
                index,
                at: Instant::now(),
                synced: started,
                checked: Instant::now(),
            });
            metrics::counter!("deals_goal_index_rebuilds_total").increment(1);
            return Ok(());
        }
        if let Some(since) = sync {
            let changed = store.goals_changed_since(since - SKEW).await?;
            let mut built = self.built.write().unwrap_or_else(|e| e.into_inner());
            if let Some(b) = built.as_mut() {
                for (id, criteria) in changed {
                    match criteria {
                        Some(c) => b.index.insert(id, c),
                        None => b.index.remove(id),
                    }
                }
                b.synced = started;
                b.checked = Instant::now();
            }
        }
        Ok(())
    }
}
