//! What background work needs besides jobs: the scheduler's leader lease, notifications with
//! their dedup keys, goal expiry and retention.

use chrono::{DateTime, Duration, Utc};
use deals_core::{GoalCriteria, GoalStatus, NotificationKind, Priority};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entity::{goal, leader_lease, notification, tracker};
use crate::rows::{self, Goal, Notification, Tracker};
use crate::{Store, StoreError, now};

/// An in-app notification to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// Recipient.
    pub user_id: Uuid,
    /// What it is about.
    pub kind: NotificationKind,
    /// Urgency.
    pub priority: Priority,
    /// One line.
    pub title: String,
    /// The explanation.
    pub body: String,
    /// Links and numbers for the UI.
    pub data: serde_json::Value,
    /// At most one notification per user and key is ever stored.
    pub dedup_key: Option<String>,
}

impl Store {
    /// Takes or renews the lease of `name` for `holder`; `false` while another holder's lease
    /// is still running.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let at = now();
        leader_lease::Entity::insert(leader_lease::ActiveModel {
            name: Set(name.to_owned()),
            holder: Set(holder.to_owned()),
            until: Set(at + ttl),
        })
        .on_conflict_do_nothing_on([leader_lease::Column::Name])
        .exec(self.write_conn())
        .await?;
        let res = leader_lease::Entity::update_many()
            .col_expr(leader_lease::Column::Holder, Expr::val(holder))
            .col_expr(leader_lease::Column::Until, Expr::val(at + ttl))
            .filter(leader_lease::Column::Name.eq(name))
            .filter(
                Expr::col(leader_lease::Column::Holder)
                    .eq(holder)
                    .or(Expr::col(leader_lease::Column::Until).lt(at)),
            )
            .exec(self.write_conn())
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Gives up the lease of `name` if `holder` has it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        leader_lease::Entity::delete_many()
            .filter(leader_lease::Column::Name.eq(name))
            .filter(leader_lease::Column::Holder.eq(holder))
            .exec(self.write_conn())
            .await?;
        Ok(())
    }

    /// Stores a notification unless one with the same user and dedup key exists; `None` then.
    pub async fn insert_notification(
        &self,
        new: NewNotification,
    ) -> Result<Option<Notification>, StoreError> {
        insert_notification_in(self.write_conn(), new).await
    }

    /// A user's notifications, newest first.
    pub async fn recent_notifications(
        &self,
        user_id: Uuid,
        limit: u64,
    ) -> Result<Vec<Notification>, StoreError> {
        rows::all(
            notification::Entity::find()
                .filter(notification::Column::UserId.eq(user_id))
                .order_by_desc(notification::Column::CreatedAt)
                .limit(limit)
                .all(self.conn())
                .await?,
        )
    }

    /// Marks active goals whose deadline has passed as `expired`; returns them.
    pub async fn expire_goals(&self, at: DateTime<Utc>) -> Result<Vec<Goal>, StoreError> {
        let due: Vec<Goal> = rows::all(
            goal::Entity::find()
                .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
                .filter(goal::Column::Deadline.lte(at))
                .all(self.conn())
                .await?,
        )?;
        if due.is_empty() {
            return Ok(due);
        }
        goal::Entity::update_many()
            .col_expr(
                goal::Column::Status,
                Expr::val(GoalStatus::Expired.as_str()),
            )
            .col_expr(goal::Column::UpdatedAt, Expr::val(at))
            .filter(goal::Column::Id.is_in(due.iter().map(|g| g.id)))
            .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
            .exec(self.write_conn())
            .await?;
        Ok(due)
    }

    /// Active goals whose deadline falls within `within` from `at`.
    pub async fn goals_nearing_deadline(
        &self,
        at: DateTime<Utc>,
        within: Duration,
    ) -> Result<Vec<Goal>, StoreError> {
        rows::all(
            goal::Entity::find()
                .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
                .filter(goal::Column::Deadline.gt(at))
                .filter(goal::Column::Deadline.lte(at + within))
                .all(self.conn())
                .await?,
        )
    }

    /// `(id, user_id, priority)` of every active goal, for the scheduler.
    pub async fn active_goal_schedule(&self) -> Result<Vec<(Uuid, Uuid, Priority)>, StoreError> {
        let rows: Vec<(Uuid, Uuid, String)> = goal::Entity::find()
            .select_only()
            .column(goal::Column::Id)
            .column(goal::Column::UserId)
            .column(goal::Column::Priority)
            .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
            .into_tuple()
            .all(self.conn())
            .await?;
        rows.into_iter()
            .map(|(id, user, p)| {
                Priority::parse(&p)
                    .map(|p| (id, user, p))
                    .map_err(|e| StoreError::Corrupt(format!("goals.priority = {p:?}: {e}")))
            })
            .collect()
    }

    /// Deletes read notifications older than `before`.
    pub async fn delete_read_notifications(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let res = notification::Entity::delete_many()
            .filter(notification::Column::ReadAt.is_not_null())
            .filter(notification::Column::CreatedAt.lt(before))
            .exec(self.write_conn())
            .await?;
        Ok(res.rows_affected)
    }
}

