-- Visitors who asked for news by email, one row per address (stored lower-case), with when they consented.
CREATE TABLE news_signups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    consent_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX news_signups_email ON news_signups (email);
CREATE INDEX news_signups_created ON news_signups (created_at);
