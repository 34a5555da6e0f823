ALTER TABLE leads DROP COLUMN consent_withdrawn_at;
