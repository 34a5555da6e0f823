//! The staff list of leads: search, filters, sorting and keyset pagination (`WHERE (key, id) < (…)` over an
//! index, so page 10 000 costs what page 1 does, and the page before is the same walk reversed), counts for
//! the dashboard, and batches for the CSV export.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

pub use super::lead_filters::{Cursor, FollowUpFilter, LeadFilter, OwnerFilter, Sort, SortKey};
use super::lead_search::{self, SearchTerm};
use super::leads::Lead;
use super::schema::{lead_search_terms, leads};
use super::{DbPool, DbResult};
use crate::db_run_retrying;
use crate::domain::LeadStatus;

/// How a page is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PagePlan {
    /// Follow the sort's index and stop after `limit` matches. Right for filters the index serves and for
    /// export batches, which read on from the cursor through the whole result anyway.
    Walk,
    /// Collect the matches and keep the best `limit` rows. Right when a rare search term drives: walking
    /// the sort's index would probe every lead until enough of the few matches turned up.
    TopN,
}

/// The column wrapped in a no-op (`COALESCE(c, c)`), same order on both backends, that no planner can
/// serve from an index: it makes the database sort the matches instead of walking the index.
fn no_index<C: Column>(_column: C) -> diesel::expression::SqlLiteral<Text> {
    diesel::dsl::sql(&format!("COALESCE(leads.{0}, leads.{0})", C::NAME))
}

