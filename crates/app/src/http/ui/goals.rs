//! The goals list and the new-goal page: type a sentence, see how it is read (criteria you can
//! edit) before saving, then save it and land on the goal, whose first search starts at once.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use deals_core::money::{AmountInput, format_minor};
use deals_core::{GoalCriteria, GoalCriteriaInput, Pagination};
use deals_store::rows::Goal;
use serde::Deserialize;

use super::errors::UiError;
use super::session::{UiUser, require_csrf};
use super::view::{FormErrors, Layout, render, render_status};
use crate::goals::{self, input::CreateGoalRequest};
use crate::state::AppState;

/// The goals list.
#[derive(Template)]
#[template(path = "goals.html")]
pub struct GoalsPage {
    layout: Layout,
    goals: Vec<Goal>,
}

/// `GET /goals`.
pub async fn list(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let page = Pagination {
        page: 1,
        per_page: 100,
    };
    let goals = goals::list(&state, user.id, None, page).await?.items;
    Ok(render(&GoalsPage {
        layout: Layout::of(&state, Some(user), "Your goals").await?,
        goals,
    }))
}

/// The new-goal form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct NewGoalForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    target_price: String,
    /// `preview` or `create`.
    #[serde(default)]
    action: String,
    /// Present once the criteria were shown.
    keywords: Option<String>,
    #[serde(default)]
    brands: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    exclude: String,
    #[serde(default)]
    max_price: String,
}

/// The new-goal page.
#[derive(Template)]
#[template(path = "goal_new.html")]
pub struct NewGoalPage {
    layout: Layout,
    form: NewGoalForm,
    notes: Vec<String>,
    previewed: bool,
    errors: FormErrors,
}

/// `GET /goals/new`.
pub async fn new_page(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    Ok(render(&NewGoalPage {
        layout: Layout::of(&state, Some(user), "New goal").await?,
        form: NewGoalForm::default(),
        notes: Vec::new(),
        previewed: false,
        errors: FormErrors::default(),
    }))
}

fn words(list: &[String]) -> String {
    list.join(", ")
}

fn split(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

fn nonempty(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Fills the criteria fields from how the sentence reads.
fn fill(form: &mut NewGoalForm, c: &GoalCriteria) {
    form.keywords = Some(words(&c.keywords));
    form.brands = words(&c.brands);
    form.categories = words(&c.categories);
    form.exclude = words(&c.exclude_keywords);
    form.max_price = c.max_price.map(format_minor).unwrap_or_default();
}

/// The criteria to send: none when the fields still say what the sentence reads (so wishes and
/// specs read from it are kept), else the edited fields.
fn edited(form: &NewGoalForm) -> Option<GoalCriteriaInput> {
    let keywords = form.keywords.as_deref()?;
    let read = goals::preview(&form.query).criteria;
    let mut as_read = NewGoalForm::default();
    fill(&mut as_read, &read);
    let same = as_read.keywords.as_deref() == Some(keywords.trim())
        && as_read.brands == form.brands.trim()
        && as_read.categories == form.categories.trim()
        && as_read.exclude == form.exclude.trim()
        && as_read.max_price == form.max_price.trim();
    (!same).then(|| GoalCriteriaInput {
        keywords: split(keywords),
        brands: split(&form.brands),
        categories: split(&form.categories),
        exclude_keywords: split(&form.exclude),
        max_price: nonempty(&form.max_price).map(AmountInput::Text),
        wishes: read.wishes,
        ..GoalCriteriaInput::default()
    })
}

/// `POST /goals/new`: `action=preview` shows the criteria, anything else creates the goal.
pub async fn create(
    State(state): State<AppState>,
    user: UiUser,
    Form(mut form): Form<NewGoalForm>,
) -> Result<Response, UiError> {
    require_csrf(&state, &user, &form.csrf)?;
    if form.action == "preview" {
        let read = goals::preview(&form.query);
        fill(&mut form, &read.criteria);
        return Ok(render(&NewGoalPage {
            layout: Layout::of(&state, Some(user), "New goal").await?,
            form,
            notes: read.notes,
            previewed: true,
            errors: FormErrors::default(),
        }));
    }
    let req = CreateGoalRequest {
        query: nonempty(&form.query),
        criteria: edited(&form),
        title: None,
        priority: None,
        deadline: None,
        max_matches: None,
        notify_threshold: None,
        target_price: nonempty(&form.target_price).map(AmountInput::Text),
    };
    match goals::create(&state, user.id, req).await {
        Ok(created) => Ok(Redirect::to(&format!("/goals/{}", created.goal.id)).into_response()),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let previewed = form.keywords.is_some();
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewGoalPage {
                    layout: Layout::of(&state, Some(user), "New goal").await?,
                    form,
                    notes: Vec::new(),
                    previewed,
                    errors,
                },
            ))
        }
    }
}