impl Store {
    /// One notification by id.
    pub async fn get_notification(&self, id: Uuid) -> Result<Option<Notification>, StoreError> {
        notification::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(Notification::try_from)
            .transpose()
    }

    /// Every tracker, oldest first, in pages of `limit` after `after` (for the price checks).
    pub async fn trackers_after(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Tracker>, StoreError> {
        let mut q = tracker::Entity::find().order_by_asc(tracker::Column::Id);
        if let Some(a) = after {
            q = q.filter(tracker::Column::Id.gt(a));
        }
        let found = q.limit(limit).all(self.conn()).await?;
        Ok(found.into_iter().map(Tracker::from).collect())
    }
}

impl Store {
    /// Whether the listing is already matched to the goal.
    pub async fn has_match(&self, goal_id: Uuid, listing_id: Uuid) -> Result<bool, StoreError> {
        use crate::entity::goal_match;
        use sea_orm::PaginatorTrait;
        Ok(goal_match::Entity::find()
            .filter(goal_match::Column::GoalId.eq(goal_id))
            .filter(goal_match::Column::ListingId.eq(listing_id))
            .count(self.conn())
            .await?
            > 0)
    }

    /// One tracker by id.
    pub async fn get_tracker(&self, id: Uuid) -> Result<Option<Tracker>, StoreError> {
        Ok(tracker::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(Tracker::from))
    }

    /// Records what a price check saw: the price and which alert conditions hold.
    pub async fn update_tracker_state(
        &self,
        id: Uuid,
        price_minor: i64,
        alert_state: serde_json::Value,
    ) -> Result<(), StoreError> {
        update_tracker_state_in(self.write_conn(), id, price_minor, alert_state).await
    }
}

impl Store {
    /// The active goals among `ids` (chunked: any number of ids).
    pub async fn active_goals_among(&self, ids: &[Uuid]) -> Result<Vec<Goal>, StoreError> {
        let mut goals = Vec::new();
        for chunk in ids.chunks(500) {
            let rows = goal::Entity::find()
                .filter(goal::Column::Id.is_in(chunk.iter().copied()))
                .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
                .all(self.conn())
                .await?;
            for row in rows {
                goals.push(Goal::try_from(row)?);
            }
        }
        Ok(goals)
    }

