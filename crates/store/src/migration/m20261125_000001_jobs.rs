//! Background processing: the `jobs` table (queue records, result backend and monitor), the
//! `agent_runs` log, leader leases (one scheduler acts at a time) and the alert state of
//! trackers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::{fk, index, ts, ts_null};

/// Adds jobs, agent runs and tracker alert state.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        m.create_table(
            Table::create()
                .table("jobs")
                .col(pk_uuid("id"))
                .col(string("kind"))
                .col(string("status"))
                .col(uuid_null("owner_id"))
                .col(uuid_null("subject_id"))
                .col(json_binary("payload"))
                .col(integer("attempts"))
                .col(integer("max_attempts"))
                .col(ts("run_at"))
                .col(ts_null("lease_until"))
                .col(string_null("worker"))
                .col(string_null("dedup_key"))
                .col(json_binary_null("result"))
                .col(text_null("error"))
                .col(ts("created_at"))
                .col(ts_null("started_at"))
                .col(ts_null("finished_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("jobs", "owner_id", "users", SetNull))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("agent_runs")
                .col(pk_uuid("id"))
                .col(uuid_null("user_id"))
                .col(uuid_null("job_id"))
                .col(string("agent"))
                .col(string("provider"))
                .col(string("model"))
                .col(string("prompt_version"))
                .col(string("status"))
                .col(text("input_summary"))
                .col(json_binary("output"))
                .col(json_binary("attempts"))
                .col(big_integer("tokens_in"))
                .col(big_integer("tokens_out"))
                .col(big_integer("latency_ms"))
                .col(big_integer("cost_micros"))
                .col(text_null("error"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("agent_runs", "user_id", "users", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("leader_leases")
                .col(string("name").primary_key())
                .col(string("holder"))
                .col(ts("until"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("listings")
                .add_column(json_binary_null("flags"))
                .to_owned(),
        )
        .await?;
        // One column per statement: SQLite alters a table one column at a time.
        for def in [
            big_integer_null("last_price_minor"),
            ts_null("last_checked_at"),
            json_binary_null("alert_state"),
        ] {
            m.alter_table(Table::alter().table("trackers").add_column(def).to_owned())
                .await?;
        }
        let indexes = [
            index("jobs", "idx_jobs_status_run_at", &["status", "run_at"]),
            index(
                "jobs",
                "idx_jobs_owner_created",
                &["owner_id", "created_at"],
            ),
            index("jobs", "idx_jobs_kind_status", &["kind", "status"]),
            index(
                "agent_runs",
                "idx_agent_runs_user_created",
                &["user_id", "created_at"],
            ),
            index("agent_runs", "idx_agent_runs_created", &["created_at"]),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        m.create_index(
            index("jobs", "uq_jobs_dedup_key", &["dedup_key"])
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
