//! Staff work on leads (status, owner, follow-up date; one at a time or in bulk) and deletion, each
//! recorded in the audit log (`lead_events`) in the same transaction. [`delete_lead_rows`] names every table
//! that holds a lead's data. An edit carries the version the
//! editor saw: a stale edit is refused, never silently overwritten. Changes to what the person told us
//! are in `lead_detail_changes.rs`; notes, which are only ever added, in `lead_notes.rs`.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::lead_events::NewEvent;
use super::schema::{lead_events, leads, staff_users};
use super::{DbError, DbPool, DbResult};
use crate::domain::LeadStatus;
use crate::{db_run, db_run_retrying};

/// The display names of the staff among `owners`, for history lines such as "owner: Ana → Rosa". A macro:
/// the query is expanded for each backend's connection inside `db_run!`.
macro_rules! owner_names {
    ($conn:expr, $owners:expr) => {
        staff_users::table
            .filter(staff_users::id.eq_any($owners))
            .select((staff_users::id, staff_users::display_name))
            .load::<(i64, String)>($conn)
            .await?
    };
}

/// Where a lead stands in the staff's work: its status, who works it, when to get back to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadWork {
    pub status: LeadStatus,
    pub owner_id: Option<i64>,
    pub follow_up_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadEdit {
    pub work: LeadWork,
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

/// One change applied to many leads at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkChange {
    Status(LeadStatus),
    /// A staff member's id, or `None` to leave the leads unassigned.
    Owner(Option<i64>),
}

pub(super) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// "nobody", or the owner's display name (the id if the account is gone), for the history.
fn owner_label(names: &[(i64, String)], owner: Option<i64>) -> String {
    match owner {
        None => "nobody".to_owned(),
        Some(id) => names
            .iter()
            .find(|(known, _)| *known == id)
            .map_or_else(|| format!("staff #{id}"), |(_, name)| name.clone()),
    }
}

fn day_label(day: Option<NaiveDate>) -> String {
    day.map_or_else(|| "none".to_owned(), |d| d.to_string())
}

/// The history line for a change of work from `old` to `new` (empty when nothing changed).
fn work_changes(old: LeadWork, new: LeadWork, names: &[(i64, String)]) -> Vec<String> {
    let mut changes = Vec::new();
    if old.status != new.status {
        changes.push(format!(
            "status: {} → {}",
            old.status.as_str(),
            new.status.as_str()
        ));
    }
    if old.owner_id != new.owner_id {
        changes.push(format!(
            "owner: {} → {}",
            owner_label(names, old.owner_id),
            owner_label(names, new.owner_id)
        ));
    }
    if old.follow_up_on != new.follow_up_on {
        changes.push(format!(
            "follow-up: {} → {}",
            day_label(old.follow_up_on),
            day_label(new.follow_up_on)
        ));
    }
    changes
}

pub async fn edit(pool: &DbPool, id: i64, edit: &LeadEdit, actor: &str) -> DbResult<EditOutcome> {
    let new = edit.work;
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let current: Option<(LeadStatus, Option<i64>, Option<NaiveDate>, i32)> = leads::table
                .find(id)
                .select((
                    leads::status,
                    leads::owner_id,
                    leads::follow_up_on,
                    leads::version,
                ))
                .first(conn)
                .await
                .optional()?;
            let Some((status, owner_id, follow_up_on, version)) = current else {
                return Ok(EditOutcome::NotFound);
            };
            let old = LeadWork {
                status,
                owner_id,
                follow_up_on,
            };
            if version != edit.expected_version {
                // One version on and holding exactly this edit: our own save, whose reply was lost with
                // the connection and which is now being retried. Anything else is someone else's save.
                let ours = version == edit.expected_version + 1 && old == new;
                return Ok(if ours {
                    EditOutcome::Saved
                } else {
                    EditOutcome::Stale
                });
            }
            if old == new {
                return Ok(EditOutcome::Unchanged);
            }
            let owners: Vec<i64> = [old.owner_id, new.owner_id].into_iter().flatten().collect();
            let names = owner_names!(conn, &owners);
            let updated = diesel::update(leads::table.find(id).filter(leads::version.eq(version)))
                .set((
                    leads::status.eq(new.status),
                    leads::owner_id.eq(new.owner_id),
                    leads::follow_up_on.eq(new.follow_up_on),
                    leads::version.eq(version + 1),
                    leads::updated_at.eq(now()),
                ))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Ok(EditOutcome::Stale);
            }
            let detail = work_changes(old, new, &names).join("; ");
            diesel::insert_into(lead_events::table)
                .values(NewEvent::new(id, actor, "edited", detail))
                .execute(conn)
                .await?;
            Ok(EditOutcome::Saved)
        })
        .await
    })
}

