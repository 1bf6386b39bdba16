//! Monthly partitions of `price_points` on PostgreSQL, created ahead of time.
//!
//! Rows outside every monthly partition land in `price_points_default`, so an insert never fails
//! for want of a partition; creating partitions ahead keeps the default one empty.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// First day of the month `offset` months away from the month of `now`.
fn month_start(now: DateTime<Utc>, offset: i32) -> NaiveDate {
    let index = now.year() * 12 + now.month0() as i32 + offset;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(NaiveDate::MIN)
}

/// The `CREATE TABLE … PARTITION OF` statements for the months from `behind` months before `now`
/// to `ahead` months after it.
pub fn partition_statements(now: DateTime<Utc>, behind: i32, ahead: i32) -> Vec<String> {
    (-behind..=ahead)
        .map(|offset| {
            let from = month_start(now, offset);
            let to = month_start(now, offset + 1);
            format!(
                "CREATE TABLE IF NOT EXISTS price_points_{} PARTITION OF price_points \
                 FOR VALUES FROM ('{from}') TO ('{to}')",
                from.format("y%Ym%m")
            )
        })
        .collect()
}

/// Creates the monthly partitions around `now` on PostgreSQL; does nothing on SQLite.
pub async fn ensure_price_partitions<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for sql in partition_statements(now, 4, 3) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn statements_cover_months_across_a_year_boundary() {
        let now = Utc.with_ymd_and_hms(2026, 12, 15, 0, 0, 0).unwrap();
        let sql = partition_statements(now, 1, 1);
        assert_eq!(sql.len(), 3);
        assert!(
            sql[0].contains("price_points_y2026m11")
                && sql[0].contains("FROM ('2026-11-01') TO ('2026-12-01')")
        );
        assert!(
            sql[2].contains("price_points_y2027m01")
                && sql[2].contains("FROM ('2027-01-01') TO ('2027-02-01')")
        );
    }
}
