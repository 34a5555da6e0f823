DROP INDEX leads_consent_created_at;
DROP INDEX leads_email_id;
DROP INDEX leads_name_id;
DROP TABLE lead_events;
DROP TABLE app_secrets;
DROP TABLE login_attempts;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
