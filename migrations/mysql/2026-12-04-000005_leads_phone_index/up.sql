-- Finds earlier leads with the same phone number (the duplicate hint on the lead page).
CREATE INDEX leads_phone_id ON leads (phone, id);
