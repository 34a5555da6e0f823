//! Staff edits to what a person told us (name, email, phone, interest, message, consent), against the
//! version the editor loaded, recorded in the audit log in the same transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::lead_changes::{EditOutcome, now};
use super::lead_events::NewEvent;
use super::lead_search;
use super::leads::Lead;
use super::schema::{lead_events, lead_search_terms, leads};
use super::{DbError, DbPool, DbResult};
use crate::db_run;
use crate::domain::{LeadField, LeadSubmission};

/// Replaces what the person told us (a typo in an email address, a number given later), against the
/// version the editor loaded. The history names the fields that changed, never their old values: an
/// erased or corrected address must not live on in the audit log. Taking marketing consent away records
/// when it was withdrawn; giving it records when it was given.
pub async fn edit(
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
            diesel::delete(lead_search_terms::table.filter(lead_search_terms::lead_id.eq(id)))
                .execute(conn)
                .await?;
            let index = lead_search::index_statement(
                id,
                details.name.as_str(),
                email,
                details.phone.as_str(),
                details.message.as_str(),
            );
            if let Some(sql) = index {
                diesel::sql_query(sql).execute(conn).await?;
            }
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
