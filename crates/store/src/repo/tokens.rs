//! The DEAL token ledger: balances that never go negative, append-only entries with idempotency
//! keys, and holds for agent work.
//!
//! Every movement runs in one write transaction (`BEGIN IMMEDIATE` on SQLite): a debit is a single
//! conditional update, `UPDATE token_accounts SET balance = balance - :amt WHERE user_id = :u
//! AND balance >= :amt`; when it touches no row the user cannot pay and nothing is written. The
//! `CHECK (balance >= 0)` on the row is the last line of defence. Each movement appends an entry whose
//! `balance_after` is read inside the same transaction.

use chrono::{DateTime, Utc};
use deals_core::{EntryKind, Pagination};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::Page;
use crate::entity::{goal_budget, token_account, token_entry};
use crate::error::retry_on_conflict;
use crate::{Store, StoreError, now};

/// A movement to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// Whose tokens.
    pub user_id: Uuid,
    /// What it is; [`EntryKind::is_debit`] kinds take `amount` away, the others add it.
    pub kind: EntryKind,
    /// Minor units moved (positive).
    pub amount: i64,
    /// Why, in words shown to the user.
    pub reason: String,
    /// What it refers to: a job step, a transaction signature, an administrator.
    pub reference: Option<String>,
    /// The goal whose work it paid for, if any.
    pub goal_id: Option<Uuid>,
    /// Unique key: recording the same movement again returns the first entry.
    pub key: String,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// Entry id (time-ordered).
    pub id: Uuid,
    /// Whose tokens.
    pub user_id: Uuid,
    /// What it is.
    pub kind: EntryKind,
    /// Minor units: positive added, negative taken.
    pub amount: i64,
    /// The balance right after this entry, in minor units.
    pub balance_after: i64,
    /// Why.
    pub reason: String,
    /// What it refers to.
    pub reference: Option<String>,
    /// The goal it paid for.
    pub goal_id: Option<Uuid>,
    /// Its idempotency key.
    pub idempotency_key: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<token_entry::Model> for Entry {
    type Error = StoreError;

    fn try_from(m: token_entry::Model) -> Result<Self, StoreError> {
        Ok(Entry {
            id: m.id,
            user_id: m.user_id,
            kind: EntryKind::parse(&m.kind).map_err(StoreError::Corrupt)?,
            amount: m.amount,
            balance_after: m.balance_after,
            reason: m.reason,
            reference: m.reference,
            goal_id: m.goal_id,
            idempotency_key: m.idempotency_key,
            created_at: m.created_at,
        })
    }
}

/// What recording a movement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Recorded now.
    Applied(Entry),
    /// Recorded before under the same key with the same fields: nothing changed.
    Repeated(Entry),
    /// A debit the balance does not cover: nothing was written.
    Insufficient {
        /// The balance, in minor units.
        balance: i64,
    },
}

/// Tokens to reserve for one step of agent work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    /// The step's key (`job:<id>:<step>:<operation>`).
    pub key: String,
    /// Who pays.
    pub user_id: Uuid,
    /// The goal the work serves.
    pub goal_id: Option<Uuid>,
    /// The operation (`deal_search`…).
    pub operation: String,
    /// Minor units reserved.
    pub amount: i64,
    /// When a hold still pending is released.
    pub expires_at: DateTime<Utc>,
}

/// What reserving a hold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// Taken from the balance now.
    Held,
    /// This step already holds (or has paid) its tokens: nothing taken again.
    AlreadyHeld,
    /// The balance does not cover it: nothing was written.
    Insufficient {
        /// The balance, in minor units.
        balance: i64,
    },
}

/// Opens the user's account with a zero balance when it has none.
async fn ensure_account_in(txn: &DatabaseTransaction, user_id: Uuid) -> Result<(), StoreError> {
    let row = token_account::ActiveModel {
        user_id: Set(user_id),
        balance: Set(0),
        updated_at: Set(now()),
    };
    token_account::Entity::insert(row)
        .on_conflict_do_nothing_on([token_account::Column::UserId])
        .exec(txn)
        .await?;
    Ok(())
}

