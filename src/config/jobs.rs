//! Settings of the background work: lead notifications by email (`[notifications]`) and the periodic jobs
//! (`[jobs]`: housekeeping and retention). README documents every key.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSettings {
    /// The sender address (an SES identity); empty = notifications off.
    pub from: String,
    /// The local hour (0–23, each recipient's own time zone) at which daily digests are due.
    pub digest_hour: u32,
    /// How often each task's worker looks for due notifications.
    pub poll_interval_secs: u64,
    /// Notifications one worker claims at a time.
    pub batch_size: i64,
    /// A claimed notification belongs to its worker this long; then another task may send it.
    pub claim_secs: u64,
    /// One SES call may take this long (kept well under `claim_secs`).
    pub send_timeout_secs: u64,
    /// The first retry after a failed send waits this long; each further one twice as long …
    pub retry_initial_secs: u64,
    /// … up to this.
    pub retry_max_secs: u64,
    /// A notification still unsent this long after its lead arrived is given up (shown as failed).
    pub give_up_after_mins: u64,
}

impl NotificationSettings {
    pub fn enabled(&self) -> bool {
        !self.from.trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    /// How often each task checks whether a periodic job is due.
    pub tick_secs: u64,
    /// A task running a job holds its lease this long; a task killed mid-job frees the job after it.
    pub lease_secs: u64,
    /// Housekeeping (expired sessions, old sign-in attempts, finished notifications) runs this often.
    pub housekeeping_interval_mins: u64,
    /// Retention (leads older than `leads.retention_months`) runs this often.
    pub retention_interval_hours: u64,
    /// Sign-in attempts are kept this long (the throttle needs `admin.login_window_mins`).
    pub login_attempts_keep_days: u64,
    /// Sent (and dropped) notifications are kept this long; failed ones stay until their lead goes.
    pub sent_notifications_keep_days: u64,
}

impl NotificationSettings {
    pub(super) fn validate(&self, public_url_set: bool, region_set: bool) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if !self.from.contains('@') {
            return Err("notifications.from must be an email address (an SES identity)".into());
        }
        if !public_url_set {
            return Err(
                "notifications.from is set but site.public_url is not: the emails link to the lead, so set RR_SITE__PUBLIC_URL".into(),
            );
        }
        if !region_set {
            return Err(
                "notifications.from is set but AWS_REGION is not: SES needs a region".into(),
            );
        }
        if self.digest_hour > 23 {
            return Err("notifications.digest_hour must be 0 to 23".into());
        }
        if self.poll_interval_secs == 0 || self.batch_size < 1 || self.retry_initial_secs == 0 {
            return Err("notifications.poll_interval_secs, batch_size and retry_initial_secs must be at least 1".into());
        }
        if self.send_timeout_secs == 0 || self.claim_secs < 2 * self.send_timeout_secs {
            return Err("notifications.claim_secs must be at least twice notifications.send_timeout_secs (≥ 1): a send must end before its claim can pass to another task".into());
        }
        Ok(())
    }
}

impl JobSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.tick_secs == 0
            || self.lease_secs == 0
            || self.housekeeping_interval_mins == 0
            || self.retention_interval_hours == 0
        {
            return Err("jobs.tick_secs, lease_secs, housekeeping_interval_mins and retention_interval_hours must be at least 1".into());
        }
        Ok(())
    }
}
