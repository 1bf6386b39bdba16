//! Users: create, find, list, and promote.

use deals_core::{Email, Pagination, Preferences, Role};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::Page;
use crate::entity::{user, user_preference};
use crate::rows::{self, User};
use crate::{Store, StoreError, now};

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Normalised e-mail address.
    pub email: Email,
    /// Display name.
    pub name: Option<String>,
    /// PHC-format password hash (argon2id or bcrypt).
    pub password_hash: String,
    /// Role of the account.
    pub role: Role,
}

fn new_user_model(new: NewUser) -> user::ActiveModel {
    let at = now();
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.as_str().to_owned()),
        name: Set(new.name),
        password_hash: Set(new.password_hash),
        role: Set(new.role.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

impl Store {
    /// Creates a user; a taken e-mail address is a [`StoreError::Conflict`].
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        new_user_model(new)
            .insert(self.write_conn())
            .await?
            .try_into()
    }

    /// Creates a user, their first session and their token account with `signup_bonus` minor
    /// units in one transaction: an account never exists without the tokens its registration
    /// answered with, nor without its bonus. Returns the user and the session.
    pub async fn register_user(
        &self,
        new: NewUser,
        token_hash: String,
        expires_at: chrono::DateTime<chrono::Utc>,
        signup_bonus: i64,
    ) -> Result<(User, Uuid), StoreError> {
        let txn = self.begin_write().await?;
        let user = new_user_model(new).insert(&txn).await?;
        if signup_bonus > 0 {
            let bonus = super::tokens::NewEntry {
                user_id: user.id,
                kind: deals_core::EntryKind::SignupBonus,
                amount: signup_bonus,
                reason: "welcome bonus".into(),
                reference: None,
                goal_id: None,
                key: format!("signup:{}", user.id),
            };
            super::tokens::record_in(&txn, &bonus).await?;
        }
        let family =
            super::sessions::start_session_in(&txn, user.id, token_hash, expires_at).await?;
        txn.commit().await?;
        Ok((user.try_into()?, family))
    }

    /// Replaces a user's password hash and nothing else (used to upgrade old hashes at login).
    pub async fn set_password_hash(
        &self,
        id: Uuid,
        password_hash: String,
    ) -> Result<(), StoreError> {
        let model = user::ActiveModel {
            id: Set(id),
            password_hash: Set(password_hash),
            updated_at: Set(now()),
            ..Default::default()
        };
        model.update(self.write_conn()).await?;
        Ok(())
    }

    /// The user with this e-mail address.
    pub async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(self.conn())
            .await?
            .map(User::try_from)
            .transpose()
    }

    /// The user with this id.
    pub async fn get_user(&self, id: Uuid) -> Result<User, StoreError> {
        user::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    /// All users, oldest first.
    pub async fn list_users(&self, page: Pagination) -> Result<Page<User>, StoreError> {
        let query = user::Entity::find();
        let total = query.clone().count(self.conn()).await?;
        let items = query
            .order_by_asc(user::Column::CreatedAt)
            .order_by_asc(user::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: rows::all(items)?,
            total,
        })
    }

    /// Changes a user's role and password hash (used by `deals admin create-admin` on an existing
    /// account).
    pub async fn update_user_credentials(
        &self,
        id: Uuid,
        role: Role,
        password_hash: String,
    ) -> Result<User, StoreError> {
        let model = user::ActiveModel {
            id: Set(id),
            role: Set(role.as_str().to_owned()),
            password_hash: Set(password_hash),
            updated_at: Set(now()),
            ..Default::default()
        };
        model.update(self.write_conn()).await?.try_into()
    }

    /// Number of users.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(self.conn()).await?)
    }

    /// A user's notification preferences; the defaults when none were saved.
    pub async fn get_preferences(&self, user_id: Uuid) -> Result<Preferences, StoreError> {
        match user_preference::Entity::find_by_id(user_id)
            .one(self.conn())
            .await?
        {
            None => Ok(Preferences::default()),
            Some(p) => serde_json::from_value(p.data).map_err(|e| {
                StoreError::Corrupt(format!("user_preferences.data of {user_id}: {e}"))
            }),
        }
    }

    /// Replaces a user's preferences.
    pub async fn put_preferences(
        &self,
        user_id: Uuid,
        preferences: &Preferences,
    ) -> Result<(), StoreError> {
        let data =
            serde_json::to_value(preferences).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row = user_preference::ActiveModel {
            user_id: Set(user_id),
            data: Set(data),
            updated_at: Set(now()),
        };
        user_preference::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user_preference::Column::UserId)
                    .update_columns([
                        user_preference::Column::Data,
                        user_preference::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(self.write_conn())
            .await?;
        Ok(())
    }
}
