//! Alerts: newest first, unread ones marked, "mark read" one by one or all at once, and how each
//! alert's deliveries to the user's channels stand (sent, pending, held for quiet hours or a
//! digest, failed with the last error). New alerts raise the badge live (WebSocket); without it
//! the page shows them on the next load.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::Pagination;
use uuid::Uuid;

use super::errors::UiError;
use super::session::{CsrfOnly, UiUser, require_csrf};
use super::view::{Layout, Wants, render};
use crate::notify::Listed;
use crate::state::AppState;

/// The alerts page.
#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    layout: Layout,
    alerts: Vec<Listed>,
}

/// The alert list alone.
#[derive(Template)]
#[template(path = "_notifications.html")]
pub struct NotificationsFragment {
    layout: Layout,
    alerts: Vec<Listed>,
}

/// `GET /notifications`: the page, or the list alone to htmx.
pub async fn show(
    State(state): State<AppState>,
    user: UiUser,
    wants: Wants,
) -> Result<Response, UiError> {
    let page = Pagination {
        page: 1,
        per_page: 100,
    };
    let alerts = crate::notify::list_with_deliveries(&state, user.id, false, page)
        .await?
        .items;
    let layout = Layout::of(&state, Some(user), "Alerts").await?;
    if wants.fragment {
        return Ok(render(&NotificationsFragment { layout, alerts }));
    }
    Ok(render(&NotificationsPage { layout, alerts }))
}

/// `POST /notifications/{id}/read`.
pub async fn mark_read(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &f.csrf)?;
    crate::notify::mark_read(&state, user.id, id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// `POST /notifications/read`: marks every alert read.
pub async fn mark_all_read(
    State(state): State<AppState>,
    user: UiUser,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &f.csrf)?;
    crate::notify::mark_all_read(&state, user.id).await?;
    Ok(Redirect::to("/notifications").into_response())
}
