//! What the periodic jobs do. Each returns one line of counts for the log and the admin's jobs page, and
//! each is safe to run again after a task died halfway through it.

use chrono::{Duration, Months};

use crate::config::Settings;
use crate::db::{DbPool, erasure, housekeeping as prune, outbox, staff::now};

/// Leads deleted per transaction by the retention job.
const RETENTION_BATCH: i64 = 500;

/// Expired staff sessions, sign-in attempts past `jobs.login_attempts_keep_days`, and sent notifications
/// past `jobs.sent_notifications_keep_days`.
pub async fn housekeeping(db: &DbPool, settings: &Settings) -> anyhow::Result<String> {
    let now = now();
    let (admin, jobs) = (&settings.admin, &settings.jobs);
    let sessions = prune::prune_sessions(
        db,
        now - Duration::minutes(admin.idle_timeout_mins as i64),
        now - Duration::hours(admin.absolute_timeout_hours as i64),
    )
    .await?;
    let keep_attempts = Duration::days(jobs.login_attempts_keep_days as i64)
        .max(Duration::minutes(admin.login_window_mins as i64));
    let attempts = prune::prune_login_attempts(db, now - keep_attempts).await?;
    let keep_sent = Duration::days(jobs.sent_notifications_keep_days as i64);
    let notifications = outbox::prune_finished(db, now - keep_sent).await?;
    Ok(format!(
        "sessions={sessions} sign_in_attempts={attempts} notifications={notifications}"
    ))
}

/// Leads received more than `leads.retention_months` ago, with their notes, search terms, notifications and
/// history; history of leads staff deleted before that cutoff too. 0 months keeps everything.
pub async fn retention(db: &DbPool, settings: &Settings) -> anyhow::Result<String> {
    let months = settings.leads.retention_months;
    if months == 0 {
        return Ok("leads=0 history=0 (retention off: leads.retention_months = 0)".to_owned());
    }
    let now = now();
    let cutoff = now
        .checked_sub_months(Months::new(months))
        .unwrap_or(chrono::NaiveDateTime::MIN);
    let mut leads = 0;
    loop {
        let deleted = erasure::delete_received_before(db, cutoff, RETENTION_BATCH).await?;
        leads += deleted;
        if deleted < RETENTION_BATCH as usize {
            break;
        }
    }
    let history = prune::prune_orphan_history(db, cutoff).await?;
    Ok(format!(
        "leads={leads} history={history} cutoff={}",
        cutoff.format("%Y-%m-%d")
    ))
}
