//! Tracked deals: what the user watches, the price at the last check, the alert rules, and
//! "stop tracking".

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::Pagination;
use deals_store::repo::tracking::TrackedListing;
use uuid::Uuid;

use super::errors::UiError;
use super::session::{CsrfOnly, UiUser, require_csrf};
use super::view::{Layout, render};
use crate::state::AppState;

/// The tracked-deals page.
#[derive(Template)]
#[template(path = "tracked.html")]
pub struct TrackedPage {
    layout: Layout,
    tracked: Vec<TrackedListing>,
}

/// `GET /tracked`.
pub async fn show(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let page = Pagination {
        page: 1,
        per_page: 100,
    };
    let tracked = crate::tracking::list(&state, user.id, page).await?.items;
    Ok(render(&TrackedPage {
        layout: Layout::of(&state, Some(user), "Tracked deals").await?,
        tracked,
    }))
}

/// `POST /tracked/{id}/delete`: stops tracking.
pub async fn untrack(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &f.csrf)?;
    crate::tracking::untrack(&state, user.scope(), id).await?;
    Ok(Redirect::to("/tracked").into_response())
}
