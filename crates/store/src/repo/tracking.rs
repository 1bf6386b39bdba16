//! Trackers (a user watching one listing's price) and the user's in-app notifications.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::Page;
use crate::entity::{listing, notification, tracker};
use crate::error::retry_on_conflict;
use crate::rows::{self, Listing, Notification, Tracker};
use crate::{Scope, Store, StoreError, now};

/// A tracker with the listing it watches.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedListing {
    /// The tracker.
    pub tracker: Tracker,
    /// The listing, as last seen.
    pub listing: Listing,
}

impl Store {
    /// Starts tracking a listing for a user, or updates the user's tracker of that listing.
    pub async fn track_listing(
        &self,
        user_id: Uuid,
        listing_id: Uuid,
        target_price_minor: Option<i64>,
        notify_on_drop_pct: Option<f64>,
    ) -> Result<(Tracker, bool), StoreError> {
        // Two requests tracking the same deal at once: the loser of the unique-key race finds
        // the winner's tracker on its next try and updates it (an upsert, never a 409).
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let existing = tracker::Entity::find()
                .filter(tracker::Column::UserId.eq(user_id))
                .filter(tracker::Column::ListingId.eq(listing_id))
                .one(&txn)
                .await?;
            let out = match existing {
                Some(t) => {
                    let mut am: tracker::ActiveModel = t.into();
                    am.target_price_minor = Set(target_price_minor);
                    am.notify_on_drop_pct = Set(notify_on_drop_pct);
                    (am.update(&txn).await?, false)
                }
                None => {
                    let am = tracker::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        user_id: Set(user_id),
                        listing_id: Set(listing_id),
                        target_price_minor: Set(target_price_minor),
                        notify_on_drop_pct: Set(notify_on_drop_pct),
                        created_at: Set(now()),
                        last_price_minor: Set(None),
                        last_checked_at: Set(None),
                        alert_state: Set(None),
                    };
                    (am.insert(&txn).await?, true)
                }
            };
            txn.commit().await?;
            Ok((Tracker::from(out.0), out.1))
        })
        .await
    }

    /// The user's trackers with their listings, newest first.
    pub async fn list_tracked(
        &self,
        user_id: Uuid,
        page: deals_core::Pagination,
    ) -> Result<Page<TrackedListing>, StoreError> {
        let q = tracker::Entity::find().filter(tracker::Column::UserId.eq(user_id));
        let total = q.clone().count(self.conn()).await?;
        let trackers = q
            .order_by_desc(tracker::Column::CreatedAt)
            .order_by_desc(tracker::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        let ids: Vec<Uuid> = trackers.iter().map(|t| t.listing_id).collect();
        let listings = listing::Entity::find()
            .filter(listing::Column::Id.is_in(ids))
            .all(self.conn())
            .await?;
        let items = trackers
            .into_iter()
            .filter_map(|t| {
                let l = listings.iter().find(|l| l.id == t.listing_id)?.clone();
                Some((t, l))
            })
            .map(|(t, l)| {
                Ok(TrackedListing {
                    tracker: t.into(),
                    listing: l.try_into()?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Page { items, total })
    }

    /// Stops a tracker visible in `scope`.
    pub async fn delete_tracker(&self, scope: Scope, id: Uuid) -> Result<(), StoreError> {
        let mut q = tracker::Entity::delete_many().filter(tracker::Column::Id.eq(id));
        if let Scope::Owner(user) = scope {
            q = q.filter(tracker::Column::UserId.eq(user));
        }
        match q.exec(self.write_conn()).await?.rows_affected {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// A user's notifications, newest first; only unread ones with `unread_only`.
    pub async fn list_notifications(
        &self,
        user_id: Uuid,
        unread_only: bool,
        page: deals_core::Pagination,
    ) -> Result<Page<Notification>, StoreError> {
        let mut q = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
        if unread_only {
            q = q.filter(notification::Column::ReadAt.is_null());
        }
        let total = q.clone().count(self.conn()).await?;
        let items = q
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: rows::all(items)?,
            total,
        })
    }

    /// Unread notifications of a user.
    pub async fn unread_count(&self, user_id: Uuid) -> Result<u64, StoreError> {
        Ok(notification::Entity::find()
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::ReadAt.is_null())
            .count(self.conn())
            .await?)
    }

    /// Marks one of the user's notifications read (idempotent).
    pub async fn mark_read(&self, user_id: Uuid, id: Uuid) -> Result<(), StoreError> {
        let found = notification::Entity::find_by_id(id)
            .filter(notification::Column::UserId.eq(user_id))
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        if found.read_at.is_none() {
            notification::Entity::update_many()
                .col_expr(notification::Column::ReadAt, Expr::val(now()))
                .filter(notification::Column::Id.eq(id))
                .filter(notification::Column::ReadAt.is_null())
                .exec(self.write_conn())
                .await?;
        }
        Ok(())
    }

    /// Marks every notification of the user read; returns how many changed.
    pub async fn mark_all_read(&self, user_id: Uuid) -> Result<u64, StoreError> {
        Ok(notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::val(now()))
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(self.write_conn())
            .await?
            .rows_affected)
    }
}

impl Store {
    /// Marks a listing `ended` (its market no longer offers it); it leaves public search.
    pub async fn end_listing(&self, id: Uuid) -> Result<(), StoreError> {
        listing::Entity::update_many()
            .col_expr(
                listing::Column::Status,
                Expr::val(deals_core::ListingStatus::Ended.as_str()),
            )
            .col_expr(listing::Column::UpdatedAt, Expr::val(now()))
            .filter(listing::Column::Id.eq(id))
            .exec(self.write_conn())
            .await?;
        Ok(())
    }
}