async fn balance_in(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<i64, StoreError> {
    Ok(token_account::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .map_or(0, |a| a.balance))
}

/// Moves `delta` minor units (negative takes) and appends the entry; `Err(balance)` when a
/// debit is not covered (nothing changed then, the caller rolls back).
pub(crate) async fn apply_in(
    txn: &DatabaseTransaction,
    new: &NewEntry,
    delta: i64,
) -> Result<Result<Entry, i64>, StoreError> {
    // The account's new balance comes back from its update (one statement in the common case);
    // a user without an account yet gets one at 0 and the update is tried once more.
    let mut balance_after = move_balance_in(txn, new.user_id, delta).await?;
    if balance_after.is_none() {
        ensure_account_in(txn, new.user_id).await?;
        balance_after = move_balance_in(txn, new.user_id, delta).await?;
    }
    let Some(balance_after) = balance_after else {
        return Ok(Err(balance_in(txn, new.user_id).await?));
    };
    let entry = token_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user_id),
        kind: Set(new.kind.as_str().to_owned()),
        amount: Set(delta),
        balance_after: Set(balance_after),
        reason: Set(new.reason.clone()),
        reference: Set(new.reference.clone()),
        goal_id: Set(new.goal_id),
        idempotency_key: Set(new.key.clone()),
        created_at: Set(now()),
    }
    .insert(txn)
    .await?;
    Ok(Ok(entry.try_into()?))
}

/// Adds `delta` to the user's balance (a debit only when covered) and returns the new balance;
/// `None` when nothing changed (no account, or a debit not covered).
async fn move_balance_in(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    delta: i64,
) -> Result<Option<i64>, StoreError> {
    let mut update = token_account::Entity::update_many()
        .col_expr(
            token_account::Column::Balance,
            Expr::col(token_account::Column::Balance).add(delta),
        )
        .col_expr(token_account::Column::UpdatedAt, Expr::value(now()))
        .filter(token_account::Column::UserId.eq(user_id));
    if delta < 0 {
        update = update.filter(token_account::Column::Balance.gte(-delta));
    }
    Ok(update
        .exec_with_returning(txn)
        .await?
        .first()
        .map(|a| a.balance))
}

/// Records `new` inside `txn` (the caller commits): a registration grants its bonus this way.
pub async fn record_in(txn: &DatabaseTransaction, new: &NewEntry) -> Result<Entry, StoreError> {
    let delta = if new.kind.is_debit() {
        -new.amount
    } else {
        new.amount
    };
    apply_in(txn, new, delta)
        .await?
        .map_err(|balance| StoreError::Conflict(format!("balance {balance} does not cover it")))
}

/// Whether a stored entry is the same movement as `new`.
fn same(entry: &Entry, new: &NewEntry) -> bool {
    let delta = if new.kind.is_debit() {
        -new.amount
    } else {
        new.amount
    };
    entry.user_id == new.user_id
        && entry.kind == new.kind
        && entry.amount == delta
        && entry.reference == new.reference
        && entry.goal_id == new.goal_id
}

impl Store {
    /// Records a movement once per key: a repeat with the same fields returns the first entry, a
    /// repeat with other fields is a [`StoreError::Conflict`]; a debit the balance does not cover
    /// writes nothing.
    pub async fn post_entry(&self, new: NewEntry) -> Result<Posted, StoreError> {
        if new.amount <= 0 {
            return Err(StoreError::Corrupt(
                "a ledger entry moves a positive amount".into(),
            ));
        }
        retry_on_conflict(|| async {
            if let Some(first) = self.entry_by_key(&new.key).await? {
                return if same(&first, &new) {
                    Ok(Posted::Repeated(first))
                } else {
                    Err(StoreError::Conflict(
                        "idempotency key already used for another movement".into(),
                    ))
                };
            }
            let txn = self.begin_write().await?;
            let delta = if new.kind.is_debit() {
                -new.amount
            } else {
                new.amount
            };
            match apply_in(&txn, &new, delta).await? {
                Ok(entry) => {
                    txn.commit().await?;
                    Ok(Posted::Applied(entry))
                }
                Err(balance) => {
                    txn.rollback().await?;
                    Ok(Posted::Insufficient { balance })
                }
            }
        })
        .await
    }

