CREATE TABLE leads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    interest TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    consent BOOLEAN NOT NULL DEFAULT 0,
    consent_at TIMESTAMP NULL,
    status TEXT NOT NULL DEFAULT 'new',
    notes TEXT NOT NULL DEFAULT '',
    form_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX leads_form_token ON leads (form_token);
CREATE INDEX leads_created_at ON leads (created_at, id);
CREATE INDEX leads_status_created_at ON leads (status, created_at, id);
CREATE INDEX leads_interest_created_at ON leads (interest, created_at, id);
CREATE INDEX leads_email ON leads (email);
