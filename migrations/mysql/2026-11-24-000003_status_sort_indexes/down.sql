DROP INDEX leads_status_email_id ON leads;
DROP INDEX leads_status_name_id ON leads;
