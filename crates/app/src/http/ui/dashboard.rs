//! The dashboard: active goals with their best deal so far, the newest alerts, and a nudge to
//! create a first goal when there is none.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use deals_core::{GoalStatus, Pagination};
use deals_store::repo::goals::MatchedDeal;
use deals_store::rows::{Goal, Notification};

use super::errors::UiError;
use super::session::UiUser;
use super::view::{Layout, render};
use crate::state::AppState;

/// An active goal with its best match.
pub struct GoalSummary {
    /// The goal.
    pub goal: Goal,
    /// Its best-ranked deal, if any.
    pub best: Option<MatchedDeal>,
}

/// The dashboard.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    goals: Vec<GoalSummary>,
    alerts: Vec<Notification>,
    tokens: crate::tokens::Balance,
    goals_total: u64,
}

const fn first(n: u64) -> Pagination {
    Pagination {
        page: 1,
        per_page: n,
    }
}

/// `GET /dashboard`.
pub async fn show(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let active = crate::goals::list(&state, user.id, Some(GoalStatus::Active), first(20)).await?;
    let goals_total = active.total;
    let mut goals = Vec::with_capacity(active.items.len());
    for goal in active.items {
        let best = crate::goals::deals(&state, user.scope(), goal.id, first(1))
            .await?
            .items
            .into_iter()
            .next();
        goals.push(GoalSummary { goal, best });
    }
    let alerts = crate::notify::list(&state, user.id, false, first(5))
        .await?
        .items;
    let tokens = crate::tokens::balance(&state, user.id).await?;
    Ok(render(&DashboardPage {
        layout: Layout::of(&state, Some(user), "Dashboard").await?,
        goals,
        alerts,
        tokens,
        goals_total,
    }))
}
