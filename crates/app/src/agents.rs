//! The app's side of the agents: building the LLM chain from configuration and storing run
//! records.

use deals_agents::{AgentRun, Charge, Payer};
use deals_store::repo::agent_runs::NewAgentRun;
use uuid::Uuid;

/// A run record as a row of `agent_runs`.
pub fn new_run(run: &AgentRun, user_id: Option<Uuid>, job_id: Option<Uuid>) -> NewAgentRun {
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    NewAgentRun {
        user_id,
        job_id,
        agent: serde_name(&run.agent),
        provider: run.provider.clone(),
        model: run.model.clone(),
        prompt_version: run.prompt_version.clone(),
        status: serde_name(&run.status),
        input_summary: run.input_summary.clone(),
        output: run.output.clone(),
        attempts: serde_json::to_value(&run.attempts).unwrap_or_default(),
        tokens_in: int(run.tokens_in),
        tokens_out: int(run.tokens_out),
        latency_ms: int(run.latency_ms),
        cost_micros: int(run.cost_micros),
        error: run.error.clone(),
    }
}

/// The serde name of a unit enum value (`AgentKind::GoalAnalysis` → `goal_analysis`).
pub(crate) fn serde_name(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// On whose behalf agent work runs: the user it is for (who pays for it), the goal it serves
/// and the job doing it. Run records are stored with the user and the job; charges name the
/// payer and carry the job's id as their idempotency key, so a retried job is not charged twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    /// The user the work is for; `None` for the system's own upkeep.
    pub user_id: Option<Uuid>,
    /// The job doing the work, if any.
    pub job_id: Option<Uuid>,
    /// The goal the work serves, if any.
    pub goal_id: Option<Uuid>,
}

impl Origin {
    /// Work for `user_id`, done by `job_id`.
    pub fn new(user_id: Option<Uuid>, job_id: Option<Uuid>) -> Self {
        Self {
            user_id,
            job_id,
            goal_id: None,
        }
    }

    /// The same work, serving `goal_id`.
    #[must_use]
    pub fn for_goal(mut self, goal_id: Uuid) -> Self {
        self.goal_id = Some(goal_id);
        self
    }

    /// The charge of one step of this work: the goal's owner for goal work, the user for their
    /// own requests, nobody for upkeep; keyed by the job and `step` when a job does it.
    pub fn charge(&self, step: &str) -> Charge {
        let payer = match (self.user_id, self.goal_id) {
            (Some(user_id), Some(goal_id)) => Payer::Goal { user_id, goal_id },
            (Some(user_id), None) => Payer::User(user_id),
            (None, _) => Payer::System,
        };
        let charge = Charge::new(payer);
        match self.job_id {
            Some(job) => charge.with_key(format!("job:{job}:{step}")),
            None => charge,
        }
    }

    /// Stores an agent run record; a failure is logged, never returned (the work itself is done).
    pub async fn record(&self, store: &deals_store::Store, run: &AgentRun) {
        let new = new_run(run, self.user_id, self.job_id);
        if let Err(e) = store.record_agent_run(new).await {
            tracing::warn!(error = %e, agent = ?run.agent, "recording an agent run failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_charges_the_goal_owner_once_per_step() {
        let (user, goal, job) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let charge = Origin::new(Some(user), Some(job))
            .for_goal(goal)
            .charge("deal_search");
        assert_eq!(
            charge.payer,
            Payer::Goal {
                user_id: user,
                goal_id: goal
            }
        );
        assert_eq!(charge.key, Some(format!("job:{job}:deal_search")));
        let upkeep = Origin::default().charge("price_analysis");
        assert_eq!((upkeep.payer, upkeep.key), (Payer::System, None));
    }
}
