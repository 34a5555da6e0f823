//! What the housekeeping job prunes: sessions past their idle or absolute expiry, sign-in attempts older than
//! the throttle (and any review) needs, and lead history left behind by leads deleted before the retention
//! cutoff. Every statement is safe to repeat: a task killed halfway leaves nothing for the next run to trip on.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{lead_events, leads, login_attempts, staff_sessions};
use super::{DbPool, DbResult};
use crate::db_run_retrying;

/// Deletes sessions idle since before `idle_cutoff` or created before `absolute_cutoff`; returns how many.
pub async fn prune_sessions(
    pool: &DbPool,
    idle_cutoff: NaiveDateTime,
    absolute_cutoff: NaiveDateTime,
) -> DbResult<usize> {
    db_run_retrying!(pool, |conn| {
        Ok(diesel::delete(
            staff_sessions::table.filter(
                staff_sessions::last_seen_at
                    .lt(idle_cutoff)
                    .or(staff_sessions::created_at.lt(absolute_cutoff)),
            ),
        )
        .execute(conn)
        .await?)
    })
}

/// Deletes sign-in attempts made before `cutoff`; returns how many.
pub async fn prune_login_attempts(pool: &DbPool, cutoff: NaiveDateTime) -> DbResult<usize> {
    db_run_retrying!(pool, |conn| {
        Ok(
            diesel::delete(login_attempts::table.filter(login_attempts::attempted_at.lt(cutoff)))
                .execute(conn)
                .await?,
        )
    })
}

/// Deletes history entries written before `cutoff` whose lead no longer exists (staff deleted it); returns
/// how many. The retention job calls it with its cutoff.
pub async fn prune_orphan_history(pool: &DbPool, cutoff: NaiveDateTime) -> DbResult<usize> {
    db_run_retrying!(pool, |conn| {
        let lead_exists = exists(leads::table.filter(leads::id.eq(lead_events::lead_id)));
        Ok(diesel::delete(
            lead_events::table
                .filter(lead_events::created_at.lt(cutoff))
                .filter(not(lead_exists)),
        )
        .execute(conn)
        .await?)
    })
}
