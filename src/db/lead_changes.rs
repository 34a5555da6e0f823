//! Staff changes to leads, each recorded in the audit log (`lead_events`) in the same transaction.
//! Edits carry the version the editor saw: a stale edit is refused, never silently overwritten.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::lead_events::NewEvent;
use super::leads::Lead;
use super::schema::{lead_events, leads};
use super::{DbError, DbPool, DbResult};
use crate::domain::{LeadField, LeadStatus, LeadSubmission};
use crate::{db_run, db_run_retrying};

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

pub async fn edit(pool: &DbPool, id: i64, edit: &LeadEdit, actor: &str) -> DbResult<EditOutcome> {
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let current: Option<(LeadStatus, String, i32)> = leads::table
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
                    && status == edit.status
                    && notes == edit.notes;
                return Ok(if ours {
                    EditOutcome::Saved
                } else {
                    EditOutcome::Stale
                });
            }
            let mut changes = Vec::new();
            if status != edit.status {
                changes.push(format!(
                    "status: {} → {}",
                    status.as_str(),
                    edit.status.as_str()
                ));
            }
            if notes != edit.notes {
                changes.push("notes edited".to_owned());
            }
            if changes.is_empty() {
                return Ok(EditOutcome::Unchanged);
            }
            let updated = diesel::update(leads::table.find(id).filter(leads::version.eq(version)))
                .set((
                    leads::status.eq(edit.status),
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
                .values(NewEvent::new(id, actor, "edited", changes.join("; ")))
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
            let changing: Vec<(i64, LeadStatus)> = leads::table
                .filter(leads::id.eq_any(ids))
                .filter(leads::status.ne(status))
                .select((leads::id, leads::status))
                .load(conn)
                .await?;
            let changing_ids: Vec<i64> = changing.iter().map(|(id, _)| *id).collect();
            diesel::update(leads::table.filter(leads::id.eq_any(&changing_ids)))
                .set((
                    leads::status.eq(status),
                    leads::version.eq(leads::version + 1),
                    leads::updated_at.eq(now()),
                ))
                .execute(conn)
                .await?;
            for (id, old) in &changing {
                diesel::insert_into(lead_events::table)
                    .values(NewEvent::new(
                        *id,
                        actor,
                        "edited",
                        format!("status: {} → {} (bulk)", old.as_str(), status.as_str()),
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
                    .values(NewEvent::new(
                        *id,
                        actor,
                        "deleted",
                        "lead deleted".to_owned(),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(existing.len())
        })
        .await
    })
}

/// Replaces what the person told us (a typo in an email address, a number given later), against the
/// version the editor loaded. The history names the fields that changed, never their old values: an
/// erased or corrected address must not live on in the audit log. Taking marketing consent away records
/// when it was withdrawn; giving it records when it was given.
pub async fn edit_details(
    pool: &DbPool,
    id: i64,
    details: &LeadSubmission,
    expected_version: i32,
    actor: &str,
) -> DbResult<EditOutcome> {
    let email = details.email.as_ref().map_or("", |e| e.as_str());
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(current) = leads::table
                .find(id)
                .select(Lead::as_select())
                .first(conn)
                .await
                .optional()?
            else {
                return Ok(EditOutcome::NotFound);
            };
            if current.version != expected_version {
                return Ok(EditOutcome::Stale);
            }
            let changed: Vec<&str> = [
                (
                    LeadField::Name,
                    current.name.as_str() != details.name.as_str(),
                ),
                (LeadField::Email, current.email.as_str() != email),
                (
                    LeadField::Phone,
                    current.phone.as_str() != details.phone.as_str(),
                ),
                (LeadField::Interest, current.interest != details.interest),
                (
                    LeadField::Message,
                    current.message.as_str() != details.message.as_str(),
                ),
            ]
            .into_iter()
            .filter_map(|(field, differs)| differs.then_some(field.key()))
            .collect();
            let now = now();
            let (consent_at, withdrawn_at) = match (current.consent, details.consent) {
                (true, false) => (current.consent_at, Some(now)),
                (false, true) => (Some(now), None),
                _ => (current.consent_at, current.consent_withdrawn_at),
            };
            let consent_note = match (current.consent, details.consent) {
                (true, false) => Some("consent withdrawn"),
                (false, true) => Some("consent given"),
                _ => None,
            };
            if changed.is_empty() && consent_note.is_none() {
                return Ok(EditOutcome::Unchanged);
            }
            diesel::update(
                leads::table
                    .find(id)
                    .filter(leads::version.eq(current.version)),
            )
            .set((
                leads::name.eq(&details.name),
                leads::email.eq(email),
                leads::phone.eq(&details.phone),
                leads::interest.eq(details.interest),
                leads::message.eq(&details.message),
                leads::consent.eq(details.consent),
                leads::consent_at.eq(consent_at),
                leads::consent_withdrawn_at.eq(withdrawn_at),
                leads::version.eq(current.version + 1),
                leads::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
            let mut detail = String::new();
            if !changed.is_empty() {
                detail = format!("details edited: {}", changed.join(", "));
            }
            if let Some(note) = consent_note {
                if !detail.is_empty() {
                    detail.push_str("; ");
                }
                detail.push_str(note);
            }
            diesel::insert_into(lead_events::table)
                .values(NewEvent::new(id, actor, "edited", detail))
                .execute(conn)
                .await?;
            Ok(EditOutcome::Saved)
        })
        .await
    })
}
