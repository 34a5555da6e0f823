DROP INDEX leads_consent_created_at ON leads;
DROP INDEX leads_email_id ON leads;
DROP INDEX leads_name_id ON leads;
DROP TABLE lead_events;
DROP TABLE app_secrets;
DROP TABLE login_attempts;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
