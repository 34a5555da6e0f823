//! What the dashboard counts and lists: leads by status, new leads waiting too long for a first reply,
//! overdue follow-ups, and leads per day.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;

use super::lead_queries::day_start;
use super::leads::Lead;
use super::schema::leads;
use super::{DbPool, DbResult};
use crate::db_run_retrying;
use crate::domain::LeadStatus;

pub async fn count_by_status(pool: &DbPool) -> DbResult<Vec<(String, i64)>> {
    db_run_retrying!(pool, |conn| {
        Ok(leads::table
            .group_by(leads::status)
            .select((leads::status, diesel::dsl::count_star()))
            .load(conn)
            .await?)
    })
}

/// New leads received before `before` (waiting too long for a first reply), oldest first, at most
/// `limit`, and how many there are. Served by the (status, created_at, id) index.
pub async fn waiting_for_reply(
    pool: &DbPool,
    before: NaiveDateTime,
    limit: i64,
) -> DbResult<(Vec<Lead>, i64)> {
    db_run_retrying!(pool, |conn| {
        let waiting = || {
            leads::table
                .filter(leads::status.eq(LeadStatus::New))
                .filter(leads::created_at.lt(before))
        };
        let rows = waiting()
            .order((leads::created_at.asc(), leads::id.asc()))
            .limit(limit)
            .select(Lead::as_select())
            .load(conn)
            .await?;
        let count = waiting().count().get_result(conn).await?;
        Ok((rows, count))
    })
}

/// Follow-ups due before `today`, most overdue first, at most `limit`, and how many there are. Served by
/// the (follow_up_on, id) index.
pub async fn overdue_follow_ups(
    pool: &DbPool,
    today: NaiveDate,
    limit: i64,
) -> DbResult<(Vec<Lead>, i64)> {
    db_run_retrying!(pool, |conn| {
        let overdue = || leads::table.filter(leads::follow_up_on.lt(today));
        let rows = overdue()
            .order((leads::follow_up_on.asc(), leads::id.asc()))
            .limit(limit)
            .select(Lead::as_select())
            .load(conn)
            .await?;
        let count = overdue().count().get_result(conn).await?;
        Ok((rows, count))
    })
}

#[derive(QueryableByName, Debug)]
pub struct DayCount {
    #[diesel(sql_type = Text)]
    pub day: String,
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
}

/// Leads per calendar day (UTC) since `since`. `DATE()` and `CAST(… AS CHAR)` mean the same on both backends.
pub async fn per_day_since(pool: &DbPool, since: NaiveDate) -> DbResult<Vec<DayCount>> {
    const SQL: &str = "SELECT CAST(DATE(created_at) AS CHAR) AS day, COUNT(*) AS leads FROM leads \
         WHERE created_at >= ? GROUP BY DATE(created_at) ORDER BY day";
    db_run_retrying!(pool, |conn| {
        Ok(diesel::sql_query(SQL)
            .bind::<diesel::sql_types::Timestamp, _>(day_start(since))
            .load(conn)
            .await?)
    })
}
