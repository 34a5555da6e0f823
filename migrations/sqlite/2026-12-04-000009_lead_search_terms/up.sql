-- The staff search index: one row per (folded word or phone-number tail, lead), found by prefix range.
CREATE TABLE lead_search_terms (
    term TEXT NOT NULL,
    lead_id BIGINT NOT NULL,
    PRIMARY KEY (term, lead_id)
) WITHOUT ROWID;
CREATE INDEX lead_search_terms_lead ON lead_search_terms (lead_id, term);
-- Leads stored before the index existed wait here; the app indexes them at boot (words are folded in Rust).
CREATE TABLE lead_search_backlog (lead_id BIGINT PRIMARY KEY NOT NULL);
INSERT INTO lead_search_backlog (lead_id) SELECT id FROM leads;
