//! The staff search index (`lead_search_terms`): one row per folded word or phone-number tail of a lead
//! (`domain::search_terms` decides which), written in the same transaction as the lead, found by prefix
//! range over the primary key. Both backends run the same statements: no FTS5, no FULLTEXT parser.

use std::time::Instant;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::schema::{lead_search_backlog, lead_search_terms, leads};
use super::{DbError, DbPool, DbResult};
use crate::db_run_retrying;
use crate::domain::search_terms::{self, index_terms, prefix_range};

/// A search term whose prefix range holds more leads than this does not drive the query: the list is
/// walked in its order instead, checking each lead for the terms (common words match early).
const DRIVER_MAX_LEADS: i64 = 5000;
/// Whether any lead waits to be indexed (checked before starting [`backfill`] at all).
pub async fn backlog_waiting(pool: &DbPool) -> DbResult<bool> {
    db_run_retrying!(pool, |conn| {
        let first: Option<i64> = lead_search_backlog::table
            .select(lead_search_backlog::lead_id)
            .first(conn)
            .await
            .optional()?;
        Ok(first.is_some())
    })
}

/// Leads indexed per transaction when catching up at boot.
const BACKFILL_BATCH: i64 = 500;

/// One term of a search, as the query uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    pub from: String,
    pub to: String,
    /// The rarest term, few enough leads to start from (then the matches are sorted, not walked).
    pub drives: bool,
}

/// How a search for `text` runs: its terms, and the rarest one marked to drive if it is rare enough.
pub async fn plan(pool: &DbPool, text: &str) -> DbResult<Vec<SearchTerm>> {
    let mut terms = Vec::new();
    let mut rarest: Option<(usize, i64)> = None;
    for (i, term) in search_terms::query_terms(text).into_iter().enumerate() {
        let (from, to) = prefix_range(&term);
        let leads = leads_under(pool, &from, &to).await?;
        if leads <= DRIVER_MAX_LEADS && rarest.is_none_or(|(_, fewest)| leads < fewest) {
            rarest = Some((i, leads));
        }
        terms.push(SearchTerm {
            from,
            to,
            drives: false,
        });
    }
    if let Some((i, _)) = rarest {
        terms[i].drives = true;
    }
    Ok(terms)
}

/// How many index rows a prefix range holds, counted up to just past [`DRIVER_MAX_LEADS`]: counted by the
/// database over a bounded range of the index, not loaded to be counted.
async fn leads_under(pool: &DbPool, from: &str, to: &str) -> DbResult<i64> {
    const SQL: &str = "SELECT COUNT(*) AS rows_in_range FROM (SELECT 1 AS one FROM lead_search_terms \
         WHERE term >= ? AND term < ? LIMIT ?) AS bounded";
    #[derive(QueryableByName)]
    struct Bounded {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows_in_range: i64,
    }
    db_run_retrying!(pool, |conn| {
        let counted: Bounded = diesel::sql_query(SQL)
            .bind::<diesel::sql_types::Text, _>(from)
            .bind::<diesel::sql_types::Text, _>(to)
            .bind::<diesel::sql_types::BigInt, _>(DRIVER_MAX_LEADS + 1)
            .get_result(conn)
            .await?;
        Ok(counted.rows_in_range)
    })
}

/// One multi-row `INSERT` of leads' terms (diesel cannot batch-insert through SQLite's async wrapper).
/// Terms are letters and digits only (`search_terms` splits on everything else), so they are written as
/// literals; anything else would be skipped rather than quoted.
fn insert_statement_many<'a>(
    leads: impl IntoIterator<Item = (i64, &'a [String])>,
) -> Option<String> {
    use std::fmt::Write;
    let mut sql = String::from("INSERT INTO lead_search_terms (term, lead_id) VALUES ");
    let mut rows = 0;
    for (lead_id, terms) in leads {
        for term in terms {
            if term.is_empty() || !term.chars().all(char::is_alphanumeric) {
                continue;
            }
            let comma = if rows == 0 { "" } else { ", " };
            let _ = write!(sql, "{comma}('{term}', {lead_id})");
            rows += 1;
        }
    }
    (rows > 0).then_some(sql)
}

