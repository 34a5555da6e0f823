DROP INDEX login_attempts_at ON login_attempts;
DROP TABLE erasures;
DROP TABLE job_runs;
DROP TABLE notification_outbox;
ALTER TABLE staff_users DROP COLUMN notify;
