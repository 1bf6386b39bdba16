//! Monthly partitions of `price_points` on PostgreSQL, created ahead of time.
//!
//! Rows outside every monthly partition land in `price_points_default`, so an insert never fails
//! for want of a partition; creating a month's partition later moves its rows out of the default.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionSession, TransactionTrait};

/// First day of the month `offset` months away from the month of `now`.
fn month_start(now: DateTime<Utc>, offset: i32) -> NaiveDate {
    let index = now.year() * 12 + now.month0() as i32 + offset;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(NaiveDate::MIN)
}

/// One monthly partition: its table name and its UTC bounds as SQL literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthPartition {
    /// Table name, `price_points_yYYYYmMM`.
    pub name: String,
    /// Inclusive lower bound, e.g. `2026-11-01 00:00:00+00`.
    pub from: String,
    /// Exclusive upper bound.
    pub to: String,
}

/// The monthly partitions from `behind` months before the month of `now` to `ahead` after it.
pub fn months_around(now: DateTime<Utc>, behind: i32, ahead: i32) -> Vec<MonthPartition> {
    (-behind..=ahead)
        .map(|offset| {
            let from = month_start(now, offset);
            let to = month_start(now, offset + 1);
            MonthPartition {
                name: format!("price_points_{}", from.format("y%Ym%m")),
                from: format!("{from} 00:00:00+00"),
                to: format!("{to} 00:00:00+00"),
            }
        })
        .collect()
}

/// Advisory lock key held while partitions are created.
const PARTITION_LOCK: i64 = 0x70_61_72_74;

/// Creates the monthly partitions around `now` on PostgreSQL (four months back, three ahead);
/// does nothing on SQLite. Rows that already landed in the default partition for a new month are
/// moved into it, in the same transaction that attaches it, so this never fails for want of an
/// empty default partition. Safe to run from several processes at once.
pub async fn ensure_price_partitions<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for month in months_around(now, 4, 3) {
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({PARTITION_LOCK})"))
            .await?;
        let exists = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT to_regclass('{}') IS NOT NULL AS present",
                    month.name
                ),
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "present"))
            .transpose()?
            .unwrap_or(false);
        if exists {
            continue;
        }
        let MonthPartition { name, from, to } = &month;
        for sql in [
            format!("CREATE TABLE {name} (LIKE price_points INCLUDING DEFAULTS)"),
            format!(
                "WITH moved AS (DELETE FROM price_points_default WHERE at >= '{from}' AND at < '{to}' RETURNING *) \
                 INSERT INTO {name} SELECT * FROM moved"
            ),
            format!(
                "ALTER TABLE price_points ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}')"
            ),
        ] {
            txn.execute_unprepared(&sql).await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_span_a_year_boundary_with_utc_bounds() {
        let now = Utc.with_ymd_and_hms(2026, 12, 15, 0, 0, 0).unwrap();
        let months = months_around(now, 1, 1);
        assert_eq!(months.len(), 3);
        assert_eq!(months[0].name, "price_points_y2026m11");
        assert_eq!(months[0].from, "2026-11-01 00:00:00+00");
        assert_eq!(months[0].to, "2026-12-01 00:00:00+00");
        assert_eq!(months[2].name, "price_points_y2027m01");
        assert_eq!(months[2].to, "2027-02-01 00:00:00+00");
    }
}
