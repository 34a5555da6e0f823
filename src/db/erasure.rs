//! Personal data leaving for good: erasure of one person on request (everything under their email address,
//! audit history included, leaving a tombstone in `erasures` that names nobody), and retention (leads older
//! than the configured period, with their history). Both remove a lead's rows through
//! [`delete_lead_rows`](super::lead_changes::delete_lead_rows), the one list of tables that hold them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::lead_changes::delete_lead_rows;
use super::schema::{erasures, leads, login_attempts, news_signups};
use super::staff::now;
use super::{DbError, DbPool, DbResult};
use crate::{db_run, db_run_retrying};

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What one erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub leads: usize,
    pub news_signups: usize,
    pub sign_in_attempts: usize,
}

/// A tombstone: when an erasure happened, who did it, how much it removed. Nothing about the person.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = erasures)]
pub struct Erasure {
    pub id: i64,
    pub erased_at: NaiveDateTime,
    pub erased_by: String,
    pub leads_erased: i32,
    pub signups_erased: i32,
}

/// Erases everything stored under `email` (any letter case): the leads with that address and every row of
/// theirs, their audit history, a news signup, sign-in attempts typed with it. One transaction, so a
/// half-erased person never exists; the tombstone is written by the same transaction.
pub async fn erase_by_email(pool: &DbPool, email: &str, actor: &str) -> DbResult<Erased> {
    let email = email.trim().to_lowercase();
    let now = now();
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let ids: Vec<i64> = leads::table
                .filter(lower(leads::email).eq(&email))
                .select(leads::id)
                .load(conn)
                .await?;
            delete_lead_rows!(conn, &ids, with history);
            let news_signups =
                diesel::delete(news_signups::table.filter(lower(news_signups::email).eq(&email)))
                    .execute(conn)
                    .await?;
            let sign_in_attempts = diesel::delete(
                login_attempts::table.filter(lower(login_attempts::email).eq(&email)),
            )
            .execute(conn)
            .await?;
            let erased = Erased {
                leads: ids.len(),
                news_signups,
                sign_in_attempts,
            };
            diesel::insert_into(erasures::table)
                .values((
                    erasures::erased_at.eq(now),
                    erasures::erased_by.eq(actor),
                    erasures::leads_erased.eq(erased.leads as i32),
                    erasures::signups_erased.eq(erased.news_signups as i32),
                ))
                .execute(conn)
                .await?;
            Ok(erased)
        })
        .await
    })
}

/// Deletes up to `batch` leads received before `cutoff`, with their history; returns how many. The retention
/// job calls it until it returns less than `batch`, so no transaction holds many rows at once.
pub async fn delete_received_before(
    pool: &DbPool,
    cutoff: NaiveDateTime,
    batch: i64,
) -> DbResult<usize> {
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let ids: Vec<i64> = leads::table
                .filter(leads::created_at.lt(cutoff))
                .order(leads::created_at)
                .limit(batch)
                .select(leads::id)
                .load(conn)
                .await?;
            delete_lead_rows!(conn, &ids, with history);
            Ok(ids.len())
        })
        .await
    })
}

/// The newest tombstones first.
pub async fn recent(pool: &DbPool, limit: i64) -> DbResult<Vec<Erasure>> {
    db_run_retrying!(pool, |conn| {
        Ok(erasures::table
            .order(erasures::id.desc())
            .limit(limit)
            .select(Erasure::as_select())
            .load(conn)
            .await?)
    })
}
