//! Background jobs. The `jobs` table in the app database is the source of truth for a job's
//! status, attempts and result; [`queue`] only carries job ids from producers to workers.

pub mod queue;