    /// Rewards a referral on both sides in one transaction, once per referred user: `Ok(false)`
    /// when the referred user was rewarded already.
    pub async fn reward_referral(
        &self,
        referrer: Uuid,
        referred: Uuid,
        amount: i64,
    ) -> Result<bool, StoreError> {
        let entry = |user_id: Uuid, side: &str, reason: &str| NewEntry {
            user_id,
            kind: EntryKind::ReferralReward,
            amount,
            reason: reason.to_owned(),
            reference: Some(format!("referral:{referred}")),
            goal_id: None,
            key: format!("referral:{referred}:{side}"),
        };
        if self
            .entry_by_key(&format!("referral:{referred}:referred"))
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let txn = self.begin_write().await?;
        let rewarded = async {
            record_in(
                &txn,
                &entry(referred, "referred", "joined with a referral code"),
            )
            .await?;
            record_in(&txn, &entry(referrer, "referrer", "referred a new user")).await
        }
        .await;
        match rewarded {
            Ok(_) => {
                txn.commit().await?;
                Ok(true)
            }
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The entry recorded under `key`, if any.
    pub async fn entry_by_key(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        token_entry::Entity::find()
            .filter(token_entry::Column::IdempotencyKey.eq(key))
            .one(self.conn())
            .await?
            .map(Entry::try_from)
            .transpose()
    }

    /// The user's balance in minor units (zero without an account).
    pub async fn token_balance(&self, user_id: Uuid) -> Result<i64, StoreError> {
        balance_in(self.conn(), user_id).await
    }

    /// The sum of the user's entries: always equal to the balance (an audit check).
    pub async fn ledger_sum(&self, user_id: Uuid) -> Result<i64, StoreError> {
        let amounts: Vec<i64> = token_entry::Entity::find()
            .select_only()
            .column(token_entry::Column::Amount)
            .filter(token_entry::Column::UserId.eq(user_id))
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(amounts.iter().sum())
    }

    /// Tokens spent on a goal's work: charges less refunds, in minor units.
    pub async fn goal_token_spend(&self, goal_id: Uuid) -> Result<i64, StoreError> {
        let amounts: Vec<i64> = token_entry::Entity::find()
            .select_only()
            .column(token_entry::Column::Amount)
            .filter(token_entry::Column::GoalId.eq(goal_id))
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(-amounts.iter().sum::<i64>())
    }

    /// Sets (or, with `None`, removes) the most minor units a goal's work may spend.
    pub async fn set_goal_budget(
        &self,
        goal_id: Uuid,
        max_tokens: Option<i64>,
    ) -> Result<(), StoreError> {
        goal_budget::Entity::delete_by_id(goal_id)
            .exec(self.write_conn())
            .await?;
        if let Some(max) = max_tokens {
            goal_budget::ActiveModel {
                goal_id: Set(goal_id),
                max_tokens: Set(max),
                updated_at: Set(now()),
            }
            .insert(self.write_conn())
            .await?;
        }
        Ok(())
    }

    /// A goal's budget in minor units, if it has one.
    pub async fn goal_budget(&self, goal_id: Uuid) -> Result<Option<i64>, StoreError> {
        Ok(goal_budget::Entity::find_by_id(goal_id)
            .one(self.conn())
            .await?
            .map(|b| b.max_tokens))
    }

    /// The user's entries, newest first, optionally of one kind.
    pub async fn token_entries(
        &self,
        user_id: Uuid,
        kind: Option<EntryKind>,
        page: Pagination,
    ) -> Result<Page<Entry>, StoreError> {
        let mut query = token_entry::Entity::find().filter(token_entry::Column::UserId.eq(user_id));
        if let Some(kind) = kind {
            query = query.filter(token_entry::Column::Kind.eq(kind.as_str()));
        }
        let total = query.clone().count(self.conn()).await?;
        let rows = query
            .order_by_desc(token_entry::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(Entry::try_from)
                .collect::<Result<_, _>>()?,
            total,
        })
    }
}
