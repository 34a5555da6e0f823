CREATE INDEX leads_email ON leads (email);
CREATE INDEX leads_interest_created_at ON leads (interest, created_at, id);
CREATE INDEX leads_consent_created_at ON leads (consent, created_at, id);
CREATE INDEX leads_status_name_id ON leads (status, name, id);
CREATE INDEX leads_status_email_id ON leads (status, email, id);
