-- Notes become an append-only timeline: one row per note, with who wrote it and when.
CREATE TABLE lead_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id BIGINT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX lead_notes_lead ON lead_notes (lead_id, id);
-- The old single notes box becomes the first entry of each lead's timeline, dated by the lead's last save.
INSERT INTO lead_notes (lead_id, author, body, created_at)
SELECT id, 'the old notes box', notes, updated_at FROM leads WHERE notes <> '';
ALTER TABLE leads DROP COLUMN notes;
-- Who works the lead, and when to get back to them.
ALTER TABLE leads ADD COLUMN owner_id BIGINT NULL;
ALTER TABLE leads ADD COLUMN follow_up_on DATE NULL;
CREATE INDEX leads_owner_created_at ON leads (owner_id, created_at, id);
CREATE INDEX leads_follow_up_on ON leads (follow_up_on, id);
