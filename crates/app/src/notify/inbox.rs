//! The in-app inbox: a user's notifications with how their deliveries stand, the unread count,
//! and marking them read.

use uuid::Uuid;

use crate::error::Result;
use crate::state::AppState;

/// A user's notifications, newest first; only unread ones with `unread_only`.
pub async fn list(
    state: &AppState,
    user_id: Uuid,
    unread_only: bool,
    page: deals_core::Pagination,
) -> Result<deals_store::repo::Page<deals_store::rows::Notification>> {
    Ok(state
        .store
        .list_notifications(user_id, unread_only, page)
        .await?)
}

/// A notification with how its external deliveries stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The notification.
    pub note: deals_store::rows::Notification,
    /// One entry per external channel it went to.
    pub deliveries: Vec<deals_store::repo::alerts::DeliveryStatus>,
}

/// [`list`] with each notification's deliveries.
pub async fn list_with_deliveries(
    state: &AppState,
    user_id: Uuid,
    unread_only: bool,
    page: deals_core::Pagination,
) -> Result<deals_store::repo::Page<Listed>> {
    let found = list(state, user_id, unread_only, page).await?;
    let ids: Vec<Uuid> = found.items.iter().map(|n| n.id).collect();
    let mut deliveries = state.store.deliveries_of(&ids).await?;
    let items = found
        .items
        .into_iter()
        .map(|note| {
            let (mine, rest) = deliveries
                .drain(..)
                .partition(|d| d.notification_id == note.id);
            deliveries = rest;
            Listed {
                note,
                deliveries: mine,
            }
        })
        .collect();
    Ok(deals_store::repo::Page {
        items,
        total: found.total,
    })
}

/// How many of a user's notifications are unread.
pub async fn unread_count(state: &AppState, user_id: Uuid) -> Result<u64> {
    Ok(state.store.unread_count(user_id).await?)
}

/// Marks one of the user's notifications read (idempotent).
pub async fn mark_read(state: &AppState, user_id: Uuid, id: Uuid) -> Result<()> {
    Ok(state.store.mark_read(user_id, id).await?)
}

/// Marks every notification of the user read.
pub async fn mark_all_read(state: &AppState, user_id: Uuid) -> Result<()> {
    state.store.mark_all_read(user_id).await?;
    Ok(())
}
