//! The active goals as an inverted index ([`GoalIndex`]), so that a listing stored by one
//! goal's search is matched to every other goal it fits. Rebuilt from the database when older
//! than [`MAX_AGE`]; goals created or changed since then are caught by their own searches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deals_core::matching::GoalIndex;
use deals_store::{Store, StoreError};
use tokio::sync::Mutex;
use uuid::Uuid;

/// How long a built index is used before it is rebuilt.
pub const MAX_AGE: Duration = Duration::from_secs(30);

/// A goal index shared by the jobs of one process.
#[derive(Default)]
pub struct SharedGoalIndex {
    built: Mutex<Option<(Instant, Arc<GoalIndex<Uuid>>)>>,
}

impl SharedGoalIndex {
    /// The current index, rebuilt first when missing or older than [`MAX_AGE`].
    pub async fn get(&self, store: &Store) -> Result<Arc<GoalIndex<Uuid>>, StoreError> {
        let mut built = self.built.lock().await;
        if let Some((at, index)) = built.as_ref()
            && at.elapsed() < MAX_AGE
        {
            return Ok(index.clone());
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
        let index = Arc::new(index);
        *built = Some((Instant::now(), index.clone()));
        Ok(index)
    }
}
