DROP INDEX leads_follow_up_on;
DROP INDEX leads_owner_created_at;
ALTER TABLE leads DROP COLUMN follow_up_on;
ALTER TABLE leads DROP COLUMN owner_id;
ALTER TABLE leads ADD COLUMN notes TEXT NOT NULL DEFAULT '';
-- Every note of a lead, oldest first, back in its one box.
UPDATE leads SET notes = COALESCE((SELECT group_concat(body, char(10) || char(10)) FROM
    (SELECT body FROM lead_notes WHERE lead_notes.lead_id = leads.id ORDER BY id)), '');
DROP TABLE lead_notes;
