//! What alerting needs besides the notification row: the per-user event counter (so durable
//! live events carry a strictly increasing id), replay of a user's events after an id, the
//! price at which a goal last alerted about a listing, and the delivery status per channel.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entity::{goal_alert_mark, goal_alert_outbox, notification, notification_delivery};
use crate::error::retry_on_conflict;
use crate::rows::{self, GoalMatch, MatchSource, Notification};
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
    /// The digest a held delivery waits for.
    pub digest_key: Option<String>,
}

impl From<notification_delivery::Model> for DeliveryStatus {
    fn from(m: notification_delivery::Model) -> Self {
        Self {
            notification_id: m.notification_id,
            channel: m.channel,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            digest_key: m.digest_key,
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
    insert_delivery_row(db, notification_id, channel, status, None).await
}

/// Records a delivery to `channel` held for the digest `digest_key`, inside the
/// notification's transaction.
pub async fn insert_digest_delivery_in<C: ConnectionTrait>(
    db: &C,
    notification_id: Uuid,
    channel: &str,
    digest_key: &str,
) -> Result<(), StoreError> {
    insert_delivery_row(db, notification_id, channel, "held", Some(digest_key)).await
}

async fn insert_delivery_row<C: ConnectionTrait>(
    db: &C,
    notification_id: Uuid,
    channel: &str,
    status: &str,
    digest_key: Option<&str>,
) -> Result<(), StoreError> {
    notification_delivery::Entity::insert(notification_delivery::ActiveModel {
        notification_id: Set(notification_id),
        channel: Set(channel.to_owned()),
        status: Set(status.to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        updated_at: Set(now()),
        digest_key: Set(digest_key.map(str::to_owned)),
    })
    .on_conflict_do_nothing_on([
        notification_delivery::Column::NotificationId,
        notification_delivery::Column::Channel,
    ])
    .exec(db)
    .await?;
    Ok(())
}

/// [`Store::mark_goal_alerts`] inside the caller's transaction.
pub async fn mark_goal_alerts_in<C: ConnectionTrait>(
    db: &C,
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
    .exec(db)
    .await?;
    Ok(())
}

/// Remembers, inside the caller's transaction, that each `(goal, listing)` pair must still
/// consider alerting (pairs already there are kept), in one statement.
pub async fn insert_outbox_in<C: ConnectionTrait>(
    db: &C,
    pairs: &[(Uuid, Uuid)],
) -> Result<(), StoreError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let at = now();
    goal_alert_outbox::Entity::insert_many(pairs.iter().map(|&(goal_id, listing_id)| {
        goal_alert_outbox::ActiveModel {
            goal_id: Set(goal_id),
            listing_id: Set(listing_id),
            created_at: Set(at),
        }
    }))
    .on_conflict_do_nothing_on([
        goal_alert_outbox::Column::GoalId,
        goal_alert_outbox::Column::ListingId,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// What a digest delivery claimed: the notifications it carries, and those an earlier attempt
/// had claimed and may have sent before it was interrupted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestClaim {
    /// Held deliveries, now `sending`, to send in this attempt.
    pub claimed: Vec<Uuid>,
    /// Deliveries an interrupted attempt left `sending`: never sent again.
    pub interrupted: Vec<Uuid>,
}

impl Store {
    /// Stores a match and its outbox row in one transaction, so the alert the match may call
    /// for survives a crash before it is stored (see `flush` in the app's `notify::goals`).
    pub async fn match_for_alert(
        &self,
        goal_id: Uuid,
        listing_id: Uuid,
        match_score: f64,
        reasons: &[String],
        source: MatchSource,
    ) -> Result<GoalMatch, StoreError> {
        retry_on_conflict(|| async {
            let txn = self.begin_write().await?;
            let saved = crate::repo::goals::match_listing_in(
                &txn,
                goal_id,
                listing_id,
                match_score,
                reasons,
                source,
            )
            .await?;
            insert_outbox_in(&txn, &[(goal_id, listing_id)]).await?;
            txn.commit().await?;
            GoalMatch::try_from(saved)
        })
        .await
    }

    /// Remembers that `goal_id` must consider alerting about a listing it saw again (a price
    /// change on an existing match).
    pub async fn add_to_outbox(&self, goal_id: Uuid, listing_id: Uuid) -> Result<(), StoreError> {
        insert_outbox_in(self.write_conn(), &[(goal_id, listing_id)]).await
    }

    /// The listings `goal_id` must still consider alerting about.
    pub async fn goal_outbox(&self, goal_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        Ok(goal_alert_outbox::Entity::find()
            .select_only()
            .column(goal_alert_outbox::Column::ListingId)
            .filter(goal_alert_outbox::Column::GoalId.eq(goal_id))
            .order_by_asc(goal_alert_outbox::Column::CreatedAt)
            .into_tuple()
            .all(self.conn())
            .await?)
    }

    /// Goals with an outbox row older than `before` (at most `limit`): their alert step was
    /// interrupted.
    pub async fn goals_with_stale_outbox(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(goal_alert_outbox::Entity::find()
            .select_only()
            .column(goal_alert_outbox::Column::GoalId)
            .filter(goal_alert_outbox::Column::CreatedAt.lt(before))
            .distinct()
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await?)
    }

    /// The alert step of `goal_id` is done for `listings`: in one transaction, marks the
    /// alerted ones at their price and removes every one of them from the outbox.
    pub async fn settle_outbox(
        &self,
        goal_id: Uuid,
        listings: &[Uuid],
        marks: &[(Uuid, i64)],
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        mark_goal_alerts_in(&txn, goal_id, marks).await?;
        if !listings.is_empty() {
            goal_alert_outbox::Entity::delete_many()
                .filter(goal_alert_outbox::Column::GoalId.eq(goal_id))
                .filter(goal_alert_outbox::Column::ListingId.is_in(listings.iter().copied()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Claims the deliveries held for the digest `key` before sending it: in one transaction
    /// they go from `held` to `sending`; deliveries an earlier attempt left `sending` are
    /// reported as interrupted (that attempt may have sent them: they are not sent again).
    pub async fn claim_digest(&self, key: &str) -> Result<DigestClaim, StoreError> {
        let txn = self.begin_write().await?;
        let rows: Vec<(Uuid, String)> = notification_delivery::Entity::find()
            .select_only()
            .column(notification_delivery::Column::NotificationId)
            .column(notification_delivery::Column::Status)
            .filter(notification_delivery::Column::DigestKey.eq(key))
            .filter(notification_delivery::Column::Status.is_in(["held", "sending"]))
            .order_by_asc(notification_delivery::Column::NotificationId)
            .into_tuple()
            .all(&txn)
            .await?;
        notification_delivery::Entity::update_many()
            .col_expr(notification_delivery::Column::Status, Expr::val("sending"))
            .col_expr(notification_delivery::Column::UpdatedAt, Expr::val(now()))
            .filter(notification_delivery::Column::DigestKey.eq(key))
            .filter(notification_delivery::Column::Status.eq("held"))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        let mut claim = DigestClaim::default();
        for (id, status) in rows {
            if status == "held" {
                claim.claimed.push(id);
            } else {
                claim.interrupted.push(id);
            }
        }
        Ok(claim)
    }

    /// Records how the sending of digest `key` went for the given deliveries: `status`
    /// (`sent`, `failed`, or `held` again to retry), one more attempt, and the error.
    pub async fn record_digest(
        &self,
        key: &str,
        ids: &[Uuid],
        status: &str,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        notification_delivery::Entity::update_many()
            .col_expr(notification_delivery::Column::Status, Expr::val(status))
            .col_expr(
                notification_delivery::Column::Attempts,
                Expr::col(notification_delivery::Column::Attempts).add(1),
            )
            .col_expr(notification_delivery::Column::LastError, Expr::val(error))
            .col_expr(notification_delivery::Column::UpdatedAt, Expr::val(now()))
            .filter(notification_delivery::Column::DigestKey.eq(key))
            .filter(notification_delivery::Column::NotificationId.is_in(ids.iter().copied()))
            .exec(self.write_conn())
            .await?;
        Ok(())
    }

    /// Notifications by id, oldest first.
    pub async fn notifications_by_id(&self, ids: &[Uuid]) -> Result<Vec<Notification>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        rows::all(
            notification::Entity::find()
                .filter(notification::Column::Id.is_in(ids.iter().copied()))
                .order_by_asc(notification::Column::CreatedAt)
                .all(self.conn())
                .await?,
        )
    }

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
        mark_goal_alerts_in(self.write_conn(), goal_id, prices).await
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
            .exec(self.write_conn())
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
