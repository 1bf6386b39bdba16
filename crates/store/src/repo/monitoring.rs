//! Figures for the `/metrics` collectors: jobs by status and active listings per market. Each
//! is one grouped count; callers refresh them periodically, not on every scrape.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::{job, listing};
use crate::{Store, StoreError};

pub use deals_core::enums::{JobStatus, ListingStatus};

impl Store {
    /// Number of jobs in each status (statuses without jobs are absent).
    pub async fn job_status_counts(&self) -> Result<Vec<(JobStatus, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::Status)
            .column_as(job::Column::Id.count(), "n")
            .group_by(job::Column::Status)
            .into_tuple()
            .all(self.conn())
            .await?;
        rows.into_iter()
            .map(|(s, n)| {
                let status = JobStatus::parse(&s)
                    .map_err(|e| StoreError::Corrupt(format!("stored job status {s}: {e}")))?;
                Ok((status, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    /// Number of active listings per market (markets without any are absent).
    pub async fn active_listings_by_market(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = listing::Entity::find()
            .select_only()
            .column(listing::Column::Market)
            .column_as(listing::Column::Id.count(), "n")
            .filter(listing::Column::Status.eq(ListingStatus::Active.as_str()))
            .group_by(listing::Column::Market)
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(m, n)| (m, u64::try_from(n).unwrap_or(0)))
            .collect())
    }
}