/// Applies one change to many leads; returns how many changed. Each changed lead gets its history line.
pub async fn bulk(pool: &DbPool, ids: &[i64], change: BulkChange, actor: &str) -> DbResult<usize> {
    db_run_retrying!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let rows: Vec<(i64, LeadStatus, Option<i64>, Option<NaiveDate>)> = leads::table
                .filter(leads::id.eq_any(ids))
                .select((
                    leads::id,
                    leads::status,
                    leads::owner_id,
                    leads::follow_up_on,
                ))
                .load(conn)
                .await?;
            let changing: Vec<(i64, LeadWork, LeadWork)> = rows
                .into_iter()
                .map(|(id, status, owner_id, follow_up_on)| {
                    let old = LeadWork {
                        status,
                        owner_id,
                        follow_up_on,
                    };
                    let new = match change {
                        BulkChange::Status(status) => LeadWork { status, ..old },
                        BulkChange::Owner(owner_id) => LeadWork { owner_id, ..old },
                    };
                    (id, old, new)
                })
                .filter(|(_, old, new)| old != new)
                .collect();
            let changing_ids: Vec<i64> = changing.iter().map(|(id, _, _)| *id).collect();
            let touched = diesel::update(leads::table.filter(leads::id.eq_any(&changing_ids)));
            match change {
                BulkChange::Status(status) => {
                    touched
                        .set((
                            leads::status.eq(status),
                            leads::version.eq(leads::version + 1),
                            leads::updated_at.eq(now()),
                        ))
                        .execute(conn)
                        .await?
                }
                BulkChange::Owner(owner_id) => {
                    touched
                        .set((
                            leads::owner_id.eq(owner_id),
                            leads::version.eq(leads::version + 1),
                            leads::updated_at.eq(now()),
                        ))
                        .execute(conn)
                        .await?
                }
            };
            let owners: Vec<i64> = changing
                .iter()
                .flat_map(|(_, old, new)| [old.owner_id, new.owner_id])
                .flatten()
                .collect();
            let names = owner_names!(conn, &owners);
            let events: Vec<NewEvent> = changing
                .iter()
                .map(|(id, old, new)| {
                    let detail = format!("{} (bulk)", work_changes(*old, *new, &names).join("; "));
                    NewEvent::new(*id, actor, "edited", detail)
                })
                .collect();
            // One row per statement: diesel cannot batch-insert through SQLite's async wrapper.
            for event in &events {
                diesel::insert_into(lead_events::table)
                    .values(event)
                    .execute(conn)
                    .await?;
            }
            Ok(changing.len())
        })
        .await
    })
}

/// Deletes every row that holds a lead's data, except its history: the leads themselves, their notes, their
/// search terms and backlog entries, their notifications. Staff deletion ([`delete`]), erasure and retention
/// (`erasure.rs`) all go through here, so a table that comes to hold a lead's data is added once, here.
/// Expands inside a transaction on either backend; `$ids` are lead ids.
/// `delete_lead_rows!(conn, ids, with history)` deletes their audit history too (erasure, retention).
macro_rules! delete_lead_rows {
    ($conn:expr, $ids:expr, with history) => {{
        let ids: &[i64] = $ids;
        delete_lead_rows!($conn, ids);
        diesel::delete(
            $crate::db::schema::lead_events::table
                .filter($crate::db::schema::lead_events::lead_id.eq_any(ids)),
        )
        .execute($conn)
        .await?;
    }};
    ($conn:expr, $ids:expr) => {{
        use $crate::db::schema::{
            lead_notes, lead_search_backlog, lead_search_terms, leads, notification_outbox,
        };
        let ids: &[i64] = $ids;
        diesel::delete(leads::table.filter(leads::id.eq_any(ids)))
            .execute($conn)
            .await?;
        diesel::delete(lead_notes::table.filter(lead_notes::lead_id.eq_any(ids)))
            .execute($conn)
            .await?;
        diesel::delete(lead_search_terms::table.filter(lead_search_terms::lead_id.eq_any(ids)))
            .execute($conn)
            .await?;
        diesel::delete(lead_search_backlog::table.filter(lead_search_backlog::lead_id.eq_any(ids)))
            .execute($conn)
            .await?;
        diesel::delete(notification_outbox::table.filter(notification_outbox::lead_id.eq_any(ids)))
            .execute($conn)
            .await?;
    }};
}
pub(super) use delete_lead_rows;

/// Deletes leads with everything of theirs [`delete_lead_rows`] names. Their history stays (who changed which
/// status when, and a final "deleted" entry naming who deleted it) but holds none of the person's data.
pub async fn delete(pool: &DbPool, ids: &[i64], actor: &str) -> DbResult<usize> {
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let existing: Vec<i64> = leads::table
                .filter(leads::id.eq_any(ids))
                .select(leads::id)
                .load(conn)
                .await?;
            delete_lead_rows!(conn, &existing);
            let events: Vec<NewEvent> = existing
                .iter()
                .map(|id| NewEvent::new(*id, actor, "deleted", "lead deleted".to_owned()))
                .collect();
            // One row per statement: diesel cannot batch-insert through SQLite's async wrapper.
            for event in &events {
                diesel::insert_into(lead_events::table)
                    .values(event)
                    .execute(conn)
                    .await?;
            }
            Ok(existing.len())
        })
        .await
    })
}
