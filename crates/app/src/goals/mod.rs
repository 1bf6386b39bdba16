//! Goals: what a user wants to buy. Create one from words and/or criteria (its first job
//! commits with it), list, read, change, delete, search now, attach a deal by hand, and the
//! discovery flow the jobs run: Goal Analysis → Deal Search → ingest → match → alert.

pub mod attach;
pub mod discovery;
pub mod index;
pub mod input;

use deals_core::{GoalStatus, Pagination};
use deals_store::repo::Page;
use deals_store::repo::goals::{GoalChanges, MatchedDeal, insert_goal_in};
use deals_store::repo::jobs::insert_job_in;
use deals_store::rows::Goal;
use deals_store::{Scope, StoreError};
use serde_json::json;
use uuid::Uuid;

use crate::agents::Origin;
use crate::error::{Error, Result};
use crate::jobs::{JobKind, Jobs};
use crate::state::AppState;
use input::CreateGoalRequest;

/// A goal just created, with its first job: the Goal Analysis job when an LLM re-reads the
/// goal's words (it then starts the first search), else the first deal search itself.
#[derive(Debug, Clone)]
pub struct Created {
    /// The goal.
    pub goal: Goal,
    /// The goal's first job (`analyze_goal` or `search_deals`).
    pub job_id: Uuid,
}

/// Creates a goal for `user_id`. Words sent without criteria are read once: on the offline
/// rules, by the Goal Analysis agent here (its run is recorded); with an LLM configured, by the
/// rules here for an immediate answer and then by the agent in the goal's job, whose criteria
/// replace the rules' ones. No goal without its job, no job without its goal: both commit or
/// neither does.
pub async fn create(state: &AppState, user_id: Uuid, req: CreateGoalRequest) -> Result<Created> {
    // An invalid request is refused as such (422) before anything is charged or priced (the
    // analysis below is metered).
    req.clone().parse(user_id, None)?;
    let price = state.settings.tokens.pricing.new_goal();
    crate::tokens::ensure_affordable(state, user_id, price).await?;
    let words_only = req.criteria.is_none().then(|| req.words()).flatten();
    let rules_only = state.agents.chain().is_rules_only();
    let refine = words_only.is_some() && !rules_only;
    let analysis = match words_only {
        Some(words) if rules_only && (3..=500).contains(&words.chars().count()) => {
            let out = state.agents.analyze_goal(user_id, &words).await?;
            Origin::new(Some(user_id), None)
                .record(&state.store, &out.run)
                .await;
            Some(out.output)
        }
        _ => None,
    };
    let new = req.parse(user_id, analysis)?;
    let txn = state.store.begin_write().await?;
    let goal = insert_goal_in(&txn, new).await?;
    // With an LLM to re-read the words, the goal's job is its analysis (which then starts the
    // first search); otherwise the words were read above, and the job is the first search.
    let first = if refine {
        Jobs::new_job(
            JobKind::AnalyzeGoal,
            Some(user_id),
            Some(goal.id),
            json!({ "refine": true }),
        )
    } else {
        discovery::first_search(user_id, goal.id)
    };
    let (job, _) = insert_job_in(&txn, first).await?;
    txn.commit().await.map_err(StoreError::from)?;
    state.goal_index.upsert(goal.id, goal.criteria.clone());
    state.jobs.dispatch(&job).await;
    Ok(Created {
        goal,
        job_id: job.id,
    })
}

/// A user's own goals, newest first (administrators too: they reach others' goals by id).
pub async fn list(
    state: &AppState,
    user_id: Uuid,
    status: Option<GoalStatus>,
    page: Pagination,
) -> Result<Page<Goal>> {
    Ok(state
        .store
        .list_goals(Scope::Owner(user_id), status, page)
        .await?)
}

/// One goal visible in `scope`.
pub async fn get(state: &AppState, scope: Scope, id: Uuid) -> Result<Goal> {
    Ok(state.store.get_goal(scope, id).await?)
}

/// Applies parsed changes to a goal visible in `scope`.
pub async fn update(
    state: &AppState,
    scope: Scope,
    id: Uuid,
    changes: GoalChanges,
) -> Result<Goal> {
    let goal = state.store.update_goal(scope, id, changes).await?;
    if goal.status == GoalStatus::Active {
        state.goal_index.upsert(goal.id, goal.criteria.clone());
    } else {
        state.goal_index.remove(goal.id);
    }
    Ok(goal)
}

/// Deletes a goal visible in `scope` with its matches.
pub async fn delete(state: &AppState, scope: Scope, id: Uuid) -> Result<()> {
    state.store.delete_goal(scope, id).await?;
    state.goal_index.remove(id);
    Ok(())
}

/// The deals matched to a goal visible in `scope`, best first.
pub async fn deals(
    state: &AppState,
    scope: Scope,
    id: Uuid,
    page: Pagination,
) -> Result<Page<MatchedDeal>> {
    Ok(state.store.goal_deals(scope, id, page).await?)
}

/// Queues the deal search of an active goal now; a search of it already waiting or running
/// answers instead. Returns the job's id.
pub async fn search_now(
    state: &AppState,
    scope: Scope,
    id: Uuid,
    requested_by: Uuid,
) -> Result<Uuid> {
    let goal = get(state, scope, id).await?;
    if goal.status != GoalStatus::Active {
        return Err(Error::Conflict(format!(
            "the goal is {}; set it active to search",
            goal.status
        )));
    }
    if let Some(job) = state
        .store
        .pending_job(JobKind::SearchDeals, goal.id)
        .await?
    {
        return Ok(job.id);
    }
    let price = state.settings.tokens.pricing.deal_search;
    crate::tokens::ensure_affordable(state, goal.user_id, price).await?;
    crate::tokens::ensure_within_budget(state, goal.id, price).await?;
    let mut new = Jobs::new_job(
        JobKind::SearchDeals,
        Some(goal.user_id),
        Some(goal.id),
        json!({"requested_by": requested_by}),
    );
    // Someone is waiting for it, unlike the scheduler's re-searches.
    new.priority = crate::jobs::kinds::priority::INTERACTIVE;
    let (job, _) = state.jobs.enqueue(&state.store, new).await?;
    Ok(job.id)
}

/// Reads a sentence into criteria with the offline Goal Analysis rules, saving nothing: what a
/// goal made of these words would search for (the web UI shows it before the goal is created).
pub fn preview(words: &str) -> deals_agents::rules::ParsedGoal {
    deals_agents::rules::parse_goal(words)
}

/// Whether a goal's analysis or deal search is waiting or running (its page shows progress and
/// refreshes its deals until it is done).
pub async fn searching(state: &AppState, goal_id: Uuid) -> Result<bool> {
    for kind in [JobKind::AnalyzeGoal, JobKind::SearchDeals] {
        if state.store.pending_job(kind, goal_id).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}
