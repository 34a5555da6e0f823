//! A lead's notes: append-only entries with their author and time. Nothing overwrites a note, so two
//! people writing at once both keep theirs and a note needs no stale-edit check.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::schema::{lead_notes, leads};
use super::{DbError, DbPool, DbResult};
use crate::db_run_retrying;

/// The longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 5000;
/// The same note from the same person within this window is one note sent twice (a double click, or a
/// retry after the connection dropped with the reply), not a second note.
const REPEAT_WINDOW_SECS: i64 = 120;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lead_notes)]
pub struct LeadNote {
    pub id: i64,
    pub lead_id: i64,
    /// The author's sign-in email (the same identity the audit log uses).
    pub author: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteOutcome {
    Added,
    /// The same note was added a moment ago: nothing new was stored.
    AlreadyAdded,
    LeadNotFound,
}

/// Adds a note to a lead. Safe to repeat: a lost reply retried on a fresh connection finds its own note.
pub async fn add(pool: &DbPool, lead_id: i64, author: &str, body: &str) -> DbResult<NoteOutcome> {
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let exists: Option<i64> = leads::table
                .find(lead_id)
                .select(leads::id)
                .first(conn)
                .await
                .optional()?;
            if exists.is_none() {
                return Ok(NoteOutcome::LeadNotFound);
            }
            let now = Utc::now().naive_utc();
            let repeat: i64 = lead_notes::table
                .filter(lead_notes::lead_id.eq(lead_id))
                .filter(lead_notes::author.eq(author))
                .filter(lead_notes::body.eq(body))
                .filter(lead_notes::created_at.gt(now - Duration::seconds(REPEAT_WINDOW_SECS)))
                .count()
                .get_result(conn)
                .await?;
            if repeat > 0 {
                return Ok(NoteOutcome::AlreadyAdded);
            }
            diesel::insert_into(lead_notes::table)
                .values((
                    lead_notes::lead_id.eq(lead_id),
                    lead_notes::author.eq(author),
                    lead_notes::body.eq(body),
                    lead_notes::created_at.eq(now),
                ))
                .execute(conn)
                .await?;
            Ok(NoteOutcome::Added)
        })
        .await
    })
}

/// A lead's notes, newest first.
pub async fn of_lead(pool: &DbPool, lead_id: i64) -> DbResult<Vec<LeadNote>> {
    db_run_retrying!(pool, |conn| {
        Ok(lead_notes::table
            .filter(lead_notes::lead_id.eq(lead_id))
            .order(lead_notes::id.desc())
            .select(LeadNote::as_select())
            .load(conn)
            .await?)
    })
}
