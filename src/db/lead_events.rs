//! The audit log of a lead (`lead_events`): who did what, when. Entries are written by the same
//! transaction as the change they record ([`super::leads`], [`super::lead_changes`]).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::lead_events;
use super::{DbPool, DbResult};
use crate::db_run_retrying;

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

#[derive(Insertable)]
#[diesel(table_name = lead_events)]
pub(super) struct NewEvent {
    lead_id: i64,
    actor: String,
    action: &'static str,
    detail: String,
    created_at: NaiveDateTime,
}

impl NewEvent {
    pub(super) fn new(lead_id: i64, actor: &str, action: &'static str, detail: String) -> Self {
        NewEvent {
            lead_id,
            actor: actor.to_owned(),
            action,
            detail,
            created_at: Utc::now().naive_utc(),
        }
    }
}

/// A lead's history, newest first.
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
