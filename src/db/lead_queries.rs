//! The staff list of leads: search, filters, sorting and keyset pagination (`WHERE (key, id) < (…)` over an
//! index, so page 10 000 costs what page 1 does), counts for the dashboard, and batches for the CSV export.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;

use super::leads::Lead;
use super::schema::leads;
use super::{DbPool, DbResult};
use crate::db_run_retrying;
use crate::domain::{Interest, LeadStatus};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub text: Option<String>,
    pub status: Option<LeadStatus>,
    pub interest: Option<Interest>,
    pub consent: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    Name,
    Email,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Created,
        SortKey::Name,
        SortKey::Email,
        SortKey::Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Created => "created",
            SortKey::Name => "name",
            SortKey::Email => "email",
            SortKey::Status => "status",
        }
    }

    pub fn parse(value: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == value)
    }

    fn value_of(self, lead: &Lead) -> String {
        match self {
            SortKey::Created => lead.created_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            SortKey::Name => lead.name.to_string(),
            SortKey::Email => lead.email.to_string(),
            SortKey::Status => lead.status.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
}

/// How a page is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePlan {
    /// Follow the sort's index and stop after `limit` matches. Right for filters the index serves and for
    /// export batches, which read on from the cursor through the whole result anyway.
    Walk,
    /// Read the table in storage order and keep the best `limit` rows. Right for one page of a substring
    /// search: along the index, a rare term costs a random read per row (80 s at 1M leads on a cold
    /// MariaDB) instead of one sequential pass.
    TopN,
}

/// Where the next page starts: the sort value and id of the last row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: String,
    pub id: i64,
}

impl Cursor {
    pub fn after(sort: Sort, lead: &Lead) -> Self {
        Cursor {
            value: sort.key.value_of(lead),
            id: lead.id,
        }
    }
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The column wrapped in a no-op (`COALESCE(c, c)`), same order on both backends, that no planner can
/// serve from an index: it makes the database sort the matches instead of walking the index.
fn no_index<C: Column>(_column: C) -> diesel::expression::SqlLiteral<Text> {
    diesel::dsl::sql(&format!("COALESCE(leads.{0}, leads.{0})", C::NAME))
}

fn day_start(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// The filtered query, boxed so conditions can be added one by one; expanded per backend inside `db_run!`.
macro_rules! filtered {
    ($filter:expr) => {{
        let filter: &LeadFilter = $filter;
        let mut query = leads::table.into_boxed();
        if let Some(text) = &filter.text {
            let pattern = like_pattern(text);
            query = query.filter(
                leads::name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(leads::email.like(pattern.clone()).escape('\\'))
                    .or(leads::phone.like(pattern.clone()).escape('\\'))
                    .or(leads::message.like(pattern).escape('\\')),
            );
        }
        if let Some(status) = filter.status {
            query = query.filter(leads::status.eq(status));
        }
        if let Some(interest) = filter.interest {
            query = query.filter(leads::interest.eq(interest));
        }
        if let Some(consent) = filter.consent {
            query = query.filter(leads::consent.eq(consent));
        }
        if let Some(from) = filter.from {
            query = query.filter(leads::created_at.ge(day_start(from)));
        }
        if let Some(to) = filter.to.and_then(|d| d.succ_opt()) {
            query = query.filter(leads::created_at.lt(day_start(to)));
        }
        query
    }};
}

/// Adds the keyset condition and the ordering for `sort` to a filtered query.
macro_rules! ordered_page {
    ($query:expr, $sort:expr, $after:expr, $plan:expr) => {{
        let sort: Sort = $sort;
        let after: Option<&Cursor> = $after;
        let plan: PagePlan = $plan;
        let mut query = $query;
        macro_rules! by {
            ($column:expr, $value:expr) => {{
                if let Some(cursor) = after {
                    let value = $value(cursor);
                    // `col <= v AND (col < v OR id < last)`: the first half is a plain range the index can
                    // seek to; written as a bare OR, the planners scan, and deep pages cost O(n).
                    query = if sort.ascending {
                        query.filter($column.ge(value.clone()).and($column.gt(value).or(leads::id.gt(cursor.id))))
                    } else {
                        query.filter($column.le(value.clone()).and($column.lt(value).or(leads::id.lt(cursor.id))))
                    };
                }
                match (plan, sort.ascending) {
                    (PagePlan::Walk, true) => query.order(($column.asc(), leads::id.asc())),
                    (PagePlan::Walk, false) => query.order(($column.desc(), leads::id.desc())),
                    (PagePlan::TopN, true) => query.order((no_index($column).asc(), leads::id.asc())),
                    (PagePlan::TopN, false) => query.order((no_index($column).desc(), leads::id.desc())),
                }
            }};
        }
        let text = |c: &Cursor| c.value.clone();
        let time = |c: &Cursor| {
            NaiveDateTime::parse_from_str(&c.value, "%Y-%m-%d %H:%M:%S%.f").unwrap_or_default()
        };
        match sort.key {
            SortKey::Created => by!(leads::created_at, time),
            SortKey::Name => by!(leads::name, text),
            SortKey::Email => by!(leads::email, text),
            SortKey::Status => by!(leads::status, text),
        }
    }};
}

pub async fn page(
    pool: &DbPool,
    filter: &LeadFilter,
    sort: Sort,
    after: Option<&Cursor>,
    limit: i64,
    plan: PagePlan,
) -> DbResult<Vec<Lead>> {
    db_run_retrying!(pool, |conn| {
        let query = ordered_page!(filtered!(filter), sort, after, plan);
        Ok(query
            .select(Lead::as_select())
            .limit(limit)
            .load(conn)
            .await?)
    })
}

/// Counts matches up to `cap` (a list page says "10000+" rather than counting a million rows per view).
pub async fn count_up_to(pool: &DbPool, filter: &LeadFilter, cap: i64) -> DbResult<(i64, bool)> {
    let ids: Vec<i64> = db_run_retrying!(pool, |conn| {
        Ok::<_, super::DbError>(
            filtered!(filter)
                .select(leads::id)
                .limit(cap + 1)
                .load(conn)
                .await?,
        )
    })?;
    let more = ids.len() as i64 > cap;
    Ok((ids.len().min(cap as usize) as i64, more))
}

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
