DROP TABLE lead_search_backlog;
DROP TABLE lead_search_terms;