pub(super) fn day_start(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// The filtered query, boxed so conditions can be added one by one; expanded per backend inside `db_run!`.
/// A search's terms ([`lead_search::plan`]) each narrow it: the driving one as `id IN (its leads)`, the
/// others as one-row probes of the (lead_id, term) index for each lead the walk reaches.
macro_rules! filtered {
    ($filter:expr, $search:expr) => {{
        let filter: &LeadFilter = $filter;
        let search: &[SearchTerm] = $search;
        let mut query = leads::table.into_boxed();
        for term in search {
            let in_range = lead_search_terms::term
                .ge(term.from.clone())
                .and(lead_search_terms::term.lt(term.to.clone()));
            query = if term.drives {
                query.filter(
                    leads::id.eq_any(
                        lead_search_terms::table
                            .filter(in_range)
                            .select(lead_search_terms::lead_id),
                    ),
                )
            } else {
                // A scalar probe, not `EXISTS`: MariaDB turns `EXISTS` into a semi-join and may start
                // from the term's (huge) range, sorting a million leads; this can only run per lead, on
                // the leads the list's own order reaches first.
                query.filter(
                    lead_search_terms::table
                        .filter(lead_search_terms::lead_id.eq(leads::id))
                        .filter(in_range)
                        .select(lead_search_terms::lead_id)
                        .single_value()
                        .is_not_null(),
                )
            };
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
        match filter.owner {
            Some(OwnerFilter::Mine(id)) => query = query.filter(leads::owner_id.eq(id)),
            Some(OwnerFilter::Unassigned) => query = query.filter(leads::owner_id.is_null()),
            None => {}
        }
        match filter.follow_up {
            Some(FollowUpFilter::Due(today)) => query = query.filter(leads::follow_up_on.le(today)),
            Some(FollowUpFilter::Overdue(today)) => {
                query = query.filter(leads::follow_up_on.lt(today))
            }
            None => {}
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
            SortKey::Status => unreachable!("status order is walked one status at a time"),
        }
    }};
}

/// A filter with its search planned ([`lead_search::plan`]: one query per word): planned once per request
/// or export, then used for the page, the count and every batch.
pub struct PlannedFilter {
    filter: LeadFilter,
    search: Vec<SearchTerm>,
}

pub async fn plan(pool: &DbPool, filter: LeadFilter) -> DbResult<PlannedFilter> {
    let search = match &filter.text {
        Some(text) => lead_search::plan(pool, text).await?,
        None => Vec::new(),
    };
    Ok(PlannedFilter { filter, search })
}

/// One page of the list: up to `limit` matching leads, in `sort` order, after `after`.
pub async fn page(
    pool: &DbPool,
    planned: &PlannedFilter,
    sort: Sort,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Vec<Lead>> {
    planned_page(pool, &planned.filter, &planned.search, sort, after, limit).await
}

async fn planned_page(
    pool: &DbPool,
    filter: &LeadFilter,
    search: &[SearchTerm],
    sort: Sort,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Vec<Lead>> {
    if sort.key == SortKey::Status {
        return page_in_workflow_order(pool, filter, search, sort, after, limit).await;
    }
    // A rare search term gives few matches: sort them. Otherwise walk the sort's index and stop early.
    let plan = if search.iter().any(|t| t.drives) {
        PagePlan::TopN
    } else {
        PagePlan::Walk
    };
    db_run_retrying!(pool, |conn| {
        let query = ordered_page!(filtered!(filter, search), sort, after, plan);
        Ok(query
            .select(Lead::as_select())
            .limit(limit)
            .load(conn)
            .await?)
    })
}

/// Status sorted in workflow order (new → lost), newest first within a status: one walk of the
/// (status, created_at, id) index per status, starting at the cursor's, until the page is full. Text has
/// no such order, and a computed rank could not use an index.
async fn page_in_workflow_order(
    pool: &DbPool,
    filter: &LeadFilter,
    search: &[SearchTerm],
    sort: Sort,
    after: Option<&Cursor>,
    limit: i64,
) -> DbResult<Vec<Lead>> {
    let mut statuses = LeadStatus::ALL.to_vec();
    if !sort.ascending {
        statuses.reverse();
    }
    let resume = after.and_then(|cursor| {
        let (status, created) = cursor.value.split_once('|')?;
        let status = LeadStatus::parse(status)?;
        Some((
            status,
            Cursor {
                value: created.to_owned(),
                id: cursor.id,
            },
        ))
    });
    if let Some((status, _)) = &resume {
        statuses.retain(|s| statuses_from(sort, *status, *s));
    }
    let within = Sort {
        key: SortKey::Created,
        ascending: !sort.ascending,
    };
    let mut rows = Vec::new();
    for status in statuses {
        if filter.status.is_some_and(|wanted| wanted != status) {
            continue;
        }
        let one_status = LeadFilter {
            status: Some(status),
            ..filter.clone()
        };
        let from = resume
            .as_ref()
            .filter(|(s, _)| *s == status)
            .map(|(_, c)| c);
        let left = limit - rows.len() as i64;
        rows.extend(Box::pin(planned_page(pool, &one_status, search, within, from, left)).await?);
        if rows.len() as i64 >= limit {
            break;
        }
    }
    Ok(rows)
}

/// Whether `status` comes at or after `from` in the workflow order `sort` walks.
fn statuses_from(sort: Sort, from: LeadStatus, status: LeadStatus) -> bool {
    let rank = |s: LeadStatus| LeadStatus::ALL.iter().position(|x| *x == s).unwrap_or(0);
    if sort.ascending {
        rank(status) >= rank(from)
    } else {
        rank(status) <= rank(from)
    }
}

/// A batch of the CSV export: up to `limit` leads matching `filter` with ids below `before` (from the top
/// when `None`), highest id first. A walk down the primary key reads the table in storage order, with no
/// lookup from an index entry to its row.
pub async fn export_batch(
    pool: &DbPool,
    planned: &PlannedFilter,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Lead>> {
    let (filter, search) = (&planned.filter, planned.search.as_slice());
    db_run_retrying!(pool, |conn| {
        let mut query = filtered!(filter, search);
        if let Some(id) = before {
            query = query.filter(leads::id.lt(id));
        }
        Ok(query
            .order(leads::id.desc())
            .limit(limit)
            .select(Lead::as_select())
            .load(conn)
            .await?)
    })
}

/// The ids of up to `limit` leads matching `filter`, in no particular order.
async fn ids_up_to(pool: &DbPool, planned: &PlannedFilter, limit: i64) -> DbResult<Vec<i64>> {
    let (filter, search) = (&planned.filter, planned.search.as_slice());
    db_run_retrying!(pool, |conn| {
        Ok(filtered!(filter, search)
            .select(leads::id)
            .limit(limit)
            .load(conn)
            .await?)
    })
}

/// The ids of every lead matching `filter`, at most `cap` of them (`None` if there are more): what a bulk
/// action on "all matching" changes.
pub async fn matching_ids(
    pool: &DbPool,
    planned: &PlannedFilter,
    cap: i64,
) -> DbResult<Option<Vec<i64>>> {
    let ids = ids_up_to(pool, planned, cap + 1).await?;
    Ok((ids.len() as i64 <= cap).then_some(ids))
}

/// Counts matches up to `cap` (a list page says "10000+" rather than counting a million rows per view).
pub async fn count_up_to(
    pool: &DbPool,
    planned: &PlannedFilter,
    cap: i64,
) -> DbResult<(i64, bool)> {
    let ids = ids_up_to(pool, planned, cap + 1).await?;
    let more = ids.len() as i64 > cap;
    Ok((ids.len().min(cap as usize) as i64, more))
}
