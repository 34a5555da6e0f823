CREATE TABLE staff_users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    display_name VARCHAR(120) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY staff_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE staff_sessions (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    staff_user_id BIGINT NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    KEY staff_sessions_user (staff_user_id),
    CONSTRAINT staff_sessions_user_fk FOREIGN KEY (staff_user_id) REFERENCES staff_users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE login_attempts (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    client_ip VARCHAR(64) NOT NULL,
    succeeded BOOLEAN NOT NULL,
    attempted_at DATETIME(6) NOT NULL,
    KEY login_attempts_email (email, attempted_at),
    KEY login_attempts_client (client_ip, attempted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE app_secrets (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE lead_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    lead_id BIGINT NOT NULL,
    actor VARCHAR(254) NOT NULL,
    action VARCHAR(32) NOT NULL,
    detail TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    KEY lead_events_lead (lead_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE INDEX leads_name_id ON leads (name, id);
CREATE INDEX leads_email_id ON leads (email, id);
CREATE INDEX leads_consent_created_at ON leads (consent, created_at, id);
