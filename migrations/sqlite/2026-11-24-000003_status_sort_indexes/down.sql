DROP INDEX leads_status_email_id;
DROP INDEX leads_status_name_id;
