ALTER TABLE leads DROP KEY leads_follow_up_on, DROP KEY leads_owner_created_at,
    DROP COLUMN follow_up_on, DROP COLUMN owner_id, ADD COLUMN notes TEXT NOT NULL;
UPDATE leads SET notes = COALESCE((SELECT GROUP_CONCAT(body ORDER BY id SEPARATOR '\n\n') FROM lead_notes
    WHERE lead_notes.lead_id = leads.id), '');
DROP TABLE lead_notes;
