CREATE INDEX leads_email ON leads (email);
CREATE INDEX leads_interest_created_at ON leads (interest, created_at, id);
CREATE INDEX leads_consent_created_at ON leads (consent, created_at, id);
