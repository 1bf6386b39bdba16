//! Holds: tokens reserved for one step of agent work before it runs.
//!
//! Reserving takes the price from the balance at once (a `charge` entry, so the balance and the
//! ledger always agree and a concurrent charge cannot spend the same tokens), keyed by the step:
//! a retried step finds its hold and is not charged again. When the work is done the hold is
//! posted; when it failed for good, or it is still pending past its expiry (a worker died), it is
//! voided: a `refund` entry gives the tokens back and the hold row is removed, so a later run of
//! the same step pays again.

use chrono::{DateTime, Utc};
use deals_core::EntryKind;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::tokens::{NewEntry, NewHold, Reserved, apply_in};
use crate::entity::token_hold;
use crate::error::retry_on_conflict;
use crate::{Store, StoreError, now};

const PENDING: &str = "pending";
const POSTED: &str = "posted";

impl Store {
    /// Reserves `new.amount` for the step `new.key`, once: a step that already holds (or has
    /// paid) its tokens is not charged again.
    pub async fn reserve_hold(&self, new: NewHold) -> Result<Reserved, StoreError> {
        retry_on_conflict(|| async {
            let existing = token_hold::Entity::find()
                .filter(token_hold::Column::Key.eq(&new.key))
                .one(self.conn())
                .await?;
            if existing.is_some() {
                return Ok(Reserved::AlreadyHeld);
            }
            let id = Uuid::now_v7();
            let txn = self.begin_write().await?;
            let entry = NewEntry {
                user_id: new.user_id,
                kind: EntryKind::Charge,
                amount: new.amount,
                reason: new.operation.replace('_', " "),
                reference: Some(new.key.clone()),
                goal_id: new.goal_id,
                key: format!("hold:{id}"),
            };
            if let Err(balance) = apply_in(&txn, &entry, -new.amount).await? {
                txn.rollback().await?;
                return Ok(Reserved::Insufficient { balance });
            }
            token_hold::ActiveModel {
                id: Set(id),
                key: Set(new.key.clone()),
                user_id: Set(new.user_id),
                goal_id: Set(new.goal_id),
                operation: Set(new.operation.clone()),
                amount: Set(new.amount),
                status: Set(PENDING.into()),
                expires_at: Set(new.expires_at),
                created_at: Set(now()),
                settled_at: Set(None),
            }
            .insert(&txn)
            .await?;
            txn.commit().await?;
            Ok(Reserved::Held)
        })
        .await
    }

    /// Posts the pending holds whose key starts with `prefix` (the work is done); returns how
    /// many.
    pub async fn post_holds(&self, prefix: &str) -> Result<u64, StoreError> {
        let done = token_hold::Entity::update_many()
            .col_expr(token_hold::Column::Status, Expr::value(POSTED))
            .col_expr(token_hold::Column::SettledAt, Expr::value(now()))
            .filter(token_hold::Column::Key.starts_with(prefix))
            .filter(token_hold::Column::Status.eq(PENDING))
            .exec(self.write_conn())
            .await?;
        Ok(done.rows_affected)
    }

    /// Voids the pending holds whose key starts with `prefix` (the work failed for good),
    /// refunding each; returns how many.
    pub async fn void_holds(&self, prefix: &str, reason: &str) -> Result<u64, StoreError> {
        let ids: Vec<Uuid> = token_hold::Entity::find()
            .select_only()
            .column(token_hold::Column::Id)
            .filter(token_hold::Column::Key.starts_with(prefix))
            .filter(token_hold::Column::Status.eq(PENDING))
            .into_tuple()
            .all(self.conn())
            .await?;
        self.void_each(ids, reason).await
    }

    /// Voids every hold still pending at `at` past its expiry (its worker died, or the work was
    /// abandoned), refunding each; returns how many. Run periodically by the scheduler's jobs.
    pub async fn release_expired_holds(&self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let ids: Vec<Uuid> = token_hold::Entity::find()
            .select_only()
            .column(token_hold::Column::Id)
            .filter(token_hold::Column::Status.eq(PENDING))
            .filter(token_hold::Column::ExpiresAt.lt(at))
            .into_tuple()
            .all(self.conn())
            .await?;
        self.void_each(ids, "hold expired").await
    }

    /// Minor units the user has in pending holds.
    pub async fn held_tokens(&self, user_id: Uuid) -> Result<i64, StoreError> {
        let amounts: Vec<i64> = token_hold::Entity::find()
            .select_only()
            .column(token_hold::Column::Amount)
            .filter(token_hold::Column::UserId.eq(user_id))
            .filter(token_hold::Column::Status.eq(PENDING))
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(amounts.iter().sum())
    }

    async fn void_each(&self, ids: Vec<Uuid>, reason: &str) -> Result<u64, StoreError> {
        let mut voided = 0;
        for id in ids {
            if self.void_hold(id, reason).await? {
                voided += 1;
            }
        }
        Ok(voided)
    }

    /// Removes one pending hold and refunds it, in one transaction; `false` when another
    /// process settled it first.
    async fn void_hold(&self, id: Uuid, reason: &str) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let Some(hold) = token_hold::Entity::find_by_id(id)
            .filter(token_hold::Column::Status.eq(PENDING))
            .one(&txn)
            .await?
        else {
            txn.rollback().await?;
            return Ok(false);
        };
        let gone = token_hold::Entity::delete_many()
            .filter(token_hold::Column::Id.eq(id))
            .filter(token_hold::Column::Status.eq(PENDING))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        let refund = NewEntry {
            user_id: hold.user_id,
            kind: EntryKind::Refund,
            amount: hold.amount,
            reason: format!("{}: {reason}", hold.operation.replace('_', " ")),
            reference: Some(hold.key),
            goal_id: hold.goal_id,
            key: format!("void:{id}"),
        };
        // A credit is always covered.
        if apply_in(&txn, &refund, hold.amount).await?.is_err() {
            txn.rollback().await?;
            return Ok(false);
        }
        txn.commit().await?;
        Ok(true)
    }
}
