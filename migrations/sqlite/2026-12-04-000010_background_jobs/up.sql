-- Background jobs: who wants to hear about new leads, the notification outbox (written with the lead, sent by
-- whichever task claims a row first), periodic jobs' leases and last runs, and tombstones of erasures.
ALTER TABLE staff_users ADD COLUMN notify TEXT NOT NULL DEFAULT 'off';

CREATE TABLE notification_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id BIGINT NOT NULL,
    staff_user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TIMESTAMP NOT NULL,
    claimed_by TEXT NULL,
    claimed_until TIMESTAMP NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NULL
);
CREATE INDEX notification_outbox_due ON notification_outbox (state, due_at);
CREATE INDEX notification_outbox_lead ON notification_outbox (lead_id);
CREATE INDEX notification_outbox_sent ON notification_outbox (state, sent_at);

CREATE TABLE job_runs (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NULL,
    lease_until TIMESTAMP NULL,
    next_run_at TIMESTAMP NOT NULL,
    last_started_at TIMESTAMP NULL,
    last_finished_at TIMESTAMP NULL,
    last_outcome TEXT NOT NULL DEFAULT '',
    last_detail TEXT NOT NULL DEFAULT ''
);

CREATE TABLE erasures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    erased_at TIMESTAMP NOT NULL,
    erased_by TEXT NOT NULL,
    leads_erased INTEGER NOT NULL,
    signups_erased INTEGER NOT NULL
);

CREATE INDEX login_attempts_at ON login_attempts (attempted_at);
