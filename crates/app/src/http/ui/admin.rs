//! Admin pages: market health, users, the job monitor with retry of dead jobs, agent runs
//! with their cost, and a listing's product link with its undo. Only administrators reach them
//! (others get the 403 page).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::{JobStatus, Pagination, Permission};
use deals_markets::SourceHealth;
use deals_store::repo::jobs::Job;
use deals_store::repo::links::ListingLink;
use deals_store::rows::{AgentRunRow, User};
use serde::Deserialize;
use uuid::Uuid;

use super::errors::UiError;
use super::session::{CsrfOnly, UiUser, require_csrf};
use super::view::{Layout, render};
use crate::state::AppState;

fn admin(user: UiUser) -> Result<UiUser, UiError> {
    if user.role.can(Permission::Administer) {
        Ok(user)
    } else {
        Err(UiError::Forbidden)
    }
}

const PAGE: Pagination = Pagination {
    page: 1,
    per_page: 100,
};

/// The admin overview: market health.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    layout: Layout,
    markets: Vec<SourceHealth>,
}

/// `GET /admin`.
pub async fn overview(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let user = admin(user)?;
    Ok(render(&AdminPage {
        layout: Layout::of(&state, Some(user), "Administration").await?,
        markets: state.markets.health(),
    }))
}

/// The users page.
#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    layout: Layout,
    users: Vec<User>,
}

/// `GET /admin/users`.
pub async fn users(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let user = admin(user)?;
    Ok(render(&UsersPage {
        layout: Layout::of(&state, Some(user), "Users").await?,
        users: crate::accounts::list_users(&state, PAGE).await?.items,
    }))
}

/// The job monitor.
#[derive(Template)]
#[template(path = "admin_jobs.html")]
pub struct JobsPage {
    layout: Layout,
    jobs: Vec<Job>,
    status: String,
}

/// `?status=` of the job monitor.
#[derive(Debug, Deserialize)]
pub struct StatusFilter {
    status: Option<String>,
}

/// `GET /admin/jobs`.
pub async fn jobs(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<StatusFilter>,
) -> Result<Response, UiError> {
    let user = admin(user)?;
    let status = q
        .status
        .as_deref()
        .and_then(|s| JobStatus::ALL.iter().copied().find(|x| x.as_str() == s));
    Ok(render(&JobsPage {
        layout: Layout::of(&state, Some(user), "Jobs").await?,
        jobs: crate::jobs::admin::list(&state, status, PAGE).await?.items,
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
    }))
}

/// `POST /admin/jobs/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    let user = admin(user)?;
    require_csrf(&state, &user, &f.csrf)?;
    crate::jobs::admin::retry(&state, id).await?;
    Ok(Redirect::to("/admin/jobs").into_response())
}

/// The agent runs page.
#[derive(Template)]
#[template(path = "admin_runs.html")]
pub struct RunsPage {
    layout: Layout,
    runs: Vec<AgentRunRow>,
}

/// `GET /admin/runs`.
pub async fn runs(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let user = admin(user)?;
    Ok(render(&RunsPage {
        layout: Layout::of(&state, Some(user), "Agent runs").await?,
        runs: crate::jobs::admin::agent_runs(&state, PAGE).await?.items,
    }))
}

/// Micro-dollars as dollars with four decimals.
pub fn cost(micros: &i64) -> String {
    format!("${:.4}", *micros as f64 / 1_000_000.0)
}

/// A listing's product link, and the form to undo it.
#[derive(Template)]
#[template(path = "admin_links.html")]
pub struct LinksPage {
    layout: Layout,
    /// The listing id as typed.
    listing: String,
    /// Why the id was not looked up.
    error: Option<String>,
    link: Option<ListingLink>,
}

/// `?listing=` of the links page.
#[derive(Debug, Deserialize)]
pub struct ListingQuery {
    listing: Option<String>,
}

/// `GET /admin/links?listing=<id>`.
pub async fn links(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ListingQuery>,
) -> Result<Response, UiError> {
    let user = admin(user)?;
    let typed = q.listing.unwrap_or_default().trim().to_owned();
    let (link, error) = if typed.is_empty() {
        (None, None)
    } else {
        match Uuid::parse_str(&typed) {
            Err(_) => (None, Some("not a listing id (a UUID)".to_owned())),
            Ok(id) => match crate::deals::links::show(&state, id).await {
                Ok(link) => (Some(link), None),
                Err(crate::error::Error::NotFound) => (None, Some("no such listing".to_owned())),
                Err(e) => return Err(e.into()),
            },
        }
    };
    Ok(render(&LinksPage {
        layout: Layout::of(&state, Some(user), "Product links").await?,
        listing: typed,
        error,
        link,
    }))
}

/// `POST /admin/links/{id}/unlink`.
pub async fn unlink(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    let user = admin(user)?;
    require_csrf(&state, &user, &f.csrf)?;
    crate::deals::links::unlink(&state, id, user.id).await?;
    Ok(Redirect::to(&format!("/admin/links?listing={id}")).into_response())
}
