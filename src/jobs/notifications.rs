//! The notification worker, one in every task: claims due outbox rows (`db/outbox.rs`), writes each
//! recipient's email (one per lead, or one digest of their due leads), sends it through the [`Mailer`], and
//! settles the rows: sent; or retried with backoff (`notifications.retry_initial_secs`, doubling up to
//! `retry_max_secs`); or, still unsent `give_up_after_mins` after the lead arrived, failed for good, which
//! /admin/jobs shows with the error.
//!
//! Exactly once: a row is claimed by one worker at a time, and marked sent under that worker's claim right
//! after SES accepts it. The one gap no outbox can close without an idempotent mail service is a task killed
//! between SES accepting a message and the mark: its claim expires and the email goes out a second time.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Duration as Span, NaiveDateTime};

use crate::config::Settings;
use crate::db::outbox::{self, Claimed, DIGEST, OutboxRow, Outcome};
use crate::db::staff::{StaffUser, now};
use crate::db::{DbPool, DbResult, leads::Lead};
use crate::domain::NotifyChoice;
use crate::email::{Email, LeadSummary, Mailer, Recipient, message};
use crate::metrics::{self, Event};

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub emails_sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub dropped: usize,
}

pub async fn run_forever(db: &DbPool, mailer: &dyn Mailer, settings: &Settings, holder: &str) {
    let pause = Duration::from_secs(settings.notifications.poll_interval_secs);
    loop {
        tokio::time::sleep(pause).await;
        // A full batch: there may be more waiting, so go again at once.
        loop {
            match deliver_due(db, mailer, settings, holder).await {
                Ok(round) if round.claimed as i64 >= settings.notifications.batch_size => {}
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "notification round failed; trying again");
                    break;
                }
            }
        }
    }
}

/// Claims what is due (up to `notifications.batch_size` rows), sends it and settles it.
pub async fn deliver_due(
    db: &DbPool,
    mailer: &dyn Mailer,
    settings: &Settings,
    holder: &str,
) -> DbResult<Round> {
    let config = &settings.notifications;
    let token = format!(
        "{holder}/{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let claim_for = Span::seconds(config.claim_secs as i64);
    let claimed = outbox::claim_due(db, &token, claim_for, config.batch_size).await?;
    let mut round = Round {
        claimed: claimed.rows.len(),
        ..Round::default()
    };
    let public_url = settings.site.public_url.get().unwrap_or_default();
    for (rows, email) in compose(&claimed, public_url) {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let outcome = match email {
            Err(why) => Outcome::Dropped(why),
            Ok(email) => match mailer.send(&email).await {
                Ok(()) => Outcome::Sent,
                Err(error) => after_failure(settings, &rows, error.retryable, error.message),
            },
        };
        let settled = outbox::settle(db, &ids, &token, &outcome).await?;
        log_outcome(&outcome, &ids, settled);
        match outcome {
            Outcome::Sent => round.emails_sent += 1,
            Outcome::Retry(..) => round.retried += rows.len(),
            Outcome::Failed(_) => round.failed += rows.len(),
            Outcome::Dropped(_) => round.dropped += rows.len(),
        }
    }
    Ok(round)
}

/// Retry later with backoff, unless the rows are past the give-up time (or the error is final).
fn after_failure(
    settings: &Settings,
    rows: &[OutboxRow],
    retryable: bool,
    error: String,
) -> Outcome {
    let config = &settings.notifications;
    let now = now();
    let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(0) as u32;
    let backoff = config
        .retry_initial_secs
        .saturating_mul(1u64 << attempts.min(20))
        .min(config.retry_max_secs.max(config.retry_initial_secs));
    let next = now + Span::seconds(backoff as i64);
    let give_up_at = rows
        .iter()
        .map(|r| give_up_at(settings, r))
        .min()
        .unwrap_or(now);
    if !retryable || next > give_up_at {
        Outcome::Failed(error)
    } else {
        Outcome::Retry(next, error)
    }
}

/// `give_up_after_mins` after the lead arrived; a digest, due up to a day later, gets that day too.
fn give_up_at(settings: &Settings, row: &OutboxRow) -> NaiveDateTime {
    let window = Span::minutes(settings.notifications.give_up_after_mins as i64);
    let extra = if row.kind == DIGEST {
        Span::days(1)
    } else {
        Span::zero()
    };
    row.created_at + window + extra
}

fn log_outcome(outcome: &Outcome, ids: &[i64], settled: usize) {
    match outcome {
        Outcome::Sent => {
            metrics::count(Event::NotificationsSent);
            tracing::info!(notifications = ?ids, settled, "notification sent");
        }
        Outcome::Retry(at, error) => {
            metrics::count(Event::NotificationRetries);
            tracing::warn!(notifications = ?ids, retry_at = %at, error, "notification not sent; will retry");
        }
        Outcome::Failed(error) => {
            metrics::count(Event::NotificationsFailed);
            tracing::error!(notifications = ?ids, error, "notification given up");
        }
        Outcome::Dropped(why) => tracing::info!(notifications = ?ids, why, "notification dropped"),
    }
}

fn summary(lead: &Lead) -> LeadSummary {
    LeadSummary {
        id: lead.id,
        name: lead.name.as_str().to_owned(),
        interest: lead.interest.label().to_owned(),
        message: lead.message.as_str().to_owned(),
        received_at: lead.created_at,
    }
}

fn recipient(user: &StaffUser) -> Recipient {
    Recipient {
        email: user.email.clone(),
        name: user.display_name.clone(),
        time_zone: user.time_zone,
    }
}

/// The emails to send for claimed rows: one per `each` row, one per recipient for their `digest` rows; or why
/// rows are dropped (the recipient was disabled or opted out meanwhile, the lead is gone).
fn compose(claimed: &Claimed, public_url: &str) -> Vec<(Vec<OutboxRow>, Result<Email, String>)> {
    let lead = |id: i64| claimed.leads.iter().find(|l| l.id == id);
    let mut out = Vec::new();
    let mut digests: BTreeMap<i64, Vec<OutboxRow>> = BTreeMap::new();
    for row in &claimed.rows {
        if row.kind == DIGEST {
            digests
                .entry(row.staff_user_id)
                .or_default()
                .push(row.clone());
            continue;
        }
        let email = wanting(claimed, row.staff_user_id).and_then(|to| {
            let lead = lead(row.lead_id).ok_or("the lead was deleted")?;
            Ok(message::each(&recipient(to), &summary(lead), public_url))
        });
        out.push((vec![row.clone()], email));
    }
    for (staff_id, rows) in digests {
        let email = wanting(claimed, staff_id).and_then(|to| {
            let leads: Vec<LeadSummary> = rows
                .iter()
                .filter_map(|r| lead(r.lead_id))
                .map(summary)
                .collect();
            if leads.is_empty() {
                return Err("the leads were deleted".to_owned());
            }
            Ok(message::digest(&recipient(to), &leads, public_url))
        });
        out.push((rows, email));
    }
    out
}

/// The recipient, if they are still enabled and still want emails.
fn wanting(claimed: &Claimed, staff_id: i64) -> Result<&StaffUser, String> {
    let user = claimed
        .recipients
        .iter()
        .find(|u| u.id == staff_id)
        .ok_or("the recipient's account was removed")?;
    if user.disabled {
        return Err("the recipient's account is disabled".to_owned());
    }
    if user.notify == NotifyChoice::Off {
        return Err("the recipient turned lead emails off".to_owned());
    }
    Ok(user)
}
