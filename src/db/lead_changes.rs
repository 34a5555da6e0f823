//! Staff changes to leads, each recorded in the audit log (`lead_events`) in the same transaction.
//! Edits carry the version the editor saw: a stale edit is refused, never silently overwritten.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::schema::{lead_events, leads};
use super::{DbError, DbPool, DbResult};
use crate::domain::LeadStatus;
use crate::{db_run, db_run_retrying};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lead_events)]
pub struct LeadEvent {
    pub id: i64,
    pub lead_id: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadEdit {
    pub status: LeadStatus,
    pub notes: String,
    /// The `version` the editor loaded; the update only applies if it is still current.
    pub expected_version: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    Saved,
    Unchanged,
    /// Someone saved the lead after this editor loaded it.
    Stale,
    NotFound,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

#[derive(Insertable)]
#[diesel(table_name = lead_events)]
struct NewEvent {
    lead_id: i64,
    actor: String,
    action: &'static str,
    detail: String,
    created_at: NaiveDateTime,
}

fn event(lead_id: i64, actor: &str, action: &'static str, detail: String) -> NewEvent {
    NewEvent {
        lead_id,
        actor: actor.to_owned(),
        action,
        detail,
        created_at: now(),
    }
}

pub async fn edit(pool: &DbPool, id: i64, edit: &LeadEdit, actor: &str) -> DbResult<EditOutcome> {
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let current: Option<(String, String, i32)> = leads::table
                .find(id)
                .select((leads::status, leads::notes, leads::version))
                .first(conn)
                .await
                .optional()?;
            let Some((status, notes, version)) = current else {
                return Ok(EditOutcome::NotFound);
            };
            if version != edit.expected_version {
                // One version on and holding exactly this edit: our own save, whose reply was lost with
                // the connection and which is now being retried. Anything else is someone else's save.
                let ours = version == edit.expected_version + 1
                    && status == edit.status.as_str()
                    && notes == edit.notes;
                return Ok(if ours {
                    EditOutcome::Saved
                } else {
                    EditOutcome::Stale
                });
            }
            let mut changes = Vec::new();
            if status != edit.status.as_str() {
                changes.push(format!("status: {status} → {}", edit.status.as_str()));
            }
            if notes != edit.notes {
                changes.push("notes edited".to_owned());
            }
            if changes.is_empty() {
                return Ok(EditOutcome::Unchanged);
            }
            let updated = diesel::update(leads::table.find(id).filter(leads::version.eq(version)))
                .set((
                    leads::status.eq(edit.status.as_str()),
                    leads::notes.eq(&edit.notes),
                    leads::version.eq(version + 1),
                    leads::updated_at.eq(now()),
                ))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Ok(EditOutcome::Stale);
            }
            diesel::insert_into(lead_events::table)
                .values(event(id, actor, "edited", changes.join("; ")))
                .execute(conn)
                .await?;
            Ok(EditOutcome::Saved)
        })
        .await
    })
}

/// Sets the status of many leads at once; returns how many changed.
pub async fn bulk_status(
    pool: &DbPool,
    ids: &[i64],
    status: LeadStatus,
    actor: &str,
) -> DbResult<usize> {
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let changing: Vec<(i64, String)> = leads::table
                .filter(leads::id.eq_any(ids))
                .filter(leads::status.ne(status.as_str()))
                .select((leads::id, leads::status))
                .load(conn)
                .await?;
            let changing_ids: Vec<i64> = changing.iter().map(|(id, _)| *id).collect();
            diesel::update(leads::table.filter(leads::id.eq_any(&changing_ids)))
                .set((
                    leads::status.eq(status.as_str()),
                    leads::version.eq(leads::version + 1),
                    leads::updated_at.eq(now()),
                ))
                .execute(conn)
                .await?;
            for (id, old) in &changing {
                diesel::insert_into(lead_events::table)
                    .values(event(
                        *id,
                        actor,
                        "edited",
                        format!("status: {old} → {} (bulk)", status.as_str()),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(changing.len())
        })
        .await
    })
}

/// Deletes leads. Their history stays (who changed which status when, and a final "deleted" entry naming
/// who deleted it) but holds none of the person's data: erasure means erasure, the audit log included.
pub async fn delete(pool: &DbPool, ids: &[i64], actor: &str) -> DbResult<usize> {
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let existing: Vec<i64> = leads::table
                .filter(leads::id.eq_any(ids))
                .select(leads::id)
                .load(conn)
                .await?;
            diesel::delete(leads::table.filter(leads::id.eq_any(&existing)))
                .execute(conn)
                .await?;
            for id in &existing {
                diesel::insert_into(lead_events::table)
                    .values(event(*id, actor, "deleted", "lead deleted".to_owned()))
                    .execute(conn)
                    .await?;
            }
            Ok(existing.len())
        })
        .await
    })
}

pub async fn record_created(pool: &DbPool, id: i64, actor: &str) -> DbResult<()> {
    db_run!(pool, |conn| {
        diesel::insert_into(lead_events::table)
            .values(event(id, actor, "created", "created by staff".to_owned()))
            .execute(conn)
            .await?;
        Ok(())
    })
}

pub async fn history(pool: &DbPool, lead_id: i64) -> DbResult<Vec<LeadEvent>> {
    db_run_retrying!(pool, |conn| {
        Ok(lead_events::table
            .filter(lead_events::lead_id.eq(lead_id))
            .order(lead_events::id.desc())
            .select(LeadEvent::as_select())
            .load(conn)
            .await?)
    })
}
