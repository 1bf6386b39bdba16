//! What alerting needs besides the notification row: the per-user event counter (so durable
//! live events carry a strictly increasing id), replay of a user's events after an id, the
//! price at which a goal last alerted about a listing, and the delivery status per channel.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entity::{goal_alert_mark, notification, notification_delivery};
use crate::rows::{self, Notification};
use crate::{Store, StoreError, now};

/// How the delivery of a notification to one channel stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The notification.
    pub notification_id: Uuid,
    /// `webhook`, `ntfy`, `email`.
    pub channel: String,
    /// `pending`, `held` (quiet hours), `sent` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

impl From<notification_delivery::Model> for DeliveryStatus {
    fn from(m: notification_delivery::Model) -> Self {
        Self {
            notification_id: m.notification_id,
            channel: m.channel,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
        }
    }
}

/// The next event id of `user_id`, taken inside the caller's transaction: the counter row stays
/// locked until it commits, so ids are strictly increasing per user in commit order on both
/// backends (SQLite writers are serialised by `BEGIN IMMEDIATE`).
pub async fn next_event_id_in<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<i64, StoreError> {
    let stmt = Query::insert()
        .into_table("user_event_counters")
        .columns(["user_id", "last_event_id"])
        .values([user_id.into(), 1i64.into()])
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .on_conflict(
            OnConflict::column("user_id")
                .value(
                    "last_event_id",
                    Expr::col(("user_event_counters", "last_event_id")).add(1),
                )
                .to_owned(),
        )
        .returning_col("last_event_id")
        .to_owned();
    let row = db
        .query_one(&stmt)
        .await?
        .ok_or_else(|| StoreError::Corrupt("event counter returned no row".into()))?;
    Ok(row.try_get::<i64>("", "last_event_id")?)
}

/// Records a delivery to `channel` as `status` (a new one: no attempts yet), inside the
/// notification's transaction.
pub async fn insert_delivery_in<C: ConnectionTrait>(
    db: &C,
    notification_id: Uuid,
    channel: &str,
    status: &str,
) -> Result<(), StoreError> {
    notification_delivery::Entity::insert(notification_delivery::ActiveModel {
        notification_id: Set(notification_id),
        channel: Set(channel.to_owned()),
        status: Set(status.to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        updated_at: Set(now()),
    })
    .on_conflict_do_nothing_on([
        notification_delivery::Column::NotificationId,
        notification_delivery::Column::Channel,
    ])
    .exec(db)
    .await?;
    Ok(())
}

impl Store {
    /// A user's notifications with an event id above `since`, oldest first, at most `limit`.
    pub async fn notifications_since(
        &self,
        user_id: Uuid,
        since: i64,
        limit: u64,
    ) -> Result<Vec<Notification>, StoreError> {
        rows::all(
            notification::Entity::find()
                .filter(notification::Column::UserId.eq(user_id))
                .filter(notification::Column::EventId.gt(since))
                .order_by_asc(notification::Column::EventId)
                .limit(limit)
                .all(self.conn())
                .await?,
        )
    }

    /// Those of `dedup_keys` some notification carries (one query for many goals' summary
    /// keys, which name their goal).
    pub async fn notification_keys_among(
        &self,
        dedup_keys: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut found = std::collections::HashSet::new();
        for chunk in dedup_keys.chunks(500) {
            let keys: Vec<Option<String>> = notification::Entity::find()
                .select_only()
                .column(notification::Column::DedupKey)
                .filter(notification::Column::DedupKey.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(self.conn())
                .await?;
            found.extend(keys.into_iter().flatten());
        }
        Ok(found)
    }

    /// Whether the user has a notification stored under `dedup_key`.
    pub async fn has_notification(
        &self,
        user_id: Uuid,
        dedup_key: &str,
    ) -> Result<bool, StoreError> {
        Ok(notification::Entity::find()
            .select_only()
            .column(notification::Column::Id)
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::DedupKey.eq(dedup_key))
            .into_tuple::<Uuid>()
            .one(self.conn())
            .await?
            .is_some())
    }

    /// Per listing, the price at which `goal_id` last alerted about it.
    pub async fn goal_alert_marks(&self, goal_id: Uuid) -> Result<HashMap<Uuid, i64>, StoreError> {
        let rows: Vec<(Uuid, i64)> = goal_alert_mark::Entity::find()
            .select_only()
            .column(goal_alert_mark::Column::ListingId)
            .column(goal_alert_mark::Column::PriceMinor)
            .filter(goal_alert_mark::Column::GoalId.eq(goal_id))
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Remembers that `goal_id` told its owner about each listing at its price.
    pub async fn mark_goal_alerts(
        &self,
        goal_id: Uuid,
        prices: &[(Uuid, i64)],
    ) -> Result<(), StoreError> {
        if prices.is_empty() {
            return Ok(());
        }
        let at = now();
        goal_alert_mark::Entity::insert_many(prices.iter().map(|&(listing_id, price)| {
            goal_alert_mark::ActiveModel {
                goal_id: Set(goal_id),
                listing_id: Set(listing_id),
                price_minor: Set(price),
                alerted_at: Set(at),
            }
        }))
        .on_conflict(
            OnConflict::columns([
                goal_alert_mark::Column::GoalId,
                goal_alert_mark::Column::ListingId,
            ])
            .update_columns([
                goal_alert_mark::Column::PriceMinor,
                goal_alert_mark::Column::AlertedAt,
            ])
            .to_owned(),
        )
        .exec(self.conn())
        .await?;
        Ok(())
    }

    /// Records an attempt to deliver a notification to `channel` and how it ended.
    pub async fn record_delivery(
        &self,
        notification_id: Uuid,
        channel: &str,
        status: &str,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        notification_delivery::Entity::update_many()
            .col_expr(notification_delivery::Column::Status, Expr::val(status))
            .col_expr(
                notification_delivery::Column::Attempts,
                Expr::col(notification_delivery::Column::Attempts).add(1),
            )
            .col_expr(notification_delivery::Column::LastError, Expr::val(error))
            .col_expr(notification_delivery::Column::UpdatedAt, Expr::val(now()))
            .filter(notification_delivery::Column::NotificationId.eq(notification_id))
            .filter(notification_delivery::Column::Channel.eq(channel))
            .exec(self.conn())
            .await?;
        Ok(())
    }

    /// The deliveries of the given notifications.
    pub async fn deliveries_of(&self, ids: &[Uuid]) -> Result<Vec<DeliveryStatus>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(notification_delivery::Entity::find()
            .filter(notification_delivery::Column::NotificationId.is_in(ids.iter().copied()))
            .order_by_asc(notification_delivery::Column::Channel)
            .all(self.conn())
            .await?
            .into_iter()
            .map(DeliveryStatus::from)
            .collect())
    }
}
