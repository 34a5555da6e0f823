//! The notification outbox (`notification_outbox`): one row per (new lead, staff member who asked to hear
//! about it), written by the same transaction as the lead ([`enqueue_notifications!`]), so a stored lead is
//! never without its notifications and a failed insert leaves none.
//!
//! Every task's worker claims due rows with one conditional `UPDATE` (pending, due, and not claimed by anyone
//! whose claim is still running) that stamps them with a token of its own; only rows carrying its token are
//! its to send. The statement is atomic on both backends, so two workers never hold the same row. A worker
//! that dies holding rows loses them when the claim expires, and another task sends them. Sent rows are
//! marked `sent` under the same token; failures are rescheduled with backoff, or marked `failed` for good.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::leads::Lead;
use super::schema::{leads, notification_outbox, staff_users};
use super::staff::{StaffUser, now};
use super::{DbPool, DbResult};
use crate::config::NotificationSettings;
use crate::domain::TimeZone;
use crate::{db_run, db_run_retrying};

/// Whether storing a lead queues notifications: off (no sender configured), or on, with the local hour at
/// which digests are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    Off,
    On { digest_hour: u32 },
}

impl Notify {
    /// What the settings say: on with a sender address, off without.
    pub fn from_settings(settings: &NotificationSettings) -> Self {
        if settings.enabled() {
            Notify::On {
                digest_hour: settings.digest_hour,
            }
        } else {
            Notify::Off
        }
    }
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// Not sent and never will be: the recipient opted out or was disabled meanwhile.
pub const DROPPED: &str = "dropped";
/// One email per lead, due at once.
pub const EACH: &str = "each";
/// Part of the recipient's daily digest, due at the next digest hour in their time zone.
pub const DIGEST: &str = "digest";

/// The next `hour`:00 in `zone` after `now` (UTC in, UTC out).
pub fn next_digest_at(now: NaiveDateTime, zone: TimeZone, hour: u32) -> NaiveDateTime {
    let local = zone.to_local(now);
    let at = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
    let mut day: NaiveDate = local.date();
    if local.time() >= at {
        day = day.succ_opt().unwrap_or(day);
    }
    let local_due = day.and_time(at);
    local_due - zone.offset(local_due - zone.offset(now))
}

/// Queues the notifications for lead `$lead_id` inside the caller's transaction: one row for each enabled
/// staff member who chose an email per lead or a digest.
macro_rules! enqueue_notifications {
    ($conn:expr, $lead_id:expr, $notify:expr, $now:expr) => {{
        use $crate::db::outbox::{DIGEST, EACH, Notify, PENDING, next_digest_at};
        use $crate::db::schema::{notification_outbox, staff_users};
        use $crate::domain::{NotifyChoice, TimeZone};
        if let Notify::On { digest_hour } = $notify {
            let recipients: Vec<(i64, NotifyChoice, TimeZone)> = staff_users::table
                .filter(staff_users::notify.ne(NotifyChoice::Off))
                .filter(staff_users::disabled.eq(false))
                .select((staff_users::id, staff_users::notify, staff_users::time_zone))
                .load($conn)
                .await?;
            for (staff_id, choice, zone) in recipients {
                let (kind, due) = match choice {
                    NotifyChoice::Digest => (DIGEST, next_digest_at($now, zone, digest_hour)),
                    _ => (EACH, $now),
                };
                diesel::insert_into(notification_outbox::table)
                    .values((
                        notification_outbox::lead_id.eq($lead_id),
                        notification_outbox::staff_user_id.eq(staff_id),
                        notification_outbox::kind.eq(kind),
                        notification_outbox::state.eq(PENDING),
                        notification_outbox::attempts.eq(0),
                        notification_outbox::due_at.eq(due),
                        notification_outbox::last_error.eq(""),
                        notification_outbox::created_at.eq($now),
                    ))
                    .execute($conn)
                    .await?;
            }
        }
    }};
}
pub(crate) use enqueue_notifications;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub lead_id: i64,
    pub staff_user_id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub due_at: NaiveDateTime,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Claimed rows with what it takes to write them: the leads and the recipients (either may be gone).
#[derive(Debug, Default)]
pub struct Claimed {
    pub rows: Vec<OutboxRow>,
    pub leads: Vec<Lead>,
    pub recipients: Vec<StaffUser>,
}

/// Claims up to `limit` due rows for `claim_for` under `token` (unique per claim), and loads them.
pub async fn claim_due(
    pool: &DbPool,
    token: &str,
    claim_for: Duration,
    limit: i64,
) -> DbResult<Claimed> {
    let now = now();
    let free = || {
        notification_outbox::state.eq(PENDING).and(
            notification_outbox::claimed_until
                .is_null()
                .or(notification_outbox::claimed_until.lt(now)),
        )
    };
    let candidates: Vec<i64> = db_run_retrying!(pool, |conn| {
        Ok(notification_outbox::table
            .filter(free())
            .filter(notification_outbox::due_at.le(now))
            .order(notification_outbox::id)
            .limit(limit)
            .select(notification_outbox::id)
            .load(conn)
            .await?)
    })?;
    if candidates.is_empty() {
        return Ok(Claimed::default());
    }
    db_run!(pool, |conn| {
        diesel::update(
            notification_outbox::table
                .filter(notification_outbox::id.eq_any(&candidates))
                .filter(free()),
        )
        .set((
            notification_outbox::claimed_by.eq(token),
            notification_outbox::claimed_until.eq(now + claim_for),
        ))
        .execute(conn)
        .await?;
        Ok(())
    })?;
    db_run_retrying!(pool, |conn| {
        let rows: Vec<OutboxRow> = notification_outbox::table
            .filter(notification_outbox::claimed_by.eq(token))
            .filter(notification_outbox::state.eq(PENDING))
            .order(notification_outbox::id)
            .select(OutboxRow::as_select())
            .load(conn)
            .await?;
        let lead_ids: Vec<i64> = rows.iter().map(|r| r.lead_id).collect();
        let staff_ids: Vec<i64> = rows.iter().map(|r| r.staff_user_id).collect();
        let leads = leads::table
            .filter(leads::id.eq_any(&lead_ids))
            .select(Lead::as_select())
            .load(conn)
            .await?;
        let recipients = staff_users::table
            .filter(staff_users::id.eq_any(&staff_ids))
            .select(StaffUser::as_select())
            .load(conn)
            .await?;
        Ok(Claimed {
            rows,
            leads,
            recipients,
        })
    })
}

/// What became of claimed rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at this time; the error is kept for the admin page.
    Retry(NaiveDateTime, String),
    /// Given up: the error stays visible on the admin page.
    Failed(String),
    Dropped(String),
}