/// The one statement indexing several new leads, each as `(id, name, email, phone, message)`.
pub(super) fn index_statement_many<'a>(
    leads: impl IntoIterator<Item = (i64, &'a str, &'a str, &'a str, &'a str)>,
) -> Option<String> {
    let terms: Vec<(i64, Vec<String>)> = leads
        .into_iter()
        .map(|(id, name, email, phone, message)| (id, index_terms(name, email, phone, message)))
        .collect();
    insert_statement_many(terms.iter().map(|(id, terms)| (*id, terms.as_slice())))
}

/// The statement indexing a lead under its current name, email, phone and message.
pub(super) fn index_statement(
    lead_id: i64,
    name: &str,
    email: &str,
    phone: &str,
    message: &str,
) -> Option<String> {
    index_statement_many([(lead_id, name, email, phone, message)])
}

/// A lead's terms (for tests and for checking an erasure).
pub async fn terms_of(pool: &DbPool, lead_id: i64) -> DbResult<Vec<String>> {
    db_run_retrying!(pool, |conn| {
        Ok(lead_search_terms::table
            .filter(lead_search_terms::lead_id.eq(lead_id))
            .select(lead_search_terms::term)
            .load(conn)
            .await?)
    })
}

/// Indexes the leads waiting in `lead_search_backlog` (stored before the index existed), a batch per
/// transaction. Several tasks booting together may race on a batch: the loser's transaction fails on the
/// primary key and is tried again, finding those leads done.
pub async fn backfill(pool: &DbPool) -> DbResult<u64> {
    let started = Instant::now();
    let mut indexed = 0u64;
    let mut races = 0;
    loop {
        let batch = db_run_retrying!(pool, |conn| {
            conn.transaction::<_, DbError, _>(async |conn| {
                let ids: Vec<i64> = lead_search_backlog::table
                    .order(lead_search_backlog::lead_id.asc())
                    .limit(BACKFILL_BATCH)
                    .select(lead_search_backlog::lead_id)
                    .load(conn)
                    .await?;
                let rows: Vec<(i64, String, String, String, String)> = leads::table
                    .filter(leads::id.eq_any(&ids))
                    .select((
                        leads::id,
                        leads::name,
                        leads::email,
                        leads::phone,
                        leads::message,
                    ))
                    .load(conn)
                    .await?;
                diesel::delete(
                    lead_search_terms::table.filter(lead_search_terms::lead_id.eq_any(&ids)),
                )
                .execute(conn)
                .await?;
                for (id, name, email, phone, message) in &rows {
                    if let Some(sql) = index_statement(*id, name, email, phone, message) {
                        diesel::sql_query(sql).execute(conn).await?;
                    }
                }
                diesel::delete(
                    lead_search_backlog::table.filter(lead_search_backlog::lead_id.eq_any(&ids)),
                )
                .execute(conn)
                .await?;
                Ok(ids.len() as u64)
            })
            .await
        });
        let done = match batch {
            Ok(done) => done,
            Err(DbError::Query(error)) if races < 20 => {
                races += 1;
                tracing::info!(%error, "search index batch raced another task; trying again");
                continue;
            }
            Err(other) => return Err(other),
        };
        indexed += done;
        if done < BACKFILL_BATCH as u64 {
            break;
        }
        if indexed % 50_000 < BACKFILL_BATCH as u64 {
            tracing::info!(indexed, "indexing older leads for search");
        }
    }
    if indexed > 0 {
        let elapsed_ms = started.elapsed().as_millis() as u64;
        tracing::info!(indexed, elapsed_ms, "older leads indexed for search");
    }
    Ok(indexed)
}
