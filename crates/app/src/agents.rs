//! The app's side of the agents: building the LLM chain from configuration and storing run
//! records.

use deals_agents::AgentRun;
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

/// On whose behalf agent work runs: the user it is for (who pays for it once tokens are
/// charged) and the job doing it. Run records are stored with both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    /// The user the work is for; `None` for the system's own upkeep.
    pub user_id: Option<Uuid>,
    /// The job doing the work, if any.
    pub job_id: Option<Uuid>,
}

impl Origin {
    /// Work for `user_id`, done by `job_id`.
    pub fn new(user_id: Option<Uuid>, job_id: Option<Uuid>) -> Self {
        Self { user_id, job_id }
    }

    /// Stores an agent run record; a failure is logged, never returned (the work itself is done).
    pub async fn record(&self, store: &deals_store::Store, run: &AgentRun) {
        let new = new_run(run, self.user_id, self.job_id);
        if let Err(e) = store.record_agent_run(new).await {
            tracing::warn!(error = %e, agent = ?run.agent, "recording an agent run failed");
        }
    }
}
