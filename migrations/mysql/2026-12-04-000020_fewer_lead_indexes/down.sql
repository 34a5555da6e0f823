ALTER TABLE leads ADD INDEX leads_email (email), ADD INDEX leads_interest_created_at (interest, created_at, id),
    ADD INDEX leads_consent_created_at (consent, created_at, id);
