//! Refresh-token families: sign-in starts a family, every refresh rotates its token, and reusing
//! a rotated token revokes the whole family (RFC 6819 §5.2.2.3 / OAuth 2.1 refresh rotation).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entity::{refresh_family, refresh_token, user};
use crate::{Store, StoreError, now};

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was valid; it is now spent and `new_hash` replaces it in the same family.
    Rotated {
        /// Owner of the family.
        user_id: Uuid,
        /// The family, unchanged.
        family_id: Uuid,
    },
    /// The token had already been rotated: the family is now revoked.
    ReuseDetected {
        /// The revoked family.
        family_id: Uuid,
    },
    /// Unknown, expired, or from a revoked family.
    Invalid,
}

impl Store {
    /// Starts a family with its first token.
    pub async fn start_session(
        &self,
        user_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let txn = self.begin_write().await?;
        let family_id = start_session_in(&txn, user_id, token_hash, expires_at).await?;
        txn.commit().await?;
        Ok(family_id)
    }

    /// Spends `presented_hash` and stores `new_hash` in its place, detecting reuse.
    pub async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        new_hash: String,
        new_expires_at: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        let at = now();
        let txn = self.begin_write().await?;
        let Some(token) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(presented_hash))
            .one(&txn)
            .await?
        else {
            return Ok(Rotation::Invalid);
        };
        let Some(family) = refresh_family::Entity::find_by_id(token.family_id)
            .one(&txn)
            .await?
        else {
            return Ok(Rotation::Invalid);
        };
        if family.revoked_at.is_some() {
            return Ok(Rotation::Invalid);
        }
        // Spend the token only if nobody spent it first: the conditional update is the race guard.
        let spent = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(at))
            .filter(refresh_token::Column::Id.eq(token.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected == 0 {
            revoke(&txn, family.id, "refresh token reused").await?;
            txn.commit().await?;
            return Ok(Rotation::ReuseDetected {
                family_id: family.id,
            });
        }
        if token.expires_at <= at {
            return Ok(Rotation::Invalid);
        }
        insert_token(&txn, family.id, new_hash, new_expires_at).await?;
        txn.commit().await?;
        Ok(Rotation::Rotated {
            user_id: family.user_id,
            family_id: family.id,
        })
    }

    /// Revokes a family owned by `user_id`; returns whether a live family was revoked.
    pub async fn revoke_session(
        &self,
        family_id: Uuid,
        user_id: Uuid,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let result = refresh_family::Entity::update_many()
            .col_expr(refresh_family::Column::RevokedAt, Expr::value(now()))
            .col_expr(refresh_family::Column::RevokedReason, Expr::value(reason))
            .filter(refresh_family::Column::Id.eq(family_id))
            .filter(refresh_family::Column::UserId.eq(user_id))
            .filter(refresh_family::Column::RevokedAt.is_null())
            .exec(self.write_conn())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// The current role of `user_id` when `family_id` is a live session of theirs; `None` when the
    /// session ended (logout, reuse detection) or belongs to someone else. Roles are read here,
    /// not trusted from the access token, so a demotion takes effect at once.
    pub async fn live_session_role(
        &self,
        family_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<deals_core::Role>, StoreError> {
        let live = refresh_family::Entity::find_by_id(family_id)
            .filter(refresh_family::Column::UserId.eq(user_id))
            .filter(refresh_family::Column::RevokedAt.is_null())
            .one(self.conn())
            .await?
            .is_some();
        if !live {
            return Ok(None);
        }
        user::Entity::find_by_id(user_id)
            .one(self.conn())
            .await?
            .map(|u| {
                deals_core::Role::parse(&u.role)
                    .map_err(|e| StoreError::Corrupt(format!("users.role = {:?}: {e}", u.role)))
            })
            .transpose()
    }
}

/// [`Store::start_session`] inside a caller's transaction.
pub(crate) async fn start_session_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let family_id = Uuid::now_v7();
    refresh_family::ActiveModel {
        id: Set(family_id),
        user_id: Set(user_id),
        created_at: Set(now()),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(db)
    .await?;
    insert_token(db, family_id, token_hash, expires_at).await?;
    Ok(family_id)
}

async fn insert_token<C: sea_orm::ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn revoke<C: sea_orm::ConnectionTrait>(
    db: &C,
    family_id: Uuid,
    reason: &str,
) -> Result<(), StoreError> {
    refresh_family::Entity::update_many()
        .col_expr(refresh_family::Column::RevokedAt, Expr::value(now()))
        .col_expr(refresh_family::Column::RevokedReason, Expr::value(reason))
        .filter(refresh_family::Column::Id.eq(family_id))
        .filter(refresh_family::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
