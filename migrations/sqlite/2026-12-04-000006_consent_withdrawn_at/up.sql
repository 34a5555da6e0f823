-- When a lead withdrew marketing consent (staff record it on the lead page).
ALTER TABLE leads ADD COLUMN consent_withdrawn_at TIMESTAMP NULL;
