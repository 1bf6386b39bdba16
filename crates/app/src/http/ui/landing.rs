//! The landing page at `/`: what the product does in one sentence, live counters, a deal search
//! box and a "try a goal" box that work without an account, and the demo account.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use deals_core::{GoalCriteria, Pagination};
use deals_store::repo::search::DealQuery;
use serde::Deserialize;

use super::errors::UiError;
use super::session::MaybeUiUser;
use super::view::{Layout, Wants, money, render};
use crate::seed::{DEMO_EMAIL, DEMO_PASSWORD};
use crate::state::AppState;

/// The landing page.
#[derive(Template)]
#[template(path = "landing.html")]
pub struct LandingPage {
    layout: Layout,
    deals: u64,
    stores: usize,
    demo_email: &'static str,
    demo_password: &'static str,
    trial: Option<Trial>,
}

/// The "try a goal" answer as a fragment.
#[derive(Template)]
#[template(path = "_trial.html")]
pub struct TrialFragment {
    trial: Option<Trial>,
}

/// A sentence read into criteria, without saving anything.
pub struct Trial {
    /// The sentence.
    pub sentence: String,
    /// The short title it would get.
    pub title: String,
    /// What was read from it.
    pub criteria: GoalCriteria,
    /// What was ambiguous or ignored.
    pub notes: Vec<String>,
    /// Deals already known that the search box finds for it.
    pub found: u64,
}

/// `?goal=` of the landing page.
#[derive(Debug, Deserialize)]
pub struct TryParams {
    goal: Option<String>,
}

async fn trial(state: &AppState, sentence: &str) -> Result<Trial, UiError> {
    let read = crate::goals::preview(sentence);
    let query = DealQuery {
        text: Some(read.criteria.keywords.join(" ")).filter(|t| !t.is_empty()),
        max_price: read.criteria.max_price,
        page: Pagination {
            page: 1,
            per_page: 1,
        },
        ..DealQuery::default()
    };
    let found = crate::deals::search(state, &query).await?.total;
    Ok(Trial {
        sentence: sentence.to_owned(),
        title: read.title,
        criteria: read.criteria,
        notes: read.notes,
        found,
    })
}

/// `GET /` (with `?goal=` the sentence is read and shown, the fragment alone to htmx).
pub async fn landing(
    State(state): State<AppState>,
    MaybeUiUser(user): MaybeUiUser,
    wants: Wants,
    Query(q): Query<TryParams>,
) -> Result<Response, UiError> {
    let sentence = q
        .goal
        .map(|g| g.trim().to_owned())
        .filter(|g| g.chars().count() >= 3);
    let trial = match sentence {
        Some(s) => Some(trial(&state, &s).await?),
        None => None,
    };
    if wants.fragment {
        return Ok(render(&TrialFragment { trial }));
    }
    let all = DealQuery {
        page: Pagination {
            page: 1,
            per_page: 1,
        },
        ..DealQuery::default()
    };
    Ok(render(&LandingPage {
        layout: Layout::of(&state, user, "Your AI deal agent").await?,
        deals: crate::deals::search(&state, &all).await?.total,
        stores: state.markets.searchable().len(),
        demo_email: DEMO_EMAIL,
        demo_password: DEMO_PASSWORD,
        trial,
    }))
}

/// A price bound for the templates.
pub fn bound(minor: &Option<i64>) -> String {
    minor.as_ref().map(money).unwrap_or_else(|| "any".into())
}
