//! Wallets, their sign-in challenges and on-chain deposits.
//!
//! A challenge's nonce is used once: marking it used is a conditional update that only one
//! request can win. A deposit is one row per transaction signature, and crediting it is a
//! conditional `pending → credited` update in the same transaction as its ledger entry (keyed by
//! the signature), so a payment is credited once even when submitted twice at the same moment.

use chrono::{DateTime, Utc};
use deals_core::EntryKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::tokens::{NewEntry, record_in};
use crate::entity::{deposit, wallet, wallet_challenge};
use crate::{Store, StoreError, now};

pub use deposit::Model as Deposit;
pub use wallet::Model as Wallet;
pub use wallet_challenge::Model as Challenge;

/// Deposit states.
pub mod status {
    /// Submitted; the transaction is not finalized yet (re-checked by a job).
    pub const PENDING: &str = "pending";
    /// Credited to the user's tokens (once).
    pub const CREDITED: &str = "credited";
    /// Not a valid payment; the reason says why.
    pub const REFUSED: &str = "refused";
}

impl Store {
    /// Stores a challenge issued to `user_id` for `address`.
    pub async fn create_wallet_challenge(
        &self,
        user_id: Uuid,
        address: &str,
        nonce: &str,
        message: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        wallet_challenge::ActiveModel {
            nonce: Set(nonce.to_owned()),
            user_id: Set(user_id),
            address: Set(address.to_owned()),
            message: Set(message.to_owned()),
            expires_at: Set(expires_at),
            used_at: Set(None),
            created_at: Set(now()),
        }
        .insert(self.write_conn())
        .await?;
        Ok(())
    }

    /// The newest challenge issued to `user_id` for `address`, used or not.
    pub async fn latest_wallet_challenge(
        &self,
        user_id: Uuid,
        address: &str,
    ) -> Result<Option<Challenge>, StoreError> {
        Ok(wallet_challenge::Entity::find()
            .filter(wallet_challenge::Column::UserId.eq(user_id))
            .filter(wallet_challenge::Column::Address.eq(address))
            .order_by_desc(wallet_challenge::Column::CreatedAt)
            .one(self.conn())
            .await?)
    }

    /// Marks a nonce used; `false` when it was used already (only one caller wins).
    pub async fn use_wallet_nonce(&self, nonce: &str) -> Result<bool, StoreError> {
        let done = wallet_challenge::Entity::update_many()
            .col_expr(wallet_challenge::Column::UsedAt, Expr::value(now()))
            .filter(wallet_challenge::Column::Nonce.eq(nonce))
            .filter(wallet_challenge::Column::UsedAt.is_null())
            .exec(self.write_conn())
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Links `address` to `user_id`; a [`StoreError::Conflict`] when the user has a wallet or
    /// the address belongs to someone else.
    pub async fn link_wallet(&self, user_id: Uuid, address: &str) -> Result<Wallet, StoreError> {
        Ok(wallet::ActiveModel {
            user_id: Set(user_id),
            address: Set(address.to_owned()),
            linked_at: Set(now()),
        }
        .insert(self.write_conn())
        .await?)
    }

    /// The user's linked wallet.
    pub async fn wallet_of(&self, user_id: Uuid) -> Result<Option<Wallet>, StoreError> {
        Ok(wallet::Entity::find_by_id(user_id).one(self.conn()).await?)
    }

    /// Records a submitted deposit as pending unless its signature is known; returns its row
    /// (a signature submitted by another user is a [`StoreError::Conflict`]).
    pub async fn submit_deposit(
        &self,
        user_id: Uuid,
        signature: &str,
    ) -> Result<Deposit, StoreError> {
        let at = now();
        deposit::Entity::insert(deposit::ActiveModel {
            signature: Set(signature.to_owned()),
            user_id: Set(user_id),
            status: Set(status::PENDING.into()),
            amount: Set(None),
            reason: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .on_conflict_do_nothing_on([deposit::Column::Signature])
        .exec(self.write_conn())
        .await?;
        let row = self.deposit(signature).await?;
        if row.user_id != user_id {
            return Err(StoreError::Conflict(
                "deposit submitted by another user".into(),
            ));
        }
        Ok(row)
    }

    /// The deposit with this signature.
    pub async fn deposit(&self, signature: &str) -> Result<Deposit, StoreError> {
        deposit::Entity::find_by_id(signature.to_owned())
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Credits a pending deposit once: its state and its ledger entry commit together; a
    /// deposit settled meanwhile is returned as it is.
    pub async fn credit_deposit(
        &self,
        signature: &str,
        amount: i64,
    ) -> Result<Deposit, StoreError> {
        let txn = self.begin_write().await?;
        let won = deposit::Entity::update_many()
            .col_expr(deposit::Column::Status, Expr::value(status::CREDITED))
            .col_expr(deposit::Column::Amount, Expr::value(amount))
            .col_expr(deposit::Column::UpdatedAt, Expr::value(now()))
            .filter(deposit::Column::Signature.eq(signature))
            .filter(deposit::Column::Status.eq(status::PENDING))
            .exec(&txn)
            .await?;
        if won.rows_affected == 1 {
            let row = deposit::Entity::find_by_id(signature.to_owned())
                .one(&txn)
                .await?
                .ok_or(StoreError::NotFound)?;
            let entry = NewEntry {
                user_id: row.user_id,
                kind: EntryKind::Deposit,
                amount,
                reason: "on-chain deposit".into(),
                reference: Some(signature.to_owned()),
                goal_id: None,
                key: format!("deposit:{signature}"),
            };
            record_in(&txn, &entry).await?;
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        self.deposit(signature).await
    }

    /// Refuses a pending deposit with a reason.
    pub async fn refuse_deposit(
        &self,
        signature: &str,
        reason: &str,
    ) -> Result<Deposit, StoreError> {
        deposit::Entity::update_many()
            .col_expr(deposit::Column::Status, Expr::value(status::REFUSED))
            .col_expr(deposit::Column::Reason, Expr::value(reason))
            .col_expr(deposit::Column::UpdatedAt, Expr::value(now()))
            .filter(deposit::Column::Signature.eq(signature))
            .filter(deposit::Column::Status.eq(status::PENDING))
            .exec(self.write_conn())
            .await?;
        self.deposit(signature).await
    }

    /// Signatures of pending deposits, oldest first (for the re-check job).
    pub async fn pending_deposits(&self, limit: u64) -> Result<Vec<String>, StoreError> {
        Ok(deposit::Entity::find()
            .select_only()
            .column(deposit::Column::Signature)
            .filter(deposit::Column::Status.eq(status::PENDING))
            .order_by_asc(deposit::Column::CreatedAt)
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await?)
    }
}