/// Settles rows this worker claimed under `token`; rows whose claim another worker took over meanwhile are
/// left to it. Returns how many rows were settled.
pub async fn settle(pool: &DbPool, ids: &[i64], token: &str, outcome: &Outcome) -> DbResult<usize> {
    let now = now();
    let (state, due, error) = match outcome {
        Outcome::Sent => (SENT, None, String::new()),
        Outcome::Retry(due, error) => (PENDING, Some(*due), error.clone()),
        Outcome::Failed(error) => (FAILED, None, error.clone()),
        Outcome::Dropped(why) => (DROPPED, None, why.clone()),
    };
    let error: String = error.chars().take(500).collect();
    let finished = (state != PENDING).then_some(now);
    db_run_retrying!(pool, |conn| {
        let mine = notification_outbox::table
            .filter(notification_outbox::id.eq_any(ids))
            .filter(notification_outbox::claimed_by.eq(token))
            .filter(notification_outbox::state.eq(PENDING));
        let attempts = if state == SENT || state == DROPPED {
            notification_outbox::attempts + 0
        } else {
            notification_outbox::attempts + 1
        };
        Ok(diesel::update(mine)
            .set((
                notification_outbox::state.eq(state),
                notification_outbox::attempts.eq(attempts),
                notification_outbox::due_at.eq(due.unwrap_or(now)),
                notification_outbox::claimed_until.eq(None::<NaiveDateTime>),
                notification_outbox::last_error.eq(&error),
                notification_outbox::sent_at.eq(finished),
            ))
            .execute(conn)
            .await?)
    })
}

/// How many rows are in each state, and the newest failures (the admin's jobs page).
#[derive(Debug, Default)]
pub struct Summary {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub dropped: i64,
    pub recent_failures: Vec<OutboxRow>,
}

pub async fn summary(pool: &DbPool, failures: i64) -> DbResult<Summary> {
    db_run_retrying!(pool, |conn| {
        let counts: Vec<(String, i64)> = notification_outbox::table
            .group_by(notification_outbox::state)
            .select((notification_outbox::state, diesel::dsl::count_star()))
            .load(conn)
            .await?;
        let count = |state: &str| {
            counts
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n)
        };
        let recent_failures = notification_outbox::table
            .filter(notification_outbox::state.eq(FAILED))
            .order(notification_outbox::id.desc())
            .limit(failures)
            .select(OutboxRow::as_select())
            .load(conn)
            .await?;
        Ok(Summary {
            pending: count(PENDING),
            sent: count(SENT),
            failed: count(FAILED),
            dropped: count(DROPPED),
            recent_failures,
        })
    })
}

/// Deletes sent and dropped rows finished before `cutoff` (housekeeping); returns how many.
pub async fn prune_finished(pool: &DbPool, cutoff: NaiveDateTime) -> DbResult<usize> {
    db_run_retrying!(pool, |conn| {
        Ok(diesel::delete(
            notification_outbox::table
                .filter(notification_outbox::state.eq_any([SENT, DROPPED]))
                .filter(notification_outbox::sent_at.lt(cutoff)),
        )
        .execute(conn)
        .await?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_digest_is_due_at_the_next_digest_hour_in_the_recipients_own_zone() {
        // London in winter is UTC: 07:30 → 08:00 the same day; 09:00 → 08:00 the next day.
        assert_eq!(
            next_digest_at(at("2026-01-10 07:30"), TimeZone::London, 8),
            at("2026-01-10 08:00")
        );
        assert_eq!(
            next_digest_at(at("2026-01-10 09:00"), TimeZone::London, 8),
            at("2026-01-11 08:00")
        );
        // London in summer is UTC+1: 08:00 local is 07:00 UTC.
        assert_eq!(
            next_digest_at(at("2026-07-10 05:00"), TimeZone::London, 8),
            at("2026-07-10 07:00")
        );
    }
}
