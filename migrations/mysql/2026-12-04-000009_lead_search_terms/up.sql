-- The staff search index: one row per (folded word or phone-number tail, lead), found by prefix range.
-- Binary collation: terms are compared by code point, as the app builds its ranges.
CREATE TABLE lead_search_terms (
    term VARCHAR(48) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    lead_id BIGINT NOT NULL,
    PRIMARY KEY (term, lead_id),
    KEY lead_search_terms_lead (lead_id, term)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Leads stored before the index existed wait here; the app indexes them at boot (words are folded in Rust).
CREATE TABLE lead_search_backlog (lead_id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO lead_search_backlog (lead_id) SELECT id FROM leads;
