CREATE INDEX leads_status_name_id ON leads (status, name, id);
CREATE INDEX leads_status_email_id ON leads (status, email, id);
