-- Background jobs: who wants to hear about new leads, the notification outbox (written with the lead, sent by
-- whichever task claims a row first), periodic jobs' leases and last runs, and tombstones of erasures.
ALTER TABLE staff_users ADD COLUMN notify VARCHAR(16) NOT NULL DEFAULT 'off';

CREATE TABLE notification_outbox (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    lead_id BIGINT NOT NULL,
    staff_user_id BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    due_at DATETIME(6) NOT NULL,
    claimed_by VARCHAR(64) NULL,
    claimed_until DATETIME(6) NULL,
    last_error VARCHAR(500) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    sent_at DATETIME(6) NULL,
    KEY notification_outbox_due (state, due_at),
    KEY notification_outbox_lead (lead_id),
    KEY notification_outbox_sent (state, sent_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE job_runs (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    holder VARCHAR(64) NULL,
    lease_until DATETIME(6) NULL,
    next_run_at DATETIME(6) NOT NULL,
    last_started_at DATETIME(6) NULL,
    last_finished_at DATETIME(6) NULL,
    last_outcome VARCHAR(16) NOT NULL DEFAULT '',
    last_detail VARCHAR(500) NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE erasures (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    erased_at DATETIME(6) NOT NULL,
    erased_by VARCHAR(254) NOT NULL,
    leads_erased INT NOT NULL,
    signups_erased INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE INDEX login_attempts_at ON login_attempts (attempted_at);