    /// Goals changed after `since` (created, edited, paused, matched…): their id and, when
    /// active, their criteria; for bringing a goal index up to date without rebuilding it.
    pub async fn goals_changed_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Option<GoalCriteria>)>, StoreError> {
        let rows: Vec<(Uuid, String, serde_json::Value)> = goal::Entity::find()
            .select_only()
            .column(goal::Column::Id)
            .column(goal::Column::Status)
            .column(goal::Column::Criteria)
            .filter(goal::Column::UpdatedAt.gt(since))
            .into_tuple()
            .all(self.conn())
            .await?;
        rows.into_iter()
            .map(|(id, status, json)| {
                if GoalStatus::parse(&status) != Ok(GoalStatus::Active) {
                    return Ok((id, None));
                }
                GoalCriteria::from_json(json)
                    .map(|c| (id, Some(c)))
                    .map_err(|e| StoreError::Corrupt(format!("goals.criteria of {id}: {e:?}")))
            })
            .collect()
    }

    /// One active goal's criteria, for keeping the goal index up to date; `None` when the goal
    /// is gone or not active.
    pub async fn active_goal_criterion(
        &self,
        id: Uuid,
    ) -> Result<Option<GoalCriteria>, StoreError> {
        let row: Option<serde_json::Value> = goal::Entity::find_by_id(id)
            .select_only()
            .column(goal::Column::Criteria)
            .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
            .into_tuple()
            .one(self.conn())
            .await?;
        row.map(|json| {
            GoalCriteria::from_json(json)
                .map_err(|e| StoreError::Corrupt(format!("goals.criteria of {id}: {e:?}")))
        })
        .transpose()
    }
    /// `(id, criteria)` of every active goal, for the in-memory goal index.
    pub async fn active_goal_criteria(&self) -> Result<Vec<(Uuid, GoalCriteria)>, StoreError> {
        let rows: Vec<(Uuid, serde_json::Value)> = goal::Entity::find()
            .select_only()
            .column(goal::Column::Id)
            .column(goal::Column::Criteria)
            .filter(goal::Column::Status.eq(GoalStatus::Active.as_str()))
            .into_tuple()
            .all(self.conn())
            .await?;
        rows.into_iter()
            .map(|(id, json)| {
                GoalCriteria::from_json(json)
                    .map(|c| (id, c))
                    .map_err(|e| StoreError::Corrupt(format!("goals.criteria of {id}: {e:?}")))
            })
            .collect()
    }
}

/// [`Store::update_tracker_state`] inside the caller's transaction (the alert's).
pub async fn update_tracker_state_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: Uuid,
    price_minor: i64,
    alert_state: serde_json::Value,
) -> Result<(), StoreError> {
    tracker::Entity::update_many()
        .col_expr(tracker::Column::LastPriceMinor, Expr::val(price_minor))
        .col_expr(tracker::Column::LastCheckedAt, Expr::val(now()))
        .col_expr(tracker::Column::AlertState, Expr::val(alert_state))
        .filter(tracker::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// [`Store::insert_notification`] inside a caller's transaction, so that an alert commits with
/// its deliveries (or with the change that caused it). The notification gets the user's next
/// event id in the same transaction.
pub async fn insert_notification_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    new: NewNotification,
) -> Result<Option<Notification>, StoreError> {
    let id = Uuid::now_v7();
    let res = notification::Entity::insert(notification::ActiveModel {
        id: Set(id),
        user_id: Set(new.user_id),
        kind: Set(new.kind.as_str().to_owned()),
        priority: Set(new.priority.as_str().to_owned()),
        title: Set(new.title),
        body: Set(new.body),
        data: Set(new.data),
        dedup_key: Set(new.dedup_key),
        read_at: Set(None),
        created_at: Set(now()),
        event_id: Set(None),
    })
    .on_conflict_do_nothing_on([notification::Column::UserId, notification::Column::DedupKey])
    .exec(db)
    .await?;
    if !matches!(res, sea_orm::TryInsertResult::Inserted(_)) {
        return Ok(None);
    }
    let event_id = crate::repo::alerts::next_event_id_in(db, new.user_id).await?;
    notification::Entity::update_many()
        .col_expr(notification::Column::EventId, Expr::val(event_id))
        .filter(notification::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .map(Notification::try_from)
        .transpose()
}
