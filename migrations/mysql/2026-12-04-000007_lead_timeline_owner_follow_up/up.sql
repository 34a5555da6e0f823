-- Notes become an append-only timeline: one row per note, with who wrote it and when.
CREATE TABLE lead_notes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    lead_id BIGINT NOT NULL,
    author VARCHAR(254) NOT NULL,
    body TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    KEY lead_notes_lead (lead_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- The old single notes box becomes the first entry of each lead's timeline, dated by the lead's last save.
INSERT INTO lead_notes (lead_id, author, body, created_at)
SELECT id, 'the old notes box', notes, updated_at FROM leads WHERE notes <> '';
-- Who works the lead, and when to get back to them.
ALTER TABLE leads DROP COLUMN notes,
    ADD COLUMN owner_id BIGINT NULL,
    ADD COLUMN follow_up_on DATE NULL,
    ADD KEY leads_owner_created_at (owner_id, created_at, id),
    ADD KEY leads_follow_up_on (follow_up_on, id);
