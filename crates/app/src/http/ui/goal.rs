//! One goal: its criteria, what the last search did ("nothing found — here is why"), the
//! matched deals ranked with score and reasons (re-fetched while its agents work), and pause,
//! resume, search now, edit (title, target price) and delete.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::money::AmountInput;
use deals_core::{GoalStatus, Pagination};
use deals_store::repo::goals::MatchedDeal;
use deals_store::rows::Goal;
use serde::Deserialize;
use uuid::Uuid;

use super::errors::UiError;
use super::session::{UiUser, require_csrf};
use super::view::{FormErrors, Layout, Wants, render, render_status};
use crate::goals::{self, input::UpdateGoalRequest};
use crate::state::AppState;

/// The goal page.
#[derive(Template)]
#[template(path = "goal.html")]
pub struct GoalPage {
    layout: Layout,
    goal: Goal,
    deals: Vec<MatchedDeal>,
    searching: bool,
    errors: FormErrors,
    /// Its alerts are muted.
    muted: bool,
}

/// The ranked deals of a goal, alone (what htmx re-fetches).
#[derive(Template)]
#[template(path = "_goal_deals.html")]
pub struct GoalDeals {
    goal: Goal,
    deals: Vec<MatchedDeal>,
    searching: bool,
}

async fn load(
    state: &AppState,
    user: &UiUser,
    id: Uuid,
) -> Result<(Goal, Vec<MatchedDeal>, bool), UiError> {
    let goal = goals::get(state, user.scope(), id).await?;
    let page = Pagination {
        page: 1,
        per_page: 50,
    };
    let deals = goals::deals(state, user.scope(), id, page).await?.items;
    let searching = goals::searching(state, id).await?;
    Ok((goal, deals, searching))
}

/// `GET /goals/{id}`: the page, or its deals fragment to htmx.
pub async fn show(
    State(state): State<AppState>,
    user: UiUser,
    wants: Wants,
    Path(id): Path<Uuid>,
) -> Result<Response, UiError> {
    let (goal, deals, searching) = load(&state, &user, id).await?;
    if wants.fragment {
        return Ok(render(&GoalDeals {
            goal,
            deals,
            searching,
        }));
    }
    let muted = crate::notify::preferences(&state, user.id)
        .await?
        .mutes(goal.id);
    Ok(render(&GoalPage {
        layout: Layout::of(&state, Some(user), goal.title.clone()).await?,
        goal,
        deals,
        searching,
        errors: FormErrors::default(),
        muted,
    }))
}

/// A goal action form.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    csrf: String,
    /// `pause`, `resume`, `mute`, `unmute`, `search`, `edit` or `delete`.
    action: String,
    /// New title (`edit`).
    title: Option<String>,
    /// New target price, empty to clear (`edit`).
    target_price: Option<String>,
}

/// Applies an edit of title and target price; invalid fields come back next to their field.
async fn edit(
    state: &AppState,
    user: UiUser,
    id: Uuid,
    f: ActionForm,
) -> Result<Response, UiError> {
    let target = f.target_price.map(|t| {
        Some(t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(AmountInput::Text)
    });
    let req = UpdateGoalRequest {
        title: f.title,
        target_price: target,
        ..UpdateGoalRequest::default()
    };
    let refused = match req.parse() {
        Ok(changes) => match goals::update(state, user.scope(), id, changes).await {
            Ok(_) => return Ok(Redirect::to(&format!("/goals/{id}")).into_response()),
            Err(e) => e,
        },
        Err(v) => v.into(),
    };
    let errors = FormErrors::from_error(refused)?;
    let (goal, deals, searching) = load(state, &user, id).await?;
    let muted = crate::notify::preferences(state, user.id)
        .await?
        .mutes(goal.id);
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &GoalPage {
            layout: Layout::of(state, Some(user), goal.title.clone()).await?,
            goal,
            deals,
            searching,
            errors,
            muted,
        },
    ))
}

/// `POST /goals/{id}`: pause, resume, mute or unmute its alerts, search now or delete.
pub async fn act(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<ActionForm>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &f.csrf)?;
    let status = |s: GoalStatus| UpdateGoalRequest {
        status: Some(s.as_str().to_owned()),
        ..UpdateGoalRequest::default()
    };
    match f.action.as_str() {
        "pause" | "resume" => {
            let to = if f.action == "pause" {
                GoalStatus::Paused
            } else {
                GoalStatus::Active
            };
            let changes = status(to)
                .parse()
                .map_err(|e| UiError::from(crate::error::Error::from(e)))?;
            goals::update(&state, user.scope(), id, changes).await?;
            if to == GoalStatus::Active {
                goals::search_now(&state, user.scope(), id, user.id).await?;
            }
        }
        "edit" => return edit(&state, user, id, f).await,
        "mute" | "unmute" => {
            // The goal must be the user's (404 otherwise).
            let goal = goals::get(&state, user.scope(), id).await?;
            crate::notify::set_goal_muted(&state, goal.user_id, id, f.action == "mute").await?;
        }
        "search" => {
            goals::search_now(&state, user.scope(), id, user.id).await?;
        }
        "delete" => {
            goals::delete(&state, user.scope(), id).await?;
            return Ok(Redirect::to("/goals").into_response());
        }
        _ => return Err(UiError::Refused("unknown action".into())),
    }
    Ok(Redirect::to(&format!("/goals/{id}")).into_response())
}
